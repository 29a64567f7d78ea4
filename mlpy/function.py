"""ML functions called by the host: :class:`MLFunction` and the host-call entry.

However the host comes to hold an ML function -- a handle from ``Session.function``, an
execution's result or globals, an argument a host function received, an array it passed in,
a callback stored and called later from another thread -- calling it is an execution of its
own: under the grants of the execution or session that created it (narrowed to the caller's
when it is called while another execution runs), with its engine's limits, and with ML
failures raised as :class:`~mlpy.errors.MLError`. :func:`call_ml` is that one path.

A raw ML function the host calls directly reaches it through its prologue (see
:mod:`mlpy.language.codegen.functions`): its first tick finds no execution running and the
function calls itself again through :func:`call_from_host`. An :class:`MLFunction` handle
takes the same path directly, and adds keyword arguments and late binding.
"""

from __future__ import annotations

import inspect
import sys
from types import FunctionType
from typing import TYPE_CHECKING, Any

from mlpy.errors import MLCallError, MLConfigurationError, MLError
from mlpy.language.codegen import py_name
from mlpy.program import translate_error
from mlpy.runtime import ops
from mlpy.runtime.capabilities import CapabilitySet, CapabilitySpec, as_capability_set
from mlpy.runtime import state as _state
from mlpy.runtime.state import CURRENT, ExecutionState, Home, current_capabilities
from mlpy.runtime.values import HostObject

if TYPE_CHECKING:
    from mlpy.session import Session

# Argument types that reach ML as they are (containers by reference, see MLFunction).
_PLAIN = frozenset({type(None), bool, int, float, str, list, dict, tuple})


def call_ml(fn: FunctionType, args: tuple, grants: CapabilitySet | None = None,
            timeout: float | None = None) -> Any:
    """Run the ML function ``fn`` as an execution of its own, under its namespace's home
    (``grants`` and ``timeout`` replace the home's); its value, or raise its MLError.

    This is the path of every call the host makes into ML, so it is written for speed: a
    context that called into the same home before holds a parked state of it, which is
    restarted in place (see :class:`~mlpy.runtime.state.Home`).
    """
    home: Home = fn.__globals__["__ml_home__"]
    current = CURRENT.get()
    if current.home is home and current.claim.pop(True, False):  # the context's parked one
        state, token = current, None
    else:
        state = home.take_state()
        token = CURRENT.set(state)
    state.restart(home.timeout if timeout is None else timeout, sys._getframe())
    state.capabilities = home.capabilities if grants is None else grants
    if state is not current and not current.idle:  # called while another execution runs
        state.nest(current)
    if state.max_memory is not None:
        state.namespace = fn.__globals__  # what the call's data hangs off
    try:
        value = fn(*args)
    except BaseException as exc:  # noqa: BLE001 - every ML failure becomes an MLError
        raise _failed(exc, fn, state, current, token)  # noqa: B904 - the cause is kept
    if state.deadline is not None:
        state.finish()  # a call that outran its time inside one native operation
    if state.tripped is not None:  # a limit the ML code swallowed still ends the call
        raise _failed(state.tripped, fn, state, current, token)
    if token is None:
        state.park()
        state.claim[True] = True
    else:
        _end(state, current, token)
    return value if value.__class__ is not HostObject else value._value


def _end(state: ExecutionState, current: ExecutionState, token: Any) -> None:
    """Park a call's state: it stays the context's current one for the next call, unless
    the call was nested in a running execution, whose context gets that execution back."""
    state.park()
    if token is not None and current is not state and not current.idle:
        CURRENT.reset(token)
        state.home.spare.append(state)
    state.claim[True] = True


def _failed(exc: BaseException, fn: FunctionType, state: ExecutionState,
            current: ExecutionState, token: Any) -> BaseException:
    """The exception a failed call raises: an MLError that starts its Python traceback
    afresh here and keeps the ML frames of the call (so that an execution it reaches
    through a host function reports both its own frames and these)."""
    try:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return exc
        error = _error(state.tripped or exc, fn, state.execution_id)
        error.callee_frames = list(getattr(error, "ml_traceback", None) or [])
        return error.with_traceback(None)
    finally:
        _end(state, current, token)


def call_from_host(fn: FunctionType, *args: Any) -> Any:
    """What an ML function's prologue calls when the host called it directly."""
    for arg in args:  # host objects reach ML as opaque handles
        if arg.__class__ not in _PLAIN:
            args = tuple(ops.admit(a, f"argument {i + 1}") for i, a in enumerate(args))
            break
    return call_ml(fn, args)


def direct_entry(fn: FunctionType) -> tuple[FunctionType, Home | None]:
    """``(fn, home)`` when the host may call ``fn`` directly, without opening an execution
    first (``home`` is the home it would run under); ``(fn, None)`` when it may not.

    That is the case of a function whose whole body is *pure* (see
    :mod:`mlpy.language.codegen.functions`): no call, no loop, nothing changed but its own
    locals, so it runs in bounded time and takes no step, and whatever would need an
    execution -- an error, a capability decision, a tick -- makes its prologue enter one
    through :func:`call_from_host`, under the function's home, and run it again there. So
    a direct call is the same call as one through :func:`call_ml` with the home's grants
    and time limit, at the cost of a Python call. Not with a memory budget (a pure body can
    still build a large value, which only an execution charges), and never for a function
    without the prologue.

    The test reads the code object: the prologue calls ``__ml_enter``, and a function that
    ticks after its pure part binds ``__ml_tick``. Only speed rests on the second test: a
    function taken for pure that ticks enters its execution through its prologue.
    """
    home = fn.__globals__.get("__ml_home__")
    code = fn.__code__
    if home.__class__ is not Home or home.max_memory is not None \
            or "__ml_enter" not in code.co_names or "__ml_tick" in code.co_varnames:
        return fn, None
    return fn, home


def call_direct(fn: FunctionType, args: tuple, home: Home) -> Any:
    """Call a function :func:`direct_entry` admits, outside any execution (the caller
    checked that none runs in this context): its value, or the MLError its prologue's
    execution raised. A time limit still holds: a call that took longer (one native
    operation on a huge value) raises it, as :meth:`ExecutionState.finish` does. An error
    of the call itself (a wrong number of arguments) is left to :func:`call_ml`, which
    makes the same call again and reports it; the function is pure, so running it again
    changes nothing."""
    timeout = home.timeout
    try:
        if timeout is None:
            value = fn(*args)
        else:
            start = _state.clock()
            value = fn(*args)
            elapsed = _state.clock() - start
    except MLError:
        raise
    except Exception:  # noqa: BLE001 - raised by the call itself (arity): call_ml says it
        return call_ml(fn, args)
    if timeout is not None and elapsed > timeout:
        error = _state.timeout_error(timeout, elapsed)
        error.execution_id = _state.new_execution_id()
        raise error
    return value if value.__class__ is not HostObject else value._value


def _error(exc: BaseException, fn: FunctionType, execution_id: str) -> MLError:
    if isinstance(exc, TypeError) and exc.__traceback__ is not None \
            and exc.__traceback__.tb_next is None:  # raised by the call itself: arity
        return MLCallError(str(exc).replace(f"{fn.__name__}()", f"{_ml_name(fn)}()"))
    return translate_error(exc, execution_id)


def _ml_name(fn: FunctionType) -> str:
    name = fn.__name__
    return "anonymous function" if name.startswith("__ml_arrow") else name.removeprefix(
        "__mlkw_")


def is_ml_function(value: Any) -> bool:
    return value.__class__ is FunctionType and "__ml_ns__" in value.__globals__


class MLFunction:
    """An ML function as a plain Python callable.

    Calling it runs the function as an execution of its own and returns its value; an ML
    failure raises the corresponding :class:`~mlpy.errors.MLError`. Keyword arguments bind
    to the ML parameter names. A session's function runs under the session's grants as they
    are at the time of the call, any other under the grants of the execution that created
    it; ``with_capabilities`` and ``with_timeout`` make handles with their own. With
    ``bind="late"`` (a session's default) the name is looked up at every call, so a
    redefinition in the session is picked up.
    """

    __slots__ = ("_fn", "_namespace", "_key", "session", "name", "_grants", "timeout",
                 "_direct")
    # The host may pass a handle to another execution: ML calls it like a host function,
    # and it runs with what both its own grants and the caller's allow.
    _ml_callable = True

    def __init__(self, fn: FunctionType | None, *, session: Session | None = None,
                 name: str | None = None, capabilities: CapabilitySet | str | None = None,
                 timeout: float | None = None):
        if fn is None and session is None:
            raise MLConfigurationError("an MLFunction needs a function or a session")
        if capabilities is not None and capabilities != "caller" \
                and not isinstance(capabilities, CapabilitySet):
            raise MLConfigurationError(
                "MLFunction capabilities are a CapabilitySet, \"caller\" or None")
        self._fn = fn
        self.session = session
        self.name = name or (_ml_name(fn) if fn is not None else "?")
        self._key = py_name(self.name)
        self._namespace = session._namespace if session is not None and fn is None else None
        self._grants = capabilities
        self.timeout = timeout
        # (the function last called, its home if it may be called directly: direct_entry),
        # one tuple so that threads sharing the handle read a consistent pair.
        self._direct: tuple[Any, Home | None] = (None, None)

    @property
    def capabilities(self) -> CapabilitySet:
        """The grants the next call runs under."""
        if self._grants is None:
            return self._target().__globals__["__ml_home__"].capabilities
        if self._grants == "caller":
            return current_capabilities()
        return self._grants

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self._target()).parameters)

    def _target(self) -> FunctionType:
        fn = self._fn if self._fn is not None else self._namespace.get(self._key)
        if not is_ml_function(fn):
            raise MLCallError(f"'{self.name}' is no longer an ML function in this session")
        return fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fn = self._fn
        if fn is None:
            fn = self._namespace.get(self._key)
            if fn.__class__ is not FunctionType or "__ml_ns__" not in fn.__globals__:
                fn = self._target()  # raises the clear error
        for arg in args:  # host objects reach ML as opaque handles
            if arg.__class__ not in _PLAIN:
                args = tuple(ops.admit(a, f"argument {i + 1}") for i, a in enumerate(args))
                break
        if kwargs:
            kwargs = {k: ops.admit(v, k) for k, v in kwargs.items()}
            args = self._bind(fn, args, kwargs)
        elif self._grants is None and self.timeout is None:  # the home's grants and limits
            direct = self._direct
            if direct[0] is not fn:
                direct = self._direct = direct_entry(fn)
            if direct[1] is not None and CURRENT.get().idle:
                return call_direct(fn, args, direct[1])
        grants = self._grants
        if grants is not None and grants == "caller":
            grants = current_capabilities()
        return call_ml(fn, args, grants, self.timeout)

    def _bind(self, fn: FunctionType, args: tuple, kwargs: dict) -> tuple:
        names = list(inspect.signature(fn).parameters)
        if len(args) > len(names):
            raise MLCallError(f"{self.name}() takes {len(names)} arguments, "
                              f"{len(args)} were given")
        bound = dict(zip(names, args))
        for key, value in kwargs.items():
            if key not in names:
                raise MLCallError(f"{self.name}() has no parameter '{key}'")
            if key in bound:
                raise MLCallError(f"{self.name}() got two values for '{key}'")
            bound[key] = value
        missing = [n for n in names if n not in bound]
        if missing:
            raise MLCallError(f"{self.name}() is missing {', '.join(missing)}")
        return tuple(bound[n] for n in names)

    async def call_async(self, *args: Any, **kwargs: Any) -> Any:
        """Await a call of this function on a worker of the default AsyncEngine (see
        :func:`mlpy.aio.set_default_async_engine`), in the caller's context; cancelling
        the awaiting task stops the call."""
        from mlpy.aio import default_async_engine  # the async layer builds on this one

        return await default_async_engine().run_call(self, *args, **kwargs)

    def with_timeout(self, seconds: float) -> "MLFunction":
        return self._copy(self._grants, seconds)

    def with_capabilities(self, capabilities: CapabilitySpec) -> "MLFunction":
        """A handle running under ``capabilities`` (``"caller"``: whatever set is current at
        each call, see :func:`mlpy.capability_scope`)."""
        if capabilities != "caller":
            capabilities = (self.session.engine.resolve_capabilities(capabilities)
                            if self.session is not None else as_capability_set(capabilities))
        return self._copy(capabilities, self.timeout)

    def _copy(self, capabilities: CapabilitySet | str | None,
              timeout: float | None) -> "MLFunction":
        return MLFunction(self._fn, session=self.session, name=self.name,
                          capabilities=capabilities, timeout=timeout)

    def __repr__(self) -> str:
        return f"<MLFunction {self.name}>"

    def _ml_display(self) -> str:
        return f"<function {self.name}>"
