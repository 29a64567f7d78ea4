"""The single capability gate (DESIGN D8).

Every module function that declares capabilities reaches ML as a :class:`GuardedFunction`. Its
``__call__`` checks the declared capabilities against the grants of the *current* execution
(the context variable in :mod:`mlpy.runtime.state`) before running the function -- however the
function was reached: ``file.read(p)``, ``m = file; m.read(p)``, a stored reference, a callback.
There is no other way into a guarded function from ML.
"""

from __future__ import annotations

from typing import Any, Callable

from mlpy.errors import CapabilityError
from mlpy.runtime.state import current_state


def held_capabilities() -> frozenset[str]:
    state = current_state()
    if state is None or not state.capabilities:
        return frozenset()
    if state.tripped is not None:  # a stopped execution has no more effects
        raise state.tripped
    return state.capabilities


def check(required: tuple[str, ...], what: str) -> None:
    """Raise :class:`CapabilityError` unless every capability in ``required`` is granted."""
    held = held_capabilities()
    for capability in required:
        if capability not in held:
            granted = ", ".join(sorted(held)) or "none"
            raise CapabilityError(
                f"{what} requires the capability '{capability}', which this execution was "
                f"not granted (granted: {granted})",
                required=capability,
                hints=[f"the host grants it with capabilities=[\"{capability}\"]"],
            )


class GuardedFunction:
    """A module function that needs capabilities; callable by ML through the gate."""

    __slots__ = ("_fn", "_ml_capabilities", "_ml_description", "__name__", "_qualified")
    _ml_callable = True

    def __init__(self, fn: Callable[..., Any], name: str, qualified: str,
                 capabilities: tuple[str, ...], description: str):
        self._fn = fn
        self.__name__ = name
        self._qualified = qualified
        self._ml_capabilities = capabilities
        self._ml_description = description

    def __call__(self, *args: Any) -> Any:
        check(self._ml_capabilities, self._qualified)
        return self._fn(*args)

    def _ml_display(self) -> str:
        return f"<function {self._qualified}>"
