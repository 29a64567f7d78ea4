"""Execution state: who is running, under which limits, writing where.

The state of the running execution lives in the context variable :data:`CURRENT`, so it
follows asyncio tasks; a worker thread or a callback gets it only when it is copied there on
purpose (``contextvars.copy_context()``).

When the host calls a session's ML function directly, no execution is current: setting a
context variable around every such call would cost more than many functions themselves. The
session's namespace holds a resident state (``__ml_state__``) instead, and
:func:`current_state` finds it through the innermost ML frame, so grants and output still
follow the session.

Cheap cooperative limits
------------------------
Generated code "ticks" at every function entry and loop iteration by taking one item from the
namespace's *ticker*, ``__ml_T``: an ``itertools.chain`` over batches of ``repeat(True, n)``.
Taking an item is a C-level ``next`` -- no Python call -- so a tick costs a few nanoseconds.
When a batch runs out, the chain asks :func:`_refill` for the next one; that is where the step
budget is charged and the deadline and the cancel flag are checked, once per
:data:`BATCH` ticks.

When a limit trips, the refill hands out a generator that raises the limit error instead of a
batch, on every later tick too. The trip is also recorded on the state, so ML code can neither
catch it (``except`` re-raises it) nor swallow it with ``return`` in ``finally``: the engine
reports the tripped limit whatever the ML code did with the exception.
"""

from __future__ import annotations

import sys
import time
import uuid
from contextvars import ContextVar
from itertools import chain, repeat
from typing import Any, Callable, Iterator

from mlpy.errors import MLCancelledError, MLLimitError, MLResourceError, MLTimeoutError

BATCH = 1024

CURRENT: ContextVar["ExecutionState | None"] = ContextVar("mlpy_execution", default=None)


class ExecutionState:
    """One execution's limits, counters, grants and output sink."""

    __slots__ = (
        "execution_id", "deadline", "timeout", "max_steps", "charged", "batch",
        "cancelled", "tripped", "write_out", "write_err", "capabilities", "started",
        "registry",
    )

    def __init__(
        self,
        *,
        timeout: float | None = None,
        max_steps: int | None = None,
        capabilities: Any = None,
        write_out: Callable[[str], Any] | None = None,
        write_err: Callable[[str], Any] | None = None,
        execution_id: str | None = None,
        registry: Any = None,
    ):
        self.registry = registry
        self.execution_id = execution_id or uuid.uuid4().hex
        self.timeout = timeout
        self.started = time.monotonic()
        self.deadline = self.started + timeout if timeout is not None else None
        self.max_steps = max_steps
        self.charged = 0
        self.batch: Iterator[bool] = iter(())
        self.cancelled = False
        self.tripped: MLLimitError | None = None
        self.capabilities = capabilities
        self.write_out = write_out
        self.write_err = write_err

    # ------------------------------------------------------------------ ticks

    def next_batch(self) -> Iterator[bool]:
        if self.tripped is None:
            self._check()
        if self.tripped is not None:
            return _raising(self.tripped)
        size = BATCH
        if self.max_steps is not None:
            size = min(size, self.max_steps - self.charged)
            if size <= 0:
                self.trip(MLResourceError(
                    f"step limit reached: the execution took more than {self.max_steps} steps",
                    resource="steps", limit=self.max_steps,
                    hints=["raise max_steps, or look for a loop that never ends"],
                ))
                return _raising(self.tripped)
        self.charged += size
        self.batch = repeat(True, size)
        return self.batch

    def _check(self) -> None:
        if self.cancelled:
            self.trip(MLCancelledError("the execution was cancelled"))
        elif self.deadline is not None and time.monotonic() > self.deadline:
            elapsed = time.monotonic() - self.started
            self.trip(MLTimeoutError(
                f"time limit reached: the execution ran longer than {self.timeout:g} s",
                limit=self.timeout, elapsed=elapsed,
                hints=["raise timeout=, or look for a loop that never ends"],
            ))

    def trip(self, error: MLLimitError) -> None:
        if self.tripped is None:
            error.execution_id = self.execution_id
            self.tripped = error

    @property
    def steps(self) -> int:
        """Ticks taken so far."""
        return self.charged - self.batch.__length_hint__()

    def cancel(self) -> None:
        """Ask the execution to stop at its next check (safe from any thread)."""
        self.cancelled = True

    # ------------------------------------------------------------------ output

    def write(self, text: str) -> None:
        if self.tripped is not None:  # a stopped execution has no more effects
            raise self.tripped
        if self.write_out is not None:
            self.write_out(text)
        else:
            sys.stdout.write(text)


def _raising(error: BaseException) -> Iterator[bool]:
    raise error
    yield True  # pragma: no cover - makes this a generator


def current_state() -> ExecutionState | None:
    """The running execution's state, else the resident state of the calling ML namespace."""
    state = CURRENT.get()
    if state is not None:
        return state
    frame = sys._getframe(1)
    while frame is not None:
        namespace = frame.f_globals
        if "__ml_ns__" in namespace:
            return namespace.get("__ml_state__")
        frame = frame.f_back
    return None


def _refill(_: object) -> Iterator[bool]:
    state = current_state()
    if state is None:  # an ML function called by the host outside any execution
        return repeat(True, BATCH)
    return state.next_batch()


def new_ticker() -> Iterator[bool]:
    """A fresh ``__ml_T`` for a namespace (see the module docstring)."""
    return chain.from_iterable(map(_refill, repeat(None)))


def write_output(text: str) -> None:
    state = current_state()
    if state is None:
        sys.stdout.write(text)
    else:
        state.write(text)
