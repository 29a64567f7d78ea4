"""Tests of compile_once_run_many: one Program serves every request and every thread, each
execution in a namespace of its own, and a broken script fails at compile time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(
        "examples_foundation_compile_once_run_many_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_the_program_prices_parcels_by_zone_and_started_kilogram():
    assert app.quote({"zone": "domestic", "grams": 1000}) == 5.3
    assert app.quote({"zone": "domestic", "grams": 1001}) == 6.1
    assert app.quote({"zone": "europe", "grams": 250}) == 10.6


def test_many_threads_run_the_one_program_without_sharing_state():
    parcels = [{"zone": ("domestic", "europe")[n % 2], "grams": 100 * n} for n in range(1, 201)]
    assert app.quote_all(parcels, workers=8) == [app.quote(p) for p in parcels]


def test_each_execution_starts_from_a_fresh_namespace():
    first = app.engine.execute(app.program, {"parcel": {"zone": "europe", "grams": 10}})
    second = app.engine.execute(app.program, {"parcel": {"zone": "domestic", "grams": 10}})
    assert first.globals["result"] == 10.6 and second.globals["result"] == 5.3


def test_a_program_compiled_elsewhere_runs_on_this_engine():
    program = mlpy.compile(app.RULES, filename="shipping.ml", inputs=["parcel"])
    assert isinstance(program, mlpy.Program) and program is not app.program
    assert app.engine.execute(program, {"parcel": {"zone": "europe", "grams": 1}}).value == 10.6


def test_compiling_the_same_source_again_is_a_cache_hit():
    assert app.engine.compile(app.RULES, filename="shipping.ml", inputs=["parcel"]) is app.program
    text = app.RULES.read_text(encoding="utf-8")
    app.engine.execute(text, {"parcel": {"zone": "europe", "grams": 1}}, filename="text.ml")
    again = app.engine.execute(text, {"parcel": {"zone": "europe", "grams": 1}},
                               filename="text.ml")
    assert again.timings["cache_hit"] is True


def test_the_program_is_python_code_generated_from_the_ml():
    assert "def cost(parcel" in app.program.python_code
    shown = mlpy.transpile(app.RULES.read_text(encoding="utf-8"), filename="shipping.ml",
                           inputs=["parcel"])
    assert isinstance(shown, mlpy.TranspileResult) and shown.ok
    assert "def cost(parcel" in shown.python_code


def test_a_missing_input_is_refused_when_compiling_not_when_running():
    with pytest.raises(mlpy.MLCompileError) as caught:
        app.engine.compile(app.RULES, filename="shipping.ml")  # `parcel` not declared
    assert [d.code for d in caught.value.diagnostics] == ["MLC001"]


def test_an_unknown_zone_fails_that_request_only():
    with pytest.raises(mlpy.MLRuntimeError):
        app.quote({"zone": "mars", "grams": 1})
    assert app.quote({"zone": "domestic", "grams": 1}) == 5.3


def test_main_prints_the_quotes(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines()[1:] == [
        "domestic   800 g: 5.30", "domestic  2300 g: 6.90", "  europe  1000 g: 10.60",
        "  europe  5001 g: 18.60", "compiled again from the cache: True"]
