"""Tests of error_handling: each way a script fails is its own MLError subclass, with the
code, position and data the handler answers with; the host's own mistakes are not hidden."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_error_handling_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def failure(script: str, amount: float = 100) -> mlpy.MLError:
    program_error = None
    try:
        program = app.engine.compile(app.SCRIPTS / script, filename=script,
                                     inputs=["amount", "currency", "rate"])
    except mlpy.MLError as error:
        program_error = error
    else:
        program_error = app.engine.execute(program, {"amount": amount, "currency": "USD",
                                                     "rate": app.rate}).error
    return program_error


@pytest.mark.parametrize("script, error_class, code", [
    ("typo.ml", mlpy.MLCompileError, "MLC001"),
    ("syntax.ml", mlpy.MLSyntaxError, "MLS001"),
    ("escape.ml", mlpy.MLSecurityError, "MLSEC002"),
    ("negative.ml", mlpy.MLRuntimeError, "MLR001"),
    ("unknown_currency.ml", mlpy.MLHostError, "MLH001"),
    ("spin.ml", mlpy.MLTimeoutError, "MLL001"),
])
def test_each_failure_has_its_class_and_code(script, error_class, code):
    error = failure(script, amount=-5 if script == "negative.ml" else 100)
    assert type(error) is error_class and error.code == code
    assert error.ml_file == script


def test_the_compiler_reports_every_unknown_name_at_once():
    status, body = app.convert("typo.ml", 100, "USD")
    assert status == 400
    assert body["problems"] == ["2:27 MLC001 unknown name 'curency'",
                                "3:16 MLC001 unknown name 'convertd'"]


def test_a_thrown_object_reaches_the_host_as_the_payload():
    error = failure("negative.ml", amount=-5)
    assert error.kind == "thrown"
    assert error.payload == {"message": "amount must not be negative",
                             "code": "NEGATIVE_AMOUNT", "amount": -5}
    assert app.convert("negative.ml", -5, "USD") == (
        422, {"error": "NEGATIVE_AMOUNT", "message": "amount must not be negative"})


def test_a_host_function_failure_keeps_the_python_exception_as_its_cause(caplog):
    error = failure("unknown_currency.ml")
    assert isinstance(error.__cause__, KeyError)
    with caplog.at_level(logging.ERROR, logger="converter"):
        assert app.convert("unknown_currency.ml", 100, "USD")[0] == 502
    assert "KeyError('XYZ')" in caplog.text


def test_an_operation_error_has_a_kind_and_a_position(tmp_path, monkeypatch):
    (tmp_path / "divide.ml").write_text("result = amount / (rate(currency) - 1.08);\n")
    monkeypatch.setattr(app, "SCRIPTS", tmp_path)
    assert app.convert("divide.ml", 1, "USD") == (500, {"error": "division_by_zero",
                                                       "at": "divide.ml:1"})


def test_errors_serialise_for_logs():
    record = failure("syntax.ml").to_dict()
    assert (record["type"], record["code"], record["ml_line"]) == ("MLSyntaxError", "MLS001", 3)
    assert failure("syntax.ml").report().splitlines()[0] == \
        "syntax.ml:3:19: error: unexpected `;`, expected an expression [MLS001]"


def test_the_hosts_own_mistakes_are_not_turned_into_answers():
    with pytest.raises(mlpy.MLMarshalError):  # a dict with a non-string key cannot cross
        app.convert("convert.ml", {1: "one"}, "USD")
    session = app.engine.load("function twice(x) { return x * 2; }")
    with pytest.raises(mlpy.MLCallError):
        session.call("twice", 1, 2)


def test_main_answers_every_script(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "convert.ml: 200 {'value': 108.0}"
    assert [line.split(" ")[1] for line in lines if not line.startswith("log:")] == \
        ["200", "400", "400", "400", "422", "502", "503"]
