"""Tests of the health example: the routes an orchestrator probes, in the states a hanging
backend really produces (no state is faked: the warehouse's calls block their threads)."""

from __future__ import annotations

import importlib.util
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("mlpy.aio")

with warnings.catch_warnings():  # Starlette may prefer another httpx for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load(name: str):
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(f"examples_production_health_checks_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load("app")
ORDER = {"lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]}


@pytest.fixture
def warehouse():
    return example.Warehouse({"A-1": 10, "B-2": 0})


@pytest.fixture
def client(warehouse):
    with TestClient(example.create_app(warehouse)) as client:  # runs the lifespan
        try:
            yield client
        finally:
            warehouse.recover()  # stuck threads return before the AsyncEngine closes


def probe(client) -> dict[str, tuple[int, dict]]:
    """Status and body of the three routes."""
    found = {}
    for route in ("/health", "/health/ready", "/health/detailed"):
        response = client.get(route)
        found[route] = (response.status_code, response.json())
    return found


def stuck_threads(client) -> int:
    return client.app.state.mlpy.stats().stuck


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was not reached in 30 s"
        time.sleep(0.01)


def test_the_rules_answer_with_the_lines_out_of_stock(client):
    answer = client.post("/availability", json=ORDER)
    assert answer.json() == {"ships_today": False, "missing": ["B-2"]}
    answer = client.post("/availability", json={"lines": [{"sku": "A-1", "qty": 10}]})
    assert answer.json() == {"ships_today": True, "missing": []}


def test_a_healthy_service_answers_200_everywhere(client):
    routes = probe(client)
    assert routes["/health"] == (200, {"status": "ok"})
    status, ready = routes["/health/ready"]
    assert status == 200 and ready["ready"] is True and ready["status"] == "healthy"
    status, detailed = routes["/health/detailed"]
    assert status == 200 and detailed["checks"]["executor"]["max_workers"] == 2


def test_one_stuck_call_degrades_the_service_but_it_stays_ready(client, warehouse):
    warehouse.outage()
    timed_out = client.post("/availability", json=ORDER)
    assert timed_out.status_code == 504
    wait_until(lambda: stuck_threads(client) == 1)
    routes = probe(client)
    status, ready = routes["/health/ready"]
    assert status == 200 and ready["status"] == "degraded"  # one worker still serves
    assert ready["checks"]["executor"] == "degraded"
    status, detailed = routes["/health/detailed"]
    assert status == 200 and detailed["checks"]["executor"]["stuck"] == 1
    assert "replaced" in detailed["checks"]["executor"]["reason"]


def test_all_workers_stuck_is_unhealthy_until_the_backend_recovers(client, warehouse):
    warehouse.outage()
    for _ in range(2):  # the second call runs on the replacement of the first stuck thread
        assert client.post("/availability", json=ORDER).status_code == 504
    wait_until(lambda: stuck_threads(client) == 2)
    routes = probe(client)
    assert routes["/health"] == (200, {"status": "ok"})  # alive: do not restart it yet
    status, ready = routes["/health/ready"]
    assert status == 503 and ready["ready"] is False
    assert ready["checks"]["executor"] == "unhealthy"
    status, detailed = routes["/health/detailed"]
    assert status == 503 and detailed["status"] == "unhealthy"
    assert "stuck" in detailed["checks"]["executor"]["reason"]

    warehouse.recover()  # the hanging calls return; their threads are usable again
    wait_until(lambda: stuck_threads(client) == 0)
    status, ready = probe(client)["/health/ready"]
    assert status == 200 and ready["status"] == "healthy"
    assert client.post("/availability", json=ORDER).status_code == 200


def test_the_flask_blueprint_serves_the_same_routes():
    pytest.importorskip("flask")
    client = _load("flask_app").create_app().test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.get_json()["status"] == "healthy"
    detailed = client.get("/health/detailed").get_json()
    assert detailed["checks"]["executor"] == {"status": "healthy", "enabled": False}
