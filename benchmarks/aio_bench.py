#!/usr/bin/env python
"""What running ML from asyncio costs: AsyncEngine overhead, concurrency, recovery.

Usage::

    python benchmarks/aio_bench.py [--quick] [--repeats N] [--json out.json]

Measured in this run, on this machine:

1. **Overhead** of ``await engine.execute(program)`` for a cached trivial program
   (``result = 1;``) on an :class:`~mlpy.aio.AsyncEngine`, against ``Engine.execute`` of the
   same program called directly; both after a warm-up. Reported: p50 and p95 of each, and
   what the hand-off to a worker thread adds at p50.
2. **Ten concurrent** executions of that program (``asyncio.gather`` of ten ``execute``
   calls on a 4-worker engine): the time until all ten have their results.
3. **Recovery after a timeout** on a 1-worker engine: a ``while (true) {}`` job with
   ``timeout=0.1`` and a trivial job submitted right behind it. Reported: how long after the
   first job's deadline the second one started (its wait in the queue, less the first job's
   wait and time limit), and how late the time limit stopped the loop.

Targets (integration spec 12.3, issue 12): overhead p50 <= 300 us, ten concurrent <= 20 ms,
the next job starts <= 50 ms after the deadline. They are reported, never enforced: a busy
machine makes the numbers worse, not the exit status. The exit status is 1 only if an
execution fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

from mlpy.aio import AsyncEngine  # noqa: E402 - after the path fallback

PROGRAM = "result = 1;"
TARGET_OVERHEAD_US = 300.0
TARGET_CONCURRENT_MS = 20.0
TARGET_RECOVERY_MS = 50.0
TIMEOUT = 0.1


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def checked(result) -> None:
    ok = result.ok if hasattr(result, "ok") else result.success
    if not ok:
        raise SystemExit(f"an execution failed: {result.error}")


def direct(engine: mlpy.Engine, program: mlpy.Program, count: int) -> list[float]:
    """Seconds of ``count`` calls of Engine.execute, after a warm-up."""
    for _ in range(max(count // 10, 10)):
        checked(engine.execute(program))
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        result = engine.execute(program)
        samples.append(time.perf_counter() - start)
        checked(result)
    return samples


async def awaited(engine: AsyncEngine, program: mlpy.Program, count: int) -> list[float]:
    """Seconds of ``count`` awaited AsyncEngine.execute calls, one after another."""
    for _ in range(max(count // 10, 10)):
        checked(await engine.execute(program))
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        result = await engine.execute(program)
        samples.append(time.perf_counter() - start)
        checked(result)
    return samples


async def concurrent(engine: AsyncEngine, program: mlpy.Program, count: int) -> list[float]:
    """Seconds until ten concurrent executions all have their results, ``count`` times."""
    samples = []
    for _ in range(count + 5):
        start = time.perf_counter()
        results = await asyncio.gather(*(engine.execute(program) for _ in range(10)))
        samples.append(time.perf_counter() - start)
        for result in results:
            checked(result)
    return samples[5:]


async def recoveries(count: int) -> tuple[list[float], list[float]]:
    """Per round: how long after the runaway job's deadline the next job started, and how
    late after its deadline the runaway job was stopped."""
    starts, stops = [], []
    async with AsyncEngine(max_workers=1, default_timeout=None) as engine:
        await engine.execute(PROGRAM)  # the worker is up
        for _ in range(count):
            runaway, following = await asyncio.gather(
                engine.execute("while (true) {}", timeout=TIMEOUT), engine.execute(PROGRAM))
            if not runaway.timed_out:
                raise SystemExit("the runaway job was not stopped by its time limit")
            checked(following)
            starts.append(following.queue_time - runaway.queue_time - TIMEOUT)
            stops.append(runaway.run_time - TIMEOUT)
    return starts, stops


def us(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f} us"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def verdict(value: float, target: float) -> str:
    return "meets target" if value <= target else "over target"


async def measure(count: int, rounds: int, recovery_rounds: int) -> dict[str, list[float]]:
    engine = mlpy.Engine()
    program = engine.compile(PROGRAM)
    local = direct(engine, program, count)
    async with AsyncEngine(engine, max_workers=4) as executor:
        remote = await awaited(executor, program, count)
        together = await concurrent(executor, program, rounds)
    starts, stops = await recoveries(recovery_rounds)
    return {"direct": local, "async": remote, "concurrent10": together,
            "recovery_start": starts, "timeout_stop": stops}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, help="executions to time (default 2000)")
    parser.add_argument("--json", type=Path, help="write every sample to this file")
    args = parser.parse_args(argv)
    count = args.repeats or (300 if args.quick else 2000)
    rounds = 30 if args.quick else 200
    recovery_rounds = 5 if args.quick else 20

    print(f"mlpy {mlpy.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    samples = asyncio.run(measure(count, rounds, recovery_rounds))
    local, remote = samples["direct"], samples["async"]
    added = percentile(remote, 0.5) - percentile(local, 0.5)
    print(f"\n1. execute of a cached {PROGRAM!r} ({count} runs each)")
    print(f"   Engine.execute        p50 {us(percentile(local, 0.5))}"
          f"   p95 {us(percentile(local, 0.95))}")
    print(f"   AsyncEngine.execute   p50 {us(percentile(remote, 0.5))}"
          f"   p95 {us(percentile(remote, 0.95))}")
    print(f"   added at p50 {us(added)}"
          f"   ({verdict(added, TARGET_OVERHEAD_US / 1e6)}: <= {TARGET_OVERHEAD_US:g} us)")
    together = samples["concurrent10"]
    p50 = percentile(together, 0.5)
    print(f"\n2. ten concurrent executions, 4 workers ({rounds} rounds)")
    print(f"   all ten done          p50 {ms(p50)}   p95 {ms(percentile(together, 0.95))}"
          f"   ({verdict(p50, TARGET_CONCURRENT_MS / 1000)}: <= {TARGET_CONCURRENT_MS:g} ms)")
    starts, stops = samples["recovery_start"], samples["timeout_stop"]
    p50 = percentile(starts, 0.5)
    print(f"\n3. after a timed-out job on a 1-worker engine ({recovery_rounds} rounds, "
          f"timeout {TIMEOUT:g} s)")
    print(f"   loop stopped after its deadline   p50 {ms(percentile(stops, 0.5))}"
          f"   p95 {ms(percentile(stops, 0.95))}")
    print(f"   next job started after it         p50 {ms(p50)}"
          f"   p95 {ms(percentile(starts, 0.95))}"
          f"   ({verdict(p50, TARGET_RECOVERY_MS / 1000)}: <= {TARGET_RECOVERY_MS:g} ms)")
    if args.json:
        args.json.write_text(json.dumps({**samples, "load": os.getloadavg()[0]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
