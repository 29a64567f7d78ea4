"""Tests of the Flask example through Flask's test client."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("flask")

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_flask_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
ORDER = {"currency": "EUR", "items": [{"sku": "A-1", "price": 60, "qty": 2}]}


@pytest.fixture
def client():
    return example.create_app().test_client()


def price(client, key, order=ORDER, **changes):
    return client.post("/price", json={**order, **changes}, headers={"X-Api-Key": key})


def test_each_tenant_prices_with_its_own_rules(client):
    assert price(client, "key-acme").json == {"currency": "EUR", "total": 108.0}
    assert price(client, "key-globex").json == {"currency": "EUR", "total": 120}


def test_only_the_pro_plan_may_convert_currencies(client):
    assert price(client, "key-acme", currency="USD").json == {"currency": "USD", "total": 116.64}
    refused = price(client, "key-globex", currency="USD")
    assert refused.status_code == 403
    assert refused.json["detail"] == (
        "globex.ml:8:38: this needs the capability 'fx.read', which was not granted")


def test_a_rule_that_throws_is_a_400_with_its_position(client):
    bad = price(client, "key-acme", items=[{"sku": "A-1", "price": 60, "qty": 0}])
    assert bad.status_code == 400 and bad.content_type == "application/problem+json"
    assert bad.json["detail"] == "acme.ml:8:9: quantity must be positive"


def test_an_endless_rule_times_out_and_the_others_are_still_served(client):
    stuck = price(client, "key-initech")
    assert stuck.status_code == 504 and stuck.json["code"] == "MLL001"
    assert price(client, "key-acme").status_code == 200


def test_an_unknown_key_is_refused(client):
    assert price(client, "key-nobody").status_code == 401
