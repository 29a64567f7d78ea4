"""A FastAPI service to copy: per-request grants from a dependency, a time limit on every
ML rule, ``application/problem+json`` errors, health routes and Prometheus metrics.

``POST /quote`` prices an order with a rule written in ML (``quote.ml``). The caller's API
key decides its grants: only the "pro" plan may convert currencies (the host function
``fx_rate`` needs the capability ``fx.read``). Every quote runs on the application's
AsyncEngine under a time limit of QUOTE_TIMEOUT seconds; a rule that overruns it is
stopped, its worker freed, and the client gets ``504``. Run it with ``python app.py`` (or
``uvicorn app:app``) and try::

    curl -X POST localhost:8000/quote -H 'X-Api-Key: key-pro' -H 'Content-Type: application/json' \\
         -d '{"currency": "USD", "items": [{"sku": "A-1", "price": 20, "qty": 3}]}'
    curl -L localhost:8000/metrics   # the mounted app answers at /metrics/
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, AsyncIterator

from fastapi import Depends, FastAPI, Header, HTTPException
from prometheus_client import CollectorRegistry, make_asgi_app
from pydantic import BaseModel

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.fastapi import (
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)
from mlpy.observability import prometheus

HERE = Path(__file__).resolve().parent

# [grants]
# API key -> plan. A real service looks keys up in its database (see the note on
# async dependencies in the guide).
API_KEYS = {"key-basic": "basic", "key-pro": "pro"}
# Each plan's grants, parsed once at start-up rather than for every request.
PLAN_GRANTS = {"basic": mlpy.CapabilitySet(), "pro": mlpy.CapabilitySet.parse(["fx.read"])}


def request_grants(x_api_key: Annotated[str, Header()] = "") -> mlpy.CapabilitySet:
    """The grants of the request's API key. A dependency: FastAPI documents the header in
    the OpenAPI schema, and a test can replace it (app.dependency_overrides)."""
    plan = API_KEYS.get(x_api_key)
    if plan is None:
        raise HTTPException(status_code=401, detail="unknown API key")
    return PLAN_GRANTS[plan]
# [/grants]


RATES = {"USD": 1.08, "GBP": 0.86}


@mlpy.host_function(capabilities=["fx.read"])
def fx_rate(currency: str) -> float:
    """The exchange rate from EUR to ``currency`` (an ML rule may call it with fx.read)."""
    return RATES[currency]


class Item(BaseModel):
    sku: str
    price: float
    qty: int


class Order(BaseModel):
    currency: str = "EUR"
    items: list[Item]


# [engine]
QUOTE_TIMEOUT = 0.5  # seconds: a quote that takes longer is stopped and answered 504
# The step limit is a backstop far behind the time limit, so the time limit always comes
# first; the engine grants nothing by default.
engine = mlpy.Engine(max_steps=100_000_000)
QUOTE = engine.compile(HERE / "quote.ml", inputs=["order", "fx_rate"])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Metrics on the app's registry, then the AsyncEngine: 4 workers, at most 100 quotes
    waiting (more are answered 429 at once), both undone at shutdown."""
    metrics = prometheus.install(registry=app.state.registry, engines=[engine])
    try:
        async with mlpy_lifespan(app, engine=engine, max_workers=4, max_pending=100,
                                 thread_name_prefix="quotes"):
            yield
    finally:
        metrics.uninstall()
# [/engine]


# [app]
def create_app() -> FastAPI:
    app = FastAPI(lifespan=lifespan)
    app.state.registry = CollectorRegistry()
    app.mount("/metrics", make_asgi_app(registry=app.state.registry))
    app.include_router(health_router())  # /health, /health/ready, /health/detailed
    install_error_handlers(app)  # an MLError becomes a problem+json response

    @app.post("/quote")
    async def quote(order: Order,
                    grants: Annotated[mlpy.CapabilitySet, Depends(request_grants)],
                    ml: Annotated[AsyncEngine, Depends(get_async_engine)]) -> dict[str, Any]:
        # On a worker thread, under this request's grants and no one else's, for at most
        # QUOTE_TIMEOUT seconds. unwrap() raises the MLError of a failed quote.
        result = await ml.execute(QUOTE, variables={"order": order.model_dump(),
                                                    "fx_rate": fx_rate},
                                  capabilities=grants, timeout=QUOTE_TIMEOUT)
        return result.unwrap()

    return app
# [/app]


app = create_app()

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
