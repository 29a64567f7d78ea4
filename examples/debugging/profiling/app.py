"""Profile ML code, fix the hot spot, and see what the limits cost.

``slow.ml`` ranks products with a linear scan per product; ``fast.ml`` looks positions up
in an object. ``profile()`` runs a program under Python's ``cProfile`` and keeps the ML
functions -- their code objects carry the ML file and line, so no mapping is needed -- as
``mlpy run --profile --no-sandbox slow.ml`` prints them. ``limit_cost()`` runs one program
with and without time and step limits. Run it with ``python app.py``.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from pathlib import Path
from typing import Any

import mlpy

HERE = Path(__file__).resolve().parent
engine = mlpy.Engine()


def program(name: str) -> mlpy.Program:
    return engine.compile((HERE / name).read_text(encoding="utf-8"), filename=name)


# [profile]
def profile(name: str) -> list[dict[str, Any]]:
    """The ML functions of one run of ``name``, the longest (including callees) first."""
    compiled = program(name)  # compile outside the profile: measure the run only
    profiler = cProfile.Profile()
    profiler.enable()
    engine.execute(compiled, capture_output=True).raise_for_error()
    profiler.disable()
    rows = []
    for (file, line, function), (_, calls, own, total, _) in pstats.Stats(profiler).stats.items():
        if file.startswith("mlpy://"):  # compiled ML code: mlpy://<id>/<ML file name>
            rows.append({"function": function, "line": line, "calls": calls,
                         "total_ms": total * 1000, "own_ms": own * 1000})
    return sorted(rows, key=lambda row: row["total_ms"], reverse=True)
# [/profile]


# [limits]
def limit_cost(name: str, runs: int = 5) -> dict[str, float]:
    """The best run time in ms of ``name`` with no limit, with a timeout and a step budget,
    and with a memory budget too: what the cooperative checks cost on this machine."""
    compiled = program(name)
    settings = {"no limits": {}, "timeout + max_steps": {"timeout": 60, "max_steps": 10**8},
                "+ max_memory": {"timeout": 60, "max_steps": 10**8, "max_memory": 10**9}}
    best = {}
    for label, limits in settings.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            engine.execute(compiled, capture_output=True, **limits).raise_for_error()
            times.append((time.perf_counter() - started) * 1000)
        best[label] = min(times)
    return best
# [/limits]


def main() -> None:
    for name in ("slow.ml", "fast.ml"):
        print(f"{name}:")
        for row in profile(name):
            print(f"  {row['calls']:>6} calls {row['total_ms']:8.1f} ms  {row['function']}"
                  f" (line {row['line']})")
    for label, ms in limit_cost("fast.ml").items():
        print(f"fast.ml, {label}: {ms:.1f} ms")


if __name__ == "__main__":
    main()
