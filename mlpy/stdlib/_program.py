"""State a module keeps for one ML program: its random generator, its default logger.

Module objects are shared -- by every execution and session of an engine, and by ML
functions the host calls after their execution ended -- so what a program changes (a seed, a
log level) must not live on them, or in Python's global ``random``: one program could then
observe, predict or change what another program, or the host, sees. The state lives in the
namespace of the program instead: the running execution's, or, for an ML function called
from outside any execution (a session's function, a function the host kept), the namespace
that function belongs to. A session's chunks share their session's state; two executions
share nothing.
"""

from __future__ import annotations

import random
import sys
from typing import Any, Callable, TypeVar

from mlpy.runtime.state import current_state

T = TypeVar("T")


def program_namespace() -> dict[str, Any] | None:
    """The namespace of the ML program a module function runs for; None for host code
    calling the module directly."""
    state = current_state()
    if state is not None and state.namespace is not None:
        return state.namespace
    frame = sys._getframe(1)
    while frame is not None:
        if "__ml_ns__" in frame.f_globals:
            return frame.f_globals
        frame = frame.f_back
    return None


def program_value(key: str, make: Callable[[], T], host: T) -> T:
    """The program's value under ``key`` (made on first use); ``host`` outside ML."""
    namespace = program_namespace()
    if namespace is None:
        return host
    value = namespace.get(key)
    if value is None:
        value = namespace[key] = make()
    return value


class Generator:
    """A program's random generator (seeded from the operating system) and its last seed."""

    __slots__ = ("random", "seed")

    def __init__(self) -> None:
        self.random = random.Random()
        self.seed: Any = None


_HOST_GENERATOR = Generator()  # for host code calling math or random directly


def generator() -> Generator:
    """The random generator of the running program, which ``random`` and ``math.random``
    share (so that ``random.setSeed`` makes both reproducible)."""
    return program_value("__ml_random__", Generator, _HOST_GENERATOR)
