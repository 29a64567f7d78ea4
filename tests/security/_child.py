"""Child process of :func:`tests.security.conftest.run_isolated` (not a test module).

Reads its cases as JSON on stdin, limits its own address space and CPU time, runs each ML
program with a fresh Engine, checks that the interpreter still works, and prints one JSON
report per case after the marker ``@@RESULT@@`` as soon as the case ends.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def run_case(mlpy, case: dict) -> dict:
    """The outcome of one case. ``seconds`` is the CPU time the case took (a busy machine
    must not make it look slow; the limits it tests stop CPU-bound work), ``wall_seconds``
    the time it took on the clock."""
    report: dict = {"name": case["name"]}
    start, wall_start = time.process_time(), time.monotonic()
    try:
        result = mlpy.Engine(**case.get("engine", {})).execute(
            case["src"], capture_output=True, **case.get("options", {}))
    except mlpy.MLError as raised:  # a refused configuration, for instance
        result = mlpy.ExecutionResult(False, error=raised)
    report["seconds"] = time.process_time() - start
    report["wall_seconds"] = time.monotonic() - wall_start
    error = result.error
    stdout = result.stdout or ""
    report.update(
        ok=result.ok,
        error_type=type(error).__name__ if error is not None else None,
        resource=getattr(error, "resource", None),
        message=error.message if error is not None else "",
        stdout_len=len(stdout),
        stdout_head=stdout[:500],
        stdout_tail=stdout[-500:],
    )
    if case.get("after") == "to_dict":
        start = time.process_time()
        try:
            result.to_dict()
            report["after"] = "returned"
        except mlpy.MLError as exc:
            report["after"] = type(exc).__name__
        report["after_seconds"] = time.process_time() - start
    del result, stdout
    check = mlpy.Engine().execute("function f(n) { return n < 2 ? n : f(n - 1) + f(n - 2); }"
                                  " result = f(12);", timeout=5)
    report["healthy"] = check.ok and check.value == 144
    return report


def main() -> None:
    payload = json.loads(sys.stdin.read())
    memory = int(payload.get("memory", 1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(payload.get("cpu", 10))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    import mlpy

    for case in payload["cases"]:
        report = run_case(mlpy, case)
        sys.stdout.write("@@RESULT@@" + json.dumps(report) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
