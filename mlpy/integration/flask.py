"""Flask: one :class:`~mlpy.Engine` per application, per-request grants, problem responses.

::

    from mlpy.integration.flask import current_engine, init_app

    app = Flask(__name__)
    init_app(app, resolver=grants_for_request)

    @app.post("/price")
    def price():
        return current_engine().call(RULES, "price", request.json,
                                     capabilities=current_capabilities())

:func:`init_app` stores the engine in ``app.extensions["mlpy"]`` (a new one with the
``MLPY_TIMEOUT`` config value, 5 seconds by default, when none is given), and for every
request:

* a ``before_request`` hook asks ``resolver(flask.request)`` for the request's grants and
  enters :func:`mlpy.capabilities.capability_scope` of them; a ``teardown_request`` hook
  leaves it -- except for a streamed response, which keeps the grants until the stream
  ends (the request's own context, below, then ends too). No resolver means no grants. A resolver that raises grants nothing: the
  request is answered ``500`` with a problem body that does not repeat the exception.
* every request runs in a ``contextvars`` context of its own (``app.wsgi_app`` is wrapped),
  so grants can never outlive their request in a server thread that serves the next one,
  whatever another extension's teardown does.
* an :class:`~mlpy.errors.MLError` a view raises becomes an ``application/problem+json``
  response with :func:`~mlpy.integration.http.status_for` and
  :func:`~mlpy.integration.http.problem_details` (the full error goes to the log).

Sync workers run ML in the request thread: ``Engine.call`` with
``capabilities=current_capabilities()``, or a handle made with
``with_capabilities("caller")``.

:func:`health_blueprint` serves :func:`mlpy.health.check` with the routes of the FastAPI
helper: ``GET /health`` (liveness, always ``200``), ``GET /health/ready`` (``200`` or
``503``) and ``GET /health/detailed`` (the whole report; ``503`` only when unhealthy)::

    app.register_blueprint(health_blueprint())
"""

from __future__ import annotations

import json
from typing import Any, Callable

import flask

from mlpy import Engine
from mlpy.capabilities import CapabilitySpec, capability_scope
from mlpy.errors import MLConfigurationError, MLError
from mlpy.integration.http import (
    LIVENESS, PROBLEM_JSON, RESOLVER_FAILED, health_response, log_error, logger,
    problem_details,
)
from mlpy.integration.wsgi import run_in_own_context

# The time limit of the engine init_app creates, unless the config sets MLPY_TIMEOUT.
DEFAULT_TIMEOUT = 5.0
_SCOPE = "_mlpy_capability_scope"  # where the request's scope waits for teardown (flask.g)
_STREAMED = "_mlpy_streamed"  # set on flask.g when the response streams after teardown

Resolver = Callable[["flask.Request"], CapabilitySpec | None]


def init_app(app: flask.Flask, engine: Engine | None = None,
             resolver: Resolver | None = None) -> Engine:
    """Set ``app`` up to run ML under per-request grants (see the module); the engine."""
    if "mlpy" in app.extensions:
        raise MLConfigurationError("init_app was already called for this Flask application")
    if engine is None:
        engine = Engine(timeout=app.config.get("MLPY_TIMEOUT", DEFAULT_TIMEOUT))
    app.extensions["mlpy"] = engine
    app.wsgi_app = _own_context(app.wsgi_app)  # type: ignore[method-assign]

    def enter_scope() -> Any:
        try:
            scope = capability_scope(resolver(flask.request) if resolver else None)
        except Exception as error:
            logger.error("the capability resolver failed for %s", flask.request.path,
                         exc_info=error)
            return _problem(RESOLVER_FAILED)
        scope.__enter__()
        setattr(flask.g, _SCOPE, scope)
        return None

    app.before_request(enter_scope)
    app.after_request(_note_streaming)
    app.teardown_request(_leave_scope)
    app.register_error_handler(MLError, _ml_error)
    return engine


def current_engine() -> Engine:
    """The engine of the application handling the current request."""
    engine = flask.current_app.extensions.get("mlpy")
    if engine is None:
        raise MLConfigurationError(
            "this Flask application has no mlpy engine: call "
            "mlpy.integration.flask.init_app(app) when creating it")
    return engine


def health_blueprint(engine: Any = None, url_prefix: str = "/health",
                     name: str = "mlpy_health") -> flask.Blueprint:
    """Health routes (see the module) for ``engine`` (an Engine or an AsyncEngine; by
    default the application's engine from :func:`init_app`). ``name`` is the blueprint's
    name, which must be unique in the application."""
    from mlpy import health  # noqa: PLC0415 - loaded by the applications that probe

    blueprint = flask.Blueprint(name, __name__, url_prefix=url_prefix)

    def respond(route: str) -> flask.Response:
        status, body = health_response(health.check(
            engine if engine is not None else current_engine()), route)
        return flask.current_app.response_class(json.dumps(body), status=status,
                                                mimetype="application/json")

    blueprint.add_url_rule("", "live", lambda: dict(LIVENESS))
    blueprint.add_url_rule("/ready", "ready", lambda: respond("ready"))
    blueprint.add_url_rule("/detailed", "detailed", lambda: respond("detailed"))
    return blueprint


def _note_streaming(response: flask.Response) -> flask.Response:
    if response.is_streamed:
        setattr(flask.g, _STREAMED, True)
    return response


def _leave_scope(exc: BaseException | None) -> None:
    """Leave the request's scope, unless the response streams: Flask tears a request down
    when the view returns, before the server reads a streamed body, so the scope stays
    until the stream ends (a ``stream_with_context`` generator tears down again then; any
    other body is read in the request's own context, which ends with it)."""
    if flask.g.pop(_STREAMED, False):
        return
    scope = flask.g.pop(_SCOPE, None)
    if scope is not None:
        scope.__exit__(None, None, None)


def _own_context(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return run_in_own_context(wsgi_app, environ, start_response)

    application.__wrapped__ = wsgi_app  # type: ignore[attr-defined]
    return application


def _ml_error(error: MLError) -> flask.Response:
    log_error(error)
    return _problem(problem_details(error))


def _problem(details: dict[str, Any]) -> flask.Response:
    return flask.current_app.response_class(json.dumps(details), status=details["status"],
                                            mimetype=PROBLEM_JSON)


__all__ = ["DEFAULT_TIMEOUT", "current_engine", "health_blueprint", "init_app"]
