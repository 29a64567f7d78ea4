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

The same refill checks the other limits that need no code of their own on the hot path:
the recursion depth (counting the ML frames above the execution's own frame; each batch is
no larger than the remaining headroom, so the limit cannot be overshot unseen) and, when a
``max_memory`` budget is set, whether the program's live data must be measured. The output
limit is checked where output is written.

When a limit trips, the refill hands out a generator that raises the limit error instead of a
batch, on every later tick too. The trip is also recorded on the state, so ML code can neither
catch it (``except`` re-raises it) nor swallow it with ``return`` in ``finally``: the engine
reports the tripped limit whatever the ML code did with the exception.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from contextvars import ContextVar
from itertools import chain, repeat
from types import FrameType, TracebackType
from typing import Any, Callable, Iterator

from mlpy.errors import MLCancelledError, MLLimitError, MLResourceError, MLTimeoutError
from mlpy.runtime.capabilities import EMPTY, CapabilitySet
from mlpy.runtime.memory import live_bytes, memory_error, peak_rss

BATCH = 1024
# Nested ML calls an execution may make unless the host says otherwise.
DEFAULT_MAX_DEPTH = 500
# Seconds between two looks at the deadline and the cancel flag, at most (about).
_FIRST_BATCH = 16  # ticks before the first look at the clock
_CHECK_EVERY = 0.05
# The smallest memory block the interpreter allocates for a value: new blocks times this is
# a lower bound on the memory they hold (the trigger for measuring the program's data).
_MIN_BLOCK_BYTES = 32
# Seconds of block counting one refill may pay for (a refill is ~1024 ticks, ~10-50 us).
_BLOCKS_BUDGET = 5e-7

CURRENT: ContextVar["ExecutionState | None"] = ContextVar("mlpy_execution", default=None)
# The grants host code set with ``mlpy.capability_scope`` (outside any execution).
SCOPE: ContextVar[CapabilitySet] = ContextVar("mlpy_capability_scope", default=EMPTY)


class ExecutionState:
    """One execution's limits, counters, grants and output sink."""

    __slots__ = (
        "execution_id", "deadline", "timeout", "max_steps", "charged", "batch",
        "cancelled", "tripped", "write_out", "write_err", "capabilities", "started",
        "registry", "used", "audit", "max_depth", "base_frame", "max_output", "output_size",
        "trip_traceback", "max_memory", "namespace", "memory_countdown", "rss_mark",
        "charged_bytes", "memory_room", "blocks_mark", "blocks_wait", "last_refill",
        "last_size",
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
        audit: Any = None,
        max_depth: int | None = None,
        max_output: int | None = None,
        max_memory: int | None = None,
    ):
        self.max_memory = max_memory
        self.namespace: dict[str, Any] | None = None
        self.memory_countdown = 0  # refills until the next measurement of live data
        self.rss_mark = 0  # peak process memory that triggers a measurement
        self.charged_bytes = 0  # large values created since the last measurement
        self.memory_room = 0  # bytes of the budget left at the last measurement
        self.blocks_mark = 0  # the interpreter's allocated blocks at the last measurement
        self.blocks_wait = 0  # refills until the blocks are counted again
        self.last_refill: float | None = None  # when the last batch was handed out
        self.last_size = 0  # and how many ticks it held
        self.registry = registry
        self.audit = audit
        self.used: set[str] = set()  # area.action names the gate let through
        self.max_depth = max_depth
        self.base_frame: FrameType | None = None  # the host frame running the ML code
        self.max_output = max_output
        self.output_size = 0
        self.execution_id = execution_id or new_execution_id()
        self.timeout = timeout
        self.started = time.monotonic()
        self.deadline = self.started + timeout if timeout is not None else None
        self.max_steps = max_steps
        self.charged = 0
        self.batch: Iterator[bool] = iter(())
        self.cancelled = False
        self.tripped: MLLimitError | None = None
        self.trip_traceback: TracebackType | None = None  # where ML code first saw the trip
        self.capabilities = EMPTY if capabilities is None else capabilities
        self.write_out = write_out
        self.write_err = write_err

    # ------------------------------------------------------------------ ticks

    def enter(self, frame: FrameType, namespace: dict[str, Any] | None = None) -> None:
        """Note where the execution starts on the stack (``frame`` runs the ML code), so
        that the depth limit counts only the frames above it, and which namespace holds its
        data (for the memory budget)."""
        self.namespace = namespace
        if self.max_depth is None:
            return
        self.base_frame = frame
        # Python's own recursion limit must stay above ours: calls through runtime helpers
        # and builtins add frames of their own.
        needed = _stack_depth(frame) + 4 * self.max_depth + 100
        if sys.getrecursionlimit() < needed:
            _raise_recursion_limit(needed)

    def next_batch(self) -> Iterator[bool]:
        if self.tripped is None:
            self._check()
        if self.tripped is not None:
            return _raising(self.tripped)
        size = BATCH
        if self.base_frame is not None:
            size = self._depth_headroom()
            if size <= 0:
                return _raising(self.tripped)
        if self.max_memory is not None:
            self._check_memory()
            if self.tripped is not None:
                return _raising(self.tripped)
        if self.max_steps is not None:
            size = min(size, self.max_steps - self.charged)
            if size <= 0:
                self.trip(MLResourceError(
                    f"step limit reached: the execution took more than {self.max_steps} steps",
                    resource="steps", limit=self.max_steps,
                    hints=["raise max_steps, or look for a loop that never ends"],
                ))
                return _raising(self.tripped)
        size = self._paced(size)
        self.charged += size
        self.batch = repeat(True, size)
        return self.batch

    def _paced(self, size: int) -> int:
        """Shrink the batch when ticks are slow -- a loop whose body is one long operation --
        so the deadline and the cancel flag are still looked at every ~50 ms. Batches start
        small and grow at most fourfold, so slow ticks are noticed before a whole batch of
        them has run (the first batch, or after a run of fast ones)."""
        now = time.monotonic()
        last, self.last_refill = self.last_refill, now
        if last is None or not self.last_size:
            size = min(size, _FIRST_BATCH)
        else:
            per_tick = (now - last) / self.last_size
            if per_tick * size > _CHECK_EVERY:
                size = max(1, int(_CHECK_EVERY / per_tick))
            size = min(size, self.last_size * 4)
        self.last_size = size
        return size

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

    def _depth_headroom(self) -> int:
        """How many ticks may pass before the depth must be checked again (0: tripped).

        The depth is the number of ML frames between the ML frame that ticked and the host
        frame that started the execution: frames of runtime helpers, builtins and host
        functions in between do not count. Each tick is at most one nested ML call, so a
        batch no larger than the remaining headroom cannot overshoot the limit unseen.
        """
        frame = sys._getframe(3)  # _depth_headroom <- next_batch <- _refill <- the ML frame
        base, allowed = self.base_frame, self.max_depth + 1  # + the top-level frame
        depth = 0
        while frame is not base:
            if frame is None:  # the execution's frame is gone: Python's limit applies
                return BATCH
            if "__ml_ns__" in frame.f_globals:
                depth += 1
                if depth > allowed:
                    self.trip(depth_error(self.max_depth))
                    return 0
            frame = frame.f_back
        return min(BATCH, allowed - depth + 1)

    def _check_memory(self) -> None:
        """Measure the data the program keeps alive when the interpreter holds enough new
        memory blocks to fill what was left of the budget, when the process's peak memory
        grew by an eighth of the budget, and in any case every so often (less often the more
        data there is to walk, so that walks cost about 1 % of the run)."""
        self.memory_countdown -= 1
        peak = peak_rss()
        if self.memory_countdown > 0 and peak <= self.rss_mark and not self._blocks_grew():
            return
        used, visited = live_bytes(self._memory_roots(), self.max_memory)
        if used > self.max_memory:
            self.trip(memory_error(self.max_memory, used))
            return
        self.charged_bytes = 0
        self.memory_room = self.max_memory - used
        self.blocks_mark = sys.getallocatedblocks()
        self.rss_mark = peak + max(self.max_memory // 8, 1 << 20)
        self.memory_countdown = max(64, visited // 8)

    def _blocks_grew(self) -> bool:
        """Whether the interpreter now holds enough new memory blocks to fill what was left
        of the budget. Counting blocks takes longer the larger the heap, so with a large
        heap the count is taken every few refills only (keeping it near 1 % of the run)."""
        self.blocks_wait -= 1
        if self.blocks_wait > 0:
            return False
        started = time.perf_counter()
        grown = sys.getallocatedblocks() - self.blocks_mark
        self.blocks_wait = int((time.perf_counter() - started) / _BLOCKS_BUDGET) + 1
        return grown * _MIN_BLOCK_BYTES >= self.memory_room

    def charge(self, size: int) -> None:
        """A value of about ``size`` bytes is about to be created: measure now if enough
        has been created since the last measurement, counting the new value in."""
        if self.tripped is not None:
            raise self.tripped
        self.charged_bytes += size
        if self.charged_bytes < max(self.max_memory // 8, 1 << 20) \
                and size <= self.max_memory:
            return
        self.charged_bytes = 0
        used, _ = live_bytes(self._memory_roots(), self.max_memory)
        if used + size > self.max_memory:
            self.trip(memory_error(self.max_memory, used + size))
            raise self.tripped

    def _memory_roots(self) -> list[Any]:
        roots: list[Any] = []
        if self.namespace is not None:
            roots.append(self.namespace)
        frame = sys._getframe(1)
        while frame is not None:
            if "__ml_ns__" in frame.f_globals:  # an ML frame: its variables hold data
                roots.append(frame.f_locals)
            frame = frame.f_back
        return roots

    def check_now(self) -> None:
        """Raise the limit that stops this execution, checking the deadline and the cancel
        flag first (for when control returns from host code, which ticks do not see)."""
        if self.tripped is None:
            self._check()
        if self.tripped is not None:
            raise self.tripped

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

    def write(self, text: str, *, error: bool = False) -> None:
        """Write ML output (``error``: to the error stream), within the output limit."""
        if self.tripped is not None:  # a stopped execution has no more effects
            raise self.tripped
        if self.max_output is not None:
            room = self.max_output - self.output_size
            if len(text) > room:
                self.output_size = self.max_output
                self._emit(text[:max(room, 0)], error)
                self.trip(MLResourceError(
                    f"output limit reached: the execution wrote more than "
                    f"{self.max_output:,} characters",
                    resource="output", limit=self.max_output,
                    hints=["raise max_output, or write less"],
                ))
                raise self.tripped
            self.output_size += len(text)
        self._emit(text, error)

    def _emit(self, text: str, error: bool) -> None:
        if not text:
            return
        sink = self.write_err if error else self.write_out
        if sink is not None:
            sink(text)
        else:
            (sys.stderr if error else sys.stdout).write(text)


def _raising(error: BaseException) -> Iterator[bool]:
    raise error
    yield True  # pragma: no cover - makes this a generator


_ID_PREFIX = os.urandom(8).hex()
_ids = itertools.count()


def new_execution_id() -> str:
    """A 32-hex id, unique in this process and, by its random half, across processes."""
    return f"{_ID_PREFIX}{next(_ids):016x}"


def depth_error(limit: int | None) -> MLResourceError:
    what = f"more than {limit} nested calls" if limit else "too many nested calls"
    return MLResourceError(
        f"recursion limit reached: {what}", resource="recursion", limit=limit,
        hints=["look for a recursive function that never reaches its base case, "
               "or raise max_depth"],
    )


def _stack_depth(frame: FrameType | None) -> int:
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


_limit_lock = threading.Lock()


def _raise_recursion_limit(needed: int) -> None:
    """Python's own limit must sit above ML's; it is only ever raised, never lowered."""
    with _limit_lock:
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)


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


def write_output(text: str, *, error: bool = False) -> None:
    """Write to the running execution's output (``error``: its error stream)."""
    state = current_state()
    if state is None:
        (sys.stderr if error else sys.stdout).write(text)
    else:
        state.write(text, error=error)


def current_capabilities() -> CapabilitySet:
    """The grants of the running execution, else those of the host's capability scope."""
    state = current_state()
    return state.capabilities if state is not None else SCOPE.get()
