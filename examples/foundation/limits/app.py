"""Stop runaway scripts: each limit ends one with its own MLError, and the host carries on.

Each script in ``runaway/`` misbehaves in one way -- spins, counts for ever, recurses
without end, prints without end, hoards memory, builds one enormous value, or tries to
swallow the limit that stops it. The engine runs each under the limit made for it (the
engine's ``timeout`` is the backstop for all of them), and a cancellation from another
thread stops one that has no limit at all. Run it with ``python app.py``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import mlpy

RUNAWAY = Path(__file__).resolve().parent / "runaway"

# [limits]
engine = mlpy.Engine(timeout=10.0)  # the backstop: nothing on this engine runs longer

LIMITS = {  # each script, and the limit that stops it
    "spin.ml": {"timeout": 0.2},
    "count.ml": {"max_steps": 10_000},
    "recurse.ml": {"max_depth": 50},
    "chatter.ml": {"max_output": 100},
    "hoard.ml": {"max_memory": 5_000_000},
    "huge.ml": {},  # sizes are always limited
    "stubborn.ml": {"max_steps": 1_000},
}


def run(script: str) -> mlpy.ExecutionResult:
    """Run one runaway script under its limit; the result carries the MLLimitError."""
    return engine.execute(RUNAWAY / script, filename=script, capture_output=True,
                          **LIMITS[script])


def run_cancelled(after: float = 0.2) -> mlpy.ExecutionResult:
    """Run spin.ml with no limit but the engine's backstop; another thread cancels it."""
    timer = threading.Timer(after, engine.cancel, ["spin-42"])
    timer.start()
    try:
        return engine.execute(RUNAWAY / "spin.ml", filename="spin.ml", execution_id="spin-42")
    finally:
        timer.cancel()
# [/limits]


def describe(result: mlpy.ExecutionResult) -> str:
    error = result.error
    resource = getattr(error, "resource", None)
    return f"{type(error).__name__} [{error.code}]" + (f" {resource}" if resource else "")


def main() -> None:
    for script in LIMITS:
        print(f"{script:<12} {describe(run(script))}")
    print(f"{'cancelled':<12} {describe(run_cancelled())}")
    print("host still running:", engine.execute("result = 6 * 7;").value)


if __name__ == "__main__":
    main()
