"""The websocket monitor, driven through Starlette's TestClient (``websocket_connect``)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")

with warnings.catch_warnings():  # Starlette's TestClient may warn about its httpx version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_starlette_websocket_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def client():
    with TestClient(example.app) as client:  # runs the lifespan: the AsyncEngine
        yield client


def send(websocket, celsius, sensor="oven"):
    websocket.send_json({"sensor": sensor, "celsius": celsius})
    return websocket.receive_json()


def test_every_message_is_evaluated_over_the_last_three_readings(client):
    with client.websocket_connect("/readings") as websocket:
        assert send(websocket, 50) == {"sensor": "oven", "average": 50.0, "level": "ok"}
        assert send(websocket, 60)["level"] == "ok"  # (50 + 60) / 2 = 55
        assert send(websocket, 100) == {"sensor": "oven", "average": 70.0, "level": "warning"}
        # 50 has left the window: (60 + 100 + 95) / 3 = 85
        assert send(websocket, 95) == {"sensor": "oven", "average": 85.0, "level": "alarm"}


def test_each_connection_has_readings_of_its_own(client):
    with client.websocket_connect("/readings") as hot, \
            client.websocket_connect("/readings") as cold:
        for _ in range(3):
            assert send(hot, 99)["level"] == "alarm"
        assert send(cold, 20) == {"sensor": "oven", "average": 20.0, "level": "ok"}


def test_a_refused_message_gets_a_problem_and_the_connection_stays_open(client):
    with client.websocket_connect("/readings") as websocket:
        assert send(websocket, "hot")["error"] == {
            "type": "about:blank", "title": "Bad Request", "status": 400, "code": "MLR001",
            "detail": "monitor.ml:9:9: celsius must be a number"}
        websocket.send_text("not json")
        assert websocket.receive_json()["error"]["detail"] == "a message must be JSON"
        assert send(websocket, 61)["level"] == "warning"
