"""Tests of hello_embed: data goes in as variables, the value and the output come back in
the result, and a script's failure is the result's error, not an exception."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_hello_embed_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_the_one_line_api_returns_the_scripts_result():
    assert app.shout("hello") == "HELLO!"
    # It runs on the process-wide engine, which has no time limit and grants nothing.
    default = mlpy.default_engine()
    assert default.timeout is None and default.capabilities.names() == set()


def test_the_result_carries_the_value_and_the_captured_output():
    result = app.greet(["Ada", "Grace", "Linus"])
    assert result.ok and result.error is None
    assert result.value == 3
    assert result.stdout == "Hello, Ada!\nHello, Grace!\nHello, Linus!\n"


def test_a_throw_is_the_results_error_with_its_position_and_payload():
    result = app.greet([])
    assert not result.ok and result.value is None
    error = result.error
    assert isinstance(error, mlpy.MLRuntimeError) and error.kind == "thrown"
    assert error.payload == {"message": "nobody to greet", "code": "EMPTY"}
    assert (error.ml_file, error.ml_line, error.ml_column) == ("greeting.ml", 3, 5)
    with pytest.raises(mlpy.MLRuntimeError):
        result.unwrap()


def test_the_engines_time_limit_applies_to_its_scripts():
    assert app.engine.timeout == 1.0
    stuck = app.engine.execute("while (true) { }")
    assert isinstance(stuck.error, mlpy.MLTimeoutError)


def test_main_prints_the_greetings_and_the_error(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == ["HELLO!", "Hello, Ada!", "Hello, Grace!", "ok=True value=2",
                         "ok=False value=None"]
    assert lines[5] == "greeting.ml:3:5: error: nobody to greet [MLR001]"
