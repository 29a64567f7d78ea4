#!/usr/bin/env python
"""What the testing utilities cost: mlpy.testing's helpers against a plain execution, and
ML's loop under a FakeClock against the real clock.

Usage::

    python benchmarks/testing_bench.py [--quick]

* **execute, cached**: ``engine.execute(program)`` of ``result = 1 + 1;`` on one engine;
* **assert_ml_result**: the helper on the same text (a fresh engine per call, so a compile
  per call: a helper checks one thing once);
* **assert_ml_result, engine=**: the helper given the engine (the program comes from its
  cache);
* **loop, real clock** / **loop, FakeClock**: a 200,000-step ML loop with a timeout, under the
  real clock and under an installed FakeClock (the clock is read once per batch of ticks).

Prints p50 and p95 per call in microseconds. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import gc
import time

import mlpy
from mlpy.testing import FakeClock, assert_ml_result
from mlpy.testing.performance import summarize


def sample(call, repeats: int) -> dict[str, float]:
    for _ in range(min(repeats, 10)):
        call()
    times = []
    gc.disable()
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return summarize(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    repeats = 50 if parser.parse_args().quick else 300
    engine = mlpy.Engine()
    source = "result = 1 + 1;"
    program = engine.compile(source)
    loop = engine.compile("i = 0; while (i < 200000) { i = i + 1; } result = i;")
    rows = [
        ("execute, cached", lambda: engine.execute(program)),
        ("assert_ml_result", lambda: assert_ml_result(source, 2)),
        ("assert_ml_result, engine=", lambda: assert_ml_result(source, 2, engine=engine)),
        ("loop, real clock", lambda: engine.execute(loop, timeout=60)),
    ]
    results = [(name, sample(call, repeats)) for name, call in rows]
    with FakeClock():
        results.append(("loop, FakeClock", sample(lambda: engine.execute(loop, timeout=60),
                                                  repeats)))
    print(f"{'':28} {'p50 us':>12} {'p95 us':>12}")
    for name, stats in results:
        print(f"{name:28} {stats['p50'] * 1e6:12.1f} {stats['p95'] * 1e6:12.1f}")


if __name__ == "__main__":
    main()
