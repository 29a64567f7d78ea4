// An invoice from a team's price list (a file the request is granted to read) and the
// host's exchange rate; `items`, `prices_path`, `currency` and `rate` come from the host.
import file;
import json;

prices = json.parse(file.read(prices_path));
total = 0;
for (item in items) {
    total = total + prices[item.sku] * item.qty;
}
result = {currency: currency, total: round(total * rate(currency), 2)};
