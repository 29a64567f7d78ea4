"""Common issues, each with its reproducer and its fix.

Every issue is a pair of functions, ``<issue>_symptom()`` and ``<issue>_fix()``, that run the
reproducer (an ``.ml`` file beside this one) the wrong way and the right way and return what
happened; ``test_common_issues.py`` asserts both. Run ``python app.py`` for a one-line
summary of each.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlpy

HERE = Path(__file__).resolve().parent
# [run]
engine = mlpy.Engine(timeout=10.0)


def run(name: str, variables: dict[str, Any] | None = None, *, on: mlpy.Engine = engine,
        **options: Any) -> mlpy.ExecutionResult:
    return on.execute((HERE / name).read_text(encoding="utf-8"), variables or {}, filename=name,
                      capture_output=True, **options)
# [/run]


# [missing-grant]
def missing_grant_symptom() -> mlpy.ExecutionResult:
    return run("missing_grant.ml", {"orders": [1, 2]})  # no capabilities: default deny


def missing_grant_fix() -> mlpy.ExecutionResult:
    return run("missing_grant.ml", {"orders": [1, 2]}, capabilities=["console.write"])
# [/missing-grant]


# [timeout]
def timeout_symptom() -> mlpy.ExecutionResult:
    return run("slow_rule.ml", {"count": 300_000}, timeout=0.001)  # sized for 100 rows


def timeout_fix() -> mlpy.ExecutionResult:
    # Size the limit for the largest input, and bound the work itself with a step budget,
    # which counts the same on a slow machine as on a fast one.
    return run("slow_rule.ml", {"count": 300_000}, timeout=10.0, max_steps=1_000_000)
# [/timeout]


# [frozen]
ORDER = {"items": [{"sku": "PEN", "price": 2}]}


def frozen_symptom() -> mlpy.ExecutionResult:
    return run("mutate_input.ml", {"order": mlpy.frozen(ORDER)})


def frozen_fix() -> mlpy.ExecutionResult:
    return run("mutate_input_fixed.ml", {"order": mlpy.frozen(ORDER)})
# [/frozen]


def for_in_symptom() -> mlpy.ExecutionResult:
    return run("for_in_index.ml", {"prices": [10, 20, 30]})


def for_in_fix() -> mlpy.ExecutionResult:
    return run("for_in_fixed.ml", {"prices": [10, 20, 30]})


def division_symptom() -> mlpy.ExecutionResult:
    return run("middle.ml", {"scores": [5, 1, 4, 2, 3]})


def division_fix() -> mlpy.ExecutionResult:
    return run("middle_fixed.ml", {"scores": [5, 1, 4, 2, 3]})


# [module-path]
def module_symptom() -> mlpy.ExecutionResult:
    return run("uses_helpers.ml")  # lib/helpers.ml is not under any module root


def module_fix() -> mlpy.ExecutionResult:
    with_lib = mlpy.Engine(timeout=10.0, ml_module_paths=[HERE / "lib"])
    return run("uses_helpers.ml", on=with_lib)
# [/module-path]


# [thread]
@mlpy.host_function(capabilities=["reports.read"])
def load_report(name: str) -> str:
    return f"{name} report"


def _in_a_thread(job: Callable[[], mlpy.ExecutionResult],
                 start: Callable[[Callable[[], None]], threading.Thread]) -> mlpy.ExecutionResult:
    box: list[mlpy.ExecutionResult] = []
    with mlpy.capability_scope(["reports.read"]):  # the request's grant, as a web helper sets it
        thread = start(lambda: box.append(job()))
        thread.start()
        thread.join()
    return box[0]


def thread_symptom() -> mlpy.ExecutionResult:
    """A plain thread starts with an empty context: the scope's grant does not follow."""
    return _in_a_thread(lambda: run("threaded_report.ml", {"load_report": load_report}),
                        lambda work: threading.Thread(target=work))


def thread_fix() -> mlpy.ExecutionResult:
    """Start the thread in a copy of the caller's context: the grant goes with the work."""
    return _in_a_thread(lambda: run("threaded_report.ml", {"load_report": load_report}),
                        lambda work: threading.Thread(target=contextvars.copy_context().run,
                                                      args=(work,)))
# [/thread]


# [host-function]
def exchange_rate(currency: str) -> float:
    return {"USD": 1.08, "GBP": 0.86}[currency]


def unmarked_symptom() -> mlpy.ExecutionResult:
    """A plain Python function handed to ML: the runtime gate refuses to call it."""
    return run("uses_rate.ml", {"rate": exchange_rate})


def unmarked_fix() -> mlpy.ExecutionResult:
    """Mark it: a HostFunction is what ML may call (with the capabilities it declares)."""
    rate: mlpy.HostFunction = mlpy.host_function(exchange_rate)
    return run("uses_rate.ml", {"rate": rate})
# [/host-function]


# [bridge]
def bridge_symptom() -> mlpy.ExecutionResult:
    """A bridge file that imports a package this machine lacks fails to load."""
    return run("uses_rates.ml", on=mlpy.Engine(timeout=10.0, extension_paths=[HERE / "ext"]))


def bridge_fix() -> mlpy.ExecutionResult:
    """The bridge imports the package where it is used, and loads without it."""
    return run("uses_rates.ml",
               on=mlpy.Engine(timeout=10.0, extension_paths=[HERE / "ext_fixed"]))
# [/bridge]


ISSUES = ["missing_grant", "timeout", "frozen", "for_in", "division", "module", "thread",
          "unmarked", "bridge"]


def outcome(result: mlpy.ExecutionResult) -> str:
    if result.ok:
        return f"ok: {result.value!r}" if result.value is not None else f"ok: {result.stdout!r}"
    # Refused before it ran (the author's fix), or failed while running (look at the data).
    stage = "run" if isinstance(result.error, mlpy.MLExecutionError) else "compile"
    return f"{type(result.error).__name__} ({stage}): {result.error.message}"


def main() -> None:
    for issue in ISSUES:
        print(f"{issue}:")
        print("  symptom:", outcome(globals()[f"{issue}_symptom"]()))
        print("  fix:    ", outcome(globals()[f"{issue}_fix"]()))


if __name__ == "__main__":
    main()
