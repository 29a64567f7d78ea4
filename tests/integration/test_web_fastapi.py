"""mlpy.integration.fastapi through FastAPI's TestClient: problem responses and -- with
mlpy.aio -- the lifespan-owned AsyncEngine under per-request grants (the health routes are
tested with the health checks, in tests/operations/test_health_web.py)."""

from __future__ import annotations

import asyncio
import warnings

import pytest

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi import Depends, FastAPI  # noqa: E402

with warnings.catch_warnings():  # Starlette 1.10 prefers httpx2 for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

import mlpy  # noqa: E402
from mlpy.capabilities import current_capabilities  # noqa: E402
from mlpy.integration.asgi import CapabilityMiddleware  # noqa: E402
from mlpy.integration.fastapi import (  # noqa: E402
    get_async_engine, health_router, install_error_handlers, mlpy_lifespan,
)
from mlpy.integration.http import PROBLEM_JSON  # noqa: E402
from tests.integration.conftest import SECRET, TENANTS, tenant, vault  # noqa: E402

VISIBLE = """
seen = [];
for (t in ids) { try { tenant(t); seen.append(t); } except (e) { } }
result = seen;
"""


def grants_from_header(scope):
    name = dict(scope["headers"]).get(b"x-tenant")
    return [f"tenant.read:{name.decode()}"] if name else None


# ------------------------------------------------------------------ without the executor

engine = mlpy.Engine(timeout=30.0)


def sync_app():
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(CapabilityMiddleware, resolver=grants_from_header)

    @app.get("/visible")
    def visible():  # a sync endpoint: FastAPI's thread pool copies the request's context
        return engine.execute(VISIBLE, {"ids": TENANTS, "tenant": tenant},
                              capabilities=current_capabilities()).unwrap()

    @app.get("/forever")
    def forever():
        return engine.call("function spin() { while (true) { } }", "spin", timeout=0.3)

    @app.get("/leak")
    def leak():
        return engine.execute("result = vault();", {"vault": vault}).unwrap()

    @app.get("/needs-executor")
    async def needs_executor(ml=Depends(get_async_engine)):
        return "unreachable"

    return app


def test_sync_endpoints_see_the_request_grants():
    client = TestClient(sync_app())
    assert client.get("/visible", headers={"x-tenant": "t8"}).json() == ["t8"]
    assert client.get("/visible").json() == []


def test_ml_errors_become_problem_responses_that_reveal_nothing():
    client = TestClient(sync_app())
    timed_out = client.get("/forever")
    assert timed_out.status_code == 504 and timed_out.headers["content-type"] == PROBLEM_JSON
    assert timed_out.json()["code"] == "MLL001"
    leaked = client.get("/leak")
    assert leaked.status_code == 500
    assert SECRET not in leaked.text and "/srv" not in leaked.text
    assert client.get("/visible", headers={"x-tenant": "t1"}).json() == ["t1"]


def test_the_dependency_without_the_lifespan_is_a_500_problem():
    response = TestClient(sync_app()).get("/needs-executor")
    assert response.status_code == 500 and response.json()["detail"] == "internal error"


# ------------------------------------------------------------------ with the AsyncEngine


@pytest.fixture
def aio():
    return pytest.importorskip("mlpy.aio")


def async_app(**options):
    app = FastAPI(lifespan=lambda app: mlpy_lifespan(app, **options))
    install_error_handlers(app)
    app.add_middleware(CapabilityMiddleware, resolver=grants_from_header)
    app.include_router(health_router())
    app.state.barrier = None

    @app.get("/visible")
    async def visible(ml=Depends(get_async_engine)):
        if app.state.barrier is not None:
            await asyncio.wait_for(app.state.barrier.wait(), 60)
        result = await ml.execute(VISIBLE, variables={"ids": TENANTS, "tenant": tenant})
        return result.unwrap()

    @app.get("/forever")
    async def forever(ml=Depends(get_async_engine)):
        return await ml.call("function spin() { while (true) { } }", "spin", timeout=0.3)

    return app


def test_the_lifespan_owns_the_executor(aio):
    app = async_app(max_workers=2)
    with TestClient(app) as client:
        assert isinstance(app.state.mlpy, aio.AsyncEngine)
        assert client.get("/visible", headers={"x-tenant": "t3"}).json() == ["t3"]
        assert client.get("/visible").json() == []
        assert client.get("/health/ready").json()["status"] == "healthy"


def test_50_concurrent_requests_on_the_executor_never_see_each_others_grants(aio):
    app = async_app(max_workers=4)

    async def run():
        app.state.barrier = asyncio.Barrier(len(TENANTS))
        async with mlpy_lifespan(app, max_workers=4):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                responses = await asyncio.gather(*(
                    client.get("/visible", headers={"x-tenant": name}) for name in TENANTS))
        return [r.json() for r in responses]

    assert asyncio.run(run()) == [[name] for name in TENANTS]


def test_endless_loops_time_out_and_the_executor_keeps_serving(aio):
    with TestClient(async_app(max_workers=1)) as client:
        for _ in range(4):  # the reference's four `while (true) {}` requests
            response = client.get("/forever")
            assert response.status_code == 504 and response.json()["code"] == "MLL001"
        assert client.get("/visible", headers={"x-tenant": "t2"}).json() == ["t2"]


def test_a_full_queue_is_429(aio):
    app = async_app(max_workers=1, max_pending=1)

    async def run():
        async with mlpy_lifespan(app, max_workers=1, max_pending=1):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await asyncio.gather(*(client.get("/forever") for _ in range(4)))

    statuses = sorted(r.status_code for r in asyncio.run(run()))
    assert 429 in statuses and set(statuses) <= {429, 504}
