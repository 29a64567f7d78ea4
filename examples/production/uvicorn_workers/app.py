"""Several uvicorn workers, each with its own AsyncEngine and its rules compiled at start.

``uvicorn app:app --workers 2`` starts two worker processes, and each one imports this
module and runs its lifespan: it creates its own Engine and AsyncEngine (threads, queues
and caches are never shared between processes) and compiles every tenant's rules before
it takes its first request, so no request pays for a compile. Run it with ``python
app.py`` (two workers on 127.0.0.1:8000) and try::

    curl -X POST localhost:8000/score/acme -H 'Content-Type: application/json' \\
         -d '{"visits": 12, "requested_demo": true}'
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, AsyncIterator

from fastapi import Depends, FastAPI, HTTPException, Request

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.fastapi import (
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)

HERE = Path(__file__).resolve().parent
logger = logging.getLogger("uvicorn.error")  # uvicorn shows this logger's INFO lines


# [lifespan]
@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs once in every worker process, before it serves."""
    engine = mlpy.Engine(timeout=1.0, max_steps=10_000_000)
    # The warm cache: every tenant's rules, compiled by this worker for this worker.
    app.state.rules = {path.stem: engine.compile(path, filename=path.name, inputs=["lead"])
                       for path in sorted((HERE / "rules").glob("*.ml"))}
    logger.info("worker %d compiled %d rules", os.getpid(), len(app.state.rules))
    # Two threads per worker process: with two processes, four scores at once.
    try:
        async with mlpy_lifespan(app, engine=engine, max_workers=2, max_pending=100):
            yield
    finally:
        engine.close()  # the AsyncEngine was given this engine: it is ours to close
# [/lifespan]


app = FastAPI(lifespan=lifespan)
install_error_handlers(app)
app.include_router(health_router())


@app.post("/score/{tenant}")
async def score(tenant: str, lead: dict[str, Any], request: Request,
                ml: Annotated[AsyncEngine, Depends(get_async_engine)]) -> dict[str, Any]:
    program = request.app.state.rules.get(tenant)  # this worker's compiled rules
    if program is None:
        raise HTTPException(status_code=404, detail="unknown tenant")
    result = await ml.execute(program, variables={"lead": lead})
    return {"score": result.unwrap(), "worker": os.getpid()}


# [main]
if __name__ == "__main__":
    import uvicorn

    # Workers are separate processes: uvicorn needs the app's import string, not the object.
    uvicorn.run("app:app", host="127.0.0.1", port=8000, workers=2)
# [/main]
