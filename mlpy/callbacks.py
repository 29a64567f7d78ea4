"""ML functions as Python callbacks: :func:`ml_callback`, :class:`MLCallbackWrapper` and
:class:`MLCallbackRegistry`.

A callback is an :class:`~mlpy.function.MLFunction` of a session that a host hands to code
that calls it later -- a GUI button, an event bus, a plug-in hook -- and that therefore must
not be able to break its caller. Three things set it apart from a plain handle:

* **An error contract.** A failing call gives ``error_handler(error)``'s value if a handler
  was given, else ``default_return`` if one was given (``None`` included: "no default" is the
  :data:`MISSING` sentinel), else it raises. Each swallowed error is logged on the
  ``mlpy.callbacks`` logger at WARNING with its execution id and counted in ``stats``. A
  cancellation, ``KeyboardInterrupt`` and ``SystemExit`` are never swallowed.
* **Grants fixed where the callback is made** (``capabilities="creation"``, the default):
  the callback never runs with more than the set in force where it was created -- the
  running execution's, the host's :func:`~mlpy.capability_scope`, or, where neither is,
  the session's grants of that moment -- and never with more than its session grants at the
  time of the call, so a ``session.revoke`` applies at once. ``"caller"`` takes the set
  current at each call instead, an explicit set replaces both (host code is trusted).
* **One call at a time per session.** Every call holds the session's lock, so callbacks
  called from many threads see the session's state (its top-level variables) change one
  call after another.

The hot path is a few attribute reads, one lock acquire and release and two clock reads on
top of :func:`~mlpy.function.call_ml`, the one path of every host call into ML.
"""

from __future__ import annotations

import logging
import threading
from time import perf_counter
from types import FunctionType
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from mlpy.engine import _IDENTIFIER
from mlpy.errors import MLCallError, MLCancelledError, MLConfigurationError, MLError
from mlpy.function import _PLAIN, MLFunction, call_direct, call_ml, direct_entry, is_ml_function
from mlpy.language.codegen import py_name
from mlpy.observability import events
from mlpy.observability.logging import log_failure
from mlpy.program import user_names
from mlpy.runtime import ops
from mlpy.runtime.capabilities import CapabilitySet, CapabilitySpec
from mlpy.runtime.state import CURRENT, SCOPE, current_capabilities, new_execution_id
from mlpy.session import Session

if TYPE_CHECKING:
    from concurrent.futures import Future

logger = logging.getLogger("mlpy.callbacks")

__all__ = ["MISSING", "CallbackStats", "Delivery", "MLCallbackRegistry", "MLCallbackWrapper", "ml_callback"]


class _InWorker:
    """Where ``submit``'s handlers run when no dispatcher is given: in the worker thread that
    finished the call; a handler's exception is logged, never lost, and the worker goes on."""

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - a handler must not end the worker
            logger.exception("a result handler of an ML callback raised")


class _Missing:
    """The type of :data:`MISSING`: "no default was given" (``None`` is a default)."""

    __slots__ = ()
    _instance: "_Missing | None" = None

    def __new__(cls) -> "_Missing":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_BINDINGS = ("late", "early")
_KWARGS_MODES = ("params", "object")
_UNSET = object()  # SCOPE holds no value in this context


class CallbackStats:
    """How often a callback ran, how often it failed and how long its calls took.

    ``calls`` counts every call, ``errors`` those that failed with an
    :class:`~mlpy.errors.MLError` (swallowed or raised), ``total_time`` the seconds spent in
    them (from entering the session's lock to the end of the ML call). The wrapper updates
    the counters while it holds its session's lock, which serialises every call of the
    wrapper: the updates need no lock of their own and none is lost.
    """

    __slots__ = ("calls", "errors", "total_time")

    def __init__(self) -> None:
        self.calls = 0
        self.errors = 0
        self.total_time = 0.0

    @property
    def mean_time(self) -> float:
        """Seconds per call on average (0.0 before the first call)."""
        return self.total_time / self.calls if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "errors": self.errors, "total_time": self.total_time}

    def __repr__(self) -> str:
        return (f"CallbackStats(calls={self.calls}, errors={self.errors}, "
                f"total_time={self.total_time:.6f})")


def _session_of(session: Any) -> Session:
    """The :class:`Session` behind ``session``: itself, or the one a REPL session owns."""
    if isinstance(session, Session):
        return session
    inner = getattr(session, "session", None)
    if isinstance(inner, Session):
        return inner
    raise MLConfigurationError(
        f"a callback needs an mlpy Session (or an MLREPLSession), not "
        f"{type(session).__name__}",
        hints=["make one with engine.session() or engine.load(source)"])


def _creation_ceiling(session: Session) -> CapabilitySet:
    """The grants in force where a ``"creation"`` callback is made: the running
    execution's (narrowed as a host function called from ML sees them), else those of the
    host's capability scope, else -- no ambient context -- the session's own."""
    state = CURRENT.get()
    if not state.idle or SCOPE.get(_UNSET) is not _UNSET:
        return current_capabilities()
    return session.capabilities


class MLCallbackWrapper(MLFunction):
    """An ML function of a session as a Python callback; see :func:`ml_callback`.

    Attributes: ``function_name`` (the ML name), ``name`` (for display), ``error_handler``,
    ``default_return`` (:data:`MISSING` when none), ``bind``, ``kwargs_mode``, ``timeout``,
    ``session`` and ``stats`` (a :class:`CallbackStats`).
    """

    __slots__ = ("function_name", "error_handler", "default_return", "stats", "bind",
                 "kwargs_mode", "_mode", "_ceiling", "_seen", "_narrowed", "_lock",
                 "_session")

    def __init__(self, session: Any, function_name: str, *,
                 error_handler: Callable[[MLError], Any] | None = None,
                 default_return: Any = MISSING,
                 capabilities: CapabilitySpec | str = "creation",
                 timeout: float | None = None, bind: str = "late",
                 kwargs_mode: str = "params", name: str | None = None):
        owner = _session_of(session)
        if not isinstance(function_name, str) or not _IDENTIFIER.match(function_name):
            raise MLCallError(f"{function_name!r} is not a valid ML function name",
                              hints=["an ML function name is a letter or _ followed by "
                                     "letters, digits and _"])
        if bind not in _BINDINGS:
            raise MLConfigurationError(f"bind must be 'late' or 'early', not {bind!r}")
        if kwargs_mode not in _KWARGS_MODES:
            raise MLConfigurationError(
                f"kwargs_mode must be 'params' or 'object', not {kwargs_mode!r}")
        if error_handler is not None and not callable(error_handler):
            raise MLConfigurationError("error_handler must be callable")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise MLConfigurationError(f"timeout must be a positive number of seconds, "
                                       f"not {timeout!r}")
        fn = None
        if bind == "early":
            with owner.lock:
                fn = owner._namespace.get(py_name(function_name))
            if not is_ml_function(fn):
                raise MLCallError(f"'{function_name}' is not an ML function in this session",
                                  hints=_define_hint(function_name))
        if capabilities == "creation":
            mode, fixed = "creation", _creation_ceiling(owner)
        elif capabilities == "caller":
            mode, fixed = "caller", None
        else:
            mode, fixed = "fixed", owner.engine.resolve_capabilities(capabilities)
        super().__init__(fn, session=owner, name=function_name, timeout=timeout)
        self.function_name = function_name
        self.name = name or function_name
        self.error_handler = error_handler
        self.default_return = default_return
        self.bind = bind
        self.kwargs_mode = kwargs_mode
        self.stats = CallbackStats()
        self._session = owner
        self._lock = owner.lock
        self._mode = mode
        self._ceiling = fixed  # "creation": the ceiling; "fixed": the set itself
        self._seen: CapabilitySet | None = None  # the session set _narrowed was made for
        self._narrowed: CapabilitySet | None = None

    # ------------------------------------------------------------------ calling

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if events.ACTIVE:
            return self._observed_call(args, kwargs)
        try:
            return self._call(args, kwargs)
        except MLError as error:
            return self._recover(error)

    def _observed_call(self, args: tuple, kwargs: dict) -> Any:
        """A call reported to the observability listeners as a ``callback`` execution."""
        run = events.execution_started(
            "callback", callback=self.name, function=self.function_name,
            args_count=len(args) + len(kwargs), timeout=self.timeout,
            capabilities=self._reported_grants)
        value = failure = None
        finished = False
        try:
            try:
                value = self._call(args, kwargs)
            except MLError as error:
                failure = error
            finished = True
        finally:
            if failure is not None:
                run.end(error=failure)
            elif finished:
                run.end(value=value)
            else:  # raised out of mlpy's own code
                run.end()
        return value if failure is None else self._recover(failure)

    def _reported_grants(self) -> CapabilitySet | None:
        """The grants a call now runs under, for its span (None if the target is gone: the
        call itself reports that)."""
        try:
            return self._grants_now()
        except MLError:
            return None

    def _call(self, args: tuple, kwargs: dict) -> Any:
        """The call, counted in the stats: its value, or raise its MLError (for the error
        contract). It runs directly when it runs under its home's grants and limits and may
        be called so (see :func:`mlpy.function.direct_entry`), else through call_ml."""
        lock = self._lock
        lock.acquire()
        start = perf_counter()
        try:
            fn = self._fn
            if fn is None:  # late binding: the name as the session holds it now
                fn = self._session._namespace.get(self._key)
                if fn.__class__ is not FunctionType or "__ml_ns__" not in fn.__globals__:
                    fn = self._target()  # raises the clear error
            for arg in args:  # host objects reach ML as opaque handles
                if arg.__class__ not in _PLAIN:
                    args = tuple(ops.admit(a, f"argument {i + 1}") for i, a in enumerate(args))
                    break
            if kwargs:
                args = self._keyword_args(fn, args, kwargs)
            if self._mode == "creation":  # the common case, inlined: see _grants_now
                grants = self._session._grants
                if grants is not self._ceiling:
                    grants = self._narrowed if grants is self._seen else self._grants_now()
            else:
                grants = self._grants_now()
            home = None
            if self.timeout is None:
                direct = self._direct
                if direct[0] is not fn:
                    direct = self._direct = direct_entry(fn)
                home = direct[1]
            if home is not None and grants is home.capabilities and CURRENT.get().idle:
                value = call_direct(fn, args, home)
            else:
                value = call_ml(fn, args, grants, self.timeout)
            stats = self.stats
            stats.calls += 1
            stats.total_time += perf_counter() - start
            return value
        except MLError:
            stats = self.stats
            stats.calls += 1
            stats.errors += 1
            stats.total_time += perf_counter() - start
            raise
        finally:
            lock.release()

    def submit(self, *args: Any, dispatcher: Any = None,
               on_result: Callable[[Any], Any] | None = None,
               on_error: Callable[[BaseException], Any] | None = None,
               executor: Any = None, **kwargs: Any) -> "Future":
        """Run the call on a worker of ``executor`` (an :class:`~mlpy.AsyncEngine`; by
        default the process-wide one) in the caller's context, and return a
        ``concurrent.futures.Future`` of its value. When it ends, ``on_result(value)`` or
        ``on_error(error)`` is posted through ``dispatcher`` (a GUI dispatcher: they run on
        the UI thread), or runs in the worker when no dispatcher is given. The error contract
        applies first: an error the callback swallows arrives as its result."""
        from mlpy.aio import default_async_engine  # the async layer builds on this one

        future = (executor or default_async_engine()).submit_call(self, *args, **kwargs)
        if on_result is not None or on_error is not None:
            future.add_done_callback(Delivery(dispatcher or _InWorker(), on_result, on_error))
        return future

    def _grants_now(self) -> CapabilitySet:
        """The set this call runs under (see the module docstring)."""
        mode = self._mode
        if mode == "creation":
            granted = self._session._grants
            ceiling = self._ceiling
            if granted is ceiling:
                return granted
            if granted is not self._seen:  # the session's grants changed: narrow them again
                self._narrowed = granted.intersect(ceiling)
                self._seen = granted
            return self._narrowed
        if mode == "caller":
            return current_capabilities()
        return self._ceiling

    def _keyword_args(self, fn: FunctionType, args: tuple, kwargs: dict) -> tuple:
        if self.kwargs_mode == "object":  # the reference's form: one trailing object
            return (*args, {k: ops.admit(v, k) for k, v in kwargs.items()})
        return self._bind(fn, args, {k: ops.admit(v, k) for k, v in kwargs.items()})

    def _target(self) -> FunctionType:
        fn = self._fn if self._fn is not None else self._session._namespace.get(self._key)
        if not is_ml_function(fn):
            raise MLCallError(f"'{self.function_name}' is not an ML function in this session",
                              hints=_define_hint(self.function_name))
        return fn

    def _recover(self, error: MLError) -> Any:
        """The error contract: the handler's value, else the default, else raise."""
        if isinstance(error, MLCancelledError) or (
                self.error_handler is None and self.default_return is MISSING):
            raise error
        execution_id = getattr(error, "execution_id", None)
        if execution_id is None:  # failed before an execution began (a bad name, say)
            execution_id = error.execution_id = new_execution_id()
        # WARNING for a swallowed error (integration spec 4); the message may quote values
        # of the program, so it is named only, and reported in full at DEBUG.
        log_failure(logger, f"ML callback {self._shown()} failed (execution {execution_id})",
                    error, level=logging.WARNING, execution_id=execution_id,
                    callback=self.name)
        if self.error_handler is not None:
            return self.error_handler(error)
        return self.default_return

    # ------------------------------------------------------------------ handles

    @property
    def capabilities(self) -> CapabilitySet:
        """The grants the next call from here runs under (before any narrowing by an
        execution it is called from)."""
        with self._lock:
            return self._grants_now()

    def _copy(self, capabilities: CapabilitySet | str | None,
              timeout: float | None) -> "MLCallbackWrapper":
        """A wrapper with the same options but ``timeout`` and, when given, ``capabilities``
        (None: the same capability mode and set as this one's)."""
        copy = MLCallbackWrapper(
            self._session, self.function_name, error_handler=self.error_handler,
            default_return=self.default_return,
            capabilities="caller" if capabilities is None else capabilities,
            timeout=timeout, bind=self.bind, kwargs_mode=self.kwargs_mode, name=self.name)
        if capabilities is None:
            copy._mode, copy._ceiling = self._mode, self._ceiling
        return copy

    def with_capabilities(self, capabilities: CapabilitySpec) -> "MLCallbackWrapper":
        """The same callback under ``capabilities`` (a set, a spec or ``"caller"``)."""
        return self._copy(capabilities, self.timeout)

    def _shown(self) -> str:
        """The callback's name, and the ML function's when they differ."""
        if self.name == self.function_name:
            return self.name
        return f"{self.name} ({self.function_name})"

    def __repr__(self) -> str:
        return (f"<MLCallbackWrapper {self._shown()} ({self.bind} binding, "
                f"capabilities={self._mode})>")


def _define_hint(name: str) -> list[str]:
    return [f"define it first, e.g. session.exec(\"function {name}(...) {{ ... }}\"), or "
            f"register it with lazy=True to look it up at the first call"]


def ml_callback(session: Any, function_name: str, *,
                error_handler: Callable[[MLError], Any] | None = None,
                default_return: Any = MISSING,
                capabilities: CapabilitySpec | str = "creation",
                timeout: float | None = None, bind: str = "late",
                kwargs_mode: str = "params", name: str | None = None) -> MLCallbackWrapper:
    """The ML function ``function_name`` of ``session`` (a :class:`~mlpy.Session` or an
    ``MLREPLSession``) as a Python callback.

    ``bind="late"`` looks the name up at every call (a redefinition is picked up; a name
    that is not an ML function then fails that call with :class:`~mlpy.MLCallError`),
    ``"early"`` takes the function now (and raises ``MLCallError`` now). ``capabilities``:
    ``"creation"`` (the set in force here, never more than the session's), ``"caller"``
    (the set current at each call) or a set. ``timeout`` replaces the engine's time limit.
    ``kwargs_mode="params"`` binds keyword arguments to the ML parameters, ``"object"``
    passes them as one trailing object. For ``error_handler`` and ``default_return`` see
    :class:`MLCallbackWrapper`.
    """
    return MLCallbackWrapper(session, function_name, error_handler=error_handler,
                             default_return=default_return, capabilities=capabilities,
                             timeout=timeout, bind=bind, kwargs_mode=kwargs_mode, name=name)


class MLCallbackRegistry:
    """Named callbacks of one session, safe to use from many threads.

    ``defaults`` are :func:`ml_callback` options applied to every :meth:`register` (its own
    options win). Registering a name again replaces its callback.
    """

    def __init__(self, session: Any, *, defaults: Mapping[str, Any] | None = None):
        self.session = _session_of(session)
        self.defaults = dict(defaults or {})
        unknown = set(self.defaults) - _OPTIONS
        if unknown:
            raise MLConfigurationError(
                f"unknown callback option(s) in defaults: {', '.join(sorted(unknown))}",
                hints=[f"the options are {', '.join(sorted(_OPTIONS))}"])
        self._callbacks: dict[str, MLCallbackWrapper] = {}
        self._lock = threading.Lock()

    def register(self, name: str, function_name: str | None = None, *, lazy: bool = False,
                 **options: Any) -> MLCallbackWrapper:
        """Register the ML function ``function_name`` (default: ``name``) as ``name``.

        Raises :class:`~mlpy.MLCallError` when the session has no such ML function, unless
        ``lazy=True`` (with late binding: the first call looks it up).
        """
        if not isinstance(name, str) or not name:
            raise MLCallError(f"a callback name is a non-empty string, not {name!r}")
        unknown = set(options) - _OPTIONS
        if unknown:
            raise MLConfigurationError(
                f"unknown callback option(s): {', '.join(sorted(unknown))}",
                hints=[f"the options are {', '.join(sorted(_OPTIONS))}"])
        settings = {**self.defaults, **options}
        target = name if function_name is None else function_name
        if lazy and settings.get("bind", "late") == "early":
            raise MLConfigurationError("lazy=True needs bind='late': an early-bound "
                                       "callback takes its function when registered")
        wrapper = MLCallbackWrapper(self.session, target, **settings)
        if not lazy and not is_ml_function(self.session._namespace.get(py_name(target))):
            raise MLCallError(f"'{target}' is not an ML function in this session",
                              hints=_define_hint(target))
        with self._lock:
            self._callbacks[name] = wrapper
        return wrapper

    def register_all(self, prefix: str = "on_", strip_prefix: bool = False,
                     **options: Any) -> dict[str, MLCallbackWrapper]:
        """Register every ML function of the session whose name starts with ``prefix``
        (under its name, or without the prefix when ``strip_prefix``); the callbacks
        registered, by name, in name order."""
        with self.session.lock:
            functions = sorted(name for name, value in user_names(self.session._namespace)
                               .items() if name.startswith(prefix) and is_ml_function(value))
        added = {}
        for function_name in functions:
            name = function_name[len(prefix):] if strip_prefix else function_name
            added[name or function_name] = self.register(name or function_name,
                                                         function_name, **options)
        return added

    def get(self, name: str) -> MLCallbackWrapper | None:
        with self._lock:
            return self._callbacks.get(name)

    def __getitem__(self, name: str) -> MLCallbackWrapper:
        with self._lock:
            try:
                return self._callbacks[name]
            except KeyError:
                known = ", ".join(sorted(self._callbacks)) or "none"
                raise KeyError(f"no callback named {name!r} is registered "
                               f"(registered: {known})") from None

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._callbacks

    def list_callbacks(self) -> list[str]:
        with self._lock:
            return sorted(self._callbacks)

    def remove(self, name: str) -> bool:
        """Unregister ``name``; whether it was registered."""
        with self._lock:
            return self._callbacks.pop(name, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._callbacks.clear()

    def items(self) -> list[tuple[str, MLCallbackWrapper]]:
        with self._lock:
            return sorted(self._callbacks.items())

    def __iter__(self) -> Iterator[str]:
        return iter(self.list_callbacks())

    def __len__(self) -> int:
        with self._lock:
            return len(self._callbacks)

    def __repr__(self) -> str:
        return f"<MLCallbackRegistry {self.session.name}: {', '.join(self.list_callbacks())}>"


_OPTIONS = frozenset({"error_handler", "default_return", "capabilities", "timeout", "bind",
                      "kwargs_mode", "name"})


class Delivery:
    """A future's done-callback that posts its outcome through a dispatcher (see
    :meth:`MLCallbackWrapper.submit` and :func:`mlpy.integration.gui.deliver`), then lets go
    of everything.

    It runs in whichever thread finished the future (or in the caller's, if the future had
    already finished), and only posts: it never calls ``on_result`` or ``on_error`` itself.
    A future keeps its done-callbacks, and is often freed by the worker thread, so the
    callback lets go of the UI's objects as soon as it has posted: a worker that drops the
    last reference to a Tk interpreter frees it on the wrong thread, which aborts the process.
    """

    __slots__ = ("dispatcher", "log", "on_error", "on_result")

    def __init__(self, dispatcher: Any, on_result: Callable[[Any], Any] | None,
                 on_error: Callable[[BaseException], Any] | None,
                 log: logging.Logger = logger) -> None:
        self.dispatcher = dispatcher
        self.on_result = on_result
        self.on_error = on_error
        self.log = log

    def __call__(self, finished: Any) -> None:
        dispatcher, on_result, on_error = self.dispatcher, self.on_result, self.on_error
        self.dispatcher = self.on_result = self.on_error = None
        error = _outcome_error(finished)
        if error is None:
            if on_result is not None:
                dispatcher.post(on_result, finished.result())
        elif on_error is not None:
            dispatcher.post(on_error, error)
        else:
            log_failure(self.log, "a job delivered through a dispatcher failed and no "
                        "on_error was given", error, level=logging.WARNING)


def _outcome_error(future: Any) -> BaseException | None:
    if future.cancelled():
        return MLCancelledError("the job was cancelled before it finished",
                                hints=["a cancelled job delivers no result"])
    return future.exception()
