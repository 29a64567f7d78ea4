"""Health checks: is this process able to run ML right now, and if not, what is wrong?

:func:`check` looks at the parts an embedding depends on and reports each one as
``healthy``, ``degraded`` (it works, but something needs attention) or ``unhealthy`` (it
does not work); the report's status is the worst of them. The checks:

``compiler``
    The grammar is loaded and a trivial program compiles (after the first check this is a
    cache hit, so the check is cheap).
``module_registry``
    The modules ML code can import, counted per kind (``stdlib``, ``extension``, ``ml``),
    and the problems discovery found. The standard library must load (``unhealthy``
    otherwise); a broken bridge file or a module that failed to load is ``degraded``: the
    other modules keep working.
``executor``
    The :class:`~mlpy.aio.AsyncEngine`, when one is checked: workers, busy, pending, stuck.
    ``degraded`` when the queue is more than 80 % full or a worker thread is stuck in a
    host call that never returned; ``unhealthy`` once ``max_stuck`` threads (by default
    all of them) are stuck, or the executor is closed.
``sandbox_pool``
    The subprocess workers, when the engine isolates executions in subprocesses: warm
    (started) workers against the configured ``pool_size``. A pool that has not started yet
    (it starts on the first subprocess execution, or on a deep check) is ``degraded``; one
    whose workers all died, or that was closed, is ``unhealthy``.
``capabilities``
    The gate's self-test: a tiny ML program calls a host function that needs a capability,
    once without the grant (it must be denied) and once with it (it must run). It runs on
    a private engine of this module, so it adds nothing to the checked engine's audit log
    or program cache, and on a thread of its own, so the caller's grants cannot leak in.

``deep=True`` adds ``canary``: ``result = 1 + 1;`` compiled and run on the checked engine
in every isolation mode it uses -- ``inprocess`` always, ``subprocess`` when a sandbox is
configured (starting the pool if needed), ``async`` through the AsyncEngine when one is
checked -- each within ``timeout`` seconds, measured on a thread of its own so that a
check never hangs however stuck the engine is.

A check that raises is reported as ``unhealthy`` with its error; :func:`check` itself
raises only for an argument it cannot check. A report is only read, never acted upon:
nothing here restarts or repairs anything.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from mlpy._version import __version__
from mlpy.engine import Engine
from mlpy.errors import CapabilityError, MLBackpressureError, MLConfigurationError
from mlpy.host import host_function
from mlpy.language.parser import GRAMMAR_VERSION, get_parser

if TYPE_CHECKING:
    from mlpy.aio import AsyncEngine

HEALTHY, DEGRADED, UNHEALTHY = "healthy", "degraded", "unhealthy"
_RANK = {HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2}
CANARY = "result = 1 + 1;"
_CANARY_FILE = "<health>"
# A queue fuller than this share of max_pending makes the executor degraded.
PENDING_SHARE = 0.8
# Standard-library modules that must load: without them no real program runs.
_ESSENTIAL = ("math", "json")
# The capability of the gate's self-test; no real module uses it.
_PROBE_CAPABILITY = "health.probe"


@dataclass(frozen=True)
class HealthReport:
    """The outcome of :func:`check`.

    ``status`` is the worst status of ``checks``; each check is a dict with ``status``
    first, then its details, and ``reason`` when it is not healthy. ``ready`` says whether
    the process should get traffic: no check is unhealthy and, when a sandbox is used, its
    pool has warm workers.
    """

    status: str
    version: str
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds the checks took

    @property
    def healthy(self) -> bool:
        return self.status == HEALTHY

    @property
    def ready(self) -> bool:
        pool = self.checks.get("sandbox_pool", {})
        warm = not pool.get("enabled") or pool.get("warm", 0) > 0
        return self.status != UNHEALTHY and warm

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (``json.dumps`` takes it as it is)."""
        return {"status": self.status, "ready": self.ready, "version": self.version,
                "elapsed": round(self.elapsed, 6),
                "checks": {name: dict(found) for name, found in self.checks.items()}}


def check(engine: Engine | AsyncEngine | None = None, *, deep: bool = False,
          timeout: float = 1.0) -> HealthReport:
    """Check ``engine`` (an :class:`~mlpy.Engine`, an :class:`~mlpy.aio.AsyncEngine`, or
    None for the default engine of :func:`mlpy.execute`); see the module for the checks.
    ``timeout`` bounds each canary of a deep check, in seconds."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise MLConfigurationError(f"timeout must be a positive number of seconds, not "
                                   f"{timeout!r}")
    target, executor = _parts(engine)
    start = time.perf_counter()
    checks = {
        "compiler": _guarded(lambda: _compiler(target)),
        "module_registry": _guarded(lambda: _module_registry(target)),
        "executor": _guarded(lambda: _executor(executor)),
        "sandbox_pool": _guarded(lambda: _sandbox_pool(target, executor)),
        "capabilities": _guarded(lambda: _capabilities(timeout)),
    }
    if deep:
        checks["canary"] = _guarded(lambda: _canaries(target, executor, timeout))
        # The canary may have started the sandbox pool: report it as it is now.
        checks["sandbox_pool"] = _guarded(lambda: _sandbox_pool(target, executor))
    status = max((found["status"] for found in checks.values()), key=_RANK.__getitem__)
    return HealthReport(status, __version__, checks, time.perf_counter() - start)


def _parts(engine: Any) -> tuple[Engine, AsyncEngine | None]:
    """The Engine to check, and the AsyncEngine over it when one was given."""
    if engine is None:
        import mlpy  # noqa: PLC0415 - the package imports this module's names lazily

        return mlpy.default_engine(), None
    if isinstance(engine, Engine):
        return engine, None
    from mlpy.aio import AsyncEngine  # noqa: PLC0415 - only an executor check needs it

    if isinstance(engine, AsyncEngine):
        return engine.engine, engine
    raise MLConfigurationError(
        f"health.check takes an Engine, an AsyncEngine or None, not {type(engine).__name__}")


def _guarded(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A check's result, or ``unhealthy`` with the error it raised."""
    try:
        return run()
    except Exception as error:  # noqa: BLE001 - a failing check is a finding, not a crash
        return _status(UNHEALTHY, f"the check failed: {type(error).__name__}: {error}")


def _status(status: str, reason: str | None = None, **detail: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"status": status}
    if reason is not None:
        found["reason"] = reason
    found.update(detail)
    return found


# ----------------------------------------------------------------------------- the checks


def _compiler(engine: Engine) -> dict[str, Any]:
    get_parser()
    engine.compile(CANARY, filename=_CANARY_FILE)
    return _status(HEALTHY, grammar_version=GRAMMAR_VERSION)


def _module_registry(engine: Engine) -> dict[str, Any]:
    registry = engine.registry
    counts = {kind: len(registry.available(kind)) for kind in ("stdlib", "extension", "ml")}
    for name in _ESSENTIAL:
        registry.load(name)  # raises when the standard library is broken: unhealthy
    problems = [{"severity": p.severity, "code": p.code, "message": str(p)}
                for p in registry.problems()]
    failed = sorted(name for name, module in registry.stats().modules.items()
                    if module.last_failure)
    detail = {"modules": counts, "loaded": len(registry.loaded_names()),
              "problems": problems, "failed": failed}
    errors = [p for p in problems if p["severity"] == "error"]
    if errors or failed:
        return _status(DEGRADED, f"{len(errors)} broken module file(s), {len(failed)} "
                       "module(s) failed to load; the others work", **detail)
    return _status(HEALTHY, **detail)


def _executor(executor: AsyncEngine | None) -> dict[str, Any]:
    if executor is None:
        return _status(HEALTHY, enabled=False)
    stats = executor.stats()
    detail = {
        "enabled": True, "closed": executor.closed, "max_workers": executor.max_workers,
        "max_pending": executor.max_pending, "max_stuck": executor.max_stuck,
        "workers": stats.workers, "busy": stats.busy, "pending": stats.queued,
        "stuck": stats.stuck, "completed": stats.completed, "failed": stats.failed,
        "timeouts": stats.timeouts, "cancelled": stats.cancelled, "rejected": stats.rejected,
    }
    if executor.closed:
        return _status(UNHEALTHY, "the executor is closed: it takes no more work", **detail)
    if stats.unhealthy:
        return _status(UNHEALTHY, f"{stats.stuck} worker thread(s) are stuck in host calls "
                       f"(max_stuck={executor.max_stuck}): no replacements start", **detail)
    limit = executor.max_pending
    if limit is not None and stats.queued > PENDING_SHARE * limit:
        return _status(DEGRADED, f"the queue is {stats.queued / limit:.0%} full "
                       f"({stats.queued} of {limit})", **detail)
    if stats.stuck:
        return _status(DEGRADED, f"{stats.stuck} worker thread(s) are stuck in host calls "
                       "and were replaced", **detail)
    return _status(HEALTHY, **detail)


def _uses_sandbox(engine: Engine, executor: AsyncEngine | None) -> bool:
    return engine.isolation == "subprocess" or engine.sandbox is not None or (
        executor is not None and executor.isolation == "subprocess")


def _sandbox_pool(engine: Engine, executor: AsyncEngine | None) -> dict[str, Any]:
    if not _uses_sandbox(engine, executor):
        return _status(HEALTHY, enabled=False)
    from mlpy.sandbox import SandboxConfig  # noqa: PLC0415 - only sandbox users pay for it

    configured = (engine.sandbox or SandboxConfig()).pool_size
    # The Engine starts its pool on the first subprocess execution; reading the attribute
    # (rather than asking the Engine for its pool) never starts one.
    pool = engine._pool  # noqa: SLF001
    if pool is None:
        return _status(DEGRADED, "the pool has not started: the first subprocess execution "
                       "(or a deep check) starts it", enabled=True, started=False,
                       configured=configured, warm=0, busy=0, restarts=0)
    stats = pool.stats()
    ready = sum(1 for worker in pool.workers() if worker["ready"])
    detail = {"enabled": True, "started": True, "configured": configured,
              "warm": stats["workers"], "ready": ready, "busy": stats["busy"],
              "executions": stats["executions"], "restarts": stats["retired"]}
    if pool.closed:
        return _status(UNHEALTHY, "the pool is closed", **{**detail, "warm": 0})
    if stats["workers"] == 0:
        return _status(UNHEALTHY, "no worker process is running", **detail)
    if stats["workers"] < configured:
        return _status(DEGRADED, f"{stats['workers']} of {configured} worker processes "
                       "are running", **detail)
    return _status(HEALTHY, **detail)


@host_function(capabilities=[_PROBE_CAPABILITY])
def _probe() -> int:
    """The guarded host function of the gate's self-test."""
    return 2


_PROBE_PROGRAM = "result = probe();"
_private: Engine | None = None
_private_lock = threading.Lock()


def _private_engine() -> Engine:
    """The engine of the gate's self-test: no audit log (probes are not security events)."""
    global _private
    with _private_lock:
        if _private is None:
            engine = Engine(cache_size=4)
            engine.audit = None  # type: ignore[assignment] - executions then record nothing
            _private = engine
        return _private


def _capabilities(timeout: float) -> dict[str, Any]:
    engine = _private_engine()

    def both() -> tuple[Any, Any]:
        denied = engine.execute(_PROBE_PROGRAM, {"probe": _probe}, capabilities=(),
                                timeout=timeout, isolation="inprocess")
        allowed = engine.execute(_PROBE_PROGRAM, {"probe": _probe},
                                 capabilities=[_PROBE_CAPABILITY], timeout=timeout,
                                 isolation="inprocess")
        return denied, allowed

    (denied, allowed), seconds = _bounded(both, timeout)
    detail = {"seconds": round(seconds, 6)}
    if not (isinstance(denied.error, CapabilityError)
            and denied.error.required == _PROBE_CAPABILITY):
        return _status(UNHEALTHY, "a call without its capability was not denied "
                       f"(outcome: {_outcome(denied)})", **detail)
    if not (allowed.ok and allowed.value == 2):
        return _status(UNHEALTHY, "a granted call did not run "
                       f"(outcome: {_outcome(allowed)})", **detail)
    return _status(HEALTHY, denied=True, allowed=True, **detail)


def _canaries(engine: Engine, executor: AsyncEngine | None,
              timeout: float) -> dict[str, Any]:
    runs: dict[str, Callable[[], Any]] = {
        "inprocess": lambda: engine.execute(CANARY, filename=_CANARY_FILE, capabilities=(),
                                            timeout=timeout, isolation="inprocess")}
    if _uses_sandbox(engine, executor):
        runs["subprocess"] = lambda: engine.execute(CANARY, filename=_CANARY_FILE,
                                                    capabilities=(), timeout=timeout,
                                                    isolation="subprocess")
    if executor is not None:
        runs["async"] = lambda: _through(executor, timeout)
    modes = {mode: _canary(run, timeout) for mode, run in runs.items()}
    status = max((found["status"] for found in modes.values()), key=_RANK.__getitem__)
    failing = [mode for mode, found in modes.items() if found["status"] != HEALTHY]
    reason = None if not failing else f"the canary failed in: {', '.join(failing)}"
    return _status(status, reason, modes=modes)


def _through(executor: AsyncEngine, timeout: float) -> Any:
    """The canary's result through the executor's queue and workers."""
    future = executor.submit(CANARY, capabilities=(), timeout=timeout)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise


def _canary(run: Callable[[], Any], timeout: float) -> dict[str, Any]:
    try:
        result, seconds = _bounded(run, timeout)
    except TimeoutError as error:
        return _status(UNHEALTHY, str(error))
    detail = {"seconds": round(seconds, 6)}
    error = getattr(result, "error_info", None) or getattr(result, "error", None)
    if isinstance(error, MLBackpressureError):
        return _status(DEGRADED, "the executor's queue refused the canary", **detail)
    ok = getattr(result, "ok", getattr(result, "success", False))
    if not ok or result.value != 2:
        return _status(UNHEALTHY, f"the canary did not compute 2 (outcome: "
                       f"{_outcome(result)})", **detail)
    return _status(HEALTHY, **detail)


def _bounded(run: Callable[[], Any], timeout: float) -> tuple[Any, float]:
    """``run()`` on a thread of its own (a fresh context: no grants, no execution) and the
    seconds it took; TimeoutError when it has not finished within ``timeout`` (it is left
    to finish on its own: every run here has an ML time limit)."""
    outcome: concurrent.futures.Future = concurrent.futures.Future()
    start = time.perf_counter()

    def target() -> None:
        try:
            outcome.set_result(run())
        except BaseException as error:  # noqa: BLE001 - delivered to the waiting check
            outcome.set_exception(error)

    threading.Thread(target=target, name="mlpy-health", daemon=True).start()
    try:
        value = outcome.result(timeout)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"did not finish within {timeout:g} s") from None
    return value, time.perf_counter() - start


def _outcome(result: Any) -> str:
    """What a result was, without its values or the program's text: ok, or the error's
    type and code."""
    error = getattr(result, "error_info", None) or getattr(result, "error", None)
    if error is None:
        return "ok"
    return f"{type(error).__name__} {getattr(error, 'code', '')}".strip()


__all__ = ["CANARY", "DEGRADED", "HEALTHY", "UNHEALTHY", "HealthReport", "check"]
