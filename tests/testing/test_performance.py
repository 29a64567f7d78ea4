"""PerformanceTester, quick_benchmark and compare_performance: one reused engine, failures
counted instead of hidden, percentiles, and comparisons that flag a real slowdown. No test
here asserts a duration: only the shape and the bookkeeping of the numbers."""

from __future__ import annotations

import json

import pytest

import mlpy
from mlpy.errors import BenchmarkError
from mlpy.testing import PerformanceTester, compare_performance, quick_benchmark

pytest_plugins = ["pytester"]

KEYS = {"mean", "median", "std_dev", "min", "max", "p50", "p90", "p95", "p99", "iterations",
        "successes", "failures", "first_error"}
SLOW = "i = 0; while (i < 20000) { i = i + 1; } result = i;"


def _ordered(result: dict) -> bool:
    points = [result[k] for k in ("min", "p50", "p90", "p95", "p99", "max")]
    return all(a <= b for a, b in zip(points, points[1:])) and points[0] > 0


def test_quick_benchmark_reports_every_statistic():
    result = quick_benchmark("result = 1 + 1;", 30, warmup=2)
    assert set(result) == KEYS
    assert (result["iterations"], result["successes"], result["failures"]) == (30, 30, 0)
    assert result["first_error"] is None and _ordered(result)
    assert result["median"] == result["p50"]


@pytest.mark.parametrize("mode", ["inprocess", "async", "sandbox", "callback"])
def test_every_mode_runs_the_program(mode):
    source = "function ident(x) { return x; }\nresult = ident(1);"
    result = quick_benchmark(source, 5, warmup=1, mode=mode, function="ident", args=(7,))
    assert result["successes"] == 5 and _ordered(result)


def test_failures_are_counted_and_the_first_error_kept():
    calls = []

    @mlpy.host_function
    def flaky():
        calls.append(1)
        if len(calls) % 2 == 0:
            raise ValueError("every second call fails")
        return 1

    result = quick_benchmark("result = flaky();", 10, warmup=0, variables={"flaky": flaky})
    assert (result["successes"], result["failures"]) == (5, 5)
    assert result["first_error"].startswith("MLHostError [MLH001] at <string>:1:10:")


def test_all_failing_raises_benchmark_error_with_the_first_error():
    with pytest.raises(BenchmarkError, match="all 4 iterations failed") as raised:
        quick_benchmark("x = 1;\nresult = x / 0;", 4, warmup=0)
    assert raised.value.first_error.kind == "division_by_zero"
    assert raised.value.first_error.ml_line == 2
    assert isinstance(raised.value, mlpy.MLError)


def test_one_engine_and_one_compiled_program_are_reused():
    engine = mlpy.Engine()
    seen = []
    execute = engine.execute

    def spy(program, *args, **kwargs):
        seen.append(program)
        return execute(program, *args, **kwargs)

    engine.execute = spy
    with PerformanceTester(engine, iterations=5, warmup=2) as tester:
        tester.benchmark("result = 2;")
        assert tester.engine is engine
    assert len(seen) == 7 and all(p is seen[0] for p in seen)
    assert isinstance(seen[0], mlpy.Program)
    assert engine.execute("result = 3;").value == 3  # the tester left the engine open


def test_concurrent_benchmark_shares_one_async_engine():
    with PerformanceTester() as tester:
        result = tester.benchmark_concurrent("result = 1;", concurrency=3, total=12)
        failing = tester.benchmark_concurrent("result = 1 / 0;", concurrency=2, total=4)
    assert set(result) == {"total_time", "throughput", "avg_latency", "p50", "p95", "p99",
                           "concurrency", "total", "errors"}
    assert (result["concurrency"], result["total"], result["errors"]) == (3, 12, 0)
    assert result["throughput"] > 0 and result["p50"] <= result["p99"]
    assert failing["errors"] == 4


def test_callback_overhead_against_a_direct_call():
    session = mlpy.Engine().load("function ident(x) { return x; }")
    with PerformanceTester() as tester:
        result = tester.benchmark_callback_overhead(session, "ident", (1,), iterations=200)
    assert set(result) == {"mean", "median", "p95", "overhead_ms", "direct_call_us",
                           "overhead_ratio"}
    assert result["direct_call_us"] > 0 and result["overhead_ratio"] > 1


def test_compare_performance_flags_slowdowns_beyond_the_threshold():
    base = {"mean": 1.0, "median": 1.0, "p95": 2.0}
    assert not compare_performance(base, {"mean": 1.04, "median": 1.04, "p95": 2.0})["regression"]
    slower = compare_performance(base, {"mean": 1.2, "median": 1.1, "p95": 2.0})
    assert slower["regression"] and slower["pct_change"] == pytest.approx(10.0)
    assert slower["mean_pct_change"] == pytest.approx(20.0)
    assert not compare_performance(base, {"median": 1.1}, threshold_pct=15)["regression"]
    assert compare_performance(base, {"p95": 1.0}, metric="p95")["improvement"]
    with pytest.raises(mlpy.MLConfigurationError, match="has no 'p99'"):
        compare_performance(base, base, metric="p99")


def test_to_json_writes_results_with_the_environment(tmp_path):
    with PerformanceTester(iterations=3, warmup=0) as tester:
        tester.benchmark("result = 1;", name="trivial")
        tester.to_json(tmp_path / "bench.json")
        assert tester.get_metrics_summary()["count"] == 1
        tester.reset_metrics()
        assert tester.metrics == []
    data = json.loads((tmp_path / "bench.json").read_text())
    assert set(data["environment"]) >= {"python", "platform", "cpu_count", "mlpy"}
    assert data["environment"]["mlpy"] == mlpy.__version__
    assert data["results"][0]["name"] == "trivial"
    assert set(data["results"][0]["result"]) == KEYS


def test_bad_options_are_clear_errors():
    with pytest.raises(mlpy.MLConfigurationError, match="mode must be one of"):
        PerformanceTester(mode="threads")
    with pytest.raises(mlpy.MLConfigurationError, match="iterations must be an integer"):
        quick_benchmark("result = 1;", 0)
    with pytest.raises(mlpy.MLConfigurationError, match="give function='name'"):
        quick_benchmark("result = 1;", 1, mode="callback")


def test_a_users_regression_test(user_suite):
    suite = user_suite(f'''
from mlpy.testing import PerformanceTester, compare_performance

def test_right_same_program_twice_is_no_regression_of_its_shape():
    with PerformanceTester(iterations=20, warmup=2) as tester:
        first = tester.benchmark("result = 1;")
        second = tester.benchmark("result = 1;")
    comparison = compare_performance(first, second, threshold_pct=5.0)
    assert set(comparison) >= {{"regression", "pct_change", "baseline", "current"}}

def test_wrong_a_much_slower_program_is_a_regression():
    with PerformanceTester(iterations=20, warmup=2) as tester:
        fast = tester.benchmark("result = 1;")
        slow = tester.benchmark({SLOW!r})
    comparison = compare_performance(fast, slow)
    assert not comparison["regression"], f"{{comparison['pct_change']:.0f}} % slower"
''').check()
    suite.run.assert_outcomes(passed=1, failed=1)
    assert "% slower" in suite.text("test_wrong_a_much_slower_program_is_a_regression")
