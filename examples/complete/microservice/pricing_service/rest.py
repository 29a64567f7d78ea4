"""The REST front door: ``POST /v1/rules/{rule}``, health routes and ``/metrics``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from prometheus_client import make_asgi_app

import mlpy
from mlpy.integration.fastapi import health_router
from mlpy.integration.http import PROBLEM_JSON
from pricing_service.core import REGISTRY, BadInput, PricingService, UnknownRule, failure


# [rest]
def create_rest_app(service: PricingService) -> FastAPI:
    """The FastAPI app over ``service``; whoever made the service closes it."""
    app = FastAPI(title="pricing")
    app.include_router(health_router(service.executor))  # /health, /health/ready, ...
    app.mount("/metrics", make_asgi_app(registry=REGISTRY))

    @app.exception_handler(mlpy.MLError)
    @app.exception_handler(UnknownRule)
    @app.exception_handler(BadInput)
    async def problem(request: Request, error: Exception) -> JSONResponse:
        body = failure(error)
        return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON)

    @app.post("/v1/rules/{rule}")
    async def evaluate(rule: str, body: dict[str, Any],
                       x_api_key: str | None = Header(default=None)) -> dict[str, Any]:
        value = await service.evaluate(rule, body.get("order"), x_api_key, transport="rest")
        return {"rule": rule, "value": value}

    return app
# [/rest]
