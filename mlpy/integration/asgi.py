"""Per-request grants for ASGI applications: :class:`CapabilityMiddleware`.

Wrap any ASGI application (FastAPI, Starlette, Quart, a bare ASGI callable)::

    app = CapabilityMiddleware(app, resolver=grants_for_request)

For every HTTP request and WebSocket connection the middleware asks ``resolver(scope)``
(a plain or an ``async`` function of the ASGI scope) which capabilities the request holds,
and runs the rest of the application inside :func:`mlpy.capabilities.capability_scope` of
them. The scope is a ``contextvars`` variable, so it reaches everything the request's task
does: ``await async_engine.call(...)`` (the AsyncEngine runs each job in a copy of the
caller's context), ``asyncio.to_thread`` and Starlette's thread pool for sync endpoints,
and every ``MLFunction`` with ``capabilities="caller"``. A host thread or pool the
application starts itself does not inherit it (see the propagation rules).

The request's grants *replace* whatever was current around the server: a request gets what
its resolver grants and nothing else. A resolver that returns None grants nothing. A
resolver that raises, or returns something that is no capability spec, grants nothing
either: the request is answered ``500`` with a problem body that does not repeat the
exception (a WebSocket is closed with code 1011), and the error is logged. Lifespan events
pass through untouched.

A sync resolver runs on the event loop: it should only read the scope (a header, a verified
token's claims). One that does I/O should be ``async``.
"""

from __future__ import annotations

import inspect
import json
from typing import Any, Awaitable, Callable, Union

from mlpy.capabilities import CapabilitySpec, capability_scope
from mlpy.integration.http import PROBLEM_JSON, RESOLVER_FAILED, logger

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]],
                   Awaitable[None]]
Resolver = Callable[[Scope], Union[CapabilitySpec, None, Awaitable[Union[CapabilitySpec, None]]]]


class CapabilityMiddleware:
    """Run each HTTP request and WebSocket connection under the grants ``resolver`` gives
    it (see the module)."""

    def __init__(self, app: ASGIApp, resolver: Resolver):
        self.app = app
        self.resolver = resolver

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        try:
            request_grants = await request_scope(self.resolver, scope)
        except Exception as error:
            logger.error("the capability resolver failed for %s %s", scope["type"],
                         scope.get("path", ""), exc_info=error)
            await _refuse(scope, send)
            return
        with request_grants:
            await self.app(scope, receive, send)


async def request_scope(resolver: Callable[[Any], Any], request: Any) -> capability_scope:
    """The capability scope of what ``resolver(request)`` grants, awaiting the resolver
    when it is a coroutine function. None grants nothing; anything that is no capability
    spec raises MLConfigurationError, before any scope is entered."""
    grants = resolver(request)
    if inspect.isawaitable(grants):
        grants = await grants
    return capability_scope(grants)


async def _refuse(scope: Scope, send: Any) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1011})
        return
    body = json.dumps(RESOLVER_FAILED).encode()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["CapabilityMiddleware", "request_scope"]
