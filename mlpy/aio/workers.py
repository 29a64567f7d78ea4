"""The worker pool under :class:`~mlpy.aio.AsyncEngine`: jobs, threads and the watchdog.

A :class:`Job` is a function to run on a worker thread, the caller's ``contextvars``
context it runs in (a copy taken at submission: capability scope, request ids, tracing), a
``concurrent.futures.Future`` for its outcome and an optional time limit. Jobs wait in one
FIFO queue of at most ``max_pending``; a submission that finds it full is refused at once
(backpressure). At most ``max_workers`` threads run jobs. The pool is our own rather than a
``ThreadPoolExecutor`` because a thread that cannot be stopped must be set aside and
replaced.

Stopping work without killing threads
-------------------------------------
ML code stops cooperatively: its ticks look at the execution's deadline and cancel flag
(:mod:`mlpy.runtime.state`). Each job's context is private to the job, so while it runs the
context's current execution state *is* the job's execution, and the watchdog thread reaches
it from outside (``context.get(CURRENT)``) to trip the time limit or set the cancel flag.
Nothing is added to the path of ML calls for this. A job that has not returned
``cancel_grace`` seconds after it was told to stop is blocked in host code: its outcome is
delivered anyway (timed out or cancelled), its thread is marked stuck and left to finish on
its own, and a replacement thread keeps the capacity -- until ``max_stuck`` threads are
stuck, when the pool reports itself unhealthy and starts no more.

A job paused by the debugger (:meth:`WorkerPool.paused`) is not timed while it is paused:
its time limit is moved by the length of every pause. Told to stop while paused, it is
woken through the event the pause holds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from mlpy.aio.result import AsyncMLResult, ExecutorStats
from mlpy.errors import (
    MLBackpressureError, MLCancelledError, MLConfigurationError, MLError, MLHostError,
    MLTimeoutError,
)
from mlpy.observability import events
from mlpy.runtime.awaiting import OWNER_LOOP
from mlpy.runtime.state import CURRENT, OUTSIDE, ExecutionState

_logger = logging.getLogger("mlpy.async")

# Seconds between two attempts to stop a job that was told to stop and still runs (it may
# have been between two executions when first told).
_NUDGE = 0.01


class Job:
    """One unit of work and what the pool knows about it.

    ``run(job)`` does the work on a worker. With ``as_result`` the outcome is always an
    :class:`AsyncMLResult` (failures included), else the value ``run`` returned or the
    exception it raised. ``timeout`` is what the watchdog enforces on the run.
    """

    __slots__ = ("run", "context", "future", "timeout", "queue_deadline", "as_result",
                 "loop", "outer", "execution_id", "enqueued", "started", "worker", "stopping",
                 "stop_by", "what", "given_up", "cancel_sent", "observed", "paused_for",
                 "pause")

    def __init__(self, run: Callable[["Job"], Any], *, timeout: float | None,
                 queue_timeout: float | None, as_result: bool, execution_id: str = "",
                 what: str = "the job", observed: bool = False):
        self.run = run
        self.context = contextvars.copy_context()
        self.future: concurrent.futures.Future = concurrent.futures.Future()
        self.timeout = timeout
        self.enqueued = time.monotonic()
        self.queue_deadline = None if queue_timeout is None else self.enqueued + queue_timeout
        self.as_result = as_result
        # The event loop of the submitting thread, if one runs there (async host functions).
        self.loop = asyncio._get_running_loop()  # noqa: SLF001 - no exception when none runs
        outer = self.context.get(CURRENT, OUTSIDE)
        # The execution the job was submitted from, if any: the job's ML calls nest in it.
        self.outer: ExecutionState | None = None if outer.idle else outer
        self.execution_id = execution_id
        self.started: float | None = None
        self.worker: _Worker | None = None
        self.stopping: str | None = None  # "timeout" or "cancel" once told to stop
        self.stop_by = 0.0  # when a job told to stop is given up on
        self.what = what
        self.given_up = False  # the caller cancelled it
        self.cancel_sent = False  # the pool's cancel_execution was called for it
        # An execution the metrics and spans see as "async": reported when it never runs.
        self.observed = observed
        self.paused_for = 0.0  # seconds spent paused by the debugger: not timed
        self.pause: threading.Event | None = None  # while paused: set to wake it to stop

    @property
    def queue_time(self) -> float:
        return (self.started or time.monotonic()) - self.enqueued

    @property
    def run_time(self) -> float:
        return time.monotonic() - self.started if self.started is not None else 0.0


class _Worker(threading.Thread):
    def __init__(self, pool: "WorkerPool", name: str):
        super().__init__(name=name, daemon=True)
        self.pool = pool
        self.stuck = False

    def run(self) -> None:
        self.pool._work(self)


class WorkerPool:
    """The queue, the worker threads and the watchdog of one AsyncEngine.

    ``cancel_execution(execution_id)`` reaches executions the pool cannot stop through the
    context (a sandboxed one); ``on_closed()`` runs once the pool is closed and its last
    thread has left.
    """

    def __init__(self, *, max_workers: int, max_pending: int | None, cancel_grace: float,
                 max_stuck: int, thread_name_prefix: str,
                 cancel_execution: Callable[[str], Any], on_closed: Callable[[], Any]):
        self.max_workers = max_workers
        self.max_pending = max_pending
        self.cancel_grace = cancel_grace
        self.max_stuck = max_stuck
        self.thread_name_prefix = thread_name_prefix
        self._cancel_execution = cancel_execution
        self._on_closed = on_closed
        # Reentrant: cancelling a future runs its callbacks, which may cancel the job.
        self._lock = threading.RLock()
        self._has_work = threading.Condition(self._lock)
        self._watch = threading.Condition(self._lock)
        self._queue: deque[Job] = deque()
        self._queue_deadlines: list[tuple[float, int, Job]] = []
        self._running: set[Job] = set()
        self._workers: set[_Worker] = set()
        self._idle = 0
        self._stuck = 0
        self._counts = dict.fromkeys(
            ("completed", "failed", "timeouts", "cancelled", "rejected"), 0)
        self._names = itertools.count(1)
        self._order = itertools.count()
        self._watchdog: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the last loop that submitted
        self.closed = False

    # ------------------------------------------------------------------ submitting

    def submit(self, job: Job) -> None:
        """Queue ``job``, or settle it at once as refused when the queue is full."""
        with self._lock:
            if job.loop is None:  # no loop where it was submitted (a GUI thread): the last
                loop = self._loop
                job.loop = loop if loop is not None and loop.is_running() else None
            else:
                self._loop = job.loop
            if self.closed:
                raise MLConfigurationError(
                    "this AsyncEngine is closed: it takes no more work",
                    hints=["create a new AsyncEngine, or submit before aclose()/shutdown()"])
            if self.max_pending is not None and len(self._queue) >= self.max_pending:
                self._settle_locked(job, None, MLBackpressureError(
                    f"the queue is full ({self.max_pending} jobs wait for "
                    f"{self.max_workers} workers): the job was refused",
                    hints=["retry later, raise max_pending or max_workers, or shed load"]))
                _logger.info("%s was refused: the queue is full (%d jobs wait for %d "
                             "workers)", job.what, self.max_pending, self.max_workers,
                             extra={"execution_id": job.execution_id or None})
                return
            self._queue.append(job)
            if job.queue_deadline is not None:
                heapq.heappush(self._queue_deadlines,
                               (job.queue_deadline, next(self._order), job))
                self._watch_locked()
            if self._idle < len(self._queue):
                self._grow_locked()
            self._has_work.notify()

    def cancel(self, job: Job) -> None:
        """The caller gave up on the job: drop it from the queue, or stop it."""
        with self._lock:
            future = job.future
            if job.given_up or future.done() and not future.cancelled():
                return  # already given up on, or it finished first
            job.given_up = True
            future.cancel()  # runs the future's callbacks, which may come back here
            self._counts["cancelled"] += 1
            if job.started is None:
                if job in self._queue:
                    self._queue.remove(job)
                if events.ACTIVE:
                    _refused(job, MLCancelledError("the execution was cancelled before it "
                                                   "started"))
            elif job in self._running and job.stopping is None:
                job.stopping, job.stop_by = "cancel", time.monotonic() + self.cancel_grace
                self._stop_locked(job)
                self._watch_locked()

    @contextmanager
    def paused(self, job: Job) -> Iterator[threading.Event]:
        """The running ``job`` is paused (by the debugger) for the block: its time limit
        waits; the event yielded is set when it is told to stop meanwhile."""
        with self._lock:
            job.pause = wake = threading.Event()
            if job.stopping is not None:  # told to stop just before it paused
                wake.set()
            since = time.monotonic()
        try:
            yield wake
        finally:
            with self._lock:
                job.pause = None
                job.paused_for += time.monotonic() - since
                self._watch_locked()  # its deadline moved

    # ------------------------------------------------------------------ workers

    def _grow_locked(self) -> None:
        """Start a worker if fewer than max_workers are usable (stuck threads are replaced
        until more than max_stuck are stuck)."""
        if len(self._workers) - self._stuck < self.max_workers \
                and self._stuck <= self.max_stuck:
            worker = _Worker(self, f"{self.thread_name_prefix}-{next(self._names)}")
            self._workers.add(worker)
            worker.start()

    def _work(self, worker: _Worker) -> None:
        while True:
            job = self._next_job(worker)
            if job is None:
                return
            try:
                value, error = job.context.run(_invoke, job), None
            except BaseException as exc:  # noqa: BLE001 - delivered to whoever waits
                value, error = None, exc
            with self._lock:
                self._running.discard(job)
                self._settle_locked(job, value, error)
                if self.closed:
                    self._watch.notify()  # the watchdog may be waiting for the last job
                if worker.stuck:  # its job was given up on: a replacement took its place
                    self._stuck -= 1
                    self._leave_locked(worker)
                    if self._queue and not self.closed:
                        self._grow_locked()
                    return

    def _next_job(self, worker: _Worker) -> Job | None:
        with self._lock:
            while True:
                while not self._queue:
                    if self.closed:
                        self._leave_locked(worker)
                        return None
                    self._idle += 1
                    self._has_work.wait()
                    self._idle -= 1
                job = self._queue.popleft()
                if job.future.done():  # cancelled while it waited
                    continue
                job.started = time.monotonic()
                job.worker = worker
                self._running.add(job)
                if job.timeout is not None:
                    self._watch_locked()
                return job

    def _leave_locked(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        if self.closed and not self._workers:
            self._on_closed()

    def _settle_locked(self, job: Job, value: Any, error: BaseException | None) -> None:
        """Deliver the job's outcome, once, and count it."""
        future = job.future
        if future.done():
            return
        if job.as_result and not isinstance(value, AsyncMLResult):
            value, error = _as_result(job, value, error), None
        outcome = value.error_info if isinstance(value, AsyncMLResult) else error
        try:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
        except concurrent.futures.InvalidStateError:  # the caller cancelled it meanwhile
            return
        self._counts[_kind(outcome)] += 1
        if job.started is None and events.ACTIVE:  # refused, timed out or cancelled queued
            _refused(job, outcome)

    # ------------------------------------------------------------------ the watchdog

    def _watch_locked(self) -> None:
        """Make sure the watchdog runs and looks again now."""
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch_loop, daemon=True,
                                              name=f"{self.thread_name_prefix}-watchdog")
            self._watchdog.start()
        self._watch.notify()

    def _watch_loop(self) -> None:
        with self._lock:
            while not (self.closed and not self._running and not self._queue_deadlines):
                wake = self._watch_once_locked(time.monotonic())
                self._watch.wait(None if wake is None else max(wake - time.monotonic(), 0))
            self._watchdog = None

    def _watch_once_locked(self, now: float) -> float | None:
        """Enforce the deadlines due at ``now``; when to look again (None: when told)."""
        wake: float | None = None
        for job in list(self._running):
            if job.stopping is None and job.timeout is not None:
                if job.pause is not None:
                    continue  # paused: looked at again when it resumes
                deadline = job.started + job.paused_for + job.timeout
                if now >= deadline:
                    job.stopping, job.stop_by = "timeout", now + self.cancel_grace
                else:
                    wake = _earliest(wake, deadline)
                    continue
            if job.stopping is not None:
                if now >= job.stop_by:
                    self._abandon_locked(job)
                else:
                    self._stop_locked(job)
                    wake = _earliest(wake, min(now + _NUDGE, job.stop_by))
        deadlines = self._queue_deadlines
        while deadlines and deadlines[0][0] <= now:
            _, _, job = heapq.heappop(deadlines)
            if job.started is None and not job.future.done():
                self._queue.remove(job)
                self._settle_locked(job, None, MLBackpressureError(
                    f"the job waited {now - job.enqueued:.3g} s for a worker, longer than "
                    "its queue_timeout: it was not run",
                    hints=["retry later, raise queue_timeout or max_workers"]))
                _logger.info("%s was not run: it waited %.3g s for a worker, longer than "
                             "its queue_timeout", job.what, now - job.enqueued,
                             extra={"execution_id": job.execution_id or None})
        if deadlines:
            wake = _earliest(wake, deadlines[0][0])
        return wake

    def _stop_locked(self, job: Job) -> None:
        """Tell the job's running ML execution to stop (time limit or cancellation)."""
        if job.pause is not None:  # paused by the debugger: wake it to stop
            job.pause.set()
        state = job.context.get(CURRENT)
        while state is not None and state is not job.outer and not state.idle:
            if job.stopping == "timeout":
                state.trip(time_limit(job.timeout))
            else:
                state.cancel()
            state = state.parent
        if job.stopping == "cancel" and job.execution_id and not job.cancel_sent:
            job.cancel_sent = True
            self._cancel_execution(job.execution_id)  # reaches a sandboxed execution too

    def _abandon_locked(self, job: Job) -> None:
        """The job ignored the request to stop for ``cancel_grace``: deliver its outcome,
        set its thread aside as stuck, start a replacement."""
        self._running.discard(job)
        if job.stopping == "timeout":
            error: MLError = time_limit(job.timeout)
        else:
            error = MLCancelledError("the execution was cancelled")
        error.message += (f"; it did not stop within cancel_grace ({self.cancel_grace:g} s),"
                          " so its worker thread was set aside")
        error.args = (error.message,)
        error.execution_id = job.execution_id or None
        self._settle_locked(job, None, error)
        worker = job.worker
        if worker is not None and not worker.stuck:
            worker.stuck = True
            self._stuck += 1
            _logger.warning(
                "%s did not stop within cancel_grace (%g s) after its %s: its worker thread "
                "%s is set aside as stuck (%d stuck)", job.what, self.cancel_grace,
                "time limit" if job.stopping == "timeout" else "cancellation", worker.name,
                self._stuck, extra={"execution_id": job.execution_id or None})
            if self._stuck == self.max_stuck:
                _logger.error("%d worker threads are stuck in host calls (max_stuck): the "
                              "executor is unhealthy and starts no more replacements",
                              self._stuck)
            if not self.closed:
                self._grow_locked()

    # ------------------------------------------------------------------ state and closing

    def stats(self) -> ExecutorStats:
        with self._lock:
            return ExecutorStats(
                workers=len(self._workers) - self._stuck, busy=len(self._running),
                queued=len(self._queue), stuck=self._stuck, **self._counts,
                unhealthy=self._stuck >= self.max_stuck)

    def close(self, cancel_pending: bool) -> list[threading.Thread]:
        """Take no more work (``cancel_pending``: queued jobs end cancelled, running ones
        are told to stop); the threads that will finish the jobs taken."""
        with self._lock:
            first = not self.closed
            self.closed = True
            if cancel_pending:
                while self._queue:
                    job = self._queue.popleft()
                    self._settle_locked(job, None, MLCancelledError(
                        "the AsyncEngine closed before the job started"))
                now = time.monotonic()
                for job in self._running:
                    if job.stopping is None:
                        job.stopping, job.stop_by = "cancel", now + self.cancel_grace
                        self._stop_locked(job)
            self._has_work.notify_all()
            if self._watchdog is not None:
                self._watch.notify()
            if first and not self._workers:
                self._on_closed()
            return [w for w in self._workers if not w.stuck]


# ----------------------------------------------------------------------------- helpers


def _invoke(job: Job) -> Any:
    """Run the job in its context (the caller's copy, private to the job)."""
    OWNER_LOOP.set(job.loop)
    if job.outer is None:
        # The caller's context may hold a parked state that other copies of it share; the
        # job's ML calls get states of their own, which only the job can reach.
        CURRENT.set(OUTSIDE)
    return job.run(job)


def _refused(job: Job, error: BaseException | None) -> None:
    """Report an observed job that ended before it ran, in the caller's context."""
    if job.observed and error is not None:
        job.context.run(events.execution_refused, "async", error,
                        execution_id=job.execution_id or None, queue_time=job.queue_time)


def _as_result(job: Job, value: Any, error: BaseException | None) -> AsyncMLResult:
    worker = job.worker.name if job.worker else ""
    if error is None:
        return AsyncMLResult(True, value, execution_id=job.execution_id,
                             queue_time=job.queue_time, run_time=job.run_time,
                             execution_time=job.run_time, worker=worker)
    if not isinstance(error, MLError):
        wrapped = MLHostError(f"{job.what} failed: {error}")
        wrapped.__cause__ = error
        error = wrapped
    return AsyncMLResult.failed(error, execution_id=job.execution_id,
                                queue_time=job.queue_time, run_time=job.run_time,
                                worker=worker)


def time_limit(timeout: float | None) -> MLTimeoutError:
    return MLTimeoutError(
        f"time limit reached: the execution ran longer than {timeout:g} s",
        limit=timeout, hints=["raise timeout=, or look for a loop that never ends"])


def _kind(error: BaseException | None) -> str:
    """The counter a finished job's outcome goes to."""
    if error is None:
        return "completed"
    if isinstance(error, MLTimeoutError):
        return "timeouts"
    if isinstance(error, MLCancelledError):
        return "cancelled"
    if isinstance(error, MLBackpressureError):
        return "rejected"
    return "failed"


def _earliest(a: float | None, b: float) -> float:
    return b if a is None or b < a else a
