"""Celery: ML programs as tasks that scale out over worker processes (extra ``mlpy[celery]``).

::

    from celery import Celery
    from mlpy.integration.celery import ml_task

    app = Celery("pricing", broker="redis://localhost:6379/0", backend="redis://...")
    price = ml_task(app, "pricing.ml", function="price", name="pricing.price")

    data = price.delay({"total": 120}, grants=["env.read:PRICING_*"], timeout=2.0).get()
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
  and ``stderr``: a worker's own output is no place for it) plus ``worker`` (the Celery
  node name), ``pid``, ``task_id``, ``redelivered``, ``timed_out``, ``cancelled``,
  ``cache_hit``, ``capabilities_used`` and ``trace_id``. :func:`async_result` turns it into an
  :class:`~mlpy.aio.AsyncMLResult`. An ML error or a limit is a *result* (the task
  succeeds with ``ok: false``), unless the caller passes ``raise_errors=True``: then the
  task fails with :class:`MLTaskError`, whose argument is that same dict.
* **No task is lost with its worker.** ``acks_late`` and ``reject_on_worker_lost`` are on:
  the message is acknowledged only after the task ran, so a worker killed mid-run leaves
  it to be delivered again (for Redis, after the transport's ``visibility_timeout``); an
  ML program must therefore be safe to run twice, as any ``acks_late`` task.
* **Tracing.** With OpenTelemetry importable, an ML task's message carries the W3C
  ``traceparent`` of the caller's current span in its headers (whether ``delay``,
  ``apply_async``, ``send_task`` or a canvas sends it), and the worker runs
  the program in that context: its ``mlpy.execute`` span (from
  :func:`mlpy.observability.otel.install`) is a child of the caller's span.

``isolation="subprocess"`` runs each execution in a sandbox worker process of the engine
(operating-system limits, a hard kill at the timeout); use it for ML code you do not trust.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from types import MappingProxyType
from typing import Any, ClassVar

import celery
from celery import signals

from mlpy.aio.result import AsyncMLResult
from mlpy.engine import Engine, ExecutionResult
from mlpy.errors import (
    MLCancelledError,
    MLConfigurationError,
    MLError,
    MLTimeoutError,
    error_from_dict,
)
from mlpy.program import Program
from mlpy.runtime.capabilities import CapabilitySet, capability_items

__all__ = ["MLTask", "MLTaskError", "async_result", "ml_task"]

# The limits a caller may set for one task, and the type each takes.
LIMITS: dict[str, type | tuple[type, ...]] = {
    "timeout": (int, float), "max_steps": int, "max_memory": int, "max_output": int,
}
# How many compiled programs a worker process keeps (the least recently used go first).
PROGRAM_CACHE_SIZE = 512
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

    ``ml_source`` is the program's text (None: each caller sends it as ``source=``),
    ``ml_filename`` the name its errors give, ``ml_function`` the function a task calls
    with its positional arguments (None: run the whole program), ``ml_inputs`` the
    variable names it is compiled for at start, ``ml_isolation`` ``"inprocess"`` or
    ``"subprocess"``, ``ml_allowed_grants`` the grants a caller may ask for (None: any),
    ``ml_engine_options`` the keywords of each process's :class:`~mlpy.Engine`.
    """

    acks_late = True
    reject_on_worker_lost = True
    ml_source: str | None = None
    ml_filename: str = "<task>"  # the name errors give the program
    ml_warm_arity: int = 1  # the argument count a function task is compiled for at start
    ml_inputs: tuple[str, ...] = ()  # the variable names it is compiled for at start
    ml_function: str | None = None
    ml_isolation: str = "inprocess"
    ml_allowed_grants: Sequence[str] | None = None
    ml_engine_options: ClassVar[Mapping[str, Any]] = MappingProxyType({})

    @property
    def engine(self) -> Engine:
        """This worker process's engine for the task's ``ml_engine_options`` (made on first
        use in each process: a forked child never uses its parent's)."""
        return _PROCESS.engine(self.ml_engine_options)

    def program(self, source: str, arity: int = 0,
                variables: Sequence[str] = ()) -> tuple[Program, bool]:
        """``source`` compiled by this process's engine for the host ``variables``, wrapped
        in a call of ``ml_function`` with ``arity`` arguments when the task has one; and
        whether it was compiled before (by this process, for the same engine options)."""
        arguments = [_ARG.format(i) for i in range(arity)] if self.ml_function else []
        if self.ml_function is not None:
            source = source + f"\nresult = {self.ml_function}({', '.join(arguments)});\n"
        inputs = [*arguments, *sorted(variables)]
        return _PROCESS.program(self.ml_engine_options, source, inputs, self.ml_filename)

    def warm(self) -> None:
        """Compile the task's program now, for ``ml_warm_arity`` arguments (a function
        task) and the variables ``ml_inputs``."""
        if self.ml_source is not None:
            self.program(self.ml_source, self.ml_warm_arity, self.ml_inputs)

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
            variables = _variables(variables)
            program, cache_hit = self.program(source, len(args), list(variables))
            inputs = {_ARG.format(i): value for i, value in enumerate(args)}
            inputs.update(variables)
            with _traced(self.request) as trace_id:
                result = self.engine.execute(
                    program, inputs, capabilities=grant_set, isolation=self.ml_isolation,
                    execution_id=self.request.id, capture_output=True, **checked)
        except MLError as error:
            result = ExecutionResult(False, error=error, execution_id=self.request.id or "")
            cache_hit, trace_id = False, None
        data = self._described(result, cache_hit, trace_id)
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

    def _described(self, result: ExecutionResult, cache_hit: bool,
                   trace_id: str | None) -> dict[str, Any]:
        """The task's result: the execution's wire form and where and how it ran."""
        request = self.request
        data = result.to_dict() if result.ok else _failed_dict(result)
        data.update(
            task_id=request.id, worker=request.hostname or "", pid=os.getpid(),
            redelivered=bool((request.delivery_info or {}).get("redelivered")),
            timed_out=isinstance(result.error, MLTimeoutError),
            cancelled=isinstance(result.error, MLCancelledError),
            cache_hit=cache_hit, capabilities_used=sorted(result.capabilities_used),
            trace_id=trace_id)
        return data



def ml_task(app: celery.Celery, source: str | os.PathLike[str] | None = None, *,
            name: str, function: str | None = None,
            isolation: str = "inprocess", allowed_grants: Sequence[str] | None = None,
            engine_options: Mapping[str, Any] | None = None, warm: bool = True,
            arity: int = 1, inputs: Sequence[str] = (), **task_options: Any) -> MLTask:
    """Register and return a Celery task that runs ML.

    ``name`` is the task's Celery name (required: every ML task would otherwise get the
    same one). ``source`` is the program (ML text or a ``.ml`` file's path, read now); with
    ``function`` the task calls that function with its positional arguments, else it runs
    the program with ``variables=``. Without ``source`` the caller sends the program as
    ``source=`` on each call. ``warm=True`` compiles the program when each worker process
    starts, for ``arity`` arguments (a function task) and the ``variables=`` names
    ``inputs``; a call with other names compiles once more. The other keywords are
    Celery task options (``queue``, ``time_limit``, ``max_retries``...).

    Each call takes ``variables=``, ``grants=`` (default none), the limits ``timeout=``,
    ``max_steps=``, ``max_memory=``, ``max_output=``, and ``raise_errors=`` (default
    False: an ML error is the result, not a task failure).
    """
    text, filename = _load(source, name)
    if isolation not in ("inprocess", "subprocess"):
        raise MLConfigurationError(f"isolation must be 'inprocess' or 'subprocess', not "
                                   f"{isolation!r}")

    def run(self: MLTask, *args: Any, source: str | None = None,
            variables: Mapping[str, Any] | None = None, grants: Sequence[str] = (),
            raise_errors: bool = False, **limits: Any) -> dict[str, Any]:
        return self.run_ml(args, source=source, variables=variables, grants=grants,
                           limits=limits, raise_errors=raise_errors)

    task = app.task(
        run, bind=True, base=MLTask, name=name, ml_source=text, ml_filename=filename,
        ml_function=function,
        ml_isolation=isolation, ml_warm_arity=arity, ml_inputs=tuple(inputs),
        ml_allowed_grants=None if allowed_grants is None else list(allowed_grants),
        ml_engine_options=dict(engine_options or {}), **task_options)
    if warm and text is not None:
        _warm_at_start(app, task)
    _ML_TASKS.add(name)
    return task


def async_result(data: Mapping[str, Any]) -> AsyncMLResult:
    """A task's result dict as an :class:`~mlpy.aio.AsyncMLResult`: the error rebuilt as
    its :class:`~mlpy.errors.MLError` class (so ``unwrap()`` raises it), ``worker`` the
    Celery node name, and the value as it came, in its wire form (plain JSON is the value
    itself; NaN, infinities, bytes and huge integers stay ``{"$ml": ...}`` tags)."""
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

class _ProcessCache:
    """The engines and compiled programs of this process, keyed by engine options and by
    source fingerprint; emptied when the process is not the one that filled it (a prefork
    child starts with a copy of its parent's memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._engines: dict[str, Engine] = {}
        # Least recently used first; bounded, as callers may send any number of sources.
        self._programs: OrderedDict[tuple[str, str], Program] = OrderedDict()

    def engine(self, options: Mapping[str, Any]) -> Engine:
        with self._lock:
            return self._engine(options)

    def program(self, options: Mapping[str, Any], source: str, inputs: list[str],
                filename: str) -> tuple[Program, bool]:
        fingerprint = hashlib.sha256("\0".join([filename, source, *inputs]).encode())
        with self._lock:
            engine = self._engine(options)
            key = (_options_key(options), fingerprint.hexdigest())
            program = self._programs.get(key)
            if program is not None:
                self._programs.move_to_end(key)
                return program, True
        # Compiled outside the lock (a threads pool compiles in parallel); the first
        # program stored wins, so every task of the process uses one.
        program = engine.compile(source, filename=filename, inputs=inputs)
        with self._lock:
            program = self._programs.setdefault(key, program)
            while len(self._programs) > PROGRAM_CACHE_SIZE:
                self._programs.popitem(last=False)
            return program, False

    def _engine(self, options: Mapping[str, Any]) -> Engine:
        if self._pid != os.getpid():
            self._pid, self._engines, self._programs = os.getpid(), {}, OrderedDict()
        key = _options_key(options)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine(**dict(options))
        return engine


def _options_key(options: Mapping[str, Any]) -> str:
    return repr(sorted(options.items()))


_PROCESS = _ProcessCache()


def _variables(variables: Any) -> dict[str, Any]:
    """The caller's variables: a mapping of names (the engine checks the values)."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping) or not all(isinstance(k, str) for k in variables):
        raise MLConfigurationError("variables= must be an object of names to values",
                                   hints=['for example variables={"order": {...}}'])
    return dict(variables)


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


def _load(source: str | os.PathLike[str] | None, name: str) -> tuple[str | None, str]:
    """The program's text and the name its errors give: a path (or a string naming a
    ``.ml`` file) is read now, and named by its file; ML text is ``<task NAME>``."""
    if source is None:
        return None, f"<task {name}>"
    if isinstance(source, str) and ("\n" in source or ";" in source
                                    or not source.endswith(".ml")):
        return source, f"<task {name}>"
    with open(source, encoding="utf-8") as file:
        return file.read(), os.path.basename(os.fspath(source))


def _warm_at_start(app: celery.Celery, task: MLTask) -> None:
    """Compile ``task``'s program in each worker process as it starts: a prefork child
    when it is forked, a solo or threads worker when it starts."""

    def in_child(**_: Any) -> None:
        task.warm()

    def in_worker(sender: Any = None, **_: Any) -> None:
        # At worker_init the pool is still its name ("prefork", "solo") or a class.
        pool = getattr(sender, "pool_cls", None)
        pool_name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
        if "prefork" not in pool_name:  # prefork children warm themselves
            task.warm()

    signals.worker_process_init.connect(in_child, weak=False)
    signals.worker_init.connect(in_worker, weak=False)


@cache
def _propagator() -> Any:
    """OpenTelemetry's W3C trace-context propagator, or None without OpenTelemetry."""
    try:
        from opentelemetry.trace.propagation.tracecontext import (
            TraceContextTextMapPropagator,
        )
    except ImportError:
        return None
    return TraceContextTextMapPropagator()


# The names of the tasks ml_task made in this process: their messages carry the trace.
_ML_TASKS: set[str] = set()


@signals.before_task_publish.connect(weak=False)
def _add_trace_context(sender: str | None = None, headers: dict[str, Any] | None = None,
                       **_: Any) -> None:
    """Put the ``traceparent`` of the current span in an ML task's message -- sent by
    ``delay``, ``apply_async``, ``send_task`` or a canvas alike."""
    if sender not in _ML_TASKS or headers is None or "traceparent" in headers:
        return
    if _propagator() is not None:
        _propagator().inject(headers)


def _traceparent(request: Any) -> str | None:
    value = request.get("traceparent") if hasattr(request, "get") else None
    if value is None:
        value = (getattr(request, "headers", None) or {}).get("traceparent")
    return value if isinstance(value, str) else None


@contextmanager
def _traced(request: Any) -> Iterator[str | None]:
    """Run the execution in the caller's trace context, when it sent one; gives the trace
    id of the context now current (None when there is none)."""
    parent = _traceparent(request)
    if parent is None or _propagator() is None:
        yield None
        return
    from opentelemetry import context as otel_context
    from opentelemetry import trace

    token = otel_context.attach(_propagator().extract({"traceparent": parent}))
    try:
        span = trace.get_current_span().get_span_context()
        yield format(span.trace_id, "032x") if span.is_valid else None
    finally:
        otel_context.detach(token)
