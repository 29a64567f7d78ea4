"""Tests of the FastAPI example through FastAPI's TestClient (which runs the lifespan)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("mlpy.aio")

with warnings.catch_warnings():  # Starlette 1.10 prefers httpx2 for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_fastapi_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
ORDER = {"currency": "EUR", "items": [{"sku": "A-1", "price": 60, "qty": 2}]}


@pytest.fixture
def client():
    with TestClient(example.create_app()) as client:  # starts and stops the AsyncEngine
        yield client


def price(client, key, order=ORDER, **changes):
    return client.post("/price", json={**order, **changes}, headers={"X-Api-Key": key})


def test_each_tenant_prices_with_its_own_rules(client):
    assert price(client, "key-acme").json() == {"currency": "EUR", "total": 108.0}
    assert price(client, "key-globex").json() == {"currency": "EUR", "total": 120}


def test_only_the_pro_plan_may_convert_currencies(client):
    assert price(client, "key-acme", currency="USD").json() == {"currency": "USD",
                                                                "total": 116.64}
    refused = price(client, "key-globex", currency="USD")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "globex.ml:8:38: this needs the capability 'fx.read', which was not granted")


def test_a_rule_that_throws_is_a_400_with_its_position(client):
    bad = price(client, "key-acme", items=[{"sku": "A-1", "price": 60, "qty": 0}])
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["detail"] == "acme.ml:8:9: quantity must be positive"


def test_endless_rules_time_out_and_the_others_are_still_served(client):
    for _ in range(4):  # more than the four workers: each one is freed by the time limit
        stuck = price(client, "key-initech")
        assert stuck.status_code == 504 and stuck.json()["code"] == "MLL001"
    assert price(client, "key-acme").status_code == 200
    assert client.get("/health/ready").json()["status"] == "healthy"


def test_an_unknown_key_is_refused(client):
    assert price(client, "key-nobody").status_code == 401
