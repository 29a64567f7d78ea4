"""The hook point of metrics and tracing: what mlpy's code reports, and who listens.

Instrumented places (the engine, sessions, callbacks, the async workers, the sandbox pool,
the capability gate) report through the functions here, and only behind one test of the
module flag::

    if events.ACTIVE:
        events.capability_checked(name, True)

With nothing installed ``ACTIVE`` is False and that test is all an execution pays: no event
object is built, no clock is read. :func:`add_listener` (what
:func:`mlpy.observability.prometheus.install` and :func:`mlpy.observability.otel.install`
call) sets it.

A listener is a :class:`Listener` subclass overriding the methods it cares about. The
events:

* ``compiled(Compile)`` -- one compile, after it ended (cache hits included);
* ``execution_started(Execution)`` and ``execution_finished(Execution)`` -- one execution,
  called in the thread and context it runs in, so a listener may make the execution's span
  current between the two (tracing does);
* ``capability_checked(name, allowed, resource)`` -- one gate decision (``name`` is the
  ``area.action``; ``resource`` only on a denial, None when redacted);
* ``sandbox_ran(SandboxRun)`` and ``sandbox_restarted(reason)`` -- a sandbox worker answered
  (or died), a worker was replaced;
* ``session_opened(session)``, ``session_closed(session)``, ``engine_created(engine)`` --
  objects whose state a collector reads when it is scraped (an Engine or an AsyncEngine);
* ``host_call_started(HostCall)`` and ``host_call_finished(HostCall)`` -- ML called a
  host function (as for executions, in its thread and context);
* ``trace_context()`` -- the carrier (``{"traceparent": ...}``) a sandbox run frame takes.

A listener that raises never breaks an execution: the exception is logged once per
listener at WARNING on the ``mlpy.observability`` logger and the work goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from mlpy.errors import (
    CapabilityError, MLBackpressureError, MLCancelledError, MLCompileError,
    MLConfigurationError, MLError, MLLimitError, MLMarshalError, MLSandboxError,
    MLSecurityError, MLTimeoutError, SecurityError,
)
from mlpy.runtime.values import typeof

logger = logging.getLogger("mlpy.observability")

# True while any listener is installed: the one test instrumented code makes.
ACTIVE = False
_listeners: tuple["Listener", ...] = ()
_lock = threading.Lock()
_warned: set[int] = set()

MODES = ("inprocess", "async", "sandbox", "callback", "session")
STATUSES = ("ok", "ml_error", "timeout", "cancelled", "capability_denied", "security_error",
            "resource_limit", "marshal_error", "backpressure", "internal_error")


class Listener:
    """Receives mlpy's events; every method does nothing unless overridden."""

    def compiled(self, event: "Compile") -> None: ...

    def execution_started(self, run: "Execution") -> None: ...

    def execution_finished(self, run: "Execution") -> None: ...

    def capability_checked(self, name: str, allowed: bool, resource: str | None) -> None: ...

    def sandbox_ran(self, run: "SandboxRun") -> None: ...

    def sandbox_restarted(self, reason: str) -> None: ...

    def session_opened(self, session: Any) -> None: ...

    def session_closed(self, session: Any) -> None: ...

    def engine_created(self, engine: Any) -> None: ...

    def host_call_started(self, call: "HostCall") -> None: ...

    def host_call_finished(self, call: "HostCall") -> None: ...

    def trace_context(self) -> dict[str, str]:
        return {}


def add_listener(listener: Listener) -> None:
    global ACTIVE, _listeners
    with _lock:
        if listener not in _listeners:
            _listeners = (*_listeners, listener)
        _route()
        ACTIVE = True


def remove_listener(listener: Listener) -> None:
    global ACTIVE, _listeners
    with _lock:
        _listeners = tuple(known for known in _listeners if known is not listener)
        _route()
        ACTIVE = bool(_listeners)
        _warned.discard(id(listener))


def listeners() -> tuple[Listener, ...]:
    return _listeners


# Event name -> the (listener, bound method) pairs that handle it: only the methods a
# listener overrides, looked up once when listeners change rather than on every event.
_handlers: dict[str, tuple[tuple[Listener, Any], ...]] = {}
_EVENTS = tuple(name for name in vars(Listener) if not name.startswith("_"))


def _route() -> None:
    global _handlers
    _handlers = {
        name: tuple((listener, getattr(listener, name)) for listener in _listeners
                    if getattr(type(listener), name) is not getattr(Listener, name))
        for name in _EVENTS}


def _notify(method: str, *args: Any) -> None:
    for listener, handler in _handlers.get(method, ()):
        try:
            handler(*args)
        except Exception:  # noqa: BLE001 - a collector must never break an execution
            _failed(listener, method)


def _failed(listener: Listener, method: str) -> None:
    if id(listener) not in _warned:
        _warned.add(id(listener))
        logger.warning("the observability listener %r failed in %s (reported once; its "
                       "later failures are ignored)", listener, method, exc_info=True)


# ----------------------------------------------------------------------------- compiles


class Compile:
    """One compile: ``result`` is ok, syntax_error or security_rejected; ``start_ns`` is
    wall-clock time (``time.time_ns``), ``duration`` seconds."""

    __slots__ = ("source_name", "source_bytes", "cache_hit", "errors", "warnings", "result",
                 "start_ns", "duration")

    def __init__(self, source_name: str, source_bytes: int, cache_hit: bool, errors: int,
                 warnings: int, result: str, start_ns: int, duration: float):
        self.source_name = source_name
        self.source_bytes = source_bytes
        self.cache_hit = cache_hit
        self.errors = errors
        self.warnings = warnings
        self.result = result
        self.start_ns = start_ns
        self.duration = duration


def observe_compile(compile_text: Any, text: str, filename: str, *args: Any) -> Any:
    """``compile_text(text, filename, *args)`` -- which returns ``(program, cache_hit)`` or
    raises MLCompileError -- reported as a :class:`Compile` event."""
    start_ns, start = time.time_ns(), time.perf_counter()
    try:
        program, cache_hit = compile_text(text, filename, *args)
    except MLCompileError as error:
        found = error.diagnostics
        result = "security_rejected" if isinstance(error, MLSecurityError) else "syntax_error"
        _notify("compiled", Compile(
            filename, len(text.encode("utf-8", "surrogatepass")), False,
            sum(d.severity == "error" for d in found), sum(d.severity == "warning" for d in found),
            result, start_ns, time.perf_counter() - start))
        raise
    found = program.diagnostics
    _notify("compiled", Compile(
        filename, len(text.encode("utf-8", "surrogatepass")), cache_hit,
        sum(d.severity == "error" for d in found), sum(d.severity == "warning" for d in found),
        "ok", start_ns, time.perf_counter() - start))
    return program, cache_hit


# ----------------------------------------------------------------------------- executions


class _Unfinished:
    """The ``value`` of an execution that has none: it raised out of mlpy's own code."""


_UNFINISHED: Any = _Unfinished()
_UNFINISHED_ERROR = RuntimeError("the execution ended by an exception out of mlpy")


class Execution:
    """One execution as listeners see it.

    Set at the start: ``mode`` (one of :data:`MODES`), ``timeout``, the grants (read them
    with :meth:`grants`: a CapabilitySet or None), ``queue_time`` (seconds waited for a worker), ``execution_id``
    when known, and for callbacks ``callback`` (the wrapper's name), ``function`` (the ML
    function) and ``args_count``; ``code_length`` when the source text is at hand. Set by
    :meth:`end`: ``status`` (one of :data:`STATUSES`), ``error``, ``result_type`` (the ML
    type name of the value, None after an error), ``steps``, ``duration`` (seconds). What
    only some listeners need -- the grants, the type name -- is worked out when asked for,
    so that metrics do not pay for what tracing reads. ``data`` is where each
    listener keeps what it needs between start and end (its span, say), keyed by itself.
    """

    __slots__ = ("mode", "timeout", "_grants", "queue_time", "execution_id", "callback",
                 "function", "args_count", "code_length", "status", "error", "_value",
                 "steps", "duration", "data", "_start")

    def __init__(self, mode: str, timeout: float | None, capabilities: Any,
                 queue_time: float, execution_id: str | None, callback: str | None,
                 function: str | None, args_count: int | None, code_length: int | None):
        self.mode = mode
        self.timeout = timeout
        self._grants = capabilities  # a CapabilitySet, None, or what returns one
        self.queue_time = queue_time
        self.execution_id = execution_id
        self.callback = callback
        self.function = function
        self.args_count = args_count
        self.code_length = code_length
        self.status = "internal_error"
        self.error: BaseException | None = None
        self._value: Any = _UNFINISHED
        self.steps: int | None = None
        self.duration = 0.0
        self.data: dict[Any, Any] = {}
        self._start = time.perf_counter()

    def end(self, result: Any = None, *, error: BaseException | None = None,
            value: Any = _UNFINISHED, execution_id: str | None = None,
            steps: int | None = None) -> None:
        """Report the end: from an ExecutionResult (``result``), or for a call from its
        ``value`` or ``error``. With none of them (the work raised out of mlpy: call this in
        a ``finally``) the status is internal_error."""
        self.duration = time.perf_counter() - self._start
        if result is not None:
            error, value = result.error, result.value
            execution_id = result.execution_id
            steps = result.usage.get("steps")
            if self.mode == "sandbox":  # the wait for a worker process, as the pool saw it
                self.queue_time = result.timings.get("queue", 0.0)
        elif error is None and value is _UNFINISHED:
            error = _UNFINISHED_ERROR
        self.error = error
        self.status = status_of(error)
        if error is None:
            self._value = value
        elif execution_id is None:
            execution_id = getattr(error, "execution_id", None)
        if execution_id:
            self.execution_id = execution_id
        self.steps = steps
        _notify("execution_finished", self)

    def grants(self) -> Any:
        """The CapabilitySet the execution runs under (None when not known)."""
        grants = self._grants
        if callable(grants):
            grants = self._grants = grants()
        return grants

    @property
    def result_type(self) -> str | None:
        value = self._value
        return None if value is _UNFINISHED else typeof(value)


def execution_started(mode: str, *, timeout: float | None = None, capabilities: Any = None,
                      queue_time: float = 0.0, execution_id: str | None = None,
                      callback: str | None = None, function: str | None = None,
                      args_count: int | None = None,
                      code_length: int | None = None) -> Execution:
    """Report the start of an execution; call ``.end(...)`` on what it returns, always (in
    a ``finally``), in the same thread. ``capabilities`` is the CapabilitySet, or a
    function of no arguments that returns it (called only if a listener asks)."""
    run = Execution(mode, timeout, capabilities, queue_time, execution_id, callback,
                    function, args_count, code_length)
    _notify("execution_started", run)
    return run


def execution_refused(mode: str, error: BaseException, *, execution_id: str | None = None,
                      queue_time: float = 0.0) -> None:
    """An execution that never ran (turned away by backpressure, cancelled in the queue)."""
    run = Execution(mode, None, None, queue_time, execution_id, None, None, None, None)
    _notify("execution_started", run)
    run.end(error=error)


def status_of(error: BaseException | None) -> str:
    """The §9.2 status label of an execution that ended with ``error`` (None: ok)."""
    if error is None:
        return "ok"
    for kind, status in _STATUS_BY_TYPE:
        if isinstance(error, kind):
            return status
    return "ml_error" if isinstance(error, MLError) else "internal_error"


# Most specific first: CapabilityError and MLTimeoutError are execution and limit errors.
_STATUS_BY_TYPE: tuple[tuple[type, str], ...] = (
    (MLTimeoutError, "timeout"),
    (MLCancelledError, "cancelled"),
    (CapabilityError, "capability_denied"),
    (SecurityError, "security_error"),
    (MLSecurityError, "security_error"),
    (MLLimitError, "resource_limit"),
    (MLMarshalError, "marshal_error"),
    (MLBackpressureError, "backpressure"),
    (MLSandboxError, "internal_error"),
    (MLConfigurationError, "internal_error"),
)


# ----------------------------------------------------------------------------- the rest


def capability_checked(name: str, allowed: bool, resource: str | None = None) -> None:
    _notify("capability_checked", name, allowed, resource)


class SandboxRun:
    """One task a sandbox worker ran: ``pid``, ``exit_reason`` ("completed" when the worker
    answered, else how it ended), ``max_rss_bytes``, ``cpu_time`` (seconds), and the
    wall-clock start and end (``time.time_ns``)."""

    __slots__ = ("pid", "exit_reason", "max_rss_bytes", "cpu_time", "start_ns", "end_ns")

    def __init__(self, pid: int, exit_reason: str, max_rss_bytes: int | None,
                 cpu_time: float | None, start_ns: int, end_ns: int):
        self.pid = pid
        self.exit_reason = exit_reason
        self.max_rss_bytes = max_rss_bytes
        self.cpu_time = cpu_time
        self.start_ns = start_ns
        self.end_ns = end_ns


def sandbox_ran(run: SandboxRun) -> None:
    _notify("sandbox_ran", run)


RESTART_REASONS = ("recycle", "timeout", "memory_limit", "cpu_limit", "crash")


def sandbox_restarted(reason: str) -> None:
    _notify("sandbox_restarted", reason if reason in RESTART_REASONS else "crash")


def session_opened(session: Any) -> None:
    _notify("session_opened", session)


def session_closed(session: Any) -> None:
    _notify("session_closed", session)


def engine_created(engine: Any) -> None:
    _notify("engine_created", engine)


class HostCall:
    """One call of a host function from ML: ``name``, and when it ended ``error`` and
    ``duration``; ``data`` as for :class:`Execution`."""

    __slots__ = ("name", "error", "duration", "data", "_start")

    def __init__(self, name: str):
        self.name = name
        self.error: BaseException | None = None
        self.duration = 0.0
        self.data: dict[Any, Any] = {}
        self._start = time.perf_counter()

    def end(self, error: BaseException | None = None) -> None:
        self.duration = time.perf_counter() - self._start
        self.error = error
        _notify("host_call_finished", self)


def host_call_started(name: str) -> HostCall:
    """Report a host function call; call ``.end(error)`` on what it returns, always."""
    call = HostCall(name)
    _notify("host_call_started", call)
    return call


def trace_context() -> dict[str, str]:
    """What the listeners put in a sandbox run frame to continue the current trace."""
    carrier: dict[str, str] = {}
    for listener, handler in _handlers.get("trace_context", ()):
        try:
            carrier.update(handler())
        except Exception:  # noqa: BLE001 - as in _notify
            _failed(listener, "trace_context")
    return carrier
