"""Tests of wsgi_middleware: each request holds its key's grants, and only for itself."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_wsgi_middleware_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def get(application, path, key=None):
    """Call the WSGI application as a server would: (status code, JSON body)."""
    environ = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    if key is not None:
        environ["HTTP_X_API_KEY"] = key
    answer = {}
    body = application(environ, lambda status, headers: answer.setdefault("status", status))
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return int(answer["status"].split()[0]), json.loads(data)


def test_a_key_with_the_grant_gets_the_report():
    assert get(app.application, "/report/north", "key-analyst") == (
        200, {"region": "north", "orders": 2, "total": 200})


def test_a_key_without_the_grant_and_no_key_are_refused_by_the_ml_code():
    for key in ("key-guest", None, "made-up"):
        status, body = get(app.application, "/report/north", key)
        assert status == 403 and "sales.read" in body["error"]


def test_the_strict_middleware_answers_401_before_the_app_runs():
    assert get(app.strict_application, "/report/north", "made-up") == (
        401, {"error": "unknown API key"})
    assert get(app.strict_application, "/report/south", "key-analyst")[0] == 200
    assert get(app.strict_application, "/report/south", "key-guest")[0] == 403


def test_grants_never_stay_in_the_server_thread():
    # A sync server serves the next request on the same thread: it must start clean.
    for application in (app.application, app.strict_application):
        assert get(application, "/report/north", "key-analyst")[0] == 200
        assert len(mlpy.current_capabilities()) == 0
        assert get(application, "/report/north", "key-guest")[0] == 403


def test_what_a_request_leaves_in_a_pooled_session_is_gone_for_the_next():
    with app.pool.acquire_sync() as session:
        session.exec("function report(region, sales) { return 'tampered'; }")
    for _ in range(app.pool.size):  # whichever session the next requests get
        assert get(app.application, "/report/south", "key-analyst")[1]["total"] == 45
    stats = app.pool_stats()
    assert isinstance(stats, app.SessionPoolStats)
    assert (stats.size, stats.in_use, stats.waiters) == (4, 0, 0)


def test_a_request_holds_a_session_while_it_runs():
    seen = []

    @mlpy.host_function(capabilities=["sales.read"])
    def watching_sales(region):
        seen.append(app.pool_stats().in_use)
        return []

    original, app.sales = app.sales, watching_sales
    try:
        assert get(app.application, "/report/east", "key-analyst")[1]["orders"] == 0
    finally:
        app.sales = original
    assert seen == [1] and app.pool_stats().in_use == 0
