"""Exposing one Python function to ML code: :func:`host_function`.

A host callable passed to ML through ``variables=`` is refused when ML calls it, unless it
was marked with :func:`host_function`. A marked function is called through the capability
gate, and an exception it raises reaches ML as a catchable error whose message is the
exception's text (the Python traceback stays with the host, as ``__cause__``). Opaque
handles ML passes in arrive as the original host objects; a host object the function
returns reaches ML as an opaque handle. A function that is ``async def`` (or returns an
awaitable) is awaited for ML on the event loop of the AsyncEngine running the program (see
:mod:`mlpy.runtime.awaiting`).
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any, Callable, Iterable

from mlpy.errors import MLError, MLHostError
from mlpy.observability import events
from mlpy.runtime import awaiting, gate, ops
from mlpy.runtime.values import HostObject


class HostFunction:
    """A host function ML may call; see :func:`host_function`."""

    _ml_callable = True
    __slots__ = ("__wrapped__", "__name__", "_ml_capabilities", "_ml_description")

    def __init__(self, fn: Callable[..., Any], name: str, capabilities: tuple[str, ...],
                 description: str):
        self.__wrapped__ = fn
        self.__name__ = name
        self._ml_capabilities = capabilities
        self._ml_description = description

    def __call__(self, *args: Any) -> Any:
        if events.ACTIVE:
            return self._observed_call(args)
        return self._call(args)

    def _observed_call(self, args: tuple) -> Any:
        """A call reported to the observability listeners (spans, when asked for)."""
        call = events.host_call_started(self.__name__)
        error: BaseException | None = None
        try:
            return self._call(args)
        except BaseException as raised:
            error = raised
            raise
        finally:
            call.end(error)

    def _call(self, args: tuple) -> Any:
        try:
            result = gate.call_host(self.__wrapped__, tuple(ops.release(arg) for arg in args),
                                    self._ml_capabilities, self.__name__)
            value = ops.admit(result, f"the result of {self.__name__}()")
            if value.__class__ is HostObject and isawaitable(result):  # an async function
                value = ops.admit(awaiting.wait_for(result, self.__name__),
                                  f"the result of {self.__name__}()")
        except (MLError, RecursionError, MemoryError):
            raise  # ML errors and limits pass through as they are
        except Exception as error:
            if _raised_by_ml(error):  # an ML callback failed: its error, at its position
                raise
            raise MLHostError(f"{self.__name__}() failed: {error}") from error
        return value

    def _ml_display(self) -> str:
        return f"<function {self.__name__}>"


def _raised_by_ml(error: BaseException) -> bool:
    """Whether ``error`` was raised in ML code the host function called back."""
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("mlpy://"):
            return True
        tb = tb.tb_next
    return False


def host_function(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    capabilities: Iterable[str] = (),
    description: str | None = None,
) -> Any:
    """Mark a Python function as callable from ML (bare ``@host_function`` or called).

    ``capabilities`` are checked against the running execution's grants on every call.
    """

    def wrap(target: Callable[..., Any]) -> HostFunction:
        doc = (target.__doc__ or "").strip().split("\n", 1)[0]
        wrapped = HostFunction(target, name or target.__name__, tuple(capabilities),
                               description or doc)
        return wrapped

    return wrap(fn) if fn is not None else wrap
