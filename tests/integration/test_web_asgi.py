"""CapabilityMiddleware: every request runs under exactly the grants its resolver gives it,
through Starlette's TestClient, httpx's ASGI transport, bare ASGI calls and a real uvicorn
server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import time
import warnings

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from starlette.applications import Starlette  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route, WebSocketRoute  # noqa: E402
with warnings.catch_warnings():  # Starlette 1.10 prefers httpx2 for its TestClient
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

import mlpy  # noqa: E402
from mlpy.capabilities import capability_scope, current_capabilities, require  # noqa: E402
from mlpy.errors import MLError  # noqa: E402
from mlpy.integration.asgi import CapabilityMiddleware  # noqa: E402
from mlpy.integration.http import PROBLEM_JSON, problem_details, status_for  # noqa: E402

TENANTS = [f"t{i}" for i in range(50)]
SECRET = "hunter2"


@mlpy.host_function(capabilities=["tenant.read"])
def tenant(tenant_id):
    """A tenant's record: the grant's scope names the tenants a request may read."""
    require("tenant.read", tenant_id)
    return {"id": tenant_id}


# The ML rule tries every tenant and reports the ones its grants let it read.
VISIBLE = """
function visible(ids) {
    seen = [];
    for (t in ids) {
        try { tenant(t); seen.append(t); } except (e) { }
    }
    return seen;
}
function spin() { while (true) { } }
"""

engine = mlpy.Engine(timeout=30.0)
# "caller": the handle runs under whatever grants are current where it is called.
visible = engine.load(VISIBLE, {"tenant": tenant}).function("visible").with_capabilities("caller")
spin = engine.load(VISIBLE, {"tenant": tenant}).function("spin").with_timeout(0.3)


def grants_from_header(scope):
    """The test's resolver: header x-tenant: tN grants tenant.read on tN only."""
    headers = dict(scope["headers"])
    name = headers.get(b"x-tenant")
    return [f"tenant.read:{name.decode()}"] if name else None


async def visible_async(request):
    ids = request.query_params.get("ids", ",".join(TENANTS)).split(",")
    barrier = request.app.state.barrier
    if barrier is not None:  # hold every request inside its scope until all have arrived
        await asyncio.wait_for(barrier.wait(), 60)
    # to_thread copies the context: the handle sees the request's grants in the thread.
    return JSONResponse(await asyncio.to_thread(visible, ids))


def visible_sync(request):  # Starlette runs sync endpoints in its thread pool
    return JSONResponse(visible(TENANTS))


async def forever(request):
    await asyncio.to_thread(spin)
    return JSONResponse("unreachable")


async def own_thread(request):
    """A thread the application starts itself inherits nothing; copying the context is the
    way to hand it the request's grants."""
    seen = {}

    def look(name):
        seen[name] = visible(TENANTS)

    plain = threading.Thread(target=look, args=("plain",))
    copied = threading.Thread(target=contextvars.copy_context().run, args=(look, "copied"))
    for thread in (plain, copied):
        thread.start()
        thread.join(30)
    return JSONResponse(seen)


async def grants_ws(websocket):
    await websocket.accept()
    await websocket.send_json(sorted(str(g) for g in current_capabilities().grants))
    await websocket.close()


async def ml_error(request, error):
    return JSONResponse(problem_details(error), status_code=status_for(error),
                        media_type=PROBLEM_JSON)


def make_app(resolver=grants_from_header, barrier=None):
    inner = Starlette(routes=[
        Route("/visible", visible_async), Route("/visible-sync", visible_sync),
        Route("/forever", forever), Route("/own-thread", own_thread),
        WebSocketRoute("/ws", grants_ws),
    ], exception_handlers={MLError: ml_error})
    inner.state.barrier = barrier
    return CapabilityMiddleware(inner, resolver)


def test_a_request_gets_its_grant_and_a_request_without_one_gets_none():
    client = TestClient(make_app())
    assert client.get("/visible", headers={"x-tenant": "t7"}).json() == ["t7"]
    assert client.get("/visible").json() == []


def test_sync_endpoints_in_the_thread_pool_see_the_request_grants():
    client = TestClient(make_app())
    assert client.get("/visible-sync", headers={"x-tenant": "t3"}).json() == ["t3"]
    assert client.get("/visible-sync").json() == []


def test_50_concurrent_requests_never_see_each_others_grants():
    async def run():
        app = make_app(barrier=asyncio.Barrier(len(TENANTS)))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            responses = await asyncio.gather(*(
                client.get("/visible", headers={"x-tenant": name}) for name in TENANTS))
        return [r.json() for r in responses]

    assert asyncio.run(run()) == [[name] for name in TENANTS]


def test_grants_around_the_server_do_not_reach_a_request_without_its_own():
    async def run():
        transport = httpx.ASGITransport(app=make_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return (await client.get("/visible")).json()

    with capability_scope(["tenant.read"]):  # everything, for whatever runs the server
        assert asyncio.run(run()) == []


def test_a_thread_the_app_starts_gets_the_grants_only_through_a_copied_context():
    seen = TestClient(make_app()).get("/own-thread", headers={"x-tenant": "t6"}).json()
    assert seen == {"plain": [], "copied": ["t6"]}


def test_an_async_resolver_is_awaited():
    async def resolver(scope):
        await asyncio.sleep(0)
        return ["tenant.read:t1"]

    assert TestClient(make_app(resolver)).get("/visible").json() == ["t1"]


@pytest.mark.parametrize("resolver", [
    lambda scope: (_ for _ in ()).throw(RuntimeError(f"token db at /srv/keys, pw {SECRET}")),
    lambda scope: {"tenant.read": True},    # no capability spec
    lambda scope: ["not a capability"],      # malformed
])
def test_a_failing_resolver_grants_nothing_and_leaks_nothing(resolver):
    response = TestClient(make_app(resolver)).get("/visible")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "the request's capabilities could not be determined"
    assert SECRET not in response.text and "/srv" not in response.text


def test_websockets_run_under_their_grants_and_a_failing_resolver_closes_them():
    from starlette.websockets import WebSocketDisconnect

    client = TestClient(make_app())
    with client.websocket_connect("/ws", headers={"x-tenant": "t9"}) as ws:
        assert ws.receive_json() == ["tenant.read:t9"]
    with client.websocket_connect("/ws") as ws:
        assert ws.receive_json() == []
    failing = TestClient(make_app(lambda scope: 1 / 0))
    with pytest.raises(WebSocketDisconnect) as closed:
        with failing.websocket_connect("/ws") as ws:
            ws.receive_json()
    assert closed.value.code == 1011


def test_lifespan_passes_through_without_asking_the_resolver():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["type"], current_capabilities().names()))

    def resolver(scope):
        raise AssertionError("the resolver must not see lifespan events")

    async def run():
        with capability_scope(["tenant.read"]):
            await CapabilityMiddleware(app, resolver)({"type": "lifespan"}, None, None)

    asyncio.run(run())
    assert seen == [("lifespan", frozenset({"tenant.read"}))]


def test_the_scope_ends_with_the_request():
    async def app(scope, receive, send):
        assert current_capabilities().names() == {"tenant.read"}

    async def run():
        middleware = CapabilityMiddleware(app, lambda scope: ["tenant.read"])
        await middleware({"type": "http", "headers": []}, None, None)
        return current_capabilities().names()

    assert asyncio.run(run()) == frozenset()


def test_an_endless_ml_loop_gets_504_and_other_requests_still_run():
    client = TestClient(make_app())
    response = client.get("/forever")
    assert response.status_code == 504
    assert response.json()["code"] == "MLL001"
    assert client.get("/visible", headers={"x-tenant": "t2"}).json() == ["t2"]


def test_through_a_real_uvicorn_server():
    uvicorn = pytest.importorskip("uvicorn")
    config = uvicorn.Config(make_app(), host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            loops = [threading.Thread(target=client.get, args=("/forever",)) for _ in range(4)]
            for loop in loops:
                loop.start()
            assert client.get("/visible", headers={"x-tenant": "t4"}).json() == ["t4"]
            assert client.get("/visible").json() == []
            timed_out = client.get("/forever")
            assert timed_out.status_code == 504
            assert "/" not in json.loads(timed_out.text)["detail"].split(": ", 1)[-1]
            for loop in loops:
                loop.join(30)
            assert client.get("/visible", headers={"x-tenant": "t5"}).json() == ["t5"]
    finally:
        server.should_exit = True
        thread.join(30)
    assert not thread.is_alive()
