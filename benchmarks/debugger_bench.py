#!/usr/bin/env python
"""What the ML debugger costs while attached: a loop benchmark with and without it.

Usage::

    python benchmarks/debugger_bench.py [--quick] [--repeats N] [--json out.json]

The loop benchmark is an ML program that calls a small function 50,000 times from a loop
(about 250,000 ML lines run). Measured in this run, after a warm-up of each:

1. **plain**: ``engine.execute(program)`` -- no debugger anywhere (this is also the cost of a
   ``Debugger`` object that exists but is not running: it installs nothing);
2. **attached**: ``debugger.run(program)`` with one breakpoint that is never hit (a line of
   the program that the run never reaches) and one watch -- the case the target is about;
3. **attached, a false condition**: a breakpoint inside the loop whose condition is never
   true (every pass evaluates it: this is the expensive case, reported for information,
   over at most 3 repeats);
4. **attached, a callable**: ``debugger.run(lambda: engine.execute(program))`` with the
   breakpoint of 2 -- the debugger cannot see which program a callable runs.

How it is observed: on Python 3.12+ with ``sys.monitoring`` (line events of ML code only,
each turned off where nothing can pause); on 3.11 a program given to ``debugger.run`` runs
as a debug variant whose compiled line checks call the debugger only on breakpoint lines
(mlpy/debug/hooks.py), while a callable (case 4; also ``AsyncEngine.execute(...,
debug=...)``) is run under ``sys.settrace`` on its thread, which slows every instruction of
that thread.

Reported: p50 and p95 of each, and the ratios to plain at p50. Target (integration spec
6.4): attached without hits (case 2) <= 2x. Measured on the 2-core development machine while
others used it (p50 ratios to plain, ranges over several runs; plain itself 23-40 ms):

==========================  =============  =============
case                        Python 3.11.7  Python 3.12.1
==========================  =============  =============
2. attached                 1.2x-1.6x      0.9x-1.3x
3. attached, false cond.    70x-270x       130x-175x
4. attached, a callable     5.5x-17x       0.5x-0.8x
==========================  =============  =============

(On 3.11 case 2 was about 7x while every run used the tracer; case 4 still does.)

Reported, never enforced; the exit status is 1 only if an execution fails or gives a
different result.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import mlpy
from mlpy.debug.debugger import Debugger

LOOP = """\
function step(x) {
    y = x * 2;
    return y + 1;
}
total = 0;
for (i in range(COUNT)) {
    total = total + step(i) % 7;
}
if (total < 0) {
    never = 1;
}
result = total;
"""


def timed(run, repeats: int) -> list[float]:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        if not result.ok:
            raise SystemExit(f"the benchmark program failed: {result.error}")
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a shorter loop")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", default=None, help="also write the numbers here")
    options = parser.parse_args()
    repeats = options.repeats or (5 if options.quick else 15)
    count = 10_000 if options.quick else 50_000
    engine = mlpy.Engine()
    program = engine.compile(LOOP.replace("COUNT", str(count)), filename="loop.ml")
    expected = engine.execute(program).value

    idle = Debugger(engine)
    idle.set_breakpoint("loop.ml", 10)  # `never = 1;`: never reached
    idle.watch("total")
    conditional = Debugger(engine)
    conditional.set_breakpoint("loop.ml", 7, condition="i < 0")

    cases = {
        "plain": lambda: engine.execute(program),
        "attached": lambda: idle.run(program),
        "attached, false condition": lambda: conditional.run(program),
        "attached, a callable": lambda: idle.run(lambda: engine.execute(program)),
    }
    numbers = {}
    for name, run in cases.items():
        if run().value != expected:
            print(f"{name}: a different result", file=sys.stderr)
            return 1
        # (the false condition runs an evaluation at every pass: a few repeats tell enough)
        times = timed(run, min(repeats, 3) if "condition" in name else repeats)
        numbers[name] = {"p50_ms": percentile(times, 0.5) * 1e3,
                         "p95_ms": percentile(times, 0.95) * 1e3,
                         "mean_ms": statistics.fmean(times) * 1e3}
    base = numbers["plain"]["p50_ms"]
    mechanism = "sys.monitoring" if sys.version_info >= (3, 12) else \
        "line checks compiled in; sys.settrace for a callable (3.11)"
    print(f"Python {platform.python_version()}, {mechanism}, loop of {count:,} calls, "
          f"{repeats} repeats")
    for name, row in numbers.items():
        row["ratio_p50"] = row["p50_ms"] / base
        print(f"  {name:28s} p50 {row['p50_ms']:8.2f} ms  p95 {row['p95_ms']:8.2f} ms  "
              f"ratio {row['ratio_p50']:.2f}x")
    target = numbers["attached"]["ratio_p50"]
    print(f"attached without hits: {target:.2f}x (target <= 2x)")
    if options.json:
        with open(options.json, "w", encoding="utf-8") as handle:
            json.dump({"python": platform.python_version(), "mechanism": mechanism,
                       "count": count, "cases": numbers}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
