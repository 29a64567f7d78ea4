"""The gRPC front door: ``pricing.v1.Pricing/Evaluate`` with JSON messages, and the
standard health service (``grpc.health.v1.Health``).

The service is declared with grpc's generic handlers, not with ``.proto`` generated code:
a rule takes any JSON object and returns any JSON value, which protobuf would carry as a
``google.protobuf.Struct`` anyway, and there are no generated files to keep in step. A
client calls ``/pricing.v1.Pricing/Evaluate`` with the JSON text of
``{"rule": ..., "order": {...}}`` and its key in the ``x-api-key`` metadata.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import mlpy
import mlpy.health
from pricing_service.core import BadInput, PricingService, UnknownRule, failure

SERVICE = "pricing.v1.Pricing"


def encode(message: Any) -> bytes:
    return json.dumps(message).encode("utf-8")


def decode(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


# [status]
# The HTTP status of a failure (core.failure) decides the gRPC code: one mapping, two APIs.
GRPC_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,  # the rule refused the input, or bad JSON
    403: grpc.StatusCode.PERMISSION_DENIED,  # the call lacks a grant the rule needs
    404: grpc.StatusCode.NOT_FOUND,  # no such rule
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,  # over the memory or output limit
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,  # every worker busy and the queue full
    503: grpc.StatusCode.UNAVAILABLE,  # cancelled, e.g. while shutting down
    504: grpc.StatusCode.DEADLINE_EXCEEDED,  # over the time limit (ours or the client's)
}
# [/status]


# [evaluate]
def evaluate_handler(service: PricingService) -> Callable[[bytes, grpc.ServicerContext], Any]:
    def evaluate(request: bytes, context: grpc.ServicerContext) -> Any:
        api_key = dict(context.invocation_metadata()).get("x-api-key")
        try:
            try:
                message = decode(request)
            except ValueError:
                raise BadInput("the request is not JSON text") from None
            if not isinstance(message, dict) or not isinstance(message.get("rule"), str):
                raise BadInput('the request must be {"rule": "<name>", "order": {...}}')
            value = service.evaluate_blocking(
                message["rule"], message.get("order"), api_key, transport="grpc",
                deadline=context.time_remaining())  # None when the client set no deadline
        except (mlpy.MLError, UnknownRule, BadInput) as error:
            body = failure(error)
            context.set_trailing_metadata((("ml-error-code", str(body["code"])),))
            context.abort(GRPC_CODES.get(body["status"], grpc.StatusCode.INTERNAL),
                          body["detail"])
        return {"rule": message["rule"], "value": value}
    return evaluate
# [/evaluate]


# [health]
class EngineHealth(health.HealthServicer):
    """The standard health service, answering from :func:`mlpy.health.check` at each
    ``Check``: SERVING while the AsyncEngine is ready, NOT_SERVING when it is not (every
    worker stuck, say)."""

    def __init__(self, service: PricingService):
        super().__init__()
        self.executor = service.executor

    def Check(self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext):
        ready = mlpy.health.check(self.executor).ready
        status = (health_pb2.HealthCheckResponse.SERVING if ready
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ("", SERVICE):  # "" is the whole server
            self.set(name, status)
        return super().Check(request, context)
# [/health]


# [server]
def create_grpc_server(service: PricingService, address: str = "127.0.0.1:0"
                       ) -> tuple[grpc.Server, int]:
    """A gRPC server over ``service`` (not started) and the port it bound (``:0``: a free
    one). Its handler threads only wait for the AsyncEngine's workers, which do the work."""
    server = grpc.server(ThreadPoolExecutor(max_workers=16, thread_name_prefix="grpc"))
    methods = {"Evaluate": grpc.unary_unary_rpc_method_handler(
        evaluate_handler(service), response_serializer=encode)}  # request: raw bytes
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, methods),))
    health_pb2_grpc.add_HealthServicer_to_server(EngineHealth(service), server)
    return server, server.add_insecure_port(address)


def evaluate_stub(channel: grpc.Channel) -> grpc.UnaryUnaryMultiCallable:
    """What a Python client calls: ``stub({"rule": ..., "order": ...}, metadata=...)``."""
    return channel.unary_unary(f"/{SERVICE}/Evaluate", request_serializer=encode,
                               response_deserializer=decode)
# [/server]
