"""MLFunction: an ML function as a plain Python callable.

A handle the host holds on an ML function -- from a session (``Session.function``), or from
an execution's result -- calls it as an execution of its own: with its grants (the
session's, the producing execution's, or the caller's scope), its limits, and ML failures
raised as :class:`~mlpy.errors.MLError`. A session handle with no limits of its own takes a
fast path under the session's resident state (see :mod:`mlpy.runtime.state`).
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
from mlpy.runtime.state import (
    CURRENT, DEFAULT_MAX_DEPTH, ExecutionState, current_capabilities, current_state,
)

if TYPE_CHECKING:
    from mlpy.session import Session

_current = CURRENT.get
# Argument types that reach ML as they are (containers by reference, see MLFunction).
_PLAIN = frozenset({type(None), bool, int, float, str, list, dict, tuple})


class MLFunction:
    """An ML function as a plain Python callable.

    Calling it runs the function and returns its value; an ML failure raises the
    corresponding :class:`~mlpy.errors.MLError`. Keyword arguments bind to the ML parameter
    names. A session's function runs under the session's grants as they are at the time of
    the call; ``with_capabilities`` and ``with_timeout`` make handles with their own. With
    ``bind="late"`` (the default) the name is looked up at every call, so a redefinition in
    the session is picked up.
    """

    __slots__ = ("_fn", "_namespace", "_key", "session", "name", "_grants", "timeout",
                 "_follows")
    # The host may pass a handle to another execution: ML calls it like a host function,
    # and it runs with what both its own grants and the caller's allow.
    _ml_callable = True

    def __init__(self, fn: FunctionType | None, *, session: Session | None = None,
                 name: str | None = None, capabilities: CapabilitySet | str | None = None,
                 timeout: float | None = None):
        if session is None and capabilities is None:
            capabilities = CapabilitySet()
        if capabilities is not None and capabilities != "caller" \
                and not isinstance(capabilities, CapabilitySet):
            raise MLConfigurationError(
                "MLFunction capabilities are a CapabilitySet, \"caller\" or None")
        self._fn = fn
        self.session = session
        self.name = name or (fn.__name__ if fn is not None else "?")
        self._key = py_name(self.name)
        self._namespace = session._namespace if session is not None and fn is None else None
        self._grants = capabilities
        self.timeout = timeout
        # A handle that follows its session needs no state of its own (see runtime.state).
        self._follows = capabilities is None and timeout is None and (
            session is None or session.engine.max_steps is None)

    @property
    def capabilities(self) -> CapabilitySet:
        """The grants the next call runs under."""
        if self._grants is None:
            return self.session.capabilities
        if self._grants == "caller":
            return current_capabilities()
        return self._grants

    def _new_state(self) -> ExecutionState:
        engine = self.session.engine if self.session is not None else None
        return ExecutionState(
            timeout=self.timeout, capabilities=self.capabilities,
            max_steps=engine.max_steps if engine else None,
            max_depth=engine.max_depth if engine else DEFAULT_MAX_DEPTH,
            max_output=engine.max_output if engine else None,
            max_memory=engine.max_memory if engine else None,
            registry=engine.registry if engine else None,
            audit=engine.audit if engine else None)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self._target()).parameters)

    def _target(self) -> FunctionType:
        fn = self._fn if self._fn is not None else self._namespace.get(self._key)
        if not (fn.__class__ is FunctionType and "__ml_ns__" in fn.__globals__):
            raise MLCallError(f"'{self.name}' is no longer an ML function in this session")
        return fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for arg in args:  # host objects reach ML as opaque handles
            if arg.__class__ not in _PLAIN:
                args = tuple(ops.admit(a, f"argument {i + 1}") for i, a in enumerate(args))
                break
        if kwargs or not self._follows or _current() is not None:
            return self._call_with_state(args, kwargs)
        try:  # the fast path: the session's resident state applies (see runtime.state)
            return (self._fn or self._namespace[self._key])(*args)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            if self._fn is None:
                self._target()  # the name no longer holds an ML function: a clear MLCallError
            raise self._error(exc) from None

    def _call_with_state(self, args: tuple, kwargs: dict) -> Any:
        fn = self._target()
        if kwargs:
            kwargs = {k: ops.admit(v, k) for k, v in kwargs.items()}
            args = self._bind(fn, args, kwargs)
        state = self._new_state()  # each call is an execution of its own
        outer = current_state()
        if outer is not None:  # called while another execution runs: it may only narrow
            state.capabilities = state.capabilities.intersect(outer.capabilities)
        token = CURRENT.set(state)
        state.enter(sys._getframe())
        try:
            return fn(*args)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise self._error(state.tripped or exc) from None
        finally:
            CURRENT.reset(token)
            state.base_frame = None

    def _error(self, exc: BaseException) -> MLError:
        if isinstance(exc, TypeError) and exc.__traceback__ is not None \
                and exc.__traceback__.tb_next is None:  # raised by the call itself: arity
            return MLCallError(str(exc).replace(f"{self._key}()", f"{self.name}()"))
        return translate_error(exc)

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

    def with_timeout(self, seconds: float) -> "MLFunction":
        return self._copy(self._grants if self._grants is not None else self.capabilities,
                          seconds)

    def with_capabilities(self, capabilities: CapabilitySpec) -> "MLFunction":
        """A handle running under ``capabilities`` (``"caller"``: whatever set is current at
        each call, see :func:`mlpy.capability_scope`)."""
        if capabilities != "caller":
            capabilities = (self.session.engine.resolve_capabilities(capabilities)
                            if self.session is not None else as_capability_set(capabilities))
        return self._copy(capabilities, self.timeout)

    def _copy(self, capabilities: CapabilitySet | str, timeout: float | None) -> "MLFunction":
        return MLFunction(self._fn, session=self.session, name=self.name,
                          capabilities=capabilities, timeout=timeout)

    def __repr__(self) -> str:
        return f"<MLFunction {self.name}>"

    def _ml_display(self) -> str:
        return f"<function {self.name}>"
