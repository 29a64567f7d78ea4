"""mlpy.integration.flask through Flask's test client: per-request grants in the request
thread, problem responses for ML failures, and nothing left behind between requests."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

flask = pytest.importorskip("flask")

import mlpy  # noqa: E402
from mlpy.capabilities import current_capabilities  # noqa: E402
from mlpy.integration.flask import current_engine, init_app  # noqa: E402
from mlpy.integration.http import PROBLEM_JSON  # noqa: E402
from tests.integration.conftest import (  # noqa: E402
    RULES, SECRET, TENANTS, grants_from_header, tenant, vault,
)



def make_app(resolver=grants_from_header, barrier=None):
    app = flask.Flask(__name__)
    app.config["MLPY_TIMEOUT"] = 30.0
    init_app(app, resolver=resolver)
    variables = {"tenant": tenant, "vault": vault}

    def call(function, *args):
        session = current_engine().load(RULES, variables, capabilities=current_capabilities())
        return session.call(function, *args)

    @app.get("/visible")
    def visible():
        if barrier is not None:
            barrier.wait()
        return flask.jsonify(call("visible", TENANTS))

    @app.get("/stream")
    def stream():
        def chunks():
            for name in ("t1", "t2"):
                yield flask.json.dumps(call("visible", [name])) + "\n"
        return flask.Response(flask.stream_with_context(chunks()))

    @app.get("/stream-plain")
    def stream_plain():  # no stream_with_context: the body reads the grants all the same
        session = current_engine().load(RULES, {"tenant": tenant})
        found = session.function("visible").with_capabilities("caller")
        return flask.Response(flask.json.dumps(found([name])) + "\n" for name in ("t1", "t2"))

    @app.get("/forever")
    def forever():
        session = current_engine().load(RULES, variables)
        return flask.jsonify(session.function("spin").with_timeout(0.3)())

    @app.get("/leak")
    def leak():
        return flask.jsonify(call("leak"))

    return app


def test_each_request_gets_its_grant_and_a_request_without_one_none():
    client = make_app().test_client()
    assert client.get("/visible", headers={"X-Tenant": "t4"}).json == ["t4"]
    assert client.get("/visible").json == []
    assert current_capabilities().names() == frozenset()  # teardown left the scope


def test_an_app_without_a_resolver_grants_nothing():
    client = make_app(resolver=None).test_client()
    assert client.get("/visible", headers={"X-Tenant": "t4"}).json == []


def test_50_concurrent_requests_never_see_each_others_grants():
    app = make_app(barrier=threading.Barrier(len(TENANTS), timeout=60))

    def request(name):
        return app.test_client().get("/visible", headers={"X-Tenant": name}).json

    with ThreadPoolExecutor(len(TENANTS)) as pool:
        assert list(pool.map(request, TENANTS)) == [[name] for name in TENANTS]


@pytest.mark.parametrize("path", ["/stream", "/stream-plain"])
def test_a_streamed_response_keeps_the_grants_until_it_ends(path):
    response = make_app().test_client().get(path, headers={"X-Tenant": "t2"})
    assert response.text.splitlines() == ["[]", '["t2"]']
    assert current_capabilities().names() == frozenset()


def test_an_endless_loop_is_a_504_problem_and_the_app_keeps_serving():
    client = make_app().test_client()
    response = client.get("/forever")
    assert response.status_code == 504
    assert response.content_type == PROBLEM_JSON
    assert response.json["code"] == "MLL001" and response.json["title"] == "Gateway Timeout"
    assert client.get("/visible", headers={"X-Tenant": "t1"}).json == ["t1"]


def test_a_host_failure_is_a_500_that_reveals_nothing():
    response = make_app().test_client().get("/leak")
    assert response.status_code == 500
    assert SECRET not in response.text and "/srv" not in response.text
    assert response.json["detail"].endswith("a host function called by the ML code failed")


def test_a_failing_resolver_grants_nothing_and_leaks_nothing():
    def resolver(request):
        raise LookupError(f"token store /srv/tokens password {SECRET}")

    response = make_app(resolver).test_client().get("/visible", headers={"X-Tenant": "t1"})
    assert response.status_code == 500 and response.content_type == PROBLEM_JSON
    assert SECRET not in response.text and "/srv" not in response.text


def test_the_engine_lives_in_the_extensions():
    app = make_app()
    with app.app_context():
        assert current_engine() is app.extensions["mlpy"]
        assert current_engine().timeout == 30.0
    bare = flask.Flask("bare")
    with bare.app_context(), pytest.raises(mlpy.MLConfigurationError):
        current_engine()
    engine = mlpy.Engine()
    given = flask.Flask("given")
    assert init_app(given, engine) is engine
    with pytest.raises(mlpy.MLConfigurationError):
        init_app(given)  # twice would wrap every request twice
