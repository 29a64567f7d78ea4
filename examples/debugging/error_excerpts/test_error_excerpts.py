"""Tests of the error-excerpts example: every form of an error that crossed the boundary."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_debugging_error_excerpts_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_the_error_is_the_callbacks_at_its_ml_position():
    error = app.failing_error()
    assert isinstance(error, mlpy.MLRuntimeError)
    assert (error.kind, error.ml_file, error.ml_line, error.ml_column) == (
        "division_by_zero", "bill.ml", 4, 12)


def test_the_frames_keep_both_sides_of_the_host_function():
    assert app.frames(app.failing_error()) == [
        ("<program>", 9), ("split", 7), ("<host apply_all>", 0), ("share", 4)]


def test_the_traceback_shows_each_frame_with_a_caret():
    traceback = app.describe(app.failing_error())["traceback"].splitlines()
    assert traceback[0] == "MLRuntimeError: division by zero"
    assert "  at <host apply_all>" in traceback
    assert traceback[-3:] == ["  at share (bill.ml:4:12)",
                              "    return bill.total / bill.people;",
                              "           ^^^^^^^^^^^^^^^^^^^^^^^^"]


def test_the_report_and_the_full_report():
    forms = app.describe(app.failing_error())
    assert forms["report"].splitlines()[0] == "bill.ml:4:12: error: division by zero [MLR001]"
    assert "calls: <program> (line 9) -> split (line 7) -> <host apply_all> -> share (line 4)" \
        in forms["report"]
    assert forms["full"].startswith(forms["report"].splitlines()[0])
    assert "  at share (bill.ml:4:12)" in forms["full"]


def test_the_json_form_rebuilds_the_error():
    data = json.loads(app.describe(app.failing_error())["json"])
    assert (data["type"], data["code"], data["ml_line"]) == ("MLRuntimeError", "MLR001", 4)
    again = app.error_from_dict(data)
    assert type(again) is mlpy.MLRuntimeError and again.kind == "division_by_zero"


def test_the_source_map_takes_generated_python_back_to_ml():
    source = (HERE / "bill.ml").read_text(encoding="utf-8")
    generated, position = app.ml_position_of_python_line(source, 4)
    assert generated.startswith("return ")
    assert (position.file, position.line, position.function) == ("bill.ml", 4, "share")


def test_print_debugging_and_console_debug_with_its_grant():
    traced = app.trace(["console.write"])
    assert traced.value == 180.0
    assert traced.stdout == "discount: total 200 tier gold\nDEBUG: rate 0.1\n"


def test_console_debug_without_its_grant_fails_after_the_print():
    traced = app.trace([])
    assert isinstance(traced.error, mlpy.CapabilityError)
    assert traced.error.required == "console.write"
    assert traced.stdout == "discount: total 200 tier gold\n"


def test_main_prints_the_tour(capsys):
    app.main()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "MLRuntimeError: division by zero"
    assert "MLRuntimeError division_by_zero 4" in out
