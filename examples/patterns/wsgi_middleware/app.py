"""Per-request grants in a plain WSGI application, with warm sessions from a pool.

``report_app`` is a WSGI application with no framework: ``GET /report/<region>`` answers the
sales report that ``report.ml`` computes. The ML code reads sales through the host function
``sales``, which needs the capability ``sales.read``; which request holds it is decided by
the API key the request sends, in one place: the middleware. Two ways are shown:

* ``application`` -- ``capability_middleware(report_app, resolver=grants_for)``: the resolver
  maps the key to grants; an unknown key gets none, so the report is refused with 403.
* ``strict_application`` -- a middleware of our own that answers 401 for an unknown key before
  the application runs, and otherwise runs it with ``run_in_own_context`` under the key's
  grants: the grants live in the request's own context and never stay in the server's thread.

Sessions come from a ``SessionPool``: ``report.ml`` is run once per session at start-up, and
each request borrows one, which is rolled back when it is given back. Run it with
``python app.py`` (serves http://127.0.0.1:8000/report/north with wsgiref).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import mlpy
from mlpy.aio import SessionPool, SessionPoolStats
from mlpy.integration.wsgi import capability_middleware, run_in_own_context

SALES = {"north": [{"amount": 120}, {"amount": 80}], "south": [{"amount": 45}]}


@mlpy.host_function(capabilities=["sales.read"])
def sales(region: str) -> list[dict[str, int]]:
    return SALES.get(region, [])


# [pool]
engine = mlpy.Engine(timeout=2.0)
# Four warm sessions: a threaded server serves four reports at once; a fifth request waits
# for a session (at most 5 s, then 503) rather than paying for a new one.
pool: SessionPool = engine.session_pool(
    4, setup=Path(__file__).with_name("report.ml").read_text(encoding="utf-8"))
# [/pool]


# [app]
def report_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """``GET /report/<region>``: the report, under whatever grants the request holds."""
    path = environ.get("PATH_INFO", "")
    if not path.startswith("/report/"):
        return respond(start_response, "404 Not Found", {"error": "no such page"})
    try:
        with pool.acquire_sync(timeout=5.0) as session:
            # "caller": the grants current in this request, which the middleware set.
            report = session.function("report").with_capabilities("caller")
            return respond(start_response, "200 OK", report(path.removeprefix("/report/"), sales))
    except mlpy.CapabilityError as error:
        return respond(start_response, "403 Forbidden", {"error": error.message})
    except mlpy.MLTimeoutError:  # no session free in time: the server is overloaded
        return respond(start_response, "503 Service Unavailable", {"error": "busy"})


def respond(start_response: Callable[..., Any], status: str, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]
# [/app]


# [middleware]
API_KEYS = {"key-analyst": ["sales.read"], "key-guest": []}


def grants_for(environ: dict[str, Any]) -> list[str] | None:
    """The grants of the request's API key; None (nothing) for a missing or unknown key."""
    return API_KEYS.get(environ.get("HTTP_X_API_KEY", ""))


application = capability_middleware(report_app, resolver=grants_for)


def strict_application(environ: dict[str, Any],
                       start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Like ``application``, but an unknown key is answered 401 before the app runs."""
    grants = grants_for(environ)
    if grants is None:
        return respond(start_response, "401 Unauthorized", {"error": "unknown API key"})
    return run_in_own_context(report_app, environ, start_response,
                              mlpy.capability_scope(grants))
# [/middleware]


def pool_stats() -> SessionPoolStats:
    """How many sessions are lent out and how many requests wait: for a status page."""
    return pool.stats()


if __name__ == "__main__":
    with make_server("127.0.0.1", 8000, application) as server:
        print("serving http://127.0.0.1:8000/report/north (send X-API-Key: key-analyst)")
        server.serve_forever()
