"""capability_middleware: WSGI requests run under their resolver's grants, while the app is
called and while its response is streamed, and never leave them in the server's thread."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import mlpy
from mlpy.capabilities import capability_scope, current_capabilities, require
from mlpy.integration.http import PROBLEM_JSON
from mlpy.integration.wsgi import capability_middleware

werkzeug_test = pytest.importorskip("werkzeug.test")

TENANTS = [f"t{i}" for i in range(50)]


@mlpy.host_function(capabilities=["tenant.read"])
def tenant(tenant_id):
    require("tenant.read", tenant_id)
    return {"id": tenant_id}


engine = mlpy.Engine(timeout=30.0)
visible = engine.load("""
function visible(ids) {
    seen = [];
    for (t in ids) { try { tenant(t); seen.append(t); } except (e) { } }
    return seen;
}
""", {"tenant": tenant}).function("visible").with_capabilities("caller")


def grants_from_header(environ):
    name = environ.get("HTTP_X_TENANT")
    return [f"tenant.read:{name}"] if name else None


def json_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(visible(TENANTS)).encode()]


def client(app, resolver=grants_from_header):
    return werkzeug_test.Client(capability_middleware(app, resolver))


def test_a_request_gets_its_grant_and_one_without_gets_none():
    assert client(json_app).get("/", headers={"X-Tenant": "t5"}).json == ["t5"]
    assert client(json_app).get("/").json == []


def test_grants_around_the_server_do_not_reach_a_request():
    with capability_scope(["tenant.read"]):
        assert client(json_app).get("/").json == []


class Streamed:
    """A streaming body that runs ML for each chunk and notes when it is closed."""

    def __init__(self):
        self.closed_with = None

    def __iter__(self):
        for name in ("t1", "t2"):
            yield json.dumps(visible([name, "t3"])).encode() + b"\n"

    def close(self):
        self.closed_with = current_capabilities().names()


def test_a_streamed_response_runs_under_the_grants_until_close():
    body = Streamed()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    wsgi = capability_middleware(app, lambda environ: ["tenant.read:t2"])
    chunks = wsgi({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, lambda *a: None)
    assert current_capabilities().names() == frozenset()  # the caller's context is untouched
    assert [json.loads(c) for c in chunks] == [[], ["t2"]]
    chunks.close()
    assert body.closed_with == {"tenant.read"}


def test_an_unclosed_response_leaves_nothing_in_the_server_thread():
    def app(environ, start_response):
        start_response("200 OK", [])
        return iter([b"a", b"b"])

    wsgi = capability_middleware(app, lambda environ: ["tenant.read"])
    chunks = wsgi({"REQUEST_METHOD": "GET"}, lambda *a: None)
    next(chunks)  # abandoned half-way, never closed
    assert current_capabilities().names() == frozenset()
    assert client(json_app).get("/").json == []  # the thread's next request starts clean


def test_a_body_consumed_on_another_thread_still_sees_the_grants():
    def app(environ, start_response):
        start_response("200 OK", [])
        return (json.dumps(visible(["t8", "t9"])).encode() for _ in range(1))

    wsgi = capability_middleware(app, lambda environ: ["tenant.read:t8"])
    chunks = wsgi({"REQUEST_METHOD": "GET"}, lambda *a: None)
    seen = []
    worker = threading.Thread(target=lambda: seen.extend(json.loads(c) for c in chunks))
    worker.start()
    worker.join(30)
    assert seen == [["t8"]]


def test_50_concurrent_requests_never_see_each_others_grants():
    barrier = threading.Barrier(len(TENANTS), timeout=60)

    def app(environ, start_response):
        barrier.wait()  # every request is inside its own scope at once
        return json_app(environ, start_response)

    def request(name):
        return client(app).get("/", headers={"X-Tenant": name}).json

    with ThreadPoolExecutor(len(TENANTS)) as pool:
        assert list(pool.map(request, TENANTS)) == [[name] for name in TENANTS]


@pytest.mark.parametrize("resolver", [
    lambda environ: 1 / 0,
    lambda environ: {"tenant.read": True},
])
def test_a_failing_resolver_grants_nothing_and_leaks_nothing(resolver):
    response = client(json_app, resolver).get("/")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == PROBLEM_JSON
    assert "division" not in response.text and response.json["code"] == "internal"


def test_an_app_that_raises_leaves_no_grants_behind():
    def app(environ, start_response):
        raise RuntimeError("broken app")

    wsgi = capability_middleware(app, lambda environ: ["tenant.read"])
    with pytest.raises(RuntimeError):
        wsgi({"REQUEST_METHOD": "GET"}, lambda *a: None)
    assert current_capabilities().names() == frozenset()
