"""Django: an engine made from the settings, per-request grants, problem responses.

In ``settings.py``::

    INSTALLED_APPS = [..., "mlpy.integration.django.MLPyConfig"]
    MIDDLEWARE = [..., "mlpy.integration.django.MLCapabilityMiddleware"]
    MLPY = {
        "RESOLVER": "shop.grants.for_request",  # request -> capabilities (or a callable)
        "ENGINE": {"timeout": 2.0, "max_steps": 1_000_000},  # keywords of mlpy.Engine
    }

:class:`MLPyConfig` (app label ``mlpy``) creates the engine when Django starts, with the
``ENGINE`` keywords (``timeout`` is :data:`DEFAULT_TIMEOUT` seconds unless given), and
again whenever the ``MLPY`` setting changes (``override_settings`` in tests);
:func:`get_engine` returns it.

:class:`MLCapabilityMiddleware` asks ``RESOLVER(request)`` (a plain or an ``async``
function) for the request's grants and runs the rest of the request inside
:func:`mlpy.capabilities.capability_scope` of them. It works in both of Django's modes: in
a sync (WSGI) deployment views run ML in the request thread -- ``get_engine().call(...,
capabilities=current_capabilities())`` or a handle made with ``with_capabilities("caller")``
-- and in an async (ASGI) deployment the scope follows ``await`` and the
``sync_to_async`` threads Django runs sync code in. No resolver means no grants; a
resolver that raises grants nothing either: the request is answered ``500`` with a problem
body that does not repeat the exception. An :class:`~mlpy.errors.MLError` a view raises
becomes an ``application/problem+json`` response (``process_exception``), with
:func:`~mlpy.integration.http.status_for` and
:func:`~mlpy.integration.http.problem_details`.

The scope lasts until the view has returned its response; the body of a
``StreamingHttpResponse``, which Django reads afterwards, gets the request's grants again
for each chunk it produces.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Callable

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction
from django.apps import AppConfig, apps
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from mlpy import Engine
from mlpy.capabilities import capability_scope
from mlpy.errors import MLConfigurationError, MLError
from mlpy.integration.asgi import request_scope
from mlpy.integration.http import (
    PROBLEM_JSON, RESOLVER_FAILED, log_error, logger, problem_details,
)

# The time limit of the engine MLPyConfig creates, unless MLPY["ENGINE"] sets "timeout".
DEFAULT_TIMEOUT = 5.0
LABEL = "mlpy"


class MLPyConfig(AppConfig):
    """The mlpy app: owns the engine the views use (see the module)."""

    name = "mlpy.integration.django"
    label = LABEL
    verbose_name = "mlpy"
    engine: Engine | None = None

    def ready(self) -> None:
        self.engine = create_engine()
        setting_changed.connect(self._setting_changed, dispatch_uid="mlpy-engine")

    def _setting_changed(self, setting: str, **kwargs: Any) -> None:
        if setting == "MLPY":
            self.engine = create_engine()


def create_engine() -> Engine:
    """A new engine from ``settings.MLPY["ENGINE"]`` (the keywords of ``mlpy.Engine``)."""
    options = dict(_settings().get("ENGINE") or {})
    options.setdefault("timeout", DEFAULT_TIMEOUT)
    return Engine(**options)


def get_engine() -> Engine:
    """The engine of the mlpy app."""
    try:
        config = apps.get_app_config(LABEL)
    except LookupError:
        raise MLConfigurationError(
            "the mlpy app is not installed: add 'mlpy.integration.django.MLPyConfig' to "
            "INSTALLED_APPS") from None
    if not isinstance(config, MLPyConfig) or config.engine is None:
        raise MLConfigurationError(
            f"the app label {LABEL!r} belongs to {config.name}, not to mlpy's MLPyConfig")
    return config.engine


class MLCapabilityMiddleware:
    """Run each request under the grants of ``settings.MLPY["RESOLVER"]`` (see the module)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        self.get_response = get_response
        self.resolver = _resolver()
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        try:
            scope = self._scope(request)
        except Exception as error:
            return _resolver_failed(request, error)
        with scope:
            response = self.get_response(request)
        return _streamed_under(scope, response)

    def _scope(self, request: HttpRequest) -> capability_scope:
        grants = self.resolver(request) if self.resolver else None
        if inspect.isawaitable(grants):  # an async resolver in a sync deployment
            grants = async_to_sync(_awaited)(grants)
        return capability_scope(grants)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        try:
            scope = (await request_scope(self.resolver, request) if self.resolver
                     else capability_scope(None))
        except Exception as error:
            return _resolver_failed(request, error)
        with scope:
            response = await self.get_response(request)
        return _streamed_under(scope, response)

    def process_exception(self, request: HttpRequest, exception: Exception
                          ) -> HttpResponse | None:
        if not isinstance(exception, MLError):
            return None
        log_error(exception)
        return _problem(problem_details(exception))


def _streamed_under(scope: capability_scope, response: Any) -> Any:
    """``response``, whose streamed body (if any) makes each chunk under ``scope``."""
    if getattr(response, "streaming", False):
        chunks = response.streaming_content  # read before it is replaced
        response.streaming_content = (_achunks(scope, chunks) if response.is_async
                                      else _chunks(scope, chunks))
    return response


def _chunks(scope: capability_scope, chunks: Iterable[Any]) -> Iterator[Any]:
    iterator = iter(chunks)
    while True:
        with scope:  # only while the chunk is made: never while the server holds it
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


async def _achunks(scope: capability_scope, chunks: AsyncIterable[Any]) -> AsyncIterator[Any]:
    iterator = aiter(chunks)
    while True:
        with scope:
            try:
                chunk = await anext(iterator)
            except StopAsyncIteration:
                return
        yield chunk


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _settings() -> dict[str, Any]:
    value = getattr(settings, "MLPY", None) or {}
    if not isinstance(value, dict):
        raise MLConfigurationError("the MLPY setting must be a dict, such as "
                                   "{'RESOLVER': 'app.grants.for_request'}")
    return value


def _resolver() -> Callable[[HttpRequest], Any] | None:
    value = _settings().get("RESOLVER")
    if isinstance(value, str):
        value = import_string(value)
    if value is not None and not callable(value):
        raise MLConfigurationError("MLPY['RESOLVER'] must be a function of the request or "
                                   "the dotted path of one")
    return value


def _resolver_failed(request: HttpRequest, error: Exception) -> HttpResponse:
    logger.error("the capability resolver failed for %s", request.path, exc_info=error)
    return _problem(RESOLVER_FAILED)


def _problem(details: dict[str, Any]) -> HttpResponse:
    return HttpResponse(json.dumps(details), status=details["status"],
                        content_type=PROBLEM_JSON)


__all__ = ["DEFAULT_TIMEOUT", "MLCapabilityMiddleware", "MLPyConfig", "create_engine",
           "get_engine"]
