"""FastAPI: an :class:`~mlpy.aio.AsyncEngine` for the application's lifetime, a dependency
that hands it to endpoints, health routes, and problem responses for ML failures.

::

    app = FastAPI(lifespan=mlpy_lifespan)          # or partial(mlpy_lifespan, max_workers=8)
    app.add_middleware(CapabilityMiddleware, resolver=grants_for_request)
    install_error_handlers(app)
    app.include_router(health_router())

    @app.post("/price")
    async def price(order: dict, ml: AsyncEngine = Depends(get_async_engine)):
        return await ml.call(RULES, "price", order, timeout=1.0)

:func:`mlpy_lifespan` creates the AsyncEngine when the application starts (keywords go to
``AsyncEngine``), stores it on ``app.state.mlpy`` and closes it when the application stops;
it is a lifespan of its own or composes into another (``async with mlpy_lifespan(app):``).
The executor's jobs run in a copy of the awaiting request's context, so the grants that
:class:`~mlpy.integration.asgi.CapabilityMiddleware` gives a request reach its ML code.

:func:`install_error_handlers` answers an :class:`~mlpy.errors.MLError` an endpoint raises
with an ``application/problem+json`` body (:func:`~mlpy.integration.http.problem_details`)
and :func:`~mlpy.integration.http.status_for`'s status: ``504`` for a timeout, ``429`` when
the executor's queue is full, and so on.

:func:`health_router` serves :func:`mlpy.health.check`: ``GET /health`` (liveness: the
process answers, always ``200``), ``GET /health/ready`` (readiness: ``200`` when no check is
unhealthy and a sandbox pool, if used, is warm, else ``503``) and ``GET /health/detailed``
(the whole report; ``503`` only when it is unhealthy). The checks run in FastAPI's thread
pool, never on the event loop.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from mlpy.errors import MLConfigurationError, MLError
from mlpy.integration.http import (
    LIVENESS, PROBLEM_JSON, health_response, log_error, problem_details,
)

if TYPE_CHECKING:
    from mlpy import Engine
    from mlpy.aio import AsyncEngine


@asynccontextmanager
async def mlpy_lifespan(app: FastAPI, *, engine: "Engine | None" = None,
                        **async_engine_options: Any) -> AsyncIterator[None]:
    """Own an AsyncEngine (over ``engine``, with ``async_engine_options``) for as long as
    ``app`` runs, on ``app.state.mlpy``."""
    from mlpy.aio import AsyncEngine  # the executor is imported only by apps that use it

    async_engine = AsyncEngine(engine, **async_engine_options)
    app.state.mlpy = async_engine
    try:
        yield
    finally:
        await async_engine.aclose()


def get_async_engine(request: Request) -> "AsyncEngine":
    """The application's AsyncEngine, for ``Depends(get_async_engine)``."""
    engine = getattr(request.app.state, "mlpy", None)
    if engine is None:
        raise MLConfigurationError(
            "this application has no AsyncEngine: give it lifespan=mlpy_lifespan (or enter "
            "mlpy_lifespan(app) in its own lifespan)")
    return engine


def install_error_handlers(app: FastAPI) -> None:
    """Answer every MLError an endpoint raises with a problem response (see the module)."""
    app.add_exception_handler(MLError, _ml_error)  # type: ignore[arg-type]


async def _ml_error(request: Request, error: MLError) -> JSONResponse:
    log_error(error)
    details = problem_details(error)
    return JSONResponse(details, status_code=details["status"], media_type=PROBLEM_JSON)


def health_router(engine: "AsyncEngine | Engine | None" = None,
                  prefix: str = "/health") -> APIRouter:
    """Health routes (see the module) for ``engine``: an AsyncEngine or an Engine, by
    default the application's AsyncEngine from :func:`mlpy_lifespan`."""
    from mlpy import health  # noqa: PLC0415 - loaded by the applications that probe

    router = APIRouter(prefix=prefix, tags=["health"])

    def checked(request: Request) -> "AsyncEngine | Engine":
        return engine if engine is not None else get_async_engine(request)

    def respond(request: Request, route: str) -> JSONResponse:
        status, body = health_response(health.check(checked(request)), route)
        return JSONResponse(body, status_code=status)

    @router.get("")
    async def live() -> dict[str, str]:
        return dict(LIVENESS)

    @router.get("/ready")
    def ready(request: Request) -> JSONResponse:
        return respond(request, "ready")

    @router.get("/detailed")
    def detailed(request: Request) -> JSONResponse:
        return respond(request, "detailed")

    return router


__all__ = ["get_async_engine", "health_router", "install_error_handlers", "mlpy_lifespan"]
