"""A FastAPI service that answers "can this order ship today?" with ML rules, and the health
routes an orchestrator probes.

The rules (``availability.ml``) ask the warehouse service for stock through the host
function ``stock``. That service is the weak spot: when it hangs, a call into it never
returns, and the worker thread running it is stuck. The AsyncEngine gives up on such a call
when its time limit and grace have passed (the request gets a ``504``), sets the thread
aside and starts a replacement, and the health routes tell the orchestrator:

* ``GET /health`` -- liveness: ``200`` as long as the process answers;
* ``GET /health/ready`` -- readiness: ``503`` once every worker is stuck (take the pod out
  of the load balancer), ``200`` while some still work (degraded, but serving);
* ``GET /health/detailed`` -- the whole report, for people and dashboards.

Run it with ``python app.py`` (or ``uvicorn app:app``) and try
``curl localhost:8000/health/detailed``.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI

import mlpy
from mlpy.integration.fastapi import (
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)

HERE = Path(__file__).resolve().parent


# [warehouse]
class Warehouse:
    """Stands in for the warehouse's stock service. ``outage()`` makes every call hang,
    like a service that accepts connections and never answers; ``recover()`` ends it."""

    def __init__(self, stock: dict[str, int]):
        self.levels = dict(stock)
        self._up = threading.Event()
        self._up.set()

    def outage(self) -> None:
        self._up.clear()

    def recover(self) -> None:
        self._up.set()

    def stock(self, sku: str) -> int:
        self._up.wait()  # no time limit of its own, as in too many client libraries
        return self.levels.get(sku, 0)
# [/warehouse]


# [app]
WORKERS = 2  # at most two rule runs at once; two stuck threads make the service unhealthy
engine = mlpy.Engine()
RULES = engine.compile((HERE / "availability.ml").read_text(encoding="utf-8"),
                       filename="availability.ml", inputs=["order", "stock"])


def create_app(warehouse: Warehouse) -> FastAPI:
    stock = mlpy.host_function(warehouse.stock)
    app = FastAPI(lifespan=partial(mlpy_lifespan, engine=engine, max_workers=WORKERS,
                                   max_pending=50, default_timeout=0.5, cancel_grace=0.2))
    install_error_handlers(app)  # a timed-out rule becomes a 504 problem response
    app.include_router(health_router())  # probes the lifespan's AsyncEngine

    @app.post("/availability")
    async def availability(order: dict[str, Any], ml=Depends(get_async_engine)):
        result = await ml.execute(RULES, variables={"order": order, "stock": stock})
        return result.unwrap()

    return app
# [/app]


app = create_app(Warehouse({"A-1": 10, "B-2": 0}))


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)  # or: uvicorn app:app
