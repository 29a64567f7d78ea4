"""The minimal Flask service, driven through Flask's test client."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("flask")

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_flask_minimal_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def client():
    return example.create_app().test_client()


def test_the_rule_gives_loyal_customers_and_large_baskets_a_discount(client):
    assert client.post("/discount", json={"total": 50, "loyalty_years": 1}).json == {
        "percent": 0}
    assert client.post("/discount", json={"total": 250, "loyalty_years": 4}).json == {
        "percent": 15}


def test_an_ml_exception_is_a_400_problem_with_its_position(client):
    answer = client.post("/discount", json={"total": -1, "loyalty_years": 0})
    assert answer.status_code == 400
    assert answer.content_type == "application/problem+json"
    assert answer.json["detail"] == "discount.ml:6:9: a basket cannot cost less than nothing"


def test_the_engine_has_the_configured_time_limit():
    app = example.create_app()
    with app.app_context():
        assert example.current_engine().timeout == 1.0
