"""Celery: ML programs as tasks that scale out over worker processes (extra ``mlpy[celery]``).

::

    from celery import Celery
    from mlpy.integration.celery import ml_task

    app = Celery("pricing", broker="redis://localhost:6379/0", backend="redis://...")
    price = ml_task(app, "pricing.ml", function="price", name="pricing.price")

    data = price.delay({"total": 120}, grants=["console.write"], timeout=2.0).get()
    data["ok"], data["value"], data["worker"]

:func:`ml_task` registers a task of the base :class:`MLTask`:

* **Compiled once per worker process.** Each process has its own :class:`~mlpy.Engine`
  (made on first use, after a prefork worker forks), whose program cache is keyed by the
  source's fingerprint; ``warm=True`` compiles the task's program when the process starts,
  so the first task is a cache hit too.
* **Grants and limits come from the caller, with the message.** ``grants`` (capability
  strings), ``timeout``, ``max_steps``, ``max_memory`` and ``max_output`` are task keyword
  arguments: plain data that the broker carries. A task that names no grant runs with none
  (default deny): the worker's engine, its environment and the task that ran before never
  lend theirs, because every execution *replaces* the grants with the message's. The
  worker sets the ceiling: ``allowed_grants`` refuses any grant outside it, and the
  engine's ``deny`` always wins.
* **The result is data.** A task returns :meth:`ExecutionResult.to_dict
  <mlpy.ExecutionResult.to_dict>` (``ok``, ``value`` and ``error`` in their wire forms,
  ``execution_id``, ``timings``, ``usage``, and what the program printed in ``stdout``
  and ``stderr``: a worker's own output is no place for it) plus ``worker`` (the Celery node name),
  ``pid``, ``task_id``, ``redelivered``, ``timed_out``, ``cache_hit``,
  ``capabilities_used`` and ``trace_id``. :func:`async_result` turns it into an
  :class:`~mlpy.aio.AsyncMLResult`. An ML error or a limit is a *result* (the task
  succeeds with ``ok: false``), unless the caller passes ``raise_errors=True``: then the
  task fails with :class:`MLTaskError`, whose argument is that same dict.
* **No task is lost with its worker.** ``acks_late`` and ``reject_on_worker_lost`` are on:
  the message is acknowledged only after the task ran, so a worker killed mid-run leaves
  it to be delivered again (for Redis, after the transport's ``visibility_timeout``); an
  ML program must therefore be safe to run twice, as any ``acks_late`` task.
* **Tracing.** With OpenTelemetry importable, :meth:`MLTask.apply_async` puts the W3C
  ``traceparent`` of the caller's current span in the task's headers, and the worker runs
  the program in that context: its ``mlpy.execute`` span (from
  :func:`mlpy.observability.otel.install`) is a child of the caller's span.

``isolation="subprocess"`` runs each execution in a sandbox worker process of the engine
(operating-system limits, a hard kill at the timeout); use it for ML code you do not trust.
"""

from __future__ import annotations

import hashlib
import os
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

import celery
from celery import signals

from mlpy.aio.result import AsyncMLResult
from mlpy.engine import Engine, ExecutionResult
from mlpy.errors import (
    MLCancelledError, MLConfigurationError, MLError, MLTimeoutError, error_from_dict,
)
from mlpy.program import Program
from mlpy.runtime.capabilities import CapabilitySet, capability_items

__all__ = ["MLTask", "MLTaskError", "async_result", "ml_task"]

# The limits a caller may set for one task, and the type each takes.
LIMITS: dict[str, type | tuple[type, ...]] = {
    "timeout": (int, float), "max_steps": int, "max_memory": int, "max_output": int,
}
# The names a function task's arguments take in the program that calls it.
_ARG = "task_arg_{}"


class MLTaskError(Exception):
    """What a task run with ``raise_errors=True`` raises for an ML error: its argument is
    the task's result dict (``error`` holds the error's wire form), so it survives any
    result serializer."""

    def __init__(self, result: dict[str, Any]):
        super().__init__(result)
        self.result = result

    def __str__(self) -> str:
        error = self.result.get("error") or {}
        return f"{error.get('type', 'MLError')}: {error.get('message', '')}"


class MLTask(celery.Task):
    """The base of tasks made by :func:`ml_task`; its options are class attributes.

    ``ml_source`` is the program (ML text or a ``.ml`` path; None: the caller sends the
    source as the first argument), ``ml_function`` the function a task calls with its
    arguments (None: run the program with ``variables``), ``ml_isolation`` ``"inprocess"``
    or ``"subprocess"``, ``ml_allowed_grants`` the grants a caller may ask for (None: any),
    ``ml_engine_options`` the keywords of each process's :class:`~mlpy.Engine`.
    """

    acks_late = True
    reject_on_worker_lost = True
    ml_source: str | None = None
    ml_function: str | None = None
    ml_isolation: str = "inprocess"
    ml_allowed_grants: Sequence[str] | None = None
    ml_engine_options: Mapping[str, Any] = {}

    # The engine of the process that made it: a forked child makes its own.
    _engine: Engine | None = None
    _engine_pid: int | None = None
    _engine_lock = threading.Lock()
    # Its compiled programs by source fingerprint; they go with the engine.
    _programs: dict[str, Program] = {}

    @property
    def engine(self) -> Engine:
        """This worker process's engine (made on first use in each process)."""
        with self._engine_lock:
            if self._engine is None or self._engine_pid != os.getpid():
                type(self)._engine = Engine(**dict(self.ml_engine_options))
                type(self)._engine_pid = os.getpid()
                type(self)._programs = {}
            return self._engine

    def program(self, source: str, arity: int | None = None) -> tuple[Program, bool]:
        """``source`` compiled by this process's engine (from its cache after the first
        time), wrapped in a call of ``ml_function`` with ``arity`` arguments when it has
        one; and whether it came from the cache."""
        engine = self.engine
        inputs: list[str] = []
        if self.ml_function is not None and arity is not None:
            inputs = [_ARG.format(i) for i in range(arity)]
            source = source + f"\nresult = {self.ml_function}({', '.join(inputs)});\n"
        key = hashlib.sha256("\0".join([source, *inputs]).encode()).hexdigest()
        programs = type(self)._programs
        program = programs.get(key)
        if program is not None:
            return program, True
        program = programs[key] = engine.compile(source, filename=self._filename(),
                                                 inputs=inputs)
        return program, False

    def warm(self) -> None:
        """Compile the task's program now (a function task: for its usual arity)."""
        if self.ml_source is not None:
            self.program(self.ml_source, self._warm_arity())

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        """Celery's ``apply_async``, with the caller's ``traceparent`` in the headers."""
        carrier = _trace_headers()
        if carrier:
            options["headers"] = {**carrier, **(options.get("headers") or {})}
        return super().apply_async(args, kwargs, **options)

    def run_ml(self, args: Sequence[Any], *, source: str | None, variables: Mapping[str, Any]
               | None, grants: Sequence[str], limits: Mapping[str, Any],
               raise_errors: bool) -> dict[str, Any]:
        """Run one task: check what the caller sent, execute, describe the outcome."""
        try:
            source = self._source(source)
            grant_set = self._grants(grants)
            checked = _limits(limits)
            if self.ml_function is None and args:
                raise MLConfigurationError(
                    "this task runs a whole program: pass its inputs as variables=, not "
                    "as arguments", hints=["use ml_task(..., function=...) to call a function"])
            arity = len(args) if self.ml_function is not None else None
            program, cache_hit = self.program(source, arity)
            inputs = {_ARG.format(i): value for i, value in enumerate(args)}
            inputs.update(variables or {})
            with _traced(self.request):
                result = self.engine.execute(
                    program, inputs, capabilities=grant_set, isolation=self.ml_isolation,
                    execution_id=self.request.id, capture_output=True, **checked)
        except MLError as error:
            result, cache_hit = ExecutionResult(False, error=error,
                                                execution_id=self.request.id or ""), False
        data = self._described(result, cache_hit)
        if raise_errors and not result.ok:
            raise MLTaskError(data)
        return data

    # ------------------------------------------------------------------ helpers

    def _source(self, sent: str | None) -> str:
        if (sent is None) == (self.ml_source is None):
            raise MLConfigurationError(
                "this task runs its own program: the caller must not send one"
                if sent is not None else "this task has no program: send source=",
                hints=["ml_task(app, source) fixes the program; ml_task(app) takes it per call"])
        if sent is not None and not isinstance(sent, str):
            raise MLConfigurationError(f"source= must be ML text, not {type(sent).__name__}")
        return sent if sent is not None else self.ml_source  # type: ignore[return-value]

    def _grants(self, grants: Any) -> CapabilitySet:
        """The caller's grants, refused when one is outside ``ml_allowed_grants``."""
        if isinstance(grants, str) or not isinstance(grants, (list, tuple)):
            raise MLConfigurationError(
                f"grants= must be a list of capability strings, not {type(grants).__name__}",
                hints=['for example grants=["env.read:APP_*"]'])
        requested = capability_items(list(grants), "grants")
        if self.ml_allowed_grants is not None:
            ceiling = CapabilitySet.parse(list(self.ml_allowed_grants))
            refused = [str(c) for c in requested if not ceiling.covers(c)]
            if refused:
                raise MLConfigurationError(
                    f"this worker does not allow the grant {refused[0]!r}",
                    hints=[f"allowed grants: {', '.join(self.ml_allowed_grants) or 'none'}"])
        return CapabilitySet.parse(list(requested))

    def _described(self, result: ExecutionResult, cache_hit: bool) -> dict[str, Any]:
        """The task's result: the execution's wire form and where and how it ran."""
        request = self.request
        data = result.to_dict() if result.ok else _failed_dict(result)
        data.update(
            task_id=request.id, worker=request.hostname or "", pid=os.getpid(),
            redelivered=bool((request.delivery_info or {}).get("redelivered")),
            timed_out=isinstance(result.error, MLTimeoutError),
            cancelled=isinstance(result.error, MLCancelledError),
            cache_hit=cache_hit, capabilities_used=sorted(result.capabilities_used),
            trace_id=_trace_id(request))
        return data

    def _filename(self) -> str:
        source = self.ml_source
        if source is not None and not _is_text(source):
            return os.path.basename(source)
        return f"<task {self.name}>"

    def _warm_arity(self) -> int | None:
        return getattr(self, "ml_warm_arity", None) if self.ml_function else None


def ml_task(app: celery.Celery, source: str | os.PathLike[str] | None = None, *,
            function: str | None = None, name: str | None = None,
            isolation: str = "inprocess", allowed_grants: Sequence[str] | None = None,
            engine_options: Mapping[str, Any] | None = None, warm: bool = True,
            arity: int | None = None, **task_options: Any) -> MLTask:
    """Register and return a Celery task that runs ML.

    ``source`` is the program (ML text or a ``.ml`` file's path, read now); with
    ``function`` the task calls that function with its positional arguments, else it runs
    the program with ``variables=``. Without ``source`` the caller sends the program as
    ``source=`` on each call. ``warm=True`` compiles the program when each worker process
    starts (a function task for ``arity`` arguments, default 1). The other keywords are
    Celery task options (``name``, ``queue``, ``time_limit``, ``max_retries``...).

    Each call takes ``variables=``, ``grants=`` (default none), the limits ``timeout=``,
    ``max_steps=``, ``max_memory=``, ``max_output=``, and ``raise_errors=`` (default
    False: an ML error is the result, not a task failure).
    """
    text = None if source is None else _read(source)
    if isolation not in ("inprocess", "subprocess"):
        raise MLConfigurationError(f"isolation must be 'inprocess' or 'subprocess', not "
                                   f"{isolation!r}")

    def run(self: MLTask, *args: Any, source: str | None = None,
            variables: Mapping[str, Any] | None = None, grants: Sequence[str] = (),
            raise_errors: bool = False, **limits: Any) -> dict[str, Any]:
        return self.run_ml(args, source=source, variables=variables, grants=grants,
                           limits=limits, raise_errors=raise_errors)

    run.__name__ = (function or "run_ml")
    task = app.task(
        run, bind=True, base=MLTask, name=name, ml_source=text, ml_function=function,
        ml_isolation=isolation, ml_warm_arity=1 if arity is None else arity,
        ml_allowed_grants=None if allowed_grants is None else list(allowed_grants),
        ml_engine_options=dict(engine_options or {}), **task_options)
    if warm and text is not None:
        _warm_at_start(app, task)
    return task


def async_result(data: Mapping[str, Any]) -> AsyncMLResult:
    """A task's result dict as an :class:`~mlpy.aio.AsyncMLResult` (the error rebuilt as
    its :class:`~mlpy.errors.MLError` class, ``worker`` the Celery node name)."""
    error = error_from_dict(data["error"]) if data.get("error") else None
    timings = data.get("timings") or {}
    return AsyncMLResult(
        success=bool(data["ok"]), value=data.get("value"),
        error=None if error is None else str(error),
        execution_time=timings.get("total", 0.0),
        transpile_time=0.0 if data.get("cache_hit") else timings.get("compile", 0.0),
        execution_id=data.get("execution_id", ""), error_info=error,
        timed_out=bool(data.get("timed_out")), cancelled=bool(data.get("cancelled")),
        run_time=timings.get("run", 0.0), cache_hit=bool(data.get("cache_hit")),
        stdout=data.get("stdout"), stderr=data.get("stderr"), worker=data.get("worker", ""),
        capabilities_used=frozenset(data.get("capabilities_used") or ()))


# ---------------------------------------------------------------------- internals

def _limits(limits: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's limits, each a known name with a number of its type."""
    checked = {}
    for key, value in limits.items():
        kind = LIMITS.get(key)
        if kind is None:
            raise MLConfigurationError(f"unknown task option {key!r}",
                                       hints=[f"limits: {', '.join(LIMITS)}"])
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
            raise MLConfigurationError(f"{key}= must be a positive number, not {value!r}")
        checked[key] = value
    return checked


def _failed_dict(result: ExecutionResult) -> dict[str, Any]:
    """A failed run's wire form: it has no value to send."""
    return ExecutionResult(False, error=result.error, stdout=result.stdout,
                           stderr=result.stderr, execution_id=result.execution_id,
                           timings=result.timings, usage=result.usage).to_dict()


def _read(source: str | os.PathLike[str]) -> str:
    if isinstance(source, os.PathLike) or not _is_text(source):
        with open(source, encoding="utf-8") as file:
            return file.read()
    return source


def _is_text(source: str) -> bool:
    """ML text, rather than the path of a ``.ml`` file."""
    return "\n" in source or ";" in source or not source.endswith(".ml")


def _warm_at_start(app: celery.Celery, task: MLTask) -> None:
    """Compile ``task``'s program in each worker process as it starts: a prefork child
    when it is forked, a solo or threads worker when it starts."""

    def in_child(**_: Any) -> None:
        task.warm()

    def in_worker(sender: Any = None, **_: Any) -> None:
        pool = getattr(sender, "pool_cls", None)
        pool_name = getattr(pool, "__module__", str(pool))
        if "prefork" not in pool_name:  # prefork children warm themselves
            task.warm()

    signals.worker_process_init.connect(in_child, weak=False)
    signals.worker_init.connect(in_worker, weak=False)


def _trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, when OpenTelemetry is there."""
    try:
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    except ImportError:
        return {}
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier


def _traceparent(request: Any) -> str | None:
    value = request.get("traceparent") if hasattr(request, "get") else None
    if value is None:
        value = (getattr(request, "headers", None) or {}).get("traceparent")
    return value if isinstance(value, str) else None


def _trace_id(request: Any) -> str | None:
    """The trace id of the caller's context (``traceparent`` is version-trace-span-flags)."""
    parent = _traceparent(request)
    parts = parent.split("-") if parent else []
    return parts[1] if len(parts) == 4 else None


@contextmanager
def _traced(request: Any) -> Iterator[None]:
    """Run the execution in the caller's trace context, when it sent one."""
    parent = _traceparent(request)
    if parent is None:
        yield
        return
    try:
        from opentelemetry import context as otel_context
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    except ImportError:
        yield
        return
    token = otel_context.attach(TraceContextTextMapPropagator().extract({"traceparent": parent}))
    try:
        yield
    finally:
        otel_context.detach(token)

