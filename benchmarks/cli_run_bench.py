#!/usr/bin/env python
"""``mlpy run`` end to end: a fresh process per run, in this process and in the sandbox.

Usage::

    python benchmarks/cli_run_bench.py [--runs N]

Runs ``mlpy run PROGRAM --no-sandbox`` and ``mlpy run PROGRAM --sandbox`` (the default)
``--runs`` times each (default 10), alternating, for two programs: ``hello.ml`` (one
``print``) and the README's ``fib.ml`` (``fib(20)``), and reports the median, p95 and
minimum wall time of the whole process. The sandbox's extra cost is starting one worker
process (mlpy imported, its parser loaded from the cache) and a round trip over its pipes.
The parser's cache is warmed once first, as it is after the first run on a machine.

Reports only; never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = {
    "hello.ml": 'print("hello");\n',
    "fib.ml": "function fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }\n"
              'print("fib(20) =", fib(20));\n',
}
MODES = ("--no-sandbox", "--sandbox")


def run_once(directory: Path, program: str, mode: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", program, mode],
                          cwd=directory, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"mlpy run {program} {mode} failed: {done.stderr}")
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        for program, text in PROGRAMS.items():
            (directory / program).write_text(text, encoding="utf-8")
        run_once(directory, "hello.ml", "--no-sandbox", env)  # the parser's cache, once
        print(f"mlpy run, fresh process each time, {runs} runs (ms)")
        print(f"{'program':<10} {'mode':<13} {'median':>8} {'p95':>8} {'min':>8}")
        for program in PROGRAMS:
            times: dict[str, list[float]] = {mode: [] for mode in MODES}
            for _ in range(runs):
                for mode in MODES:
                    times[mode].append(run_once(directory, program, mode, env))
            for mode in MODES:
                values = [t * 1000 for t in times[mode]]
                print(f"{program:<10} {mode:<13} {statistics.median(values):>8.1f} "
                      f"{p95(values):>8.1f} {min(values):>8.1f}")


if __name__ == "__main__":
    main()
