#!/usr/bin/env python
"""Start-up: how long ``mlpy --version`` and ``import mlpy`` take in a fresh process.

Usage::

    python benchmarks/startup_bench.py [--runs N]

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

Reports only; never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
