"""``mlpy integration validate`` (is this installation able to run ML?) and
``mlpy integration benchmark`` (the same command as ``mlpy bench``).

The checks of integration spec §8.2, each ``ok``, ``failed`` or ``skipped`` with details:

``module_registry``   the importable modules load; counts per kind and the problems found
``compiler``          a program transpiles to Python that compiles, and runs to its value
``canary_inprocess``  ``result = 1 + 1;`` runs in this process (with ``--deep`` also
``canary_subprocess`` in a sandbox worker process)
``async_engine``      an AsyncEngine starts, runs the canary and shuts down
``capability_gate``   a call needing ``console.write`` is denied without the grant and runs
                      with it
``optional_deps``     whether prometheus-client and OpenTelemetry are installed (never fails)
``health``            :func:`mlpy.health.check` on the same engine (fails when unhealthy)

Exit 0 when every check passed, 7 otherwise.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from typing import Any, Callable

import click

from mlpy.cli.commands.bench import bench
from mlpy.cli.output import EXIT_INTERNAL, EXIT_OK, emit_json

CANARY = "result = 1 + 1;"
GATED = 'import console;\nconsole.log("gate");\nresult = 1;\n'
OPTIONAL = {"prometheus": "prometheus_client", "opentelemetry-api": "opentelemetry",
            "opentelemetry-sdk": "opentelemetry.sdk"}


def _guarded(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        found = run()
    except Exception as problem:  # noqa: BLE001 - a failing check is a finding
        found = {"status": "failed", "reason": f"{type(problem).__name__}: {problem}"}
    found["elapsed_ms"] = round((time.perf_counter() - start) * 1000, 3)
    return found


def _registry() -> dict[str, Any]:
    from mlpy.modules.registry import ModuleRegistry

    registry = ModuleRegistry()
    counts = {kind: len(registry.available(kind)) for kind in ("stdlib", "extension", "ml")}
    problems = [str(p) for p in registry.problems()]
    ok = counts["stdlib"] > 0 and not any(p.severity == "error" for p in registry.problems())
    return {"status": "ok" if ok else "failed", "counts": counts, "problems": problems}


def _compiler(engine: Any) -> dict[str, Any]:
    transpiled = engine.transpile("result = 20 + 22;", filename="<validate>")
    if not transpiled.ok:
        return {"status": "failed", "reason": "the canary did not transpile"}
    compile(transpiled.python_code, "<validate>", "exec")
    value = engine.execute("result = 20 + 22;", filename="<validate>").unwrap()
    return {"status": "ok" if value == 42 else "failed", "value": value}


def _canary(engine: Any, isolation: str) -> dict[str, Any]:
    result = engine.execute(CANARY, filename="<canary>", isolation=isolation, timeout=30)
    if result.error is not None:
        return {"status": "failed", "reason": result.error.message}
    return {"status": "ok" if result.value == 2 else "failed", "value": result.value}


def _async_engine(engine: Any) -> dict[str, Any]:
    import asyncio

    from mlpy.aio import AsyncEngine

    async def start_run_stop() -> Any:
        runner = AsyncEngine(engine, max_workers=1)
        try:
            return await runner.execute(CANARY, timeout=30)
        finally:
            await runner.aclose()

    result = asyncio.run(start_run_stop())
    if not result.success:
        return {"status": "failed", "reason": result.error}
    return {"status": "ok" if result.value == 2 else "failed", "value": result.value}


def _gate() -> dict[str, Any]:
    import mlpy
    from mlpy.errors import CapabilityError

    with mlpy.Engine() as engine:
        denied = engine.execute(GATED, filename="<gate>", capture_output=True)
        allowed = engine.execute(GATED, filename="<gate>", capture_output=True,
                                 capabilities=["console.write"])
    denies = isinstance(denied.error, CapabilityError)
    allows = allowed.error is None and allowed.stdout == "gate\n"
    return {"status": "ok" if denies and allows else "failed",
            "denies_ungranted": denies, "allows_granted": allows}


def _optional() -> dict[str, Any]:
    present = {}
    for name, module in OPTIONAL.items():
        try:
            present[name] = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package is missing
            present[name] = False
    return {"status": "ok", "present": present}


def validate_checks(deep: bool) -> dict[str, dict[str, Any]]:
    import mlpy

    with mlpy.Engine() as engine:
        checks = {
            "module_registry": _guarded(_registry),
            "compiler": _guarded(lambda: _compiler(engine)),
            "canary_inprocess": _guarded(lambda: _canary(engine, "inprocess")),
            "canary_subprocess": (_guarded(lambda: _canary(engine, "subprocess")) if deep
                                  else {"status": "skipped", "reason": "needs --deep"}),
            "async_engine": _guarded(lambda: _async_engine(engine)),
            "capability_gate": _guarded(_gate),
            "optional_deps": _guarded(_optional),
            "health": _guarded(lambda: _health(engine, deep)),
        }
    return checks


def _health(engine: Any, deep: bool) -> dict[str, Any]:
    """mlpy.health's report on the same engine (its own checks and canaries)."""
    from mlpy import health

    report = health.check(engine, deep=deep, timeout=30.0).to_dict()
    return {"status": "failed" if report["status"] == "unhealthy" else "ok",
            "report_status": report["status"], "checks": report["checks"]}


@click.group()
def integration() -> None:
    """Check this installation; benchmark programs."""


@integration.command("validate")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--deep", is_flag=True, help="Also run the canary in a sandbox worker process.")
def validate(as_json: bool, deep: bool) -> None:
    """Check the module registry, the compiler, the isolation modes, the async engine, the
    capability gate and the optional dependencies."""
    import mlpy

    checks = validate_checks(deep)
    ok = all(found["status"] != "failed" for found in checks.values())
    if as_json:
        emit_json({"ok": ok, "version": mlpy.__version__, "deep": deep, "checks": checks})
    else:
        for name, found in checks.items():
            detail = {k: v for k, v in found.items() if k not in ("status", "elapsed_ms")}
            shown = ", ".join(f"{k}={v}" for k, v in detail.items())
            click.echo(f"{found['status']:<8} {name}" + (f"  ({shown})" if shown else ""))
        click.echo("all checks passed" if ok else "some checks failed", err=True)
    sys.exit(EXIT_OK if ok else EXIT_INTERNAL)


integration.add_command(bench, "benchmark")
