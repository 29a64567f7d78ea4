"""``python -m pricing_service``: REST on port 8000 and gRPC on port 50051, one engine.

Try::

    curl -X POST localhost:8000/v1/rules/quote -H 'Content-Type: application/json' \
         -d '{"order": {"items": [{"sku": "A-1", "price": 60, "qty": 2}]}}'
    curl localhost:8000/health/ready
    curl localhost:8000/metrics
"""

from __future__ import annotations

import uvicorn

from pricing_service.core import PricingService
from pricing_service.grpc_api import create_grpc_server
from pricing_service.rest import create_rest_app


# [main]
def main(rest_port: int = 8000, grpc_port: int = 50051) -> None:
    service = PricingService()  # the one set of compiled rules and the one AsyncEngine
    server, _ = create_grpc_server(service, f"127.0.0.1:{grpc_port}")
    server.start()  # gRPC serves from its own threads...
    try:  # ...while uvicorn's event loop serves REST on this one
        uvicorn.run(create_rest_app(service), host="127.0.0.1", port=rest_port)
    finally:
        server.stop(grace=5).wait()  # finish the calls in flight, then stop the engine
        service.close()
# [/main]


if __name__ == "__main__":
    main()
