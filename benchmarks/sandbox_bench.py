#!/usr/bin/env python
"""What subprocess isolation costs: warm round trips and cold worker starts.

Usage::

    python benchmarks/sandbox_bench.py [--quick] [--repeats N] [--json out.json]

Measured in this run, on this machine:

1. **Round trip** of ``result = 1;`` through a warm :class:`~mlpy.sandbox.SandboxPool`
   (pool_size 1, so every run uses the same warm worker), against the same call through an
   in-process :class:`~mlpy.Engine`; both after a warm-up, so the program is compiled and
   cached on both sides. Reported: p50 and p95 of each, and what the pool adds at p50.
2. **Cold start** of one worker: from starting the process to its ``ready`` frame (Python
   start, mlpy import, parser tables loaded, OS limits applied), and the first execution on a
   freshly started pool.

Targets (integration spec 5.8): round trip p50 <= 15 ms and at most 5 ms over in-process,
cold start <= 400 ms. They are reported, never enforced: a busy machine makes the numbers
worse, not the exit status. The exit status is 1 only if an execution fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

from mlpy.sandbox import SandboxConfig, SandboxPool  # noqa: E402 - after the path fallback
from mlpy.sandbox.process import WorkerProcess  # noqa: E402

PROGRAM = "result = 1;"
TARGET_P50_MS = 15.0
TARGET_ADDED_MS = 5.0
TARGET_COLD_MS = 400.0


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def round_trips(run, count: int) -> list[float]:
    """Seconds of ``count`` calls of ``run()``, after as many warm-up calls."""
    for _ in range(max(count // 10, 5)):
        run()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
        if not result.ok:
            raise SystemExit(f"an execution failed: {result.error}")
    return samples


def cold_starts(count: int) -> list[float]:
    """Seconds from starting a worker process to its ready frame."""
    config = SandboxConfig(pool_size=1)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        worker = WorkerProcess(config, os.urandom(32))
        try:
            worker.wait_ready()
            samples.append(time.perf_counter() - start)
        finally:
            worker.end("closed")
    return samples


def first_executions(count: int) -> list[float]:
    """Seconds from creating a one-worker pool to the result of its first execution."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        with SandboxPool(SandboxConfig(pool_size=1)) as pool:
            if not pool.execute(PROGRAM).ok:
                raise SystemExit("the first execution on a new pool failed")
            samples.append(time.perf_counter() - start)
    return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def verdict(value: float, target: float) -> str:
    return "meets target" if value <= target else "over target"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, help="round trips to time (default 500)")
    parser.add_argument("--json", type=Path, help="write every sample to this file")
    args = parser.parse_args(argv)
    trips = args.repeats or (100 if args.quick else 500)
    starts = 3 if args.quick else 10

    print(f"mlpy {mlpy.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    engine = mlpy.Engine()
    local = round_trips(lambda: engine.execute(PROGRAM, capture_output=True), trips)
    with SandboxPool(SandboxConfig(pool_size=1)) as pool:
        remote = round_trips(lambda: pool.execute(PROGRAM), trips)
    cold = cold_starts(starts)
    first = first_executions(max(starts // 2, 2))

    p50, added = percentile(remote, 0.5), percentile(remote, 0.5) - percentile(local, 0.5)
    print(f"\n1. round trip of {PROGRAM!r} ({trips} runs each)")
    print(f"   in-process      p50 {ms(percentile(local, 0.5))}"
          f"   p95 {ms(percentile(local, 0.95))}")
    print(f"   sandbox pool    p50 {ms(p50)}   p95 {ms(percentile(remote, 0.95))}"
          f"   ({verdict(p50, TARGET_P50_MS / 1000)}: <= {TARGET_P50_MS:g} ms)")
    print(f"   added by the pool at p50 {ms(added)}"
          f"   ({verdict(added, TARGET_ADDED_MS / 1000)}: <= {TARGET_ADDED_MS:g} ms)")
    cold_median = statistics.median(cold)
    print(f"\n2. cold start ({starts} workers)")
    print(f"   worker ready    median {ms(cold_median)}   min {ms(min(cold))}"
          f"   ({verdict(cold_median, TARGET_COLD_MS / 1000)}: <= {TARGET_COLD_MS:g} ms)")
    print(f"   new pool to first result   median {ms(statistics.median(first))}")
    if args.json:
        args.json.write_text(json.dumps({
            "in_process": local, "sandbox": remote, "cold_start": cold,
            "first_execution": first, "load": os.getloadavg()[0]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
