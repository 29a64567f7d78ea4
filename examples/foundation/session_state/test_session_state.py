"""Tests of session_state: a session keeps its variables between calls, each shopper's
session is separate, the host's price list stays unchanged, and reset forgets everything."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_session_state_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture
def shopper():
    return app.Shopper(app.PRICES)


def test_each_call_sees_what_the_previous_calls_left(shopper):
    assert shopper.add("tea", 1) == 1
    assert shopper.add("tea", 2) == 3
    assert shopper.session.get("cart") == {"tea": 3}
    assert shopper.total() == 10.5


def test_a_rebinding_function_and_a_handle_share_the_same_variables(shopper):
    shopper.add("tea", 1)
    shopper.add("jam", 1)
    shopper.session.call("remove", "tea")  # assigns a new `cart` with nonlocal
    assert shopper.add("jam", 1) == 2      # the handle taken before sees the new cart
    assert shopper.cart() == {"jam": 2}


def test_two_shoppers_share_nothing():
    ada, grace = app.Shopper(app.PRICES), app.Shopper(app.PRICES)
    ada.add("cake", 4)
    assert grace.cart() == {} and grace.total() == 0


def test_the_rules_cannot_change_the_hosts_prices(shopper):
    result = shopper.session.exec('prices.tea = 0;')
    assert isinstance(result.error, mlpy.MLRuntimeError)
    assert "read-only" in result.error.message
    assert app.PRICES["tea"] == 3.5 and shopper.session.eval('prices.tea') == 3.5


def test_a_thrown_error_leaves_the_session_as_it_was(shopper):
    shopper.add("tea", 1)
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        shopper.add("caviar", 1)
    assert caught.value.payload == {"message": "unknown product caviar", "code": "UNKNOWN_SKU"}
    assert shopper.cart() == {"tea": 1}


def test_a_bad_call_is_an_ml_call_error_before_any_ml_runs(shopper):
    with pytest.raises(mlpy.MLCallError):
        shopper.add("tea", quantity=1)
    assert shopper.cart() == {}


def test_reset_forgets_every_variable_and_function(shopper):
    shopper.add("tea", 1)
    shopper.session.reset()
    assert shopper.session.names() == []
    assert "cart" not in shopper.session


def test_main_prints_both_carts(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines() == [
        "ada: {'tea': 2, 'cake': 1} 9.25", "grace: {'jam': 3} 12.0",
        "ada after remove: {'cake': 1} 4.5", "refused: unknown product caviar UNKNOWN_SKU",
        "after reset: []"]
