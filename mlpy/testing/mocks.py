"""Stand-ins for the async engine, for sessions and (for old code) for the capability manager.

:class:`MockAsyncExecutor` has the interface of :class:`~mlpy.AsyncEngine` -- ``execute``
returns an :class:`~mlpy.AsyncMLResult` and never raises for an ML error -- and answers from
what the test configured instead of running ML. :class:`MockSession` *is* a
:class:`~mlpy.Session`: the functions a test ``define``\\s are real ML functions whose body
calls a Python stand-in, so ``session.call``, ``session.function`` and callbacks made with
:func:`mlpy.ml_callback` go through mlpy's real call path and hand the stand-in the real
arguments; ``exec`` only records the source it was given.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import itertools
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from mlpy.engine import RESERVED, Engine, ExecutionResult
from mlpy.errors import MLConfigurationError, MLError, MLRuntimeError, MLTimeoutError
from mlpy.host import host_function
from mlpy.runtime.capabilities import CapabilitySet, as_capability_set
from mlpy.session import Session

__all__ = [
    "MockAsyncExecutor", "MockCapabilityManager", "MockCapabilityViolation",
    "MockExecutionRecord", "MockFunctionCall", "MockREPLSession", "MockSession",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NOTHING: Any = object()


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()  # timeout=DEFAULT: the mock's default_timeout, as AsyncEngine's


# ----------------------------------------------------------------------------- async engine


@dataclass
class MockExecutionRecord:
    """One request a :class:`MockAsyncExecutor` received, and what it answered."""

    ml_code: Any  # the source or Program; for call(), the function's name
    timeout: Any = None
    context: Mapping[str, Any] | None = None
    timestamp: float = field(default_factory=time.time)
    result: Any = None  # what was returned (an AsyncMLResult unless return_raw)
    exception: BaseException | None = None  # what was raised to the caller, if anything
    variables: Mapping[str, Any] | None = None
    capabilities: Any = None
    execution_id: str | None = None
    kind: str = "execute"  # "execute", "call" or "run_call"
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class MockAsyncExecutor:
    """An :class:`~mlpy.AsyncEngine` that runs nothing and answers as configured.

    Each request takes its answer from, in this order: ``side_effect`` (an exception,
    raised -- or, for an :class:`~mlpy.MLError`, returned as a failed result as the real
    engine does -- or a callable called with the request's arguments whose return value is
    the answer), ``results`` (an iterable, one item per request, in order; running out fails
    the request with ``AssertionError``), ``should_fail`` (a failed result), else
    ``mock_result`` as the value. An answer that is an ``AsyncMLResult`` is returned as it
    is, an ``ExecutionResult`` converted, an ``MLError`` becomes a failed result, another
    exception is raised, anything else is the value of a successful result.

    ``delay`` seconds pass before each answer (asyncio time; a request whose ``timeout`` is
    shorter gets a timed-out result after ``timeout`` seconds instead). Every request is
    recorded in ``calls`` as a :class:`MockExecutionRecord`. ``return_raw=True`` gives the
    2.0 reference's behaviour: ``execute`` returns the answer itself (``mock_result`` by
    default) and ``should_fail`` raises ``RuntimeError``.
    """

    def __init__(self, *, results: Iterable[Any] | None = None, side_effect: Any = None,
                 delay: float = 0.0, should_fail: bool = False, return_raw: bool = False,
                 mock_result: Any = _NOTHING, default_timeout: float | None = 30.0):
        self.results = results
        self.side_effect = side_effect
        self.delay = delay
        self.should_fail = should_fail
        self.return_raw = return_raw
        self.mock_result = {"status": "success", "mock": True} if mock_result is _NOTHING \
            else mock_result
        self.default_timeout = default_timeout
        self.calls: list[MockExecutionRecord] = []
        self._lock = threading.Lock()
        self._results_iter: Iterator[Any] | None = None
        self._results_seen: Any = None
        self._closed = False
        self._counts = dict.fromkeys(("completed", "failed", "timeouts", "cancelled"), 0)

    # ------------------------------------------------------------------ records

    @property
    def executions(self) -> list[MockExecutionRecord]:
        """``calls``, under the 2.0 reference's name."""
        return self.calls

    @property
    def call_count(self) -> int:
        return len(self.calls)

    @property
    def last_call(self) -> MockExecutionRecord | None:
        return self.calls[-1] if self.calls else None

    def get_execution_count(self) -> int:
        return len(self.calls)

    def get_last_execution(self) -> MockExecutionRecord | None:
        return self.last_call

    def reset(self) -> None:
        """Forget the requests seen and start ``results`` again from its first item (an
        iterator that was consumed stays consumed)."""
        with self._lock:
            self.calls.clear()
            self._results_iter = self._results_seen = None
            self._counts = dict.fromkeys(self._counts, 0)

    # ------------------------------------------------------------------ the interface

    async def execute(self, code_or_program: Any, *, timeout: Any = DEFAULT,
                      context: Mapping[str, Any] | None = None,
                      variables: Mapping[str, Any] | None = None, capabilities: Any = None,
                      execution_id: str | None = None, capture_output: bool = False,
                      queue_timeout: float | None = None, debug: Any = None,
                      filename: str | None = None) -> Any:
        """Answer as configured (see the class); recorded in ``calls``. ``debug`` and
        ``filename`` are accepted as AsyncEngine accepts them; the mock runs no ML, so
        nothing pauses and no error names a file."""
        self._check_open()
        limit = self.default_timeout if timeout is DEFAULT else timeout
        record = MockExecutionRecord(code_or_program, limit, context, variables=variables,
                                     capabilities=capabilities, execution_id=execution_id)
        try:
            if self.delay:
                if limit is not None and self.delay > limit:
                    await asyncio.sleep(limit)
                    return self._settle(record, MLTimeoutError(
                        f"time limit reached: the execution ran longer than {limit:g} s",
                        limit=limit, elapsed=limit))
                await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            self._counts["cancelled"] += 1
            record.exception = asyncio.CancelledError()
            self.calls.append(record)
            raise
        answer = self._answer(code_or_program, timeout=timeout, context=context,
                              variables=variables, capabilities=capabilities,
                              execution_id=execution_id, capture_output=capture_output,
                              queue_timeout=queue_timeout)
        return self._settle(record, answer)

    def submit(self, code_or_program: Any, **options: Any) -> concurrent.futures.Future:
        """:meth:`execute` for code without an event loop: a Future of the answer."""
        future: concurrent.futures.Future = concurrent.futures.Future()

        def answer() -> None:
            try:
                future.set_result(asyncio.run(self.execute(code_or_program, **options)))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

        thread = threading.Thread(target=answer, name="mock-async-executor", daemon=True)
        thread.start()
        return future

    async def call(self, target: Any, function: str, /, *args: Any, timeout: Any = DEFAULT,
                   capabilities: Any = None, **kwargs: Any) -> Any:
        """Answer a call of the ML function ``function``: the answer's value, or its error
        raised (as :meth:`AsyncEngine.call` does)."""
        self._check_open()
        limit = self.default_timeout if timeout is DEFAULT else timeout
        record = MockExecutionRecord(function, limit, None, capabilities=capabilities,
                                     kind="call", args=args, kwargs=dict(kwargs))
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = self._answer(target, function, *args, timeout=timeout,
                              capabilities=capabilities, **kwargs)
        result = self._settle(record, answer)
        if self.return_raw:
            return result
        if not result.success:
            record.exception = result.error_info
            raise result.error_info
        return result.value

    async def run_call(self, fn: Callable[..., Any], /, *args: Any, timeout: Any = DEFAULT,
                       **kwargs: Any) -> Any:
        """Call ``fn`` in the event loop's thread (nothing is mocked: the call runs)."""
        self._check_open()
        limit = self.default_timeout if timeout is DEFAULT else timeout
        record = MockExecutionRecord(getattr(fn, "__name__", repr(fn)), limit, None,
                                     kind="run_call", args=args, kwargs=dict(kwargs))
        self.calls.append(record)
        try:
            record.result = fn(*args, **kwargs)
        except BaseException as exc:
            record.exception = exc
            raise
        return record.result

    def stats(self) -> Any:
        from mlpy.aio import ExecutorStats  # noqa: PLC0415 - the async layer loads lazily

        return ExecutorStats(workers=0, busy=0, queued=0, stuck=0, rejected=0,
                             unhealthy=False, **self._counts)

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self, *, cancel_pending: bool = False) -> None:
        self._closed = True

    def shutdown(self, wait: bool = True, *, cancel_pending: bool = False) -> None:
        self._closed = True

    async def __aenter__(self) -> "MockAsyncExecutor":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __enter__(self) -> "MockAsyncExecutor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"<MockAsyncExecutor {len(self.calls)} calls>"

    # ------------------------------------------------------------------ answers

    def _check_open(self) -> None:
        if self._closed:
            raise MLConfigurationError("this MockAsyncExecutor is closed")

    def _answer(self, *args: Any, **kwargs: Any) -> Any:
        effect = self.side_effect
        if effect is not None:
            if isinstance(effect, BaseException) or (
                    isinstance(effect, type) and issubclass(effect, BaseException)):
                return effect
            return effect(*args, **kwargs)
        if self.results is not None:
            return self._next_result()
        if self.should_fail:
            if self.return_raw:
                return RuntimeError("Mock execution failed")
            return MLRuntimeError("mock failure: should_fail is set on the MockAsyncExecutor")
        return self.mock_result

    def _next_result(self) -> Any:
        with self._lock:
            if self._results_iter is None or self._results_seen is not self.results:
                self._results_seen = self.results
                self._results_iter = iter(self.results)
            try:
                return next(self._results_iter)
            except StopIteration:
                used = sum(1 for c in self.calls if c.kind != "run_call")
                return AssertionError(
                    f"MockAsyncExecutor.results ran out: request {used + 1} found no "
                    f"answer left (give more results, or a side_effect)")

    def _settle(self, record: MockExecutionRecord, answer: Any) -> Any:
        """Turn ``answer`` into what the request returns (or raises); record both."""
        self.calls.append(record)
        if isinstance(answer, type) and issubclass(answer, BaseException):
            answer = answer()
        if isinstance(answer, BaseException) and (self.return_raw
                                                  or not isinstance(answer, MLError)):
            self._counts["failed"] += 1
            record.exception = answer
            raise answer
        result = answer if self.return_raw else _as_result(answer)
        record.result = result
        if not self.return_raw:
            if result.timed_out:
                self._counts["timeouts"] += 1
            elif result.cancelled:
                self._counts["cancelled"] += 1
            else:
                self._counts["completed" if result.success else "failed"] += 1
        return result


def _as_result(answer: Any) -> Any:
    from mlpy.aio import AsyncMLResult  # noqa: PLC0415 - the async layer loads lazily

    if isinstance(answer, AsyncMLResult):
        return answer
    if isinstance(answer, ExecutionResult):
        return AsyncMLResult.from_execution(answer, queue_time=0.0, worker="mock")
    if isinstance(answer, MLError):
        return AsyncMLResult.failed(answer, worker="mock")
    return AsyncMLResult(True, value=answer, execution_id=uuid.uuid4().hex, worker="mock")


# ----------------------------------------------------------------------------- sessions


@dataclass
class MockFunctionCall:
    """One call of a function a :class:`MockSession` defined."""

    function_name: str
    args: tuple
    kwargs: dict[str, Any] = field(default_factory=dict)
    timestamp: float = field(default_factory=time.time)
    result: Any = None
    exception: BaseException | None = None


class MockSession(Session):
    """A :class:`~mlpy.Session` whose ML functions are Python stand-ins.

    ``define(name, fn)`` makes ``name`` an ML function of the session whose body calls
    ``fn`` with the arguments it was called with (real values, through mlpy's call path:
    ``call``, ``function``, :func:`mlpy.ml_callback` and ML code calling ``name`` all reach
    it). Each call is recorded in ``calls``; an exception ``fn`` raises reaches the caller
    as the :class:`~mlpy.MLHostError` a failing host function gives. ``exec`` (and so
    ``eval``) runs nothing: it records the source in ``executed`` and returns a successful
    result with no value. ``get``, ``set``, ``grant``, ``revoke`` and the rest are the real
    session's.
    """

    def __init__(self, variables: Mapping[str, Any] | None = None, *,
                 engine: Engine | None = None, capabilities: Any = None,
                 name: str = "mock-session"):
        self._owns_engine = engine is None
        super().__init__(engine or Engine(), variables, capabilities=capabilities, name=name)
        self.executed: list[str] = []
        self.calls: list[MockFunctionCall] = []
        self._stand_ins: dict[str, Callable[..., Any]] = {}

    # ------------------------------------------------------------------ defining

    def define(self, name: str, fn: Callable[..., Any], *,
               params: Iterable[str] | None = None) -> None:
        """Make ``name`` an ML function that calls ``fn``. Its parameters are ``params``,
        by default the positional parameters of ``fn`` (give ``params`` when ``fn`` takes
        ``*args`` or has no signature Python can read)."""
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or name in RESERVED:
            raise MLConfigurationError(f"{name!r} is not a valid ML function name")
        if not callable(fn):
            raise MLConfigurationError(f"the stand-in for {name!r} must be callable")
        names = list(params) if params is not None else _parameters(name, fn)
        for param in names:
            if not isinstance(param, str) or not _IDENTIFIER.match(param) or param in RESERVED:
                raise MLConfigurationError(
                    f"the stand-in for {name!r} has the parameter {param!r}, which is not a "
                    f"valid ML name", hints=["give params=[...] with ML names"])
        hidden = f"_mock_{name}"
        self._stand_ins[name] = fn
        Session.set(self, hidden, host_function(self._recorder(name, fn)))
        listed = ", ".join(names)
        chunk = f"function {name}({listed}) {{ return {hidden}({listed}); }}"
        Session.exec(self, chunk, filename=f"<mock {name}>").raise_for_error()

    def _recorder(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def stand_in(*args: Any) -> Any:
            record = MockFunctionCall(name, args)
            self.calls.append(record)
            try:
                record.result = fn(*args)
            except BaseException as exc:
                record.exception = exc
                raise
            return record.result

        stand_in.__name__ = name
        return stand_in

    # ------------------------------------------------------------------ the session

    def exec(self, source: Any, *, filename: str | None = None, timeout: float | None = None,
             max_steps: int | None = None, capture_output: bool = False,
             execution_id: str | None = None, result_name: str | None = "result",
             output: Callable[[str], Any] | None = None) -> ExecutionResult:
        """Record ``source`` (its text, for a Program); run nothing. Takes the options of
        :meth:`Session.exec <mlpy.Session.exec>`, and ignores them."""
        self.executed.append(getattr(source, "source", source))
        captured = "" if capture_output else None
        return ExecutionResult(True, stdout=captured, stderr=captured,
                               execution_id=execution_id or uuid.uuid4().hex)

    def reset(self) -> None:
        """Forget every variable and function, stand-ins included, and the records."""
        super().reset()
        self.executed.clear()
        self.calls.clear()
        self._stand_ins.clear()

    def close(self) -> None:
        super().close()
        if self._owns_engine:
            self.engine.close()

    # ------------------------------------------------------------------ records

    @property
    def executed_lines(self) -> list[str]:
        """``executed``, under the 2.0 reference's name."""
        return self.executed

    @property
    def function_calls(self) -> list[MockFunctionCall]:
        """``calls``, under the 2.0 reference's name."""
        return self.calls

    def call_count(self, name: str | None = None) -> int:
        """How many calls the stand-ins got (of ``name`` only, when given)."""
        return sum(1 for c in self.calls if name is None or c.function_name == name)

    def get_execution_count(self) -> int:
        return len(self.executed)

    def get_function_call_count(self, name: str | None = None) -> int:
        return self.call_count(name)

    def cleanup(self) -> None:
        self.close()


MockREPLSession = MockSession


def _parameters(name: str, fn: Callable[..., Any]) -> list[str]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise MLConfigurationError(
            f"cannot read the parameters of the stand-in for {name!r}",
            hints=["give them with params=[...]"]) from None
    names = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.KEYWORD_ONLY):
            raise MLConfigurationError(
                f"the stand-in for {name!r} takes {param}, which an ML function cannot "
                f"pass on", hints=["give the ML parameters with params=[...]"])
        names.append(param.name)
    return names


# ----------------------------------------------------------------------------- capabilities


@dataclass
class MockCapabilityViolation:
    capability_type: str
    pattern: str | None = None
    operation: str | None = None
    timestamp: float = field(default_factory=time.time)


class MockCapabilityManager:
    """The 2.0 reference's capability manager double, kept for old tests only.

    Contexts are real :class:`~mlpy.CapabilitySet`\\s, and ``has_capability`` answers as the
    runtime would (scopes match as globs). New tests should pass real capability sets to
    the code under test instead: they are cheap and deterministic.
    """

    def __init__(self) -> None:
        self.contexts: dict[str, CapabilitySet] = {}
        self.violations: list[MockCapabilityViolation] = []
        self.current_context: str | None = None
        self._names = itertools.count(1)

    def set_context(self, name: str | None = None, capabilities: Any = ()) -> CapabilitySet:
        name = name or f"context-{next(self._names)}"
        self.contexts[name] = as_capability_set(capabilities)
        self.current_context = name
        return self.contexts[name]

    def get_context(self, name: str | None = None) -> CapabilitySet | None:
        return self.contexts.get(name or self.current_context or "")

    def clear_context(self) -> None:
        self.current_context = None

    def record_violation(self, capability_type: str, pattern: str | None = None,
                         operation: str | None = None) -> MockCapabilityViolation:
        violation = MockCapabilityViolation(capability_type, pattern, operation)
        self.violations.append(violation)
        return violation

    def get_violation_count(self) -> int:
        return len(self.violations)

    def has_capability(self, capability_type: str, pattern: str | None = None) -> bool:
        """Whether the current context grants ``capability_type`` (``area.action``) for the
        resource ``pattern`` (None: for some resource)."""
        context = self.get_context()
        return context is not None and context.allows(capability_type, pattern)

    def reset(self) -> None:
        self.contexts.clear()
        self.violations.clear()
        self.current_context = None
