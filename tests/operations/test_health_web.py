"""The health routes of the FastAPI router and the Flask blueprint (integration spec 9.4),
through each framework's test client, in states produced for real: a stuck worker on a
one-worker AsyncEngine, a full queue, a sandbox pool not started yet."""

from __future__ import annotations

import os
import warnings

import pytest

import mlpy
from tests.support import wait_until

ROUTES = ("/health", "/health/ready", "/health/detailed")


@pytest.fixture
def aio():
    return pytest.importorskip("mlpy.aio")


# ----------------------------------------------------------------------------- clients


def fastapi_client(engine=None, *, lifespan_options=None, prefix="/health"):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi import FastAPI

    from mlpy.integration.fastapi import health_router, mlpy_lifespan

    with warnings.catch_warnings():  # Starlette may prefer another httpx for TestClient
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    if lifespan_options is not None:
        app = FastAPI(lifespan=lambda app: mlpy_lifespan(app, **lifespan_options))
    else:
        app = FastAPI()
    app.include_router(health_router(engine, prefix=prefix))
    return TestClient(app), app


def flask_client(engine=None, *, init=True, url_prefix="/health"):
    flask = pytest.importorskip("flask")
    from mlpy.integration.flask import health_blueprint, init_app

    app = flask.Flask(__name__)
    if init:
        init_app(app, mlpy.Engine())
    app.register_blueprint(health_blueprint(engine, url_prefix=url_prefix))
    return app.test_client(), app


def get(client, path):
    """(status, JSON body) from either framework's test client."""
    response = client.get(path)
    body = response.get_json() if hasattr(response, "get_json") else response.json()
    return response.status_code, body


FRAMEWORKS = ["fastapi", "flask"]


def client_for(framework, engine):
    return (fastapi_client if framework == "fastapi" else flask_client)(engine)[0]


# ----------------------------------------------------------------------------- healthy


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_healthy_engine_answers_200_on_every_route(framework):
    client = client_for(framework, mlpy.Engine())
    assert get(client, "/health") == (200, {"status": "ok"})
    status, ready = get(client, "/health/ready")
    assert status == 200 and ready["ready"] is True and ready["status"] == "healthy"
    assert set(ready["checks"]) == {"compiler", "module_registry", "executor",
                                    "sandbox_pool", "capabilities"}
    status, detailed = get(client, "/health/detailed")
    assert status == 200 and detailed["status"] == "healthy"
    assert detailed["checks"]["capabilities"]["denied"] is True
    assert detailed["version"] == mlpy.__version__


def test_fastapi_probes_the_lifespan_executor_by_default(aio):
    client, app = fastapi_client(lifespan_options={"max_workers": 3})
    with client:
        status, detailed = get(client, "/health/detailed")
        assert status == 200
        assert detailed["checks"]["executor"]["max_workers"] == 3
        assert app.state.mlpy.max_workers == 3


def test_fastapi_without_the_lifespan_is_live_and_its_checks_say_what_is_missing():
    client, _ = fastapi_client()
    assert get(client, "/health") == (200, {"status": "ok"})
    with pytest.raises(mlpy.MLConfigurationError, match="lifespan"):
        client.get("/health/ready")


def test_flask_probes_the_engine_of_init_app_by_default():
    client, app = flask_client()
    status, detailed = get(client, "/health/detailed")
    assert status == 200 and detailed["status"] == "healthy"


def test_flask_without_init_app_is_a_clear_configuration_error():
    client, app = flask_client(init=False)
    app.testing = True  # the test client re-raises the view's exception
    assert client.get("/health").status_code == 200
    with pytest.raises(mlpy.MLConfigurationError, match="init_app"):
        client.get("/health/ready")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_prefix_moves_the_routes(framework):
    make = fastapi_client if framework == "fastapi" else flask_client
    keyword = "prefix" if framework == "fastapi" else "url_prefix"
    client = make(mlpy.Engine(), **{keyword: "/ops/ml"})[0]
    assert get(client, "/ops/ml")[0] == 200
    assert get(client, "/ops/ml/ready")[0] == 200
    assert client.get("/health").status_code == 404


# ----------------------------------------------------------------------------- degraded


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_full_queue_is_degraded_yet_ready(framework, aio, blocker):
    block, entered, release = blocker
    executor = aio.AsyncEngine(max_workers=1, max_pending=2, default_timeout=60)
    try:
        executor.submit("result = block();", variables={"block": block})
        wait_until(entered.is_set)
        waiting = [executor.submit("result = 1;") for _ in range(2)]
        client = client_for(framework, executor)
        ready = get(client, "/health/ready")
        detailed = get(client, "/health/detailed")
    finally:
        release.set()
        executor.shutdown()
    assert ready[0] == 200 and ready[1]["status"] == "degraded"
    assert ready[1]["checks"]["executor"] == "degraded"
    assert detailed[0] == 200 and detailed[1]["checks"]["executor"]["pending"] == 2
    assert all(future.result(30).value == 1 for future in waiting)


# ----------------------------------------------------------------------------- unhealthy


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_stuck_worker_on_a_one_worker_engine_is_unhealthy_until_it_returns(
        framework, aio, blocker):
    block, _entered, release = blocker
    executor = aio.AsyncEngine(max_workers=1, cancel_grace=0.05)
    try:
        timed_out = executor.submit("result = block();", variables={"block": block},
                                    timeout=0.05).result(30)
        assert timed_out.timed_out
        client = client_for(framework, executor)
        live = get(client, "/health")
        ready = get(client, "/health/ready")
        detailed = get(client, "/health/detailed")
        release.set()
        wait_until(lambda: executor.stats().stuck == 0)
        recovered = get(client, "/health/ready")
    finally:
        release.set()
        executor.shutdown()
    assert live == (200, {"status": "ok"})  # liveness: the process still answers
    assert ready[0] == 503 and ready[1]["ready"] is False
    assert ready[1]["checks"]["executor"] == "unhealthy"
    assert detailed[0] == 503 and detailed[1]["checks"]["executor"]["stuck"] == 1
    assert "stuck" in detailed[1]["checks"]["executor"]["reason"]
    assert recovered[0] == 200 and recovered[1]["status"] == "healthy"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_sandbox_pool_not_started_is_not_ready_but_not_unhealthy(framework):
    if os.name != "posix":
        pytest.skip("subprocess isolation needs POSIX")
    from mlpy.sandbox import SandboxConfig

    engine = mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(pool_size=1))
    try:
        client = client_for(framework, engine)
        cold_ready, cold_detailed = get(client, "/health/ready"), get(client, "/health/detailed")
        assert engine.execute("result = 1;", timeout=30).ok  # starts the pool
        warm_ready = get(client, "/health/ready")
    finally:
        engine.close()
    assert cold_ready[0] == 503 and cold_ready[1]["checks"]["sandbox_pool"] == "degraded"
    assert cold_detailed[0] == 200  # degraded, not unhealthy
    assert cold_detailed[1]["checks"]["sandbox_pool"]["started"] is False
    assert warm_ready[0] == 200 and warm_ready[1]["ready"] is True
