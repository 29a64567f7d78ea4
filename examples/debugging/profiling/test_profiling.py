"""Tests of the profiling example: the profile names the hot ML function, the fix removes it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_debugging_profiling_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def by_function(rows):
    return {row["function"]: row for row in rows}


def test_the_profile_names_ml_functions_with_their_ml_lines():
    rows = by_function(app.profile("slow.ml"))
    assert {"rank", "position", "catalogue"} <= set(rows)
    assert (rows["position"]["line"], rows["position"]["calls"]) == (3, 1500)
    assert rows["rank"]["total_ms"] >= rows["position"]["total_ms"]  # rank calls position


def test_the_fixed_program_has_no_scan_and_the_same_output():
    assert "position" not in by_function(app.profile("fast.ml"))
    outputs = [app.engine.execute(app.program(name), capture_output=True).stdout
               for name in ("slow.ml", "fast.ml")]
    assert outputs == ["ranked 1500 products\n"] * 2


def test_limit_cost_runs_the_program_under_each_setting():
    costs = app.limit_cost("fast.ml", runs=1)
    assert list(costs) == ["no limits", "timeout + max_steps", "+ max_memory"]
    assert all(ms > 0 for ms in costs.values())


def test_mlpy_run_profile_prints_the_table_on_stderr():
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "--profile", "--no-sandbox",
                           "slow.ml"], cwd=HERE, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ranked 1500 products\n"
    position = [line for line in done.stderr.splitlines() if "position (slow.ml:3)" in line]
    assert len(position) == 1 and position[0].split()[0] == "1500"


def test_profiling_needs_the_program_in_this_process():
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "--profile", "slow.ml"],
                          cwd=HERE, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "add --no-sandbox" in done.stderr
