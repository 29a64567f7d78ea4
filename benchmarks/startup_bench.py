#!/usr/bin/env python
"""Start-up: how long ``mlpy --version`` and ``import mlpy`` take in a fresh process, and
what a first compile and a first execution cost.

Usage::

    python benchmarks/startup_bench.py [--runs N] [--quick]

Each measurement starts a new interpreter ``--runs`` times (default 20) and reports the
median, p95 and minimum wall time of the whole process, from ``fork`` to exit:

* ``mlpy --version`` -- the console script's work (``python -m mlpy --version``, so that
  the measurement does not depend on where the script is installed). Target: median
  <= 150 ms (issue "production operations").
* ``python -c "import mlpy"`` -- the package import alone, which must stay cheap: its
  public names load on first use.
* ``python -c "pass"`` -- the interpreter itself, the floor under both.

It also lists, from one ``python -X importtime -m mlpy --version``, the slowest modules
``--version`` imports (cumulative microseconds), to show what a regression brought in.

Then, in fresh processes again (times taken inside the child, interpreter start-up left
out; bytecode cached under a private ``PYTHONPYCACHEPREFIX``), with the targets of the
issue "Speed":

* ``import mlpy`` and ``import mlpy`` + ``mlpy.Engine`` (the imports a run needs) -- target
  <= 60 ms;
* the first ``mlpy.compile`` of ``programs/rules.ml`` with an empty cache directory
  (``MLPY_CACHE_DIR``): parser tables, engine, compile -- target <= 80 ms;

and in this process (median and p95 of many samples; the CPU time of the same samples is
shown too, which a busy machine disturbs less than the wall clock):

* warm compile of ``programs/rules.ml`` (82 lines) by ``Engine(cache_size=0)`` -- target
  <= 5 ms;
* compile + run of a one-line expression never seen before on a reused engine -- target
  <= 100 us;
* ``mlpy.Engine()`` + its first ``execute`` of such an expression -- target <= 150 us.

Reports only; never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
RULES = HERE / "programs" / "rules.ml"

COMMANDS = {
    "mlpy --version": [sys.executable, "-m", "mlpy", "--version"],
    "import mlpy": [sys.executable, "-c", "import mlpy"],
    "python (no mlpy)": [sys.executable, "-c", "pass"],
}


def wall_times(argv: list[str], runs: int) -> list[float]:
    """Seconds each of ``runs`` fresh processes took; the first run warms the OS caches
    and is not counted."""
    subprocess.run(argv, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def slowest_imports(argv: list[str], count: int = 8) -> list[tuple[int, str]]:
    """The ``count`` modules with the largest cumulative import time (microseconds)."""
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True,
                          text=True, check=True)
    found = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        found.append((int(cumulative), name.strip()))
    return sorted(found, reverse=True)[:count]


# ------------------------------------------------------------------ timed inside children

CHILD = """\
import json, sys, time
clocks = (time.perf_counter, time.process_time)
start = [clock() for clock in clocks]
import mlpy
imported = [clock() for clock in clocks]
mlpy.Engine
engine_imported = [clock() for clock in clocks]
source = open(sys.argv[1], encoding="utf-8").read()
before = [clock() for clock in clocks]
mlpy.compile(source)
done = [clock() for clock in clocks]
print(json.dumps({"import mlpy": [b - a for a, b in zip(start, imported)],
                  "import mlpy + Engine": [b - a for a, b in zip(start, engine_imported)],
                  "first compile, empty cache": [b - a for a, b in zip(before, done)]}))
"""

CHILD_TARGETS = {"import mlpy": 0.060, "import mlpy + Engine": 0.060,
                 "first compile, empty cache": 0.080}


def child_times(runs: int) -> dict[str, list[list[float]]]:
    """[wall, CPU] seconds measured inside ``runs`` fresh children, each with a new empty
    cache."""
    found: dict[str, list[list[float]]] = {name: [] for name in CHILD_TARGETS}
    with tempfile.TemporaryDirectory(prefix="mlpy-startup-") as root:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=str(Path(root) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for run in range(runs + 1):  # the first one writes the bytecode: not counted
            env["MLPY_CACHE_DIR"] = str(Path(root) / f"cache-{run}")
            done = subprocess.run([sys.executable, "-c", CHILD, str(RULES)], env=env, cwd=root,
                                  capture_output=True, text=True, check=True)
            if run:
                for name, seconds in json.loads(done.stdout).items():
                    found[name].append(seconds)
    return found


# ------------------------------------------------------------------ in this process


def samples(fn: Callable[[int], Any], count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``fn(i)`` for ``count`` values of ``i``."""
    wall, cpu = [], []
    for i in range(count):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn(i)
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return wall, cpu


def in_process(quick: bool) -> list[tuple[str, list[float], list[float], float]]:
    import mlpy

    source = RULES.read_text(encoding="utf-8")
    uncached = mlpy.Engine(cache_size=0)
    for _ in range(5):
        uncached.compile(source)
    engine = mlpy.Engine()
    for i in range(200):
        engine.execute(f"result = {i} + 1;")
    for i in range(50):
        mlpy.Engine().execute(f"result = {i} - 1;")
    count = 100 if quick else 1000
    offset = 10_000  # sources no engine compiled before: every one is compiled
    rows = [
        ("warm compile, rules.ml", *samples(lambda i: uncached.compile(source),
                                            count // 10), 0.005),
        ("one-line expression, reused engine",
         *samples(lambda i: engine.execute(f"result = {i + offset} * 2 + 1;"), count), 1e-4),
        ("Engine() + first execute",
         *samples(lambda i: mlpy.Engine().execute(f"result = {i + offset} * 3;"), count),
         1.5e-4),
    ]
    stages = uncached.compile(source).timings
    print("  warm compile stages (ms): " + ", ".join(
        f"{name} {seconds * 1e3:.2f}" for name, seconds in stages.items()
        if isinstance(seconds, float)))
    return rows


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def shown(seconds: float) -> str:
    return f"{seconds * 1e3:8.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:8.1f} us"


def verdict(value: float, target: float) -> str:
    return "meets target" if value <= target else "over target"


def report_targets(quick: bool, runs: int) -> None:
    print(f"\nfresh processes, timed inside ({runs} each, empty cache each):")
    print(f"   {'':36} {'p50':>11} {'p95':>11} {'cpu p50':>11}   target")
    for name, values in child_times(runs).items():
        wall = [w for w, _ in values]
        p50, target = statistics.median(wall), CHILD_TARGETS[name]
        print(f"   {name:36} {shown(p50)} {shown(percentile(wall, 0.95))} "
              f"{shown(statistics.median(c for _, c in values))}   "
              f"<= {shown(target).strip()} ({verdict(p50, target)})")
    print("\nin this process:")
    rows = in_process(quick)
    print(f"   {'':36} {'p50':>11} {'p95':>11} {'cpu p50':>11}   target")
    for name, wall, cpu, target in rows:
        p50 = statistics.median(wall)
        print(f"   {name:36} {shown(p50)} {shown(percentile(wall, 0.95))} "
              f"{shown(statistics.median(cpu))}   <= {shown(target).strip()} "
              f"({verdict(p50, target)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    if args.quick:
        args.runs = min(args.runs, 5)
    print(f"{'command':<20} {'median':>9} {'p95':>9} {'min':>9}   ({args.runs} fresh "
          "processes each)")
    for label, argv in COMMANDS.items():
        times = sorted(wall_times(argv, args.runs))
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{label:<20} {statistics.median(times) * 1000:>7.1f}ms {p95 * 1000:>7.1f}ms "
              f"{times[0] * 1000:>7.1f}ms")
    print("\nslowest imports of `mlpy --version` (cumulative):")
    for micros, name in slowest_imports(COMMANDS["mlpy --version"]):
        print(f"  {micros / 1000:>7.1f} ms  {name}")
    report_targets(args.quick, args.runs)


if __name__ == "__main__":
    if str(HERE.parent) not in sys.path:
        try:
            import mlpy  # noqa: F401
        except ImportError:  # running from a checkout without installing
            sys.path.insert(0, str(HERE.parent))
    main()
