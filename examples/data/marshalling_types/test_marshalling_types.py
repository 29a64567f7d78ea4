"""Tests of the marshalling example: every Python type in, every ML type out, Money both ways."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_marshalling_types_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_python_values_arrive_as_ml_types():
    assert app.inbound().splitlines() == [
        "int number | float number | str string",
        "bool boolean | None null | bytes bytes",
        "list array | tuple array | set array ['vip']",
        "dict object | Decimal object <object Decimal>",
    ]


def test_ml_values_come_back_as_python_types():
    values = app.outbound()
    assert values["integer"] == 200000000000000000000 and isinstance(values["float"], float)
    assert values["array"] == [1, [2, 3]] and values["object"] == {"nested": {"ok": True}}
    assert values["flag"] is True and values["nothing"] is None
    assert values["double"](21) == 42  # an ML function is a plain callable


def test_ml_reads_money_through_its_declared_members_and_gets_money_back():
    result = app.invoice(app.Money(1250, "EUR"), 3, 495)
    assert result.ok, result.error
    assert isinstance(result.value["total"], app.Money)
    assert (result.value["total"].cents, result.value["with_shipping"].cents) == (3750, 4245)
    assert result.value["shown"] == "<object Money>"  # str() never runs host code


def test_money_has_a_json_form_in_to_dict():
    wire = app.invoice(app.Money(1250, "EUR"), 3, 495).to_dict()["value"]
    assert json.loads(json.dumps(wire))["with_shipping"] == {"amount": "42.45",
                                                           "currency": "EUR"}


def test_undeclared_members_are_refused():
    result = app.engine.execute("x = m._cents;", {"m": app.Money(1, "EUR")})
    assert isinstance(result.error, mlpy.MLError)


def test_a_non_string_key_is_a_marshal_error_until_the_keys_are_converted():
    with pytest.raises(mlpy.MLMarshalError) as caught:
        app.engine.execute("n = 1;", {"totals": {1: 10.0}}).unwrap()
    assert caught.value.path == "totals"
    fixed = app.engine.execute("result = keys(totals);", {"totals": app.by_month({1: 10.0})})
    assert fixed.value == ["1"]


def test_main_prints_the_tour(capsys):
    app.main()
    out = capsys.readouterr().out.splitlines()
    assert out[5] == "42" and out[6] == "4245 <object Money>"
    assert out[-1] == "['1']"
