"""Measuring ML rules with mlpy.testing: the benchmark a team runs on its own machine, and
the comparison against the numbers it recorded there before.

``measure()`` times the cart rule (``cart.ml``) run in-process, through an AsyncEngine, and
called as a callback, then many executions at once. ``python app.py`` prints the numbers;
``python app.py --save baseline.json`` records them, and ``python app.py --against
baseline.json`` compares a new run with the recorded one and exits with status 1 on a
regression of more than 10 %. Timings belong here, not in tests: the test
(test_performance_testing.py) checks that the measuring works, with budgets that only a
broken rule could exceed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mlpy.testing import PerformanceTester, compare_performance

HERE = Path(__file__).resolve().parent
RULE = HERE / "cart.ml"
CART = [{"price": 2.5 + i, "qty": 1 + i % 12} for i in range(50)]


# [measure]
def measure(iterations: int = 200) -> dict[str, dict[str, Any]]:
    """Timings of the cart rule, by the way the service could run it (seconds)."""
    variables = {"cart": CART}
    with PerformanceTester(iterations=iterations, warmup=20) as tester:
        results = {mode: tester.benchmark(RULE, name=mode, mode=mode, variables=variables)
                   for mode in ("inprocess", "async")}
        results["callback"] = tester.benchmark(RULE, name="callback", mode="callback",
                                               variables=variables, function="total",
                                               args=(CART,))
        results["concurrent"] = tester.benchmark_concurrent(
            RULE.read_text(encoding="utf-8"), concurrency=4, total=iterations,
            variables=variables)
    return results


def regressions(baseline: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]],
                threshold_pct: float = 10.0) -> list[str]:
    """The modes whose median got more than ``threshold_pct`` percent slower."""
    found = []
    for mode, numbers in current.items():
        if mode in baseline and "median" in numbers and "median" in baseline[mode]:
            change = compare_performance(baseline[mode], numbers, threshold_pct=threshold_pct)
            if change["regression"]:
                found.append(f"{mode}: median {change['pct_change']:+.1f} %")
    return found
# [/measure]


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = []
    for mode, numbers in results.items():
        lines.append(f"{mode:>10}: p50 {numbers['p50'] * 1e3:.3f} ms, "
                     f"p95 {numbers['p95'] * 1e3:.3f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="write the numbers to this JSON file")
    parser.add_argument("--against", type=Path, help="compare with the numbers of this file")
    parser.add_argument("--iterations", type=int, default=200, help="timed runs per mode")
    options = parser.parse_args(argv)
    results = measure(options.iterations)
    print(report(results))
    if options.save:
        options.save.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if options.against:
        slower = regressions(json.loads(options.against.read_text(encoding="utf-8")), results)
        print("\n".join(slower) or "no regression")
        return 1 if slower else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
