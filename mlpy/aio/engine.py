"""AsyncEngine: run ML from asyncio (and from GUI threads) on a bounded pool of workers.

The model
---------
A job is a function to run on a worker thread, the caller's ``contextvars`` context it runs
in (a copy taken at submission: capability scope, request ids, tracing), a
``concurrent.futures.Future`` for its outcome and an optional time limit. Jobs wait in one
FIFO queue of at most ``max_pending``; a submission that finds it full is refused at once
(backpressure). At most ``max_workers`` threads run jobs. The pool is our own rather than a
``ThreadPoolExecutor`` because a thread that cannot be stopped must be set aside and
replaced.

Stopping work without killing threads
-------------------------------------
ML code stops cooperatively: its ticks look at the execution's deadline and cancel flag
(:mod:`mlpy.runtime.state`). Each job's context is private to the job, so while it runs the
context's current execution state *is* the job's execution, and a watchdog thread can reach
it from outside (``context.get(CURRENT)``) to trip the time limit or set the cancel flag.
Nothing is added to the path of ML calls for this. A job that has not returned
``cancel_grace`` seconds after it was told to stop is blocked in host code: its outcome is
delivered anyway (timed out or cancelled), its thread is marked stuck and left to finish on
its own, and a replacement thread keeps the capacity -- until ``max_stuck`` threads are
stuck, when the executor reports itself unhealthy and starts no more.

With ``isolation="subprocess"`` executions run in the engine's sandbox pool
(:mod:`mlpy.sandbox`), which kills a worker process that overruns its time and starts a
replacement; the threads here only wait for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import heapq
import itertools
import threading
import time
from collections import deque
from os import PathLike
from typing import Any, Callable, Iterable, Mapping

from mlpy.aio.result import AsyncMLResult, ExecutorStats
from mlpy.engine import Engine
from mlpy.errors import (
    MLBackpressureError, MLCancelledError, MLConfigurationError, MLError, MLHostError,
    MLTimeoutError,
)
from mlpy.program import Program
from mlpy.runtime.awaiting import OWNER_LOOP
from mlpy.runtime.capabilities import CapabilitySpec
from mlpy.runtime.state import CURRENT, OUTSIDE, SCOPE, ExecutionState, current_capabilities
from mlpy.runtime.state import new_execution_id


class _Marker:
    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name


DEFAULT: Any = _Marker("DEFAULT")  # timeout=DEFAULT: the engine's default_timeout
INHERIT: Any = _Marker("INHERIT")  # capabilities=INHERIT: see AsyncEngine
# Seconds between two attempts to stop a job that was told to stop and still runs (it may
# have been between two executions when first told).
_NUDGE = 0.01


class _Job:
    """One unit of work and what the pool knows about it."""

    __slots__ = ("run", "context", "future", "timeout", "queue_deadline", "as_result",
                 "loop", "outer", "execution_id", "enqueued", "started", "worker", "stopping",
                 "stop_by", "what", "given_up", "cancel_sent")

    def __init__(self, run: Callable[["_Job"], Any], *, timeout: float | None,
                 queue_timeout: float | None, as_result: bool, execution_id: str = "",
                 what: str = "the job"):
        self.run = run
        self.context = contextvars.copy_context()
        self.future: concurrent.futures.Future = concurrent.futures.Future()
        self.timeout = timeout
        self.enqueued = time.monotonic()
        self.queue_deadline = None if queue_timeout is None else self.enqueued + queue_timeout
        self.as_result = as_result  # the outcome is an AsyncMLResult, never an exception
        self.loop = _owner_loop()
        outer = self.context.get(CURRENT, OUTSIDE)
        self.outer: ExecutionState | None = None if outer.idle else outer
        self.execution_id = execution_id
        self.started: float | None = None
        self.worker: _Worker | None = None
        self.stopping: str | None = None  # "timeout" or "cancel" once told to stop
        self.stop_by = 0.0  # when a job told to stop is given up on
        self.what = what
        self.given_up = False  # the caller cancelled it
        self.cancel_sent = False  # Engine.cancel was called for it

    @property
    def queue_time(self) -> float:
        return (self.started or time.monotonic()) - self.enqueued


class _Worker(threading.Thread):
    def __init__(self, engine: "AsyncEngine", name: str):
        super().__init__(name=name, daemon=True)
        self.engine = engine
        self.stuck = False
        self.job: _Job | None = None

    def run(self) -> None:
        self.engine._work(self)


class AsyncEngine:
    """Runs ML programs and calls on worker threads, for asyncio code and GUI threads.

    ``engine`` is the :class:`~mlpy.Engine` that compiles and runs (one is made, with
    ``python_extension_paths`` and ``isolation``, when none is given; the AsyncEngine then
    closes it). ``max_workers`` jobs run at once, up to ``max_pending`` wait (None: no bound,
    unsafe for servers). ``default_timeout`` bounds each run (not the wait in the queue);
    ``cancel_grace`` is how long a job told to stop may take before its thread is given up
    as stuck and replaced; ``max_stuck`` (default ``max_workers``) stuck threads make the
    executor unhealthy. ``capabilities`` are the grants of every execution; None (default)
    inherits the caller's: the grants of :func:`mlpy.capability_scope` where the job was
    submitted, else the engine's defaults. ``strict_security`` must stay True: programs with
    critical findings are always refused.
    """

    def __init__(self, engine: Engine | None = None, *, max_workers: int = 4,
                 max_pending: int | None = 1000, isolation: str = "inprocess",
                 default_timeout: float | None = 30.0, cancel_grace: float = 1.0,
                 max_stuck: int | None = None, capabilities: CapabilitySpec | None = None,
                 strict_security: bool = True,
                 python_extension_paths: Iterable[str | PathLike[str]] = (),
                 thread_name_prefix: str = "mlpy-worker"):
        _check_options(max_workers, max_pending, default_timeout, cancel_grace, max_stuck,
                       isolation, strict_security)
        paths = tuple(python_extension_paths)
        if engine is not None and paths:
            raise MLConfigurationError(
                "python_extension_paths configures the engine an AsyncEngine makes; with "
                "engine= given, give the paths to that Engine (extension_paths=)")
        self._owns_engine = engine is None
        if engine is None:
            engine = Engine(extension_paths=paths, isolation=isolation,
                            sandbox=_sandbox_config(isolation, max_workers))
        self.engine = engine
        self.isolation = isolation
        self.max_workers = max_workers
        self.max_pending = max_pending
        self.default_timeout = default_timeout
        self.cancel_grace = cancel_grace
        self.max_stuck = max_workers if max_stuck is None else max_stuck
        self.capabilities = None if capabilities is None else engine.resolve_capabilities(
            capabilities)
        self.thread_name_prefix = thread_name_prefix
        # Reentrant: cancelling a future runs its callbacks, which may cancel the job.
        self._lock = threading.RLock()
        self._has_work = threading.Condition(self._lock)
        self._watch = threading.Condition(self._lock)
        self._queue: deque[_Job] = deque()
        self._queue_deadlines: list[tuple[float, int, _Job]] = []
        self._running: set[_Job] = set()
        self._workers: set[_Worker] = set()
        self._idle = 0
        self._stuck = 0
        self._counts = dict.fromkeys(
            ("completed", "failed", "timeouts", "cancelled", "rejected"), 0)
        self._names = itertools.count(1)
        self._order = itertools.count()
        self._watchdog: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the last loop that submitted
        self._closed = False

    # ------------------------------------------------------------------ submitting

    async def execute(self, code_or_program: str | Program, *, timeout: Any = DEFAULT,
                      context: Mapping[str, Any] | None = None,
                      variables: Mapping[str, Any] | None = None,
                      capabilities: Any = INHERIT, execution_id: str | None = None,
                      capture_output: bool = False,
                      queue_timeout: float | None = None) -> AsyncMLResult:
        """Run a program on a worker; never raises for ML errors (see AsyncMLResult).

        ``context`` is the 2.0 reference's name for ``variables`` (both may be given).
        Cancelling the awaiting task cancels the execution and re-raises CancelledError.
        """
        job = self._execute_job(code_or_program, timeout, context, variables, capabilities,
                                execution_id, capture_output, queue_timeout)
        return await self._await(job)

    def submit(self, code_or_program: str | Program, **options: Any
               ) -> concurrent.futures.Future[AsyncMLResult]:
        """Like :meth:`execute`, from any thread, with or without an event loop: a Future
        of the AsyncMLResult (cancelling the future cancels the execution)."""
        options = {"timeout": DEFAULT, "context": None, "variables": None,
                   "capabilities": INHERIT, "execution_id": None, "capture_output": False,
                   "queue_timeout": None, **options}
        job = self._execute_job(code_or_program, **options)
        return self._cancellable(job)

    async def call(self, target: Program | str | Any, function: str, /, *args: Any,
                   timeout: Any = DEFAULT, capabilities: Any = INHERIT, **kwargs: Any) -> Any:
        """Call the ML function ``function`` of ``target`` -- a Session (in place, under
        its own grants unless ``capabilities`` are given), or a Program or ML source (run
        in a fresh session first) -- and return its value; raise its MLError."""
        run = self._call_runner(target, function, args, kwargs, capabilities)
        job = self._job(run, self._timeout(timeout), None, as_result=False,
                        what=f"{function}()")
        return await self._await(job)

    def submit_call(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
                    ) -> concurrent.futures.Future:
        """Run any callable -- an :class:`~mlpy.MLFunction`, a callback -- on a worker in
        the caller's context, under ``default_timeout``: a Future of its return value."""
        job = self._job(lambda _job: fn(*args, **kwargs), self.default_timeout, None,
                        as_result=False, what=_name_of(fn))
        return self._cancellable(job)

    async def run_call(self, fn: Callable[..., Any], /, *args: Any, timeout: Any = DEFAULT,
                       **kwargs: Any) -> Any:
        """Await ``fn(*args, **kwargs)`` run on a worker in the caller's context. The
        timeout, or cancelling the awaiting task, stops the ML execution the call runs."""
        job = self._job(lambda _job: fn(*args, **kwargs), self._timeout(timeout), None,
                        as_result=False, what=_name_of(fn))
        return await self._await(job)

    async def map(self, function_target: Any, argument_tuples: Iterable[tuple],
                  *, concurrency: int | None = None, **options: Any) -> list[AsyncMLResult]:
        """Call one function once per argument tuple, ``concurrency`` at a time (default
        ``max_workers``); the results in order, failures as results. ``function_target`` is
        a callable (an MLFunction, say) or a ``(target, "function")`` pair as :meth:`call`
        takes."""
        timeout = self._timeout(options.pop("timeout", DEFAULT))
        if isinstance(function_target, tuple) and len(function_target) == 2:
            target, name = function_target
            capabilities = options.pop("capabilities", INHERIT)
            runners = [(self._call_runner(target, name, tuple(a), {}, capabilities),
                        f"{name}()") for a in argument_tuples]
        elif callable(function_target):
            runners = [(_calling(function_target, tuple(a)), _name_of(function_target))
                       for a in argument_tuples]
        else:
            raise MLConfigurationError(
                "map takes a callable or a (target, 'function') pair, not "
                f"{type(function_target).__name__}")
        if options:
            raise TypeError(f"map() got unexpected options: {', '.join(sorted(options))}")
        limit = asyncio.Semaphore(concurrency or self.max_workers)

        async def one(run: Callable[[_Job], Any], what: str) -> AsyncMLResult:
            async with limit:
                return await self._await(self._job(run, timeout, None, as_result=True,
                                                   what=what))

        return list(await asyncio.gather(*(one(run, what) for run, what in runners)))

    # ------------------------------------------------------------------ jobs

    def _execute_job(self, code_or_program: str | Program, timeout: Any, context: Any,
                     variables: Any, capabilities: Any, execution_id: str | None,
                     capture_output: bool, queue_timeout: float | None) -> _Job:
        values = {**(context or {}), **(variables or {})}
        grants = self._grants(capabilities)
        limit = self._timeout(timeout)
        execution_id = execution_id or new_execution_id()
        isolation = self.isolation

        def run(job: _Job) -> AsyncMLResult:
            result = self.engine.execute(
                code_or_program, values, capabilities=grants, timeout=limit,
                capture_output=capture_output, execution_id=execution_id,
                isolation=isolation)
            return AsyncMLResult.from_execution(result, queue_time=job.queue_time,
                                                worker=job.worker.name if job.worker else "")

        # A sandboxed execution's time limit is the pool's: it kills the worker process.
        watched = None if isolation == "subprocess" else limit
        return self._job(run, watched, queue_timeout, as_result=True,
                         execution_id=execution_id, what="the execution")

    def _call_runner(self, target: Any, function: str, args: tuple, kwargs: dict,
                     capabilities: Any) -> Callable[[_Job], Any]:
        if self.isolation == "subprocess":
            raise MLConfigurationError(
                "call() runs ML functions in this process, and this AsyncEngine isolates "
                "executions in subprocesses",
                hints=["use execute() with isolation='subprocess', or an in-process "
                       "AsyncEngine for call()"])
        from mlpy.session import Session  # noqa: PLC0415 - sessions build on the engine

        if isinstance(target, Session):
            explicit = capabilities is not INHERIT

            def on_session(_job: _Job) -> Any:
                handle = target.function(function)
                if explicit:
                    handle = handle.with_capabilities(capabilities)
                return handle(*args, **kwargs)

            return on_session
        grants = self._grants(capabilities)
        return lambda _job: self.engine.call(target, function, *args, capabilities=grants,
                                             **kwargs)

    def _grants(self, capabilities: Any) -> CapabilitySpec | None:
        """What an execution submitted here runs under (None: the engine's defaults)."""
        if capabilities is not INHERIT:
            return capabilities
        if self.capabilities is not None:
            return self.capabilities
        if SCOPE.get(None) is not None or not CURRENT.get().idle:
            return current_capabilities()
        return None

    def _timeout(self, timeout: Any) -> float | None:
        value = self.default_timeout if timeout is DEFAULT else timeout
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, (int, float)) or not value > 0):
            raise MLConfigurationError(f"timeout must be a positive number of seconds or "
                                       f"None, not {value!r}")
        return value

    def _job(self, run: Callable[[_Job], Any], timeout: float | None,
             queue_timeout: float | None, *, as_result: bool, execution_id: str = "",
             what: str) -> _Job:
        """Queue a job (or settle it at once as refused); it is returned either way.
        ``timeout`` is what the watchdog enforces on the run."""
        if queue_timeout is not None and (isinstance(queue_timeout, bool) or not isinstance(
                queue_timeout, (int, float)) or not queue_timeout > 0):
            raise MLConfigurationError(f"queue_timeout must be a positive number of seconds "
                                       f"or None, not {queue_timeout!r}")
        job = _Job(run, timeout=timeout, queue_timeout=queue_timeout, as_result=as_result,
                   execution_id=execution_id, what=what)
        with self._lock:
            if job.loop is None:  # no loop here (a GUI thread): the last one seen
                loop = self._loop
                job.loop = loop if loop is not None and loop.is_running() else None
            else:
                self._loop = job.loop
            if self._closed:
                raise MLConfigurationError(
                    "this AsyncEngine is closed: it takes no more work",
                    hints=["create a new AsyncEngine, or submit before aclose()/shutdown()"])
            if self.max_pending is not None and len(self._queue) >= self.max_pending:
                self._settle_locked(job, None, MLBackpressureError(
                    f"the queue is full ({self.max_pending} jobs wait for "
                    f"{self.max_workers} workers): the job was refused",
                    hints=["retry later, raise max_pending or max_workers, or shed load"]))
                return job
            self._queue.append(job)
            if job.queue_deadline is not None:
                heapq.heappush(self._queue_deadlines,
                               (job.queue_deadline, next(self._order), job))
                self._watch_locked()
            if self._idle < len(self._queue):
                self._grow_locked()
            self._has_work.notify()
        return job

    async def _await(self, job: _Job) -> Any:
        try:
            return await asyncio.wrap_future(job.future)
        except asyncio.CancelledError:
            self._cancel(job)
            raise

    def _cancellable(self, job: _Job) -> concurrent.futures.Future:
        """The job's future, which stops the job when the caller cancels it."""
        job.future.add_done_callback(
            lambda future: self._cancel(job) if future.cancelled() else None)
        return job.future

    def _cancel(self, job: _Job) -> None:
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
            elif job in self._running and job.stopping is None:
                job.stopping, job.stop_by = "cancel", time.monotonic() + self.cancel_grace
                self._stop_locked(job)
                self._watch_locked()

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
                value, error = job.context.run(self._invoke, job), None
            except BaseException as exc:  # noqa: BLE001 - delivered to whoever waits
                value, error = None, exc
            with self._lock:
                self._running.discard(job)
                worker.job = None
                self._settle_locked(job, value, error)
                if self._closed:
                    self._watch.notify()  # the watchdog may be waiting for the last job
                if worker.stuck:  # its job was given up on: a replacement took its place
                    self._stuck -= 1
                    self._leave_locked(worker)
                    if self._queue and not self._closed:
                        self._grow_locked()
                    return

    def _next_job(self, worker: _Worker) -> _Job | None:
        with self._lock:
            while True:
                while not self._queue:
                    if self._closed:
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
                worker.job = job
                self._running.add(job)
                if job.timeout is not None:
                    self._watch_locked()
                return job

    @staticmethod
    def _invoke(job: _Job) -> Any:
        """Run the job in its context (the caller's copy, private to the job)."""
        OWNER_LOOP.set(job.loop)
        if job.outer is None:
            # The caller's context may hold a parked state that other copies of it share;
            # the job's ML calls get states of their own, which only the job can reach.
            CURRENT.set(OUTSIDE)
        return job.run(job)

    def _settle_locked(self, job: _Job, value: Any, error: BaseException | None) -> None:
        """Deliver the job's outcome, once, and count it."""
        future = job.future
        if future.done():
            return
        if job.as_result and not isinstance(value, AsyncMLResult):
            value = self._as_result(job, value, error)
            error = None
        outcome = value.error_info if isinstance(value, AsyncMLResult) else error
        try:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
        except concurrent.futures.InvalidStateError:  # the caller cancelled it meanwhile
            return
        self._counts[_kind(outcome)] += 1

    def _as_result(self, job: _Job, value: Any, error: BaseException | None) -> AsyncMLResult:
        worker = job.worker.name if job.worker else ""
        run_time = time.monotonic() - job.started if job.started is not None else 0.0
        if error is None:
            return AsyncMLResult(True, value, execution_id=job.execution_id,
                                 queue_time=job.queue_time, run_time=run_time,
                                 execution_time=run_time, worker=worker)
        if not isinstance(error, MLError):
            wrapped = MLHostError(f"{job.what} failed: {error}")
            wrapped.__cause__ = error
            error = wrapped
        return AsyncMLResult.failed(error, execution_id=job.execution_id,
                                    queue_time=job.queue_time, run_time=run_time,
                                    worker=worker)

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
            while not (self._closed and not self._running and not self._queue_deadlines):
                wake = self._watch_once_locked(time.monotonic())
                self._watch.wait(None if wake is None else max(wake - time.monotonic(), 0))
            self._watchdog = None

    def _watch_once_locked(self, now: float) -> float | None:
        """Enforce the deadlines due at ``now``; when to look again (None: when told)."""
        wake: float | None = None
        for job in list(self._running):
            if job.stopping is None and job.timeout is not None:
                if now >= job.started + job.timeout:
                    job.stopping, job.stop_by = "timeout", now + self.cancel_grace
                else:
                    wake = _earliest(wake, job.started + job.timeout)
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
        if deadlines:
            wake = _earliest(wake, deadlines[0][0])
        return wake

    def _stop_locked(self, job: _Job) -> None:
        """Tell the job's running ML execution to stop (time limit or cancellation)."""
        state = job.context.get(CURRENT)
        while state is not None and state is not job.outer and not state.idle:
            if job.stopping == "timeout":
                state.trip(_time_limit(job.timeout))
            else:
                state.cancel()
            state = state.parent
        if job.stopping == "cancel" and job.execution_id and not job.cancel_sent:
            job.cancel_sent = True
            self.engine.cancel(job.execution_id)  # reaches a sandboxed execution too

    def _abandon_locked(self, job: _Job) -> None:
        """The job ignored the request to stop for ``cancel_grace``: deliver its outcome,
        set its thread aside as stuck, start a replacement."""
        self._running.discard(job)
        if job.stopping == "timeout":
            error: MLError = _time_limit(job.timeout)
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
            if not self._closed:
                self._grow_locked()

    # ------------------------------------------------------------------ state and closing

    def stats(self) -> ExecutorStats:
        with self._lock:
            return ExecutorStats(
                workers=len(self._workers) - self._stuck,
                busy=len(self._running),
                queued=len(self._queue), stuck=self._stuck, **self._counts,
                unhealthy=self._stuck >= self.max_stuck)

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self, *, cancel_pending: bool = False) -> None:
        """Stop taking work and wait for the jobs taken to finish (``cancel_pending``:
        queued jobs end cancelled and running ones are told to stop). Idempotent."""
        workers = self._close(cancel_pending)
        if workers:
            waiting = concurrent.futures.Future()
            threading.Thread(target=lambda: waiting.set_result(self._join(workers)),
                             daemon=True).start()
            await asyncio.wrap_future(waiting)
        self._finish()

    def shutdown(self, wait: bool = True, *, cancel_pending: bool = False) -> None:
        """:meth:`aclose` for synchronous code (``wait=False``: return at once; the last
        worker to leave closes the engine)."""
        workers = self._close(cancel_pending)
        if wait:
            self._join(workers)
            self._finish()

    def _close(self, cancel_pending: bool) -> list[_Worker]:
        with self._lock:
            self._closed = True
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
            if not self._workers:
                self._finish()
            return [w for w in self._workers if not w.stuck]

    def _leave_locked(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        if self._closed and not self._workers:
            self._finish()

    def _join(self, workers: list[_Worker]) -> None:
        for worker in workers:
            if worker is not threading.current_thread():
                worker.join()

    def _finish(self) -> None:
        """Close the engine made here, once no worker can use it any more."""
        if self._owns_engine:
            self.engine.close()  # idempotent

    async def __aenter__(self) -> "AsyncEngine":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    def __enter__(self) -> "AsyncEngine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        stats = self.stats()
        state = "closed" if self._closed else f"{stats.workers} workers, {stats.queued} queued"
        return f"<AsyncEngine {state}>"


AsyncMLExecutor = AsyncEngine


# ----------------------------------------------------------------------------- helpers


def _owner_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the submitting thread, if one runs there."""
    return asyncio._get_running_loop()  # noqa: SLF001 - no exception when none runs


def _time_limit(timeout: float | None) -> MLTimeoutError:
    return MLTimeoutError(
        f"time limit reached: the execution ran longer than {timeout:g} s",
        limit=timeout, hints=["raise timeout=, or look for a loop that never ends"])


def _kind(error: BaseException | None) -> str:
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


def _name_of(fn: Any) -> str:
    return f"{getattr(fn, 'name', None) or getattr(fn, '__name__', 'the call')}()"


def _calling(fn: Callable[..., Any], args: tuple) -> Callable[[_Job], Any]:
    return lambda _job: fn(*args)


def _sandbox_config(isolation: str, max_workers: int) -> Any:
    if isolation != "subprocess":
        return None
    from mlpy.sandbox import SandboxConfig  # noqa: PLC0415 - only subprocess mode needs it

    return SandboxConfig(pool_size=max_workers)


def _check_options(max_workers: Any, max_pending: Any, default_timeout: Any,
                   cancel_grace: Any, max_stuck: Any, isolation: str,
                   strict_security: Any) -> None:
    def positive_int(name: str, value: Any, none_ok: bool = False) -> None:
        if value is None and none_ok:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise MLConfigurationError(f"{name} must be a positive integer"
                                       f"{' or None' if none_ok else ''}, not {value!r}")

    positive_int("max_workers", max_workers)
    positive_int("max_pending", max_pending, none_ok=True)
    positive_int("max_stuck", max_stuck, none_ok=True)
    for name, value in (("default_timeout", default_timeout), ("cancel_grace", cancel_grace)):
        if value is None and name == "default_timeout":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (
                name == "default_timeout" and value == 0):
            raise MLConfigurationError(f"{name} must be a positive number of seconds, not "
                                       f"{value!r}")
    if isolation not in ("inprocess", "subprocess"):
        raise MLConfigurationError(
            f"isolation must be 'inprocess' or 'subprocess', not {isolation!r}")
    if strict_security is not True:
        raise MLConfigurationError(
            "strict_security=False is not supported: mlpy always refuses programs with "
            "critical security findings (the 2.0 reference's default ran them)")
