// What the script can see of its process: the host's secret is not in the worker's
// environment, though the grant would let the script read it.
import env;

result = {api_key: env.get("SHOP_API_KEY")};
