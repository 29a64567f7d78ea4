"""A FastAPI service that prices orders with each tenant's own rules, written in ML.

Every tenant has a rules file in ``rules/``; the service compiles them at start-up and runs
them on an AsyncEngine that its lifespan owns: a bounded pool of workers, each run with a
time limit, and a bounded queue that answers ``429`` when it is full. A request names its
tenant with an API key, which also decides its grants: only tenants on the "pro" plan may
convert currencies (the host function ``fx_rate`` needs the capability ``fx.read``). Run it
with ``uvicorn app:app`` and try::

    curl -X POST localhost:8000/price -H 'X-Api-Key: key-acme' -H 'Content-Type: application/json' \\
         -d '{"currency": "USD", "items": [{"sku": "A-1", "price": 60, "qty": 2}]}'
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Header, HTTPException

import mlpy
from mlpy.integration.asgi import CapabilityMiddleware
from mlpy.integration.fastapi import (
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)

HERE = Path(__file__).resolve().parent

# [tenants]
# API key -> (tenant, plan). A real service reads these from its database.
API_KEYS = {"key-acme": ("acme", "pro"), "key-globex": ("globex", "basic"),
            "key-initech": ("initech", "basic")}
# Each plan's grants, parsed once rather than for every request.
PLAN_GRANTS = {"pro": mlpy.CapabilitySet.parse(["fx.read"]), "basic": mlpy.CapabilitySet()}
RATES = {"USD": 1.08, "GBP": 0.86}


@mlpy.host_function(capabilities=["fx.read"])
def fx_rate(currency):
    """The exchange rate from EUR to ``currency``."""
    return RATES[currency]


def grants_for(scope: dict[str, Any]):
    """The capabilities of a request (an ASGI scope): its tenant's plan's; none for a bad
    key."""
    key = dict(scope["headers"]).get(b"x-api-key", b"").decode("latin-1")
    tenant = API_KEYS.get(key)
    return PLAN_GRANTS[tenant[1]] if tenant else None
# [/tenants]


# [app]
engine = mlpy.Engine(max_steps=100_000_000)  # a backstop: the time limit comes first
RULES = {
    path.stem: engine.compile(path.read_text(encoding="utf-8"), filename=path.name,
                              inputs=["order", "fx_rate"])
    for path in sorted((HERE / "rules").glob("*.ml"))
}


def create_app() -> FastAPI:
    # Four workers, at most 100 requests waiting, half a second per rule.
    app = FastAPI(lifespan=partial(mlpy_lifespan, engine=engine, max_workers=4,
                                   max_pending=100, default_timeout=0.5))
    app.add_middleware(CapabilityMiddleware, resolver=grants_for)
    install_error_handlers(app)  # an MLError becomes a problem response
    app.include_router(health_router())

    @app.post("/price")
    async def price(order: dict[str, Any], x_api_key: str = Header(default=""),
                    ml=Depends(get_async_engine)):
        tenant = API_KEYS.get(x_api_key)
        if tenant is None:
            raise HTTPException(status_code=401)
        # Runs on a worker, in a copy of this request's context: under its grants.
        result = await ml.execute(RULES[tenant[0]],
                                  variables={"order": order, "fx_rate": fx_rate})
        return result.unwrap()

    return app
# [/app]


app = create_app()
