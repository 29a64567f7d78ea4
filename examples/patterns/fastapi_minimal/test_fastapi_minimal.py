"""The minimal FastAPI service, driven through FastAPI's TestClient (which runs the lifespan)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

with warnings.catch_warnings():  # Starlette's TestClient may warn about its httpx version
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_fastapi_minimal_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def client():
    with TestClient(example.app) as client:  # starts the AsyncEngine, and closes it after
        yield client


def test_the_rule_prices_a_parcel(client):
    assert client.post("/shipping", json={"country": "DE", "weight_kg": 1}).json() == {
        "cost": 4.9}
    assert client.post("/shipping", json={"country": "FR", "weight_kg": 3.5}).json() == {
        "cost": 14.3}


def test_an_ml_exception_is_a_400_problem_with_its_position(client):
    answer = client.post("/shipping", json={"country": "DE", "weight_kg": 0})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "shipping.ml:6:9: the weight must be positive"


def test_a_missing_field_is_the_clients_error_too(client):
    # A missing key reads as null in ML: the comparison fails, at its position.
    answer = client.post("/shipping", json={"country": "DE"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == (
        "shipping.ml:5:9: '<=' not supported between instances of null and number")


def test_the_lifespan_closes_the_engine_at_shutdown():
    with TestClient(example.app) as client:
        engine = client.app.state.mlpy
        assert not engine.closed
    assert engine.closed
