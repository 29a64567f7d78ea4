"""The quotes service, ready to deploy: a FastAPI app that prices shipments with an ML rule
(``rules/quote.ml``), configured by ``mlpy.toml``, probed on ``/health`` and
``/health/ready``.

The files beside it deploy it: ``Dockerfile`` builds the image, ``docker-compose.yml`` runs
it on one machine, ``k8s/`` on Kubernetes (a ConfigMap holding ``mlpy.toml``, a Deployment
whose resource limits match the ML limits of the production overlay, and a Service).
Run it locally with ``python app.py`` (``MLPY_ENV=production python app.py`` runs every quote
in a sandbox worker process, as the container does) and try::

    curl -X POST localhost:8000/quote -H 'Content-Type: application/json' \\
         -d '{"lines": [{"price": 12.5, "qty": 2, "kg": 1.5}]}'
    curl localhost:8000/health/ready
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI

from mlpy import HealthReport, health
from mlpy.aio import AsyncEngine
from mlpy.config import MLConfig
from mlpy.integration.fastapi import (
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)

HERE = Path(__file__).resolve().parent
logger = logging.getLogger("quotes")
RULE = HERE / "rules" / "quote.ml"


# [config]
def load_config() -> MLConfig:
    """The configuration in effect: the file named by MLPY_CONFIG (the ConfigMap on
    Kubernetes), else mlpy.toml beside this file; the overlay named by MLPY_ENV; the
    MLPY__SECTION__KEY variables on top. A bad value stops the start with the file, key
    and expected type."""
    return MLConfig.load(start_dir=HERE)
# [/config]


# [app]
def create_app(config: MLConfig | None = None) -> FastAPI:
    config = config or load_config()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The AsyncEngine takes the async section, runtime.isolation and, for the engine it
        # makes, the limits, denies and sandbox settings of the configuration.
        async with mlpy_lifespan(app, config=config, thread_name_prefix="quotes"):
            ml: AsyncEngine = app.state.mlpy
            app.state.rule = ml.engine.compile(RULE, inputs=["order"])
            # A sandbox pool starts on first use, and /health/ready says 503 until it is
            # warm. A deep check runs a canary in every mode now, so the pod turns ready
            # before it gets traffic (the startup probe gives it the time).
            report: HealthReport = await asyncio.to_thread(health.check, ml, deep=True,
                                                           timeout=30.0)
            if not report.ready:  # the startup probe will restart the pod; say why
                logger.warning("not ready after the warm-up: %s", report.to_dict())
            yield

    app = FastAPI(title="quotes", lifespan=lifespan)
    install_error_handlers(app)  # a failing rule: a problem response, 504 on a timeout
    app.include_router(health_router())  # /health, /health/ready, /health/detailed

    @app.post("/quote")
    async def quote(order: dict[str, Any], ml: AsyncEngine = Depends(get_async_engine)):
        result = await ml.execute(app.state.rule, variables={"order": order})
        return result.unwrap()

    return app
# [/app]


app = create_app()  # what `uvicorn app:app` serves (the Dockerfile's command)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
