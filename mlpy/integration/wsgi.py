"""Per-request grants for WSGI applications: :func:`capability_middleware`.

Wrap any WSGI application (Flask, Django's ``get_wsgi_application()``, Bottle, Pyramid)::

    application = capability_middleware(application, resolver=grants_for_request)

For every request ``resolver(environ)`` decides the capabilities the request holds, and the
application runs under :func:`mlpy.capabilities.capability_scope` of them: while it is
called *and* while the server consumes the iterable it returned, so a streaming response
that runs ML as it yields runs under the request's grants too, up to its ``close()``.

Each request runs in a context of its own (a copy of the server thread's context at the
time the request arrives), entered for the call, for each chunk and for ``close()``. So
the grants never stay behind in the server's thread: a sync server (gunicorn, uWSGI,
mod_wsgi) reuses its threads for later requests, and a request it serves next starts
clean even when the previous one's iterable was never closed. It also means a server that
consumes the iterable on another thread (an ASGI adapter) still sees the grants.

The grants *replace* whatever was current in the server. A resolver that returns None
grants nothing; one that raises or returns something that is no capability spec grants
nothing either: the request is answered ``500`` with a problem body that does not repeat
the exception, and the error is logged. Sync ML calls in the request thread
(``Engine.call`` with ``capabilities=current_capabilities()``, a handle made with
``with_capabilities("caller")``) pick the grants up from the scope.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from mlpy.capabilities import CapabilitySpec, capability_scope
from mlpy.integration.http import PROBLEM_JSON, RESOLVER_FAILED, logger

Environ = dict[str, Any]
WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


def capability_middleware(wsgi_app: WSGIApp,
                          resolver: Callable[[Environ], CapabilitySpec | None]) -> WSGIApp:
    """``wsgi_app`` with every request run under the grants ``resolver(environ)`` gives it
    (see the module)."""

    def application(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            scope = capability_scope(resolver(environ))
        except Exception as error:
            logger.error("the capability resolver failed for %s", environ.get("PATH_INFO", ""),
                         exc_info=error)
            return _refuse(start_response)
        return run_in_own_context(wsgi_app, environ, start_response, scope)

    application.__wrapped__ = wsgi_app  # type: ignore[attr-defined]
    return application


def run_in_own_context(wsgi_app: WSGIApp, environ: Environ, start_response: Callable[..., Any],
                       scope: capability_scope | None = None) -> Iterable[bytes]:
    """Call ``wsgi_app`` in a fresh copy of the current context (under ``scope`` when given)
    and return its iterable, each of whose steps runs in that same context."""
    context = contextvars.copy_context()
    if scope is not None:
        context.run(scope.__enter__)
    try:
        body = context.run(wsgi_app, environ, start_response)
    except BaseException:
        _leave(context, scope)
        raise
    return _InContext(body, context, scope)


def _leave(context: contextvars.Context, scope: capability_scope | None) -> None:
    if scope is not None:
        context.run(scope.__exit__, None, None, None)


class _InContext:
    """A WSGI response iterable whose iteration and ``close()`` run in ``context``; the
    scope is left on ``close()`` (a server that never calls it leaves nothing behind
    either: the context is the request's own)."""

    def __init__(self, body: Iterable[bytes], context: contextvars.Context,
                 scope: capability_scope | None):
        self._body = body
        self._context = context
        self._scope = scope
        self._iterator: Iterator[bytes] | None = None

    def __iter__(self) -> "_InContext":
        return self

    def __next__(self) -> bytes:
        if self._iterator is None:
            self._iterator = self._context.run(iter, self._body)
        return self._context.run(next, self._iterator)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                self._context.run(close)
        finally:
            scope, self._scope = self._scope, None
            _leave(self._context, scope)


def _refuse(start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps(RESOLVER_FAILED).encode()
    start_response("500 Internal Server Error",
                   [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(body)))])
    return [body]


__all__ = ["capability_middleware", "run_in_own_context"]
