"""Performance tests of ML code: :class:`PerformanceTester`, :func:`quick_benchmark`,
:func:`compare_performance`.

The tester compiles once and reuses one engine (and, for the async and callback modes, one
AsyncEngine or session), so what is timed is the execution, never setting things up. Each
run first does ``warmup`` untimed iterations, then ``iterations`` timed ones; a failing
iteration is counted (``failures``, ``first_error``), not hidden, and when every timed
iteration fails there is nothing to report and :class:`~mlpy.errors.BenchmarkError` is
raised. All times are in seconds.

Numbers from a shared machine are noisy: compare medians of runs on the same machine
(:func:`compare_performance`), and keep thresholds in benchmark scripts, not in tests
that must pass on a slow CI worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import sys
import threading
import time
from os import PathLike
from typing import Any, Callable, Mapping, Sequence

from mlpy._version import __version__
from mlpy.engine import Engine
from mlpy.errors import BenchmarkError, MLConfigurationError, MLError
from mlpy.program import Program
from mlpy.testing.assertions import describe_error

__all__ = ["PerformanceTester", "compare_performance", "quick_benchmark", "summarize"]

MODES = ("inprocess", "async", "sandbox", "callback")


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile of sorted samples, interpolating between neighbours."""
    if len(ordered) == 1:
        return ordered[0]
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """mean, median, std_dev, min, max and the p50/p90/p95/p99 of ``samples`` (seconds)."""
    ordered = sorted(samples)
    return {
        "mean": statistics.fmean(ordered), "median": statistics.median(ordered),
        "std_dev": statistics.stdev(ordered) if len(ordered) > 1 else 0.0,
        "min": ordered[0], "max": ordered[-1],
        "p50": _percentile(ordered, 0.50), "p90": _percentile(ordered, 0.90),
        "p95": _percentile(ordered, 0.95), "p99": _percentile(ordered, 0.99),
    }


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MLConfigurationError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return value


class PerformanceTester:
    """Benchmarks ML code on one reused engine; see the module docstring.

    ``engine`` runs everything (one is made, and closed by :meth:`close`, when none is
    given). ``iterations``, ``warmup`` and ``mode`` are the defaults of :meth:`benchmark`:
    ``"inprocess"`` (``Engine.execute``), ``"async"`` (an ``AsyncEngine`` on the engine),
    ``"sandbox"`` (``isolation="subprocess"``) or ``"callback"`` (a function of the
    program called as an :func:`mlpy.ml_callback`). Every result is also kept in
    ``metrics``, which :meth:`to_json` writes with the environment.
    """

    def __init__(self, engine: Engine | None = None, *, iterations: int = 100,
                 warmup: int = 10, mode: str = "inprocess"):
        self._owns_engine = engine is None
        self.engine = engine or Engine()
        self.iterations = _count("iterations", iterations, 1)
        self.warmup = _count("warmup", warmup, 0)
        self.mode = _mode(mode)
        self.metrics: list[dict[str, Any]] = []
        self._async: Any = None

    # ------------------------------------------------------------------ benchmarks

    def benchmark(self, source: str | Program | PathLike[str], *, name: str | None = None,
                  iterations: int | None = None, warmup: int | None = None,
                  mode: str | None = None, variables: Mapping[str, Any] | None = None,
                  capabilities: Any = None, function: str | None = None,
                  args: Sequence[Any] = ()) -> dict[str, Any]:
        """Time ``source``: ``{mean, median, std_dev, min, max, p50, p90, p95, p99,
        iterations, successes, failures, first_error}`` (seconds; ``first_error`` is the
        first failure's report, or None). In ``"callback"`` mode the program runs once in
        a session and its function ``function`` is what is timed, called with ``args``.
        ``capabilities`` None: the engine's default grants."""
        mode = _mode(mode or self.mode)
        iterations = _count("iterations", self.iterations if iterations is None else iterations, 1)
        warmup = _count("warmup", self.warmup if warmup is None else warmup, 0)
        run = self._runner(source, mode, variables, capabilities, function, args)
        for _ in range(warmup):
            run()
        samples: list[float] = []
        failures = 0
        first_error: BaseException | None = None
        clock = time.perf_counter
        for _ in range(iterations):
            start = clock()
            error = run()
            elapsed = clock() - start
            if error is None:
                samples.append(elapsed)
            else:
                failures += 1
                first_error = first_error or error
        if not samples:
            raise BenchmarkError(
                f"all {iterations} iterations failed; the first with "
                f"{describe_error(first_error)}",
                first_error=first_error,
                hints=["run the program once with Engine.execute to see why it fails"])
        result = {**summarize(samples), "iterations": iterations, "successes": len(samples),
                  "failures": failures,
                  "first_error": None if first_error is None else describe_error(first_error)}
        self._keep(name or f"{mode} benchmark", mode, result)
        return result

    def benchmark_concurrent(self, source: str | Program, *, concurrency: int = 10,
                             total: int | None = None, name: str | None = None,
                             variables: Mapping[str, Any] | None = None,
                             capabilities: Any = None) -> dict[str, Any]:
        """Run ``total`` executions (default ``concurrency * 10``) on one
        ``AsyncEngine(max_workers=concurrency)`` sharing this engine, all submitted at
        once: ``{total_time, throughput, avg_latency, p50, p95, p99, concurrency,
        errors}`` (latency: from submission to completion of each)."""
        from mlpy.aio import AsyncEngine  # noqa: PLC0415 - the async layer loads lazily

        concurrency = _count("concurrency", concurrency, 1)
        total = _count("total", concurrency * 10 if total is None else total, 1)
        program = self._program(source, variables)
        grants = self.engine.resolve_capabilities(capabilities)
        latencies: list[float] = []
        errors = 0
        done = threading.Event()
        lock = threading.Lock()
        pending = [total]
        with AsyncEngine(self.engine, max_workers=concurrency, max_pending=None,
                         default_timeout=None) as engine:
            engine.submit(program, variables=variables, capabilities=grants).result()  # warm
            start = time.perf_counter()

            def finished(submitted: float, future: Any) -> None:
                nonlocal errors
                ended = time.perf_counter()
                failed = future.cancelled() or future.exception() is not None \
                    or not future.result().success
                with lock:
                    latencies.append(ended - submitted)
                    errors += failed
                    pending[0] -= 1
                    if not pending[0]:
                        done.set()

            for _ in range(total):
                submitted = time.perf_counter()
                future = engine.submit(program, variables=variables, capabilities=grants)
                future.add_done_callback(lambda f, s=submitted: finished(s, f))
            done.wait()
            total_time = time.perf_counter() - start
        ordered = sorted(latencies)
        result = {"total_time": total_time, "throughput": total / total_time,
                  "avg_latency": statistics.fmean(ordered),
                  "p50": _percentile(ordered, 0.5), "p95": _percentile(ordered, 0.95),
                  "p99": _percentile(ordered, 0.99), "concurrency": concurrency,
                  "total": total, "errors": errors}
        self._keep(name or "concurrent benchmark", "async", result)
        return result

    def benchmark_callback_overhead(self, session: Any, function_name: str,
                                    args: Sequence[Any] = (), iterations: int = 1000, *,
                                    warmup: int | None = None) -> dict[str, Any]:
        """The cost of calling ``function_name`` of ``session`` as a callback, against a
        direct call of a Python function with the same arguments: ``{mean, median, p95,
        overhead_ms, direct_call_us, overhead_ratio}`` (``overhead_ms``: median callback
        time minus the direct call's, in milliseconds)."""
        from mlpy.callbacks import ml_callback  # noqa: PLC0415 - callbacks load lazily

        iterations = _count("iterations", iterations, 1)
        warmup = _count("warmup", self.warmup if warmup is None else warmup, 0)
        callback = ml_callback(session, function_name)
        args = tuple(args)
        through = _timed(lambda: callback(*args), iterations, warmup)
        direct = _timed(lambda: _direct(*args), iterations, warmup)
        median, direct_median = statistics.median(through), statistics.median(direct)
        result = {"mean": statistics.fmean(through), "median": median,
                  "p95": _percentile(sorted(through), 0.95),
                  "overhead_ms": (median - direct_median) * 1e3,
                  "direct_call_us": direct_median * 1e6,
                  "overhead_ratio": median / direct_median if direct_median else float("inf")}
        self._keep(f"callback {function_name}", "callback", result)
        return result

    # ------------------------------------------------------------------ the 2.0 names

    async def benchmark_async_execution(self, ml_code: str | Program,
                                        iterations: int = 100) -> dict[str, Any]:
        """:meth:`benchmark` in ``"async"`` mode, awaited from a running event loop."""
        return await asyncio.to_thread(self.benchmark, ml_code, iterations=iterations,
                                       mode="async")

    async def benchmark_concurrent_executions(self, ml_code: str | Program,
                                              concurrency: int = 10) -> dict[str, Any]:
        return await asyncio.to_thread(self.benchmark_concurrent, ml_code,
                                       concurrency=concurrency)

    async def benchmark_with_warmup(self, ml_code: str | Program, warmup_iterations: int = 10,
                                    test_iterations: int = 100) -> dict[str, Any]:
        return await asyncio.to_thread(self.benchmark, ml_code, warmup=warmup_iterations,
                                       iterations=test_iterations, mode="async")

    def get_metrics_summary(self) -> dict[str, Any]:
        """How many results were kept, and each by name."""
        return {"count": len(self.metrics),
                "results": {m["name"]: m["result"] for m in self.metrics}}

    def reset_metrics(self) -> None:
        self.metrics.clear()

    # ------------------------------------------------------------------ output and closing

    def to_json(self, path: str | PathLike[str]) -> None:
        """Write every kept result, with the environment it was measured in."""
        data = {"environment": environment(), "results": self.metrics}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, default=str)
            handle.write("\n")

    def close(self) -> None:
        """Stop the AsyncEngine made for the async mode; close the engine made here."""
        if self._async is not None:
            self._async.shutdown(cancel_pending=True)
            self._async = None
        if self._owns_engine:
            self.engine.close()

    def __enter__(self) -> "PerformanceTester":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _keep(self, name: str, mode: str, result: dict[str, Any]) -> None:
        self.metrics.append({"name": name, "mode": mode, "time": time.time(),
                             "result": result})

    def _program(self, source: Any, variables: Mapping[str, Any] | None) -> Program:
        if isinstance(source, Program):
            return source
        return self.engine.compile(source, inputs=(variables or {}).keys())

    def _runner(self, source: Any, mode: str, variables: Mapping[str, Any] | None,
                capabilities: Any, function: str | None, args: Sequence[Any]
                ) -> Callable[[], BaseException | None]:
        """A function running one iteration: None on success, else the error."""
        program = self._program(source, variables)
        grants = self.engine.resolve_capabilities(capabilities)
        engine = self.engine
        if mode == "inprocess":
            return lambda: engine.execute(program, variables, capabilities=grants).error
        if mode == "sandbox":
            return lambda: engine.execute(program, variables, capabilities=grants,
                                          isolation="subprocess").error
        if mode == "async":
            async_engine = self._async_engine()
            return lambda: async_engine.submit(program, variables=variables,
                                               capabilities=grants).result().error_info
        if function is None:
            raise MLConfigurationError("the callback mode times a function of the program: "
                                       "give function='name'")
        from mlpy.callbacks import ml_callback  # noqa: PLC0415 - callbacks load lazily

        session = engine.session(variables, capabilities=grants)
        session.exec(program).raise_for_error()
        callback = ml_callback(session, function)
        args = tuple(args)

        def call() -> BaseException | None:
            try:
                callback(*args)
            except MLError as error:
                return error
            return None

        return call

    def _async_engine(self) -> Any:
        if self._async is None:
            from mlpy.aio import AsyncEngine  # noqa: PLC0415 - the async layer loads lazily

            self._async = AsyncEngine(self.engine, max_workers=1, max_pending=None,
                                      default_timeout=None)
        return self._async


def _mode(mode: str) -> str:
    if mode not in MODES:
        raise MLConfigurationError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def _direct(*args: Any) -> Any:
    """The baseline of the callback benchmark: a plain Python call with the same arguments."""
    return args[0] if args else None


def _timed(call: Callable[[], Any], iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    clock = time.perf_counter
    samples = []
    for _ in range(iterations):
        start = clock()
        call()
        samples.append(clock() - start)
    return samples


def environment() -> dict[str, Any]:
    """Where a benchmark ran: Python version, platform, CPU count, mlpy version."""
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "mlpy": __version__}


def quick_benchmark(source: str | Program | PathLike[str], iterations: int = 100, *,
                    warmup: int = 10, mode: str = "inprocess",
                    variables: Mapping[str, Any] | None = None, capabilities: Any = None,
                    function: str | None = None, args: Sequence[Any] = ()) -> dict[str, Any]:
    """:meth:`PerformanceTester.benchmark` on a fresh engine, closed afterwards."""
    with PerformanceTester(iterations=iterations, warmup=warmup, mode=mode) as tester:
        return tester.benchmark(source, variables=variables, capabilities=capabilities,
                                function=function, args=args)


def compare_performance(baseline: Mapping[str, Any], current: Mapping[str, Any],
                        threshold_pct: float = 5.0, metric: str = "median") -> dict[str, Any]:
    """Compare two benchmark results on ``metric`` (a time: larger is slower).

    ``regression`` is true when ``current`` is more than ``threshold_pct`` percent slower
    than ``baseline``. Also gives ``mean_diff``, ``mean_pct_change`` and ``median_diff``
    when both results have them (the 2.0 reference's keys).
    """
    for label, result in (("baseline", baseline), ("current", current)):
        if metric not in result:
            raise MLConfigurationError(
                f"the {label} result has no {metric!r}; it has {', '.join(sorted(result))}")
    before, after = float(baseline[metric]), float(current[metric])
    if before <= 0:
        raise MLConfigurationError(f"the baseline {metric} must be positive, not {before!r}")
    change = (after - before) / before * 100.0
    comparison = {"metric": metric, "baseline": before, "current": after,
                  "diff": after - before, "pct_change": change,
                  "threshold_pct": threshold_pct, "regression": change > threshold_pct,
                  "improvement": change < -threshold_pct}
    for key in ("mean", "median"):
        if key in baseline and key in current:
            comparison[f"{key}_diff"] = current[key] - baseline[key]
            if baseline[key]:
                comparison[f"{key}_pct_change"] = (
                    (current[key] - baseline[key]) / baseline[key] * 100.0)
    return comparison
