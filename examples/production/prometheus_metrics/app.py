"""A FastAPI service that scores leads with a rule written in ML, and exposes its metrics.

The app installs mlpy's Prometheus metrics on a registry of its own and mounts
prometheus_client's ASGI app at ``/metrics``, where Prometheus scrapes them. Requests are
scored on an AsyncEngine, so the executor's queue and workers show up as gauges. Run it
with ``python app.py`` (or ``uvicorn app:app``) and try::

    curl -X POST localhost:8000/score -H 'Content-Type: application/json' -d '{"visits": 12}'
    curl localhost:8000/metrics
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, make_asgi_app

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.observability import prometheus

# [metrics]
registry = CollectorRegistry()
metrics = prometheus.install(registry=registry)  # before the engines: they are found


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with AsyncEngine(max_workers=2, max_pending=100,
                           thread_name_prefix="scoring") as engine:
        app.state.engine = engine
        yield


app = FastAPI(lifespan=lifespan)
app.mount("/metrics", make_asgi_app(registry=registry))
# [/metrics]

RULE = mlpy.compile("""
score = lead.visits * 2;
if (score > 20) { score = 20; }
result = score;
""", inputs=["lead"])


@app.post("/score")
async def score(lead: dict) -> dict:
    outcome = await app.state.engine.execute(RULE, variables={"lead": lead}, timeout=1.0)
    if not outcome.success:
        return {"error": outcome.error_info.message}
    return {"score": outcome.value}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)  # or: uvicorn app:app
