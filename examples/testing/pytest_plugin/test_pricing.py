"""The tests a team would write for the pricing service: its ML rules, the grants they run
under, the service with its rules replaced by stand-ins, a timeout, and a benchmark."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import mlpy
from mlpy.testing import (
    FakeClock, MockSession, assert_callback_returns, assert_capability_denied,
    assert_ml_raises, assert_ml_result, assert_no_diagnostics, quick_benchmark,
)

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_testing_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()
RULES = app.RULES.read_text()
RATES = {"discounts": {"gold": 0.1}}
ORDER = {"tier": "gold", "items": [{"price": 10, "qty": 3}, {"price": 2.5, "qty": 2}]}


# [rules]
def test_rules_compile_without_warnings():
    assert_no_diagnostics(app.RULES)


def test_a_gold_order_gets_ten_percent_off():
    assert_ml_result(RULES + "result = quote(order, rates);", 31.5,
                     variables={"order": ORDER, "rates": RATES})


def test_a_bad_price_fails_in_subtotal():
    order = "{tier: 'gold', items: [{price: null, qty: 1}]}"
    assert_ml_raises(f"{RULES}\nquote({order}, {{}});", mlpy.MLRuntimeError, line=13)


def test_quote_as_the_service_calls_it(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert_callback_returns(ml_session, "quote", (ORDER, RATES), 31.5)
    assert_callback_returns(ml_session, "discount", (100, "basic", RATES), 0)
# [/rules]


# [capabilities]
def test_the_rules_cannot_read_files_unless_granted(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    reading = f"{RULES}\nload_rates({str(secret)!r});"
    assert_capability_denied(reading, "file.read")
    assert_capability_denied(reading, "file.read", resource=str(secret),
                             capabilities=[f"file.read:{app.RATES.parent}/**"])


def test_the_service_reads_its_rates_and_nothing_else(ml_engine, ml_audit, tmp_path):
    service = app.PricingService(engine=ml_engine)
    assert service.quote(ORDER) == {"status": "ok", "total": 31.5}
    other = tmp_path / "rates.json"
    other.write_text('{"discounts": {}}')
    with pytest.raises(mlpy.CapabilityError) as denied:
        service.session.call("load_rates", str(other))
    assert denied.value.resource == str(other)
    assert [e["requirement"] for e in ml_audit.of("deny")] == ["file.read"]
# [/capabilities]


# [mock]
def test_the_service_with_its_rules_replaced():
    rules = MockSession()
    rules.define("load_rates", lambda path: RATES)
    rules.define("quote", lambda order, rates: 99.0 if order["tier"] == "gold" else 1 / 0)
    service = app.PricingService(rules)
    assert service.quote(ORDER) == {"status": "ok", "total": 99.0}
    assert service.quote({"tier": "basic", "items": []}) == {"status": "unavailable"}
    assert [call.function_name for call in rules.calls] == ["load_rates", "quote", "quote"]
    assert rules.calls[1].args == (ORDER, RATES)
# [/mock]


# [clock]
def test_a_slow_lookup_makes_the_quote_unavailable(ml_engine):
    with FakeClock() as clock:
        @mlpy.host_function
        def lookup_rates():
            clock.advance(5.0)  # as if the rates service took five seconds
            return RATES

        slow_rule = "function slow_quote(order) { return quote(order, lookup_rates()); }"
        session = ml_engine.load(RULES + slow_rule, {"lookup_rates": lookup_rates})
        slow = mlpy.ml_callback(session, "slow_quote", timeout=1.0, default_return=None)
        assert slow(ORDER) is None
        assert session.function("slow_quote", timeout=10.0)(ORDER) == 31.5
# [/clock]


# [benchmark]
def test_quoting_stays_cheap_enough_to_measure():
    numbers = quick_benchmark(RULES + "result = quote(order, rates);", 50,
                              variables={"order": ORDER, "rates": RATES})
    assert numbers["failures"] == 0 and numbers["p50"] <= numbers["p99"]
# [/benchmark]
