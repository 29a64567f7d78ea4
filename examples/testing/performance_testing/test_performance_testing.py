"""Tests of the cart benchmark: it measures what it says, counts failures instead of hiding
them, and flags regressions against a baseline. No test asserts a speed a slow or busy
machine could miss: the only time budget is one second for a rule that takes well under a
millisecond, which only a broken rule could exceed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import mlpy
from mlpy.testing import PerformanceTester, assert_ml_result, quick_benchmark

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_testing_performance_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
VARIABLES = {"cart": example.CART}


# [benchmark]
def test_the_benchmarked_rule_computes_the_right_total():
    numbers = quick_benchmark(example.RULE, 20, variables=VARIABLES)
    assert numbers["successes"] == 20 and numbers["failures"] == 0
    assert_ml_result(example.RULE, 8434.1, variables=VARIABLES)  # what is being timed


def test_every_mode_times_every_iteration():
    results = example.measure(iterations=20)
    for mode in ("inprocess", "async", "callback"):
        numbers = results[mode]
        assert (numbers["iterations"], numbers["successes"], numbers["failures"]) == (20, 20, 0)
        assert numbers["min"] <= numbers["p50"] <= numbers["p95"] <= numbers["max"]
        assert numbers["p95"] < 1.0, f"{mode}: a sub-millisecond rule took a second"
    concurrent = results["concurrent"]
    assert (concurrent["total"], concurrent["errors"], concurrent["concurrency"]) == (20, 0, 4)


def test_failing_iterations_are_counted_not_hidden():
    calls = []

    @mlpy.host_function
    def flaky():
        calls.append(1)
        if len(calls) % 2:
            raise ConnectionError("every other call fails")
        return 1

    with PerformanceTester(iterations=10, warmup=0) as tester:
        numbers = tester.benchmark("result = flaky();", variables={"flaky": flaky})
        assert (numbers["successes"], numbers["failures"]) == (5, 5)
        assert "MLHostError" in numbers["first_error"]
        with pytest.raises(mlpy.errors.BenchmarkError) as failed:
            tester.benchmark("result = 1 / 0;", iterations=3)
    assert "all 3 iterations failed" in failed.value.message
# [/benchmark]


# [baseline]
def test_a_regression_is_a_median_slower_than_the_threshold():
    baseline = {"inprocess": {"median": 0.0010, "mean": 0.0011}}
    slower = {"inprocess": {"median": 0.0012, "mean": 0.0013}}
    close = {"inprocess": {"median": 0.00105, "mean": 0.0011}}
    assert example.regressions(baseline, slower) == ["inprocess: median +20.0 %"]
    assert example.regressions(baseline, close) == []


def with_median(results: dict, median: float) -> dict:
    """``results`` with every timed mode's median replaced."""
    return {mode: {**numbers, "median": median} if "median" in numbers else numbers
            for mode, numbers in results.items()}


def test_the_command_line_compares_with_a_recorded_baseline(tmp_path, capsys):
    saved = tmp_path / "baseline.json"
    assert example.main(["--iterations", "20", "--save", str(saved)]) == 0
    recorded = json.loads(saved.read_text())
    assert set(recorded) == {"inprocess", "async", "callback", "concurrent"}
    # Against a baseline far slower than any machine, nothing regressed; against one far
    # faster, every timed mode did. Neither depends on this machine's speed.
    saved.write_text(json.dumps(with_median(recorded, 10.0)))
    assert example.main(["--iterations", "20", "--against", str(saved)]) == 0
    saved.write_text(json.dumps(with_median(recorded, 1e-12)))
    assert example.main(["--iterations", "20", "--against", str(saved)]) == 1
    assert "inprocess: median +" in capsys.readouterr().out


def test_results_are_kept_with_the_machine_they_were_measured_on(tmp_path):
    with PerformanceTester(iterations=5, warmup=0) as tester:
        tester.benchmark(example.RULE, name="cart", variables=VARIABLES)
        tester.to_json(tmp_path / "results.json")
    written = json.loads((tmp_path / "results.json").read_text())
    assert {"python", "platform", "cpu_count", "mlpy"} <= set(written["environment"])
    assert [entry["name"] for entry in written["results"]] == ["cart"]
# [/baseline]
