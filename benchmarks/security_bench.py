#!/usr/bin/env python
"""What security costs: limits on the language-core workloads, and one gate check.

Usage::

    python benchmarks/security_bench.py [--repeats N] [--json out.json]

1. **Limits.** Each workload of ``run.py`` runs as the same program compiled twice: with
   limit hooks (the default) and with ``ticks=False`` (no time, step, cancel or depth checks;
   only for trusted code). A third run adds a memory budget (``max_memory``). The ratios say
   what the limits cost; the target is at most 1.10.
2. **The gate.** A loop calls a host function 100,000 times, once marked with a capability
   the execution holds and once without: the difference per call is what a gate check costs
   (target: at most 1 microsecond).

Like ``run.py``, this reports and never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as suite  # noqa: E402 - the workloads and their inputs live in run.py

import mlpy  # noqa: E402
from mlpy.program import compile_program  # noqa: E402

LIMITS = {"timeout": 600, "max_steps": 10**12}
TARGET_LIMITS = 1.10
TARGET_GATE_US = 1.0


def best(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(times)


def limit_costs(repeats: int) -> list[dict[str, Any]]:
    engine = mlpy.Engine()
    rows = []
    for name, title, inputs, warm in suite.WORKLOAD_SPECS:
        source = (suite.WORKLOADS / f"{name}.ml").read_text(encoding="utf-8")
        checked = compile_program(source, f"{name}.ml", engine.registry, inputs=list(inputs))
        bare = compile_program(source, f"{name}.ml", engine.registry, inputs=list(inputs),
                               ticks=False)
        runs = {
            "no hooks": lambda: engine.execute(bare, inputs, max_depth=None).unwrap(),
            "limits": lambda: engine.execute(checked, inputs, **LIMITS).unwrap(),
            "limits + memory budget": lambda: engine.execute(
                checked, inputs, max_memory=1 << 30, **LIMITS).unwrap(),
        }
        for run in runs.values():  # warm up, and the three must agree
            for _ in range(5):
                engine.execute(checked, warm, **LIMITS)
            run()
        values = {label: run() for label, run in runs.items()}
        if len({repr(v) for v in values.values()}) != 1:
            rows.append({"name": name, "error": f"results differ: {values}"})
            continue
        times = {label: best(run, repeats) for label, run in runs.items()}
        base = times["no hooks"]
        rows.append({"name": name, "title": title, "ms": {k: v * 1e3 for k, v in times.items()},
                     "ratio": times["limits"] / base,
                     "ratio_memory": times["limits + memory budget"] / base})
        print(f"  limits: {name}", file=sys.stderr)
    return rows


def gate_cost(repeats: int) -> dict[str, Any]:
    calls = 100_000

    def plain(x):
        return x

    program = "i = 0; while (i < n) { f(i); i = i + 1; }"
    engine = mlpy.Engine(capabilities=["bench.run"])
    unguarded = mlpy.host_function(plain, name="f")
    guarded = mlpy.host_function(plain, name="f", capabilities=["bench.run"])
    compiled = engine.compile(program, inputs=["f", "n"])
    times = {}
    for label, fn in (("unguarded", unguarded), ("guarded", guarded)):
        engine.execute(compiled, {"f": fn, "n": 1000}).unwrap()
        times[label] = best(lambda: engine.execute(compiled, {"f": fn, "n": calls}).unwrap(),
                            repeats)
    per_call_us = (times["guarded"] - times["unguarded"]) / calls * 1e6
    return {"calls": calls, "ms": {k: v * 1e3 for k, v in times.items()},
            "gate_us_per_call": per_call_us}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    limits = limit_costs(args.repeats)
    gate = gate_cost(args.repeats)
    print(f"{'workload':<12} {'no hooks ms':>12} {'limits ms':>10} {'ratio':>7} "
          f"{'+memory':>8}   (target <= {TARGET_LIMITS:.2f})")
    for row in limits:
        if "error" in row:
            print(f"{row['name']:<12} ERROR {row['error']}")
            continue
        ms = row["ms"]
        print(f"{row['name']:<12} {ms['no hooks']:>12.2f} {ms['limits']:>10.2f} "
              f"{row['ratio']:>7.2f} {row['ratio_memory']:>8.2f}")
    print(f"gate check: {gate['gate_us_per_call']:.3f} us per guarded call "
          f"(target <= {TARGET_GATE_US} us; {gate['calls']:,} calls: "
          f"{gate['ms']['unguarded']:.1f} ms unguarded, {gate['ms']['guarded']:.1f} ms guarded)")
    if args.json:
        args.json.write_text(json.dumps({"limits": limits, "gate": gate}, indent=2))
    return 1 if any("error" in row for row in limits) else 0


if __name__ == "__main__":
    sys.exit(main())
