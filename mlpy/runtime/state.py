"""Execution state: who is running, under which limits, writing where.

The state of the running execution lives in the context variable :data:`CURRENT`, so it
follows asyncio tasks; a worker thread or a callback gets it only when it is copied there on
purpose (``contextvars.copy_context()``). Where no execution runs, :data:`CURRENT` holds
:data:`OUTSIDE`.

Every ML function is an execution when the host calls it
-----------------------------------------------------------
ML functions are plain Python functions, and the host can come to hold one in many ways: an
execution's result or globals, an argument of a host function, an array the host passed in,
a callback stored and called later from another thread. Whatever the way, calling it must run
under the limits and grants of the execution that created it. So the check is in the function
itself: its first tick (below) takes a step from the *current* execution's state, and
:data:`OUTSIDE` answers that tick by raising :class:`HostEntry`. The function's prologue
catches it and calls itself again through the runtime's host-call entry (see
:mod:`mlpy.function`), which opens an execution of its own under the :class:`Home` of the
function's namespace: the grants it was created under and its engine's limits. An ML
function called by ML code of a running execution pays one context-variable read.

Cheap cooperative limits
------------------------
Generated code "ticks" at every function entry and loop iteration by taking one item from the
running execution's state, which is itself the ticker: an ``itertools.chain`` over batches of
``True``. Taking an item is a C-level ``next`` -- no Python call -- so a tick costs a few
nanoseconds. When a batch runs out, the chain asks :func:`_refill` for the next one; that is
where the step budget is charged and the deadline and the cancel flag are checked, once per
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
# Batches are list iterators over this list: one can be cut short (``__setstate__``) when a
# reused state starts a new call, so no tick of an old batch goes unchecked.
_TRUES = [True] * BATCH
# Python frames the host may have on the stack below an ML call, beyond which Python's own
# recursion limit (translated to the ML depth error) may come before ``max_depth``.
_HOST_FRAMES = 2000
# The clock of time limits (deadlines, elapsed time, pacing of checks). A module attribute
# so that mlpy.testing.FakeClock can stand in for it; nothing else replaces it.
clock: Callable[[], float] = time.monotonic


class HostEntry(Exception):
    """Raised by the first tick of ML code running outside any execution: the host called an
    ML function directly, and the function's prologue turns the call into an execution."""


def _refill(_: object) -> Iterator[bool]:
    # Whatever goes wrong is raised from the batch, never from here: an exception out of the
    # chain's source would end the chain for good, and every later tick with it.
    try:
        return CURRENT.get().next_batch()
    except BaseException as exc:  # noqa: BLE001 - re-raised by the batch
        return _raising(exc)


class ExecutionState(chain):
    """One execution's limits, counters, grants and output sink -- and its ticker.

    Iterating the state takes one step (see the module docstring). A state is made for each
    execution; a :class:`Home` keeps a few to reuse for the host's calls of its functions.
    """

    __slots__ = (
        "_id", "deadline", "timeout", "max_steps", "charged", "batch",
        "cancelled", "tripped", "write_out", "write_err", "capabilities", "started",
        "registry", "used", "audit", "max_depth", "base_frame", "max_output", "output_size",
        "trip_traceback", "max_memory", "namespace", "memory_countdown", "rss_mark",
        "charged_bytes", "memory_room", "blocks_mark", "blocks_wait", "last_refill",
        "last_size", "home", "parent", "narrowed", "idle", "claim", "top", "first_size",
        "free_size",
    )

    def __new__(cls, **_options: Any) -> "ExecutionState":
        return cls.from_iterable(map(_refill, repeat(None)))

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
        home: "Home | None" = None,
    ):
        self.max_memory = max_memory
        self.namespace: dict[str, Any] | None = None
        self.registry = registry
        self.audit = audit
        self.max_depth = max_depth
        self.base_frame: FrameType | None = None  # the host frame running the ML code
        self.max_output = max_output
        self.timeout = timeout
        self.max_steps = max_steps
        self.capabilities = EMPTY if capabilities is None else capabilities
        self.write_out = write_out
        self.write_err = write_err
        # The batch a call starts with when a check must come soon (a deadline, steps or a
        # memory budget apply), and otherwise: never more than the depth headroom at entry.
        depth = BATCH if max_depth is None else max_depth
        self.free_size = BATCH if depth > BATCH else depth
        first = _FIRST_BATCH if depth > _FIRST_BATCH else depth
        self.first_size = first if max_steps is None or max_steps > first else max_steps
        self.home = home  # the home of the functions running under this state
        self.top = 1 if home is None else 0  # a program has a top-level frame; a call none
        self.idle = False  # over: ticks are answered as OUTSIDE answers them (see park)
        # {True: True} while a home's parked state is free for a call: taking it is one
        # atomic dict.pop, so two threads sharing a copied context never both get it.
        self.claim: dict[bool, bool] = {}
        self.batch: Iterator[bool] = iter(())  # the batch being taken (not yet in the chain)
        self._id = execution_id
        self.used: set[str] = set()  # area.action names the gate let through
        self.output_size = 0
        self.started = clock()
        self.deadline = self.started + timeout if timeout is not None else None
        self.charged = 0  # ticks handed out (see steps)
        self.cancelled = False
        self.tripped: MLLimitError | None = None
        self.trip_traceback: TracebackType | None = None  # where ML code first saw the trip
        self.parent: ExecutionState | None = None  # the execution a nested call runs in
        self.narrowed: dict[int, CapabilitySet] | None = None  # see grants_here
        self.last_refill: float | None = None  # when the last batch was handed out
        self.last_size = 0  # and how many ticks it held
        self._reset_memory()

    def _reset_memory(self) -> None:
        self.memory_countdown = 0  # refills until the next measurement of live data
        self.rss_mark = 0  # peak process memory that triggers a measurement
        self.charged_bytes = 0  # large values created since the last measurement
        self.memory_room = 0  # bytes of the budget left at the last measurement
        self.blocks_mark = 0  # the interpreter's allocated blocks at the last measurement
        self.blocks_wait = 0  # refills until the blocks are counted again

    def restart(self, timeout: float | None, frame: FrameType) -> None:
        """Start a new call with this state (see :class:`Home`), run from ``frame``.

        This is on the path of every call the host makes into ML, so it resets only what a
        call can have changed. The call starts with a batch revived from the old one (when
        the chain still holds it, so a short call pays no refill): a small one when a
        deadline, a step or a memory budget applies, so that its first check comes soon;
        else one no larger than the depth headroom of a call starting at depth zero.
        """
        self.idle = False
        self.timeout = timeout
        self.base_frame = frame if self.max_depth is not None else None
        if self.tripped is not None:
            self.tripped = self.trip_traceback = None
        self.cancelled = False
        self._id = None
        if self.used:
            self.used = set()
        if self.output_size:
            self.output_size = 0
        if self.narrowed is not None:
            self.narrowed = None
        if timeout is not None:
            self.started = now = clock()
            self.deadline = now + timeout
            size = self.first_size
        else:
            self.deadline = self.last_refill = None
            size = self.first_size if self.max_steps or self.max_memory else self.free_size
        if self.max_memory is not None:
            self._reset_memory()
        batch = self.batch
        batch.__setstate__(BATCH - size)
        if batch.__length_hint__() == size:  # not yet exhausted: still the chain's batch
            self.charged = self.last_size = size
            if timeout is not None:
                self.last_refill = self.started
        else:
            self.charged = self.last_size = 0

    def park(self) -> None:
        """The execution is over. A context may still hold the state (it stays the current
        one of the context a host call ran in, and copies of that context keep it): from
        now on its ticks are answered as :data:`OUTSIDE` answers them, so an ML function
        run there enters an execution of its own."""
        self.idle = True
        self.base_frame = None  # no frame outlives its execution through the state
        if self.parent is not None or self.namespace is not None:
            self.parent = self.namespace = None
        batch = self.batch
        self.charged -= batch.__length_hint__()  # steps stay what was taken
        batch.__setstate__(BATCH)  # the next tick asks for a batch: see next_batch

    @property
    def execution_id(self) -> str:
        """A 32-hex id, made when first asked for (most host calls never need one)."""
        if self._id is None:
            self._id = new_execution_id()
        return self._id

    @execution_id.setter
    def execution_id(self, value: str) -> None:
        self._id = value

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
        # and builtins add frames of their own. Walking the host's stack to size it exactly
        # is paid only while the limit is lower than a generous allowance for that stack.
        needed = 4 * self.max_depth + 100
        if sys.getrecursionlimit() < needed + _HOST_FRAMES:
            _raise_recursion_limit(max(_stack_depth(frame), _HOST_FRAMES) + needed)

    def next_batch(self) -> Iterator[bool]:
        if self.idle:
            return _raising(HostEntry())
        if self.tripped is None:
            self._check()
        if self.tripped is not None:
            return self._stopping()
        size = BATCH
        if self.base_frame is not None:
            size = self._depth_headroom()
            if size <= 0:
                return self._stopping()
        if self.max_memory is not None:
            self._check_memory()
            if self.tripped is not None:
                return self._stopping()
        if self.max_steps is not None:
            size = min(size, self.max_steps - self.charged)
            if size <= 0:
                self.trip(MLResourceError(
                    f"step limit reached: the execution took more than {self.max_steps} steps",
                    resource="steps", limit=self.max_steps,
                    hints=["raise max_steps, or look for a loop that never ends"],
                ))
                return self._stopping()
        size = self._paced(size)
        self.charged += size
        self.batch = batch = iter(_TRUES)
        batch.__setstate__(BATCH - size)
        return batch

    def _stopping(self) -> Iterator[bool]:
        """What the chain takes instead of a batch once a limit tripped: it raises the limit
        at every tick."""
        self.batch = iter(())
        return _raising(self.tripped)

    def _paced(self, size: int) -> int:
        """Shrink the batch when ticks are slow -- a loop whose body is one long operation --
        so the deadline and the cancel flag are still looked at every ~50 ms. Batches start
        small and grow at most fourfold, so slow ticks are noticed before a whole batch of
        them has run (the first batch, or after a run of fast ones)."""
        now = clock()
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
        if self.cancelled or self.parent is not None and self.parent.stopped():
            self.trip(MLCancelledError("the execution was cancelled"))
        elif self.deadline is not None and clock() > self.deadline:
            self.trip(timeout_error(self.timeout, clock() - self.started))

    def nest(self, outer: "ExecutionState") -> None:
        """This call runs while ``outer`` runs (a host function called back into ML): it
        may only narrow the grants ``outer`` has there, ends by its deadline at the latest
        and stops when it stops."""
        self.parent = outer
        self.capabilities = self.capabilities.intersect(grants_here(outer))
        if outer.deadline is not None and (self.deadline is None
                                           or outer.deadline < self.deadline):
            self.deadline = outer.deadline

    def finish(self) -> None:
        """The run is over: a deadline it passed after its last look at the clock (inside
        one long native operation, say) still ends it with the time limit."""
        if self.tripped is None and self.deadline is not None \
                and clock() > self.deadline:
            self._check()

    def stopped(self) -> bool:
        """Whether this execution (or one it runs in) was cancelled or has tripped a limit:
        a nested call stops with it."""
        state: ExecutionState | None = self
        while state is not None:
            if state.cancelled or state.tripped is not None:
                return True
            state = state.parent
        return False

    def _depth_headroom(self) -> int:
        """How many ticks may pass before the depth must be checked again (0: tripped).

        The depth is the number of ML frames between the ML frame that ticked and the host
        frame that started the execution: frames of runtime helpers, builtins and host
        functions in between do not count. Each tick is at most one nested ML call, so a
        batch no larger than the remaining headroom cannot overshoot the limit unseen.
        """
        frame = sys._getframe(3)  # _depth_headroom <- next_batch <- _refill <- the ML frame
        # A program's own top-level frame is not a call; a call from the host has none.
        base, allowed = self.base_frame, self.max_depth + self.top
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


class Home:
    """What the ML functions of a namespace run under when the host calls them: the grants
    of the execution or session that made them (a session's change with it), the limits,
    the module registry, the audit log and where output goes.

    Each such call is an execution of its own (see :func:`mlpy.function.call_ml`) with a
    state of the home's. The state of a finished call stays the current one of the context
    it ran in, parked, and the next call from that context into the same home restarts it:
    a call then costs a few resets, not a new state or a context-variable switch. States of
    calls nested in another execution come back to :attr:`spare` instead.
    """

    __slots__ = ("capabilities", "timeout", "max_steps", "max_depth", "max_output",
                 "max_memory", "registry", "audit", "write_out", "write_err", "spare")

    def __init__(self, capabilities: CapabilitySet, *, timeout: float | None = None,
                 max_steps: int | None = None, max_depth: int | None = DEFAULT_MAX_DEPTH,
                 max_output: int | None = None, max_memory: int | None = None,
                 registry: Any = None, audit: Any = None,
                 write_out: Callable[[str], Any] | None = None,
                 write_err: Callable[[str], Any] | None = None):
        self.capabilities = capabilities
        self.timeout = timeout
        self.max_steps = max_steps
        self.max_depth = max_depth
        self.max_output = max_output
        self.max_memory = max_memory
        self.registry = registry
        self.audit = audit
        self.write_out = write_out
        self.write_err = write_err
        self.spare: list[ExecutionState] = []  # states of finished calls, to reuse

    @classmethod
    def of(cls, state: ExecutionState) -> "Home":
        """The home of the functions an execution defines: its grants, limits and output."""
        return cls(state.capabilities, timeout=state.timeout, max_steps=state.max_steps,
                   max_depth=state.max_depth, max_output=state.max_output,
                   max_memory=state.max_memory, registry=state.registry, audit=state.audit,
                   write_out=state.write_out, write_err=state.write_err)

    def take_state(self) -> ExecutionState:
        """A state for one call into this home: a spare one, else a new one."""
        while True:
            try:
                state = self.spare.pop()
            except IndexError:
                break
            if state.claim.pop(True, False):
                return state
            # else a copy of a context that held it took it meanwhile: it is that copy's now
        state = ExecutionState(
            timeout=self.timeout, max_steps=self.max_steps, max_depth=self.max_depth,
            max_output=self.max_output, max_memory=self.max_memory, registry=self.registry,
            audit=self.audit, write_out=self.write_out, write_err=self.write_err, home=self)
        state.enter(sys._getframe())  # sizes Python's recursion limit for its calls
        return state


def _raising(error: BaseException) -> Iterator[bool]:
    raise error
    yield True  # pragma: no cover - makes this a generator


_ID_PREFIX = os.urandom(8).hex()
_ids = itertools.count()


def new_execution_id() -> str:
    """A 32-hex id, unique in this process and, by its random half, across processes."""
    return f"{_ID_PREFIX}{next(_ids):016x}"


def timeout_error(timeout: float, elapsed: float) -> MLTimeoutError:
    return MLTimeoutError(
        f"time limit reached: the execution ran longer than {timeout:g} s",
        limit=timeout, elapsed=elapsed,
        hints=["raise timeout=, or look for a loop that never ends"],
    )


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
    """The running execution's state (None where no execution runs)."""
    state = CURRENT.get()
    return None if state.idle else state


def deciding_state() -> ExecutionState | None:
    """The state a capability decision is made for: the running execution's, or None for
    host code -- which is trusted -- running with no ML code on the stack.

    ML code can run outside any execution for a moment: the pure prefix of an ML function
    the host called directly runs before the function's first tick finds that out (see
    :mod:`mlpy.language.codegen.functions`). Host code it reaches there -- a property
    getter, an operator of a host object -- must not be taken for trusted host code: the
    decision raises :class:`HostEntry` instead, the function's prologue answers it by
    entering an execution of its own, and the prefix runs again inside it, under the grants
    of the function's home.
    """
    state = CURRENT.get()
    if not state.idle:
        return state
    frame = sys._getframe(1)
    while frame is not None:
        if "__ml_ns__" in frame.f_globals:
            raise HostEntry()
        frame = frame.f_back
    return None


def grants_here(state: ExecutionState) -> CapabilitySet:
    """The grants a gated call made now runs under: the execution's, narrowed to those of
    the home of the ML function making the call when it comes from another execution (a
    callback an ungranted script handed to the host runs with no more than that script's
    grants, whoever calls it later)."""
    frame = sys._getframe(1)
    while frame is not None:
        namespace = frame.f_globals
        if "__ml_ns__" in namespace:
            home = namespace.get("__ml_home__")
            if home is None or home is state.home:
                return state.capabilities
            return _narrowed(state, home)
        frame = frame.f_back
    return state.capabilities


def _narrowed(state: ExecutionState, home: "Home") -> CapabilitySet:
    cache = state.narrowed
    if cache is None:
        cache = state.narrowed = {}
    grants = cache.get(id(home))
    if grants is None:
        grants = cache[id(home)] = state.capabilities.intersect(home.capabilities)
    return grants


def write_output(text: str, *, error: bool = False) -> None:
    """Write to the running execution's output (``error``: its error stream)."""
    state = current_state()
    if state is None:
        (sys.stderr if error else sys.stdout).write(text)
    else:
        state.write(text, error=error)


def current_capabilities() -> CapabilitySet:
    """The grants of the running execution, else those of the host's capability scope."""
    state = deciding_state()
    return grants_here(state) if state is not None else SCOPE.get()


def inherited_capabilities() -> CapabilitySet | None:
    """The grants an execution started here with no ``capabilities=`` inherits: those of the
    execution running in this context (a nested execution never widens them), else those of
    the host's :func:`mlpy.capability_scope`; None where neither is set."""
    state = deciding_state()
    if state is not None:
        return grants_here(state)
    return SCOPE.get(None)


# The state where no execution runs: idle, so its first tick raises HostEntry.
OUTSIDE = ExecutionState()
OUTSIDE.idle = True
CURRENT: ContextVar[ExecutionState] = ContextVar("mlpy_execution", default=OUTSIDE)
# The grants host code set with ``mlpy.capability_scope`` (outside any execution).
SCOPE: ContextVar[CapabilitySet] = ContextVar("mlpy_capability_scope", default=EMPTY)
