"""Integration tests of the invoicing API: the Flask app with its real rule, resolver and
engine, driven through Flask's test client, with mlpy.testing's fixtures and FakeClock."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("flask")

import mlpy  # noqa: E402
from mlpy.testing import FakeClock, assert_ml_result  # noqa: E402

HERE = Path(__file__).resolve().parent
ORDER = {"currency": "USD", "items": [{"sku": "widget", "qty": 4}, {"sku": "gadget", "qty": 1}]}


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_testing_integration_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def client():
    return example.create_app().test_client()


# [requests]
def test_each_team_is_invoiced_from_its_own_prices(client):
    acme = client.post("/invoice", json=ORDER, headers={"X-Team": "acme"})
    globex = client.post("/invoice", json=ORDER, headers={"X-Team": "globex"})
    assert acme.status_code == globex.status_code == 200
    assert acme.get_json() == {"currency": "USD", "total": 99.0}  # (4 * 12.5 + 40) * 1.1
    assert globex.get_json() == {"currency": "USD", "total": 97.9}  # (4 * 11 + 45) * 1.1


@pytest.mark.parametrize("team", [None, "initech", "acme/../globex"])
def test_a_request_without_a_known_team_is_refused(client, ml_audit, team):
    headers = {"X-Team": team} if team else {}
    answer = client.post("/invoice", json=ORDER, headers=headers)
    assert answer.status_code == 403
    assert answer.content_type == "application/problem+json"
    assert answer.get_json()["code"] == "MLCAP001"
    assert [event["requirement"] for event in ml_audit.of("deny")] == ["file.read"]


def test_the_grants_end_with_the_request(client):
    assert client.post("/invoice", json=ORDER, headers={"X-Team": "acme"}).status_code == 200
    # Same thread, after the request: nothing of its grants is left.
    assert mlpy.current_capabilities().names() == frozenset()


def test_a_bad_item_is_a_400_that_names_the_rule_line(client):
    order = {"currency": "USD", "items": [{"sku": "widget", "qty": "four"}]}
    answer = client.post("/invoice", json=order, headers={"X-Team": "acme"})
    assert answer.status_code == 400 and answer.get_json()["code"] == "MLR001"
    assert "invoice.ml:9" in answer.get_json()["detail"]
# [/requests]


# [clock]
class SlowRates(example.ExchangeRates):
    """The exchange-rate service answering after 5 s, on the test's clock."""

    def __init__(self, clock: FakeClock):
        self.clock = clock

    def rate(self, currency: str) -> float:
        self.clock.advance(5.0)
        return super().rate(currency)


def test_a_slow_exchange_service_makes_the_request_a_504():
    with FakeClock() as clock:
        client = example.create_app(SlowRates(clock)).test_client()
        answer = client.post("/invoice", json=ORDER, headers={"X-Team": "acme"})
    assert answer.status_code == 504
    assert answer.get_json()["code"] == "MLL001"  # the time limit, reached in no real time
# [/clock]


def test_the_rule_alone_with_the_prices_of_a_test(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text('{"widget": 2}')
    rate = mlpy.host_function(lambda currency: 3.0, name="rate")
    assert_ml_result(HERE / "invoice.ml", {"currency": "EUR", "total": 12.0},
                     variables={"items": [{"sku": "widget", "qty": 2}], "currency": "EUR",
                                "prices_path": str(prices), "rate": rate},
                     capabilities=[f"file.read:{tmp_path}/**"])
