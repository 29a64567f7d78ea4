"""Each common issue: its reproducer shows the symptom, and its fix makes the symptom go away."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_debugging_common_issues_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_a_missing_grant():
    symptom = app.missing_grant_symptom()
    assert isinstance(symptom.error, mlpy.CapabilityError)
    assert symptom.error.required == "console.write"
    assert (symptom.error.ml_file, symptom.error.ml_line) == ("missing_grant.ml", 3)
    assert app.missing_grant_fix().stdout == "nightly report: 2 orders\n"


def test_a_timeout_too_tight():
    symptom = app.timeout_symptom()
    assert isinstance(symptom.error, mlpy.MLTimeoutError)
    assert symptom.error.limit == 0.001
    fixed = app.timeout_fix()
    assert fixed.ok and fixed.value == sum(i % 7 for i in range(300_000))
    assert fixed.usage["steps"] < 1_000_000


def test_mutating_a_frozen_input():
    symptom = app.frozen_symptom()
    assert isinstance(symptom.error, mlpy.MLRuntimeError)
    assert symptom.error.message == "this array is read-only: the host passed it frozen"
    assert symptom.error.ml_line == 4
    assert app.frozen_fix().value == 2
    assert app.ORDER == {"items": [{"sku": "PEN", "price": 2}]}


def test_for_in_gives_elements_not_indexes():
    symptom = app.for_in_symptom()
    assert symptom.error.kind == "index_error" and symptom.error.ml_line == 5
    assert app.for_in_fix().value == 60


def test_slash_gives_a_float_that_cannot_index():
    symptom = app.division_symptom()
    assert symptom.error.kind == "type_error"
    assert "array indices must be integers" in symptom.error.message
    assert app.division_fix().value == [3, 6]  # -1 % 7 is 6, not JavaScript's -1


def test_an_ml_module_not_on_the_path():
    symptom = app.module_symptom()
    assert isinstance(symptom.error, mlpy.MLImportError)
    assert symptom.error.code == "E_MODULE_NOT_FOUND"
    assert any("ml_module_paths=" in hint for hint in symptom.error.hints)
    assert app.module_fix().value == 20.0


def test_a_thread_that_does_not_carry_the_grant():
    symptom = app.thread_symptom()
    assert isinstance(symptom.error, mlpy.CapabilityError)
    assert symptom.error.required == "reports.read"
    assert app.thread_fix().value == "daily report"


def test_a_python_function_not_marked_as_a_host_function():
    symptom = app.unmarked_symptom()
    assert isinstance(symptom.error, mlpy.SecurityError)
    assert isinstance(symptom.error, mlpy.MLExecutionError)  # found while running
    assert symptom.error.ml_line == 2
    assert app.unmarked_fix().value == 108.0


def test_a_bridge_that_needs_a_missing_package():
    symptom = app.bridge_symptom()
    assert isinstance(symptom.error, mlpy.ModuleLoadError)
    assert symptom.error.module == "rates" and symptom.error.code == "E_MODULE_LOAD"
    assert "fxvendor_sdk" in symptom.error.message
    assert app.bridge_fix().value == 1.08


def test_main_prints_every_issue(capsys):
    app.main()
    out = capsys.readouterr().out
    assert [line[:-1] for line in out.splitlines() if not line.startswith(" ")] == app.ISSUES
    assert out.count("  fix:     ok:") == len(app.ISSUES)
