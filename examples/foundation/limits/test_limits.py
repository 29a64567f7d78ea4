"""Tests of limits: every runaway script is stopped by its own limit with the MLLimitError
that names it, ML code cannot catch the limit, and the host keeps running afterwards."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_limits_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()

EXPECTED = {  # script: (error class, resource, limit)
    "spin.ml": (mlpy.MLTimeoutError, None, 0.2),
    "count.ml": (mlpy.MLResourceError, "steps", 10_000),
    "recurse.ml": (mlpy.MLResourceError, "recursion", 50),
    "chatter.ml": (mlpy.MLResourceError, "output", 100),
    "hoard.ml": (mlpy.MLResourceError, "memory", 5_000_000),
    "huge.ml": (mlpy.MLResourceError, "memory", None),
    "stubborn.ml": (mlpy.MLResourceError, "steps", 1_000),
}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_each_runaway_is_stopped_by_its_limit_and_the_host_goes_on(script):
    started = time.monotonic()
    result = app.run(script)
    # Well before the engine's 10 s backstop: the script's own limit stopped it.
    assert time.monotonic() - started < 9
    error_class, resource, limit = EXPECTED[script]
    error = result.error
    assert type(error) is error_class and isinstance(error, mlpy.MLLimitError)
    assert getattr(error, "resource", None) == resource
    if limit is not None:
        assert error.limit == limit
    assert error.ml_file == script and error.ml_line >= 2
    assert app.engine.execute("result = 1 + 1;").value == 2


def test_the_output_that_fits_is_kept():
    result = app.run("chatter.ml")
    assert len(result.stdout) == 100
    assert result.stdout.startswith("still here\nstill here\n")


def test_ml_code_cannot_catch_a_limit_or_resume_after_it():
    result = app.run("stubborn.ml")
    assert not result.ok and result.value is None
    assert result.stdout == ""  # the print after the swallowed limit had no effect


def test_a_time_limit_reports_how_long_the_script_ran():
    error = app.run("spin.ml").error
    assert error.elapsed >= 0.2 and error.code == "MLL001"


def test_another_thread_can_cancel_a_running_script():
    result = app.run_cancelled()
    assert isinstance(result.error, mlpy.MLCancelledError)
    assert result.error.execution_id == "spin-42"
    assert app.engine.cancel("spin-42") is False  # it is no longer running


def test_the_steps_a_script_took_are_reported():
    result = app.engine.execute("for (i in range(100)) { }", max_steps=1_000)
    assert result.ok and result.usage["steps"] == 100


def test_main_prints_the_error_of_each_runaway(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "spin.ml      MLTimeoutError [MLL001]"
    assert lines[4] == "hoard.ml     MLResourceError [MLL003] memory"
    assert lines[-2:] == ["cancelled    MLCancelledError [MLL002]", "host still running: 42"]
