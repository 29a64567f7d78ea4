"""The REPL's integration commands: ``.async``, ``.callback`` and ``.benchmark``.

They try out, from the REPL, what a host does with the session's code (integration spec
8.2): run it on an :class:`~mlpy.aio.AsyncEngine`, call an ML function as a Python callback,
measure it.

``.async`` and ``.benchmark`` run against the session's names and leave them as they were
(:class:`Isolation`): while they run, the session's top-level names hold copies of its arrays
and objects (fresh ones for every run of ``.benchmark``, so each starts from the same state),
and afterwards the very objects it held before are back, names they added are gone and its
import table and grants are as they were. The session itself is used rather than a second
one, because the functions it defines keep its namespace as their globals: called from a
second session they would change the first. Values held only inside closures are shared.
"""

from __future__ import annotations

import concurrent.futures
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from mlpy.callbacks import ml_callback
from mlpy.errors import MLCompileError, MLError, MLResourceError, MLTimeoutError
from mlpy.repl.commands import CommandError, CommandFailed, command
from mlpy.repl.display import ml_repr
from mlpy.repl.inputs import with_semicolon
from mlpy.runtime.state import new_execution_id

if TYPE_CHECKING:
    from mlpy.repl.session import MLREPLSession
    from mlpy.session import Session

ASYNC_SOURCE = "<async>"
BENCHMARK_SOURCE = "<benchmark>"
DEFAULT_RUNS = 100
MAX_RUNS = 100_000


# ----------------------------------------------------------------------------- .async


@command("async", "Integration", ".async CODE", "Run code on the async engine, in a copy",
         "Runs CODE on a worker of the async engine, against the session's names, as a host "
         "would with AsyncEngine; what it defines or changes is thrown away afterwards. "
         "Shows the value, the execution id, the worker and the queue, run and total "
         "times. CODE is the rest of the line, as typed.", ".async total * 2",
         min_args=1, raw=True)
def async_command(repl: MLREPLSession, args: list[str]) -> str:
    source = with_semicolon(args[0])
    engine = _open_async_engine(repl)
    repl._sources[ASYNC_SOURCE] = source
    run = AsyncRun(repl, source)
    isolation = Isolation(repl.session)
    isolation.fresh()
    try:
        failure = run.on(engine)
    finally:
        restored = isolation.restore(wait=getattr(engine, "cancel_grace", 1.0) + 1.0)
    return run.report(failure, restored)


class AsyncRun:
    """One ``.async`` execution: its id, the worker it ran on and its times."""

    def __init__(self, repl: MLREPLSession, source: str):
        self.repl = repl
        self.source = source
        self.execution_id = new_execution_id()
        self.worker = ""
        self.submitted = self.started = self.finished = 0.0
        self.result: Any = None  # the session's ExecutionResult, once it ran

    def __call__(self) -> Any:  # on the worker
        self.worker = threading.current_thread().name
        self.started = time.perf_counter()
        return self.repl.session.exec(
            self.source, filename=ASYNC_SOURCE, result_name=None,
            timeout=self.repl.async_timeout, execution_id=self.execution_id,
            output=self.repl.output)

    def on(self, engine: Any) -> MLError | None:
        """Run on ``engine`` and wait; the error, if it failed (Ctrl+C cancels it)."""
        self.submitted = time.perf_counter()
        try:
            future = engine.submit_call(self)
        except MLError as error:  # closed meanwhile, or the queue is full
            raise CommandFailed(f"Error: the async engine refused the execution: "
                                f"{error.message}") from None
        try:
            self.result = _wait(future)
        except KeyboardInterrupt:
            future.cancel()  # stops the execution
            raise
        except MLError as error:  # stopped from outside: the watchdog, a shutdown
            return error
        finally:
            self.finished = time.perf_counter()
        return self.result.error

    def report(self, failure: MLError | None, restored: bool) -> str:
        """What ``.async`` shows; raises CommandFailed for a failure."""
        total = self.finished - self.submitted
        queue = self.started - self.submitted if self.started else total
        run = self.result.timings.get("run", 0.0) if self.result is not None else 0.0
        where = f" on {self.worker}" if self.worker else ""
        done = f"[async] execution {self.execution_id}{where}"
        times = f"queue {_ms(queue)}, run {_ms(run)}, total {_ms(total)}"
        warning = [] if restored else [
            ("Warning: the execution is still running in host code; the session is busy "
             "until it returns, and may keep what it changes.")]
        if failure is not None:
            shown = self.repl._error(failure, self.source, ASYNC_SOURCE).format()
            raise CommandFailed("\n".join([shown, f"{done} failed: {times}", *warning]))
        value = self.result.value
        lines = [] if value is None else [f"=> {_shown(value)}"]
        return "\n".join([*lines, f"{done}: {times}", *warning])


def _open_async_engine(repl: MLREPLSession) -> Any:
    engine = repl.async_engine
    why = "it is shut down" if engine.closed else \
        "its workers are stuck in host code" if engine.stats().unhealthy else None
    if why is not None:
        raise CommandFailed(
            f"Error: the async engine is down ({why}), so .async cannot run code.\n"
            "Tip: statements and the other commands still work; start a new REPL (or give "
            "MLREPLSession an open async_engine=) to use .async again.")
    return engine


class Isolation:
    """Lets code run in ``session`` and then puts the session back as it was.

    :meth:`fresh` gives the namespace copies of the arrays and objects it held (from a
    checkpoint taken at construction); :meth:`restore` rolls the session's tables and grants
    back to that checkpoint and refills the namespace -- in place, since functions keep it
    as their globals -- with the original objects, so a host holding one of them never sees
    it changed.
    """

    def __init__(self, session: Session):
        self.session = session
        with session.lock:
            self.original = dict(session._namespace)
            self.checkpoint = session.checkpoint()

    def fresh(self) -> None:
        self.session.rollback(self.checkpoint)

    def restore(self, wait: float | None = None) -> bool:
        """Put the session back; False when ``wait`` seconds pass while an execution still
        holds it (a thread left stuck in host code after a time limit)."""
        lock = self.session.lock
        if not lock.acquire(timeout=-1 if wait is None else wait):
            return False
        try:
            self.session.rollback(self.checkpoint)
            namespace = self.session._namespace
            namespace.clear()
            namespace.update(self.original)
        finally:
            lock.release()
        return True


# ----------------------------------------------------------------------------- .callback


@command("callback", "Integration", ".callback FUNCTION [ALIAS]",
         "Make an ML function a Python callback",
         "Wraps the ML function FUNCTION in an MLCallbackWrapper, binds it as ALIAS "
         "(default FUNCTION_callback) in the session's Python namespace "
         "(MLREPLSession.python_namespace) and shows how to call it. The callback looks the "
         "function up at each call, so a redefinition is picked up; it runs under the "
         "session's grants as they are now (a later .revoke applies, a later .grant needs "
         "a new .callback).", ".callback total on_total", min_args=1)
def callback_command(repl: MLREPLSession, args: list[str]) -> str:
    if len(args) > 2:
        raise CommandError("too many arguments (.callback FUNCTION [ALIAS])")
    function = args[0]
    alias = args[1] if len(args) > 1 else f"{function}_callback"
    try:
        repl.session.function(function)  # checks that it is an ML function now
    except MLError as error:
        tip = error.hints[0] if error.hints else \
            f"define it first: function {function}(...) {{ ... }}" if function.isidentifier() \
            else "an ML function name is a letter or _ followed by letters, digits and _"
        raise CommandFailed(f"Error: {error.message}\nTip: {tip}") from None
    if not alias.isidentifier():
        raise CommandError(f"'{alias}' is not a valid name for the callback (letters, "
                           "digits and _, not starting with a digit)")
    wrapper = ml_callback(repl, function, name=alias)
    replaced = alias in repl.python_namespace
    repl.python_namespace[alias] = wrapper
    parameters = _parameters(repl.session.get(function))
    grants = ", ".join(sorted(str(c) for c in wrapper.capabilities)) or "none"
    made = "Replaced" if replaced else "Created"
    return (f"{made} callback {alias} for {function}({parameters}); grants: {grants}.\n"
            f"From Python: repl.python_namespace[\"{alias}\"]({parameters})")


def _parameters(function: Any) -> str:
    """The ML parameter list of a session function, as the REPL shows functions."""
    shown = ml_repr(function)  # <function name(a, b)>
    return shown[shown.find("(") + 1:shown.rfind(")")] if "(" in shown else ""


# ----------------------------------------------------------------------------- .benchmark


@command("benchmark", "Integration", ".benchmark CODE [; N]",
         "Time code over N runs (default 100)",
         "Runs CODE N times against a snapshot of the session -- every run starts from the "
         "same state, and nothing it does stays -- and shows p50, p95, mean, min and max "
         "times and how many runs succeeded and failed. N is the text after the last ';' "
         "when it is a whole number; otherwise all of the line is CODE. What the code "
         "prints is not shown. Code that does not compile is not run; a run that reaches "
         "the time limit ends the benchmark.", ".benchmark fib(15); 50",
         min_args=1, raw=True)
def benchmark_command(repl: MLREPLSession, args: list[str]) -> str:
    code, runs = split_runs(args[0])
    if not code.strip():
        raise CommandError("no code to benchmark (.benchmark CODE [; N])")
    if not 1 <= runs <= MAX_RUNS:
        raise CommandError(f"the number of runs must be between 1 and {MAX_RUNS:,}, "
                           f"not {runs}")
    source = with_semicolon(code)
    repl._sources[BENCHMARK_SOURCE] = source
    times, failures, first_error, stopped = _measure(repl, source, runs)
    if first_error is not None and isinstance(first_error, MLCompileError):
        shown = repl._error(first_error, source, BENCHMARK_SOURCE).format()
        raise CommandFailed(f"{shown}\nBenchmark not run: the code does not compile.")
    done = len(times) + failures
    lines = [f"Benchmark: {done} run{'s' if done != 1 else ''}, {len(times)} succeeded, "
             f"{failures} failed" + (f" (stopped early: {stopped})" if stopped else "")]
    if times:
        lines.append(summary(times))
    if first_error is not None:
        shown = repl._error(first_error, source, BENCHMARK_SOURCE).format()
        lines.append("First failure:\n" + shown)
    if not times:
        raise CommandFailed("\n".join(lines))
    return "\n".join(lines)


def split_runs(text: str) -> tuple[str, int]:
    """``(code, N)``: N is what follows the last ``;`` when it parses as an integer (the
    code is then what precedes that ``;``, which may end in a block), else
    :data:`DEFAULT_RUNS` with all of ``text``."""
    code, semicolon, tail = text.rpartition(";")
    if semicolon:
        try:
            return code.rstrip(), int(tail.strip())
        except ValueError:
            pass
    return text, DEFAULT_RUNS


def _measure(repl: MLREPLSession, source: str, runs: int
             ) -> tuple[list[float], int, MLError | None, str | None]:
    """Run ``source`` up to ``runs`` times, rolling the session back after each run:
    (seconds of the successful runs, failures, the first error, why it stopped early)."""
    session = repl.session
    isolation = Isolation(session)
    times: list[float] = []
    failures = 0
    first_error: MLError | None = None
    try:
        for _ in range(runs):
            isolation.fresh()
            start = time.perf_counter()
            result = session.exec(source, filename=BENCHMARK_SOURCE, result_name=None,
                                  timeout=repl.async_timeout, capture_output=True)
            elapsed = time.perf_counter() - start
            if result.ok:
                times.append(elapsed)
                continue
            failures += 1
            first_error = first_error or result.error
            if isinstance(result.error, MLCompileError):
                return times, failures, result.error, "the code does not compile"
            if isinstance(result.error, MLTimeoutError):
                return times, failures, first_error, "a run reached the time limit"
    finally:
        isolation.restore()
    return times, failures, first_error, None


def summary(seconds: list[float]) -> str:
    """The p50/p95/mean/min/max line of a benchmark (nearest-rank percentiles)."""
    ordered = sorted(seconds)
    parts = [("p50", percentile(ordered, 50)), ("p95", percentile(ordered, 95)),
             ("mean", sum(ordered) / len(ordered)), ("min", ordered[0]),
             ("max", ordered[-1])]
    return "  " + "   ".join(f"{name} {_ms(value)}" for name, value in parts)


def percentile(ordered: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of sorted values."""
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


# ----------------------------------------------------------------------------- shared


def _wait(future: concurrent.futures.Future) -> Any:
    """The future's result, waited for in short steps so that Ctrl+C gets through."""
    while not future.done():
        concurrent.futures.wait([future], timeout=0.05)
    return future.result()


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def _shown(value: Any) -> str:
    try:
        return ml_repr(value)
    except MLResourceError as error:
        return f"<{error.message}>"
