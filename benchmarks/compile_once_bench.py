#!/usr/bin/env python
"""Compile once, run many times: what each step costs for a small rule.

Usage::

    python benchmarks/compile_once_bench.py [--repeats N]

The program is the guide's ``examples/foundation/compile_once_run_many/shipping.ml``, a
twelve-line pricing rule. Measured in this run, on this machine, after a warm-up:

1. **compile, no cache**: ``Engine(cache_size=0).compile(...)``, the price of compiling
   the rule on every request;
2. **compile, cache hit**: ``engine.compile(...)`` of the same text again, which returns the
   cached ``Program``;
3. **execute a Program**: ``engine.execute(program, {"parcel": ...})``, the per-request
   cost when the application keeps the compiled program;
4. **execute text**: ``engine.execute(text, ...)``, the same through the engine's cache.

Reported: p50 and p95 in microseconds, and how many executions one compile costs (p50 to
p50). Reports only; the exit status never depends on how fast the machine is.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
RULES = HERE.parent / "examples" / "foundation" / "compile_once_run_many" / "shipping.ml"

try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

PARCEL = {"zone": "europe", "grams": 1234}


def timed(step: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(p50, p95) of ``step`` in microseconds, after a few warm-up runs."""
    for _ in range(min(20, repeats)):
        step()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        samples.append(time.perf_counter() - started)
    samples.sort()
    return samples[len(samples) // 2] * 1e6, samples[int(len(samples) * 0.95)] * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2000, help="runs of each step")
    repeats = parser.parse_args().repeats
    text = RULES.read_text(encoding="utf-8")
    options = {"filename": "shipping.ml", "inputs": ["parcel"]}
    engine = mlpy.Engine()
    program = engine.compile(text, **options)
    uncached = mlpy.Engine(cache_size=0)
    steps = {
        "compile, no cache": (lambda: uncached.compile(text, **options), max(50, repeats // 20)),
        "compile, cache hit": (lambda: engine.compile(text, **options), repeats),
        "execute a Program": (lambda: engine.execute(program, {"parcel": PARCEL}), repeats),
        "execute text": (lambda: engine.execute(text, {"parcel": PARCEL},
                                                filename="shipping.ml"), repeats),
    }
    results = {}
    print(f"{'step':<20} {'p50 us':>10} {'p95 us':>10}")
    for name, (step, runs) in steps.items():
        results[name] = timed(step, runs)
        print(f"{name:<20} {results[name][0]:>10.1f} {results[name][1]:>10.1f}")
    ratio = results["compile, no cache"][0] / results["execute a Program"][0]
    print(f"one compile costs as much as {ratio:.0f} executions of the compiled program (p50)")
    failed = engine.execute(program, {"parcel": PARCEL}).error
    return 1 if failed is not None else 0


if __name__ == "__main__":
    sys.exit(main())
