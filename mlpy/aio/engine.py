"""AsyncEngine: run ML from asyncio (and from GUI threads) on a bounded pool of workers.

The engine turns each request -- run a program, call an ML function, call any callable --
into a :class:`~mlpy.aio.workers.Job` for its :class:`~mlpy.aio.workers.WorkerPool`, which
owns the queue, the threads, backpressure, time limits, cancellation and stuck threads (see
that module). Here: what a job runs, under which grants and time limit, and how asyncio
code awaits it.

With ``isolation="subprocess"`` executions run in the engine's sandbox pool
(:mod:`mlpy.sandbox`), which kills a worker process that overruns its time and starts a
replacement; the threads here only wait for it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from os import PathLike
from typing import Any, Callable, Iterable, Mapping

from mlpy.aio.result import AsyncMLResult, ExecutorStats
from mlpy.aio.workers import Job, WorkerPool
from mlpy.config import async_arguments, takes_config
from mlpy.engine import Engine
from mlpy.errors import MLConfigurationError
from mlpy.observability import events
from mlpy.program import Program
from mlpy.runtime.capabilities import CapabilitySpec, rereadable
from mlpy.runtime.state import inherited_capabilities, new_execution_id


class _Marker:
    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name


DEFAULT: Any = _Marker("DEFAULT")  # timeout=DEFAULT: the engine's default_timeout
INHERIT: Any = _Marker("INHERIT")  # capabilities=INHERIT: see AsyncEngine
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

    ``config`` (an :class:`~mlpy.config.MLConfig` or a config file's path) supplies the
    ``async`` section's settings, ``runtime.isolation`` and -- for the engine made when none
    is given -- everything ``Engine(config)`` takes; explicit arguments win.
    """

    @takes_config(async_arguments)
    def __init__(self, engine: Engine | None = None, *, config: Any = None, max_workers: int = 4,
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
            engine = Engine(config, extension_paths=paths, isolation=isolation,
                            sandbox=_sandbox_config(isolation, max_workers, config))
        self.config = config  # the MLConfig the settings came from (None: arguments only)
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
        self._pool = WorkerPool(
            max_workers=max_workers, max_pending=max_pending, cancel_grace=cancel_grace,
            max_stuck=self.max_stuck, thread_name_prefix=thread_name_prefix,
            cancel_execution=engine.cancel, on_closed=self._finish)
        if events.ACTIVE:  # its queue and workers are read when metrics are scraped
            events.engine_created(self)

    # ------------------------------------------------------------------ submitting

    async def execute(self, code_or_program: str | Program, *, timeout: Any = DEFAULT,
                      context: Mapping[str, Any] | None = None,
                      variables: Mapping[str, Any] | None = None,
                      capabilities: Any = INHERIT, execution_id: str | None = None,
                      capture_output: bool = False, queue_timeout: float | None = None,
                      debug: Any = None, filename: str | None = None) -> AsyncMLResult:
        """Run a program on a worker; never raises for ML errors (see AsyncMLResult).

        ``context`` is the 2.0 reference's name for ``variables`` (both may be given).
        ``filename`` names ML source text in errors, as in :meth:`mlpy.Engine.execute`.
        Cancelling the awaiting task cancels the execution and re-raises CancelledError.
        ``debug``: a :class:`~mlpy.debug.Debugger` of this engine that debugs this one
        execution on its worker thread (its ``on_pause`` is called there; time paused does
        not count towards ``timeout``).
        """
        job = self._execute_job(code_or_program, timeout, context, variables, capabilities,
                                execution_id, capture_output, queue_timeout, debug, filename)
        return await self._await(job)

    def submit(self, code_or_program: str | Program, **options: Any
               ) -> concurrent.futures.Future[AsyncMLResult]:
        """Like :meth:`execute`, from any thread, with or without an event loop: a Future
        of the AsyncMLResult (cancelling the future cancels the execution)."""
        options = {"timeout": DEFAULT, "context": None, "variables": None,
                   "capabilities": INHERIT, "execution_id": None, "capture_output": False,
                   "queue_timeout": None, "debug": None, "filename": None, **options}
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

        async def one(run: Callable[[Job], Any], what: str) -> AsyncMLResult:
            async with limit:
                return await self._await(self._job(run, timeout, None, as_result=True,
                                                   what=what))

        return list(await asyncio.gather(*(one(run, what) for run, what in runners)))

    # ------------------------------------------------------------------ jobs

    def _execute_job(self, code_or_program: str | Program, timeout: Any, context: Any,
                     variables: Any, capabilities: Any, execution_id: str | None,
                     capture_output: bool, queue_timeout: float | None,
                     debug: Any = None, filename: str | None = None) -> Job:
        self._check_debugger(debug)
        values = {**(context or {}), **(variables or {})}
        grants = self._grants(capabilities)
        limit = self._timeout(timeout)
        execution_id = execution_id or new_execution_id()
        isolation = self.isolation

        def execute(job: Job) -> AsyncMLResult:
            if events.ACTIVE:  # reported as one "async" execution, queue time included
                result = _observed(self.engine, job, (
                    code_or_program, values, filename, grants, limit, None, None, None, None,
                    "result", capture_output, execution_id, isolation))
            else:
                result = self.engine.execute(
                    code_or_program, values, filename=filename, capabilities=grants,
                    timeout=limit, capture_output=capture_output, execution_id=execution_id,
                    isolation=isolation)
            return AsyncMLResult.from_execution(result, queue_time=job.queue_time,
                                                worker=job.worker.name if job.worker else "")

        def run(job: Job) -> AsyncMLResult:
            if debug is None:
                return execute(job)
            return debug.run_job(lambda: execute(job), lambda: self._pool.paused(job))

        # A sandboxed execution's time limit is the pool's: it kills the worker process.
        watched = None if isolation == "subprocess" else limit
        return self._job(run, watched, queue_timeout, as_result=True,
                         execution_id=execution_id, what="the execution", observed=True)

    def _call_runner(self, target: Any, function: str, args: tuple, kwargs: dict,
                     capabilities: Any) -> Callable[[Job], Any]:
        if self.isolation == "subprocess":
            raise MLConfigurationError(
                "call() runs ML functions in this process, and this AsyncEngine isolates "
                "executions in subprocesses",
                hints=["use execute() with isolation='subprocess', or an in-process "
                       "AsyncEngine for call()"])
        from mlpy.session import Session  # noqa: PLC0415 - sessions build on the engine

        if isinstance(target, Session):
            explicit = capabilities is not INHERIT

            def on_session(_job: Job) -> Any:
                handle = target.function(function)
                if explicit:
                    handle = handle.with_capabilities(capabilities)
                return handle(*args, **kwargs)

            return on_session
        grants = self._grants(capabilities)
        return lambda _job: self.engine.call(target, function, *args, capabilities=grants,
                                             **kwargs)

    def _check_debugger(self, debug: Any) -> None:
        if debug is None:
            return
        from mlpy.debug.debugger import Debugger  # noqa: PLC0415 - only debugging needs it

        if not isinstance(debug, Debugger):
            raise MLConfigurationError(f"debug= takes a mlpy.debug.Debugger, not "
                                       f"{type(debug).__name__}")
        if debug.engine is not self.engine:
            raise MLConfigurationError(
                "this Debugger belongs to another engine",
                hints=["create it with Debugger(async_engine) or Debugger(async_engine.engine)"])
        if self.isolation == "subprocess":
            raise MLConfigurationError(
                "a sandboxed execution runs in another process and cannot be debugged",
                hints=["debug it on an AsyncEngine with isolation='inprocess'"])

    def _grants(self, capabilities: Any) -> CapabilitySpec | None:
        """What an execution submitted here runs under (None: the engine's defaults)."""
        if capabilities is not INHERIT:
            return rereadable(capabilities)
        if self.capabilities is not None:
            return self.capabilities
        return inherited_capabilities()  # taken here: the job runs on another thread

    def _timeout(self, timeout: Any) -> float | None:
        value = self.default_timeout if timeout is DEFAULT else timeout
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, (int, float)) or not value > 0):
            raise MLConfigurationError(f"timeout must be a positive number of seconds or "
                                       f"None, not {value!r}")
        return value

    def _job(self, run: Callable[[Job], Any], timeout: float | None,
             queue_timeout: float | None, *, as_result: bool, execution_id: str = "",
             what: str, observed: bool = False) -> Job:
        """Queue a job (or settle it at once as refused); it is returned either way.
        ``timeout`` is what the watchdog enforces on the run."""
        if queue_timeout is not None and (isinstance(queue_timeout, bool) or not isinstance(
                queue_timeout, (int, float)) or not queue_timeout > 0):
            raise MLConfigurationError(f"queue_timeout must be a positive number of seconds "
                                       f"or None, not {queue_timeout!r}")
        job = Job(run, timeout=timeout, queue_timeout=queue_timeout, as_result=as_result,
                  execution_id=execution_id, what=what, observed=observed)
        self._pool.submit(job)
        return job

    async def _await(self, job: Job) -> Any:
        try:
            return await asyncio.wrap_future(job.future, loop=asyncio.get_running_loop())
        except asyncio.CancelledError:
            self._pool.cancel(job)
            raise

    def _cancellable(self, job: Job) -> concurrent.futures.Future:
        """The job's future, which stops the job when the caller cancels it."""
        job.future.add_done_callback(
            lambda future: self._pool.cancel(job) if future.cancelled() else None)
        return job.future

    # ------------------------------------------------------------------ state and closing

    def stats(self) -> ExecutorStats:
        return self._pool.stats()

    @property
    def closed(self) -> bool:
        return self._pool.closed

    async def aclose(self, *, cancel_pending: bool = False) -> None:
        """Stop taking work and wait for the jobs taken to finish (``cancel_pending``:
        queued jobs end cancelled and running ones are told to stop). Idempotent."""
        workers = self._pool.close(cancel_pending)
        if workers:
            waiting: concurrent.futures.Future = concurrent.futures.Future()
            threading.Thread(target=lambda: waiting.set_result(_join(workers)),
                             daemon=True).start()
            await asyncio.wrap_future(waiting, loop=asyncio.get_running_loop())
        self._finish()

    def shutdown(self, wait: bool = True, *, cancel_pending: bool = False) -> None:
        """:meth:`aclose` for synchronous code (``wait=False``: return at once; the last
        worker to leave closes the engine)."""
        workers = self._pool.close(cancel_pending)
        if wait:
            _join(workers)
            self._finish()

    def _finish(self) -> None:
        """Close the engine made here, once no worker can use it any more (idempotent)."""
        if self._owns_engine:
            self.engine.close()

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
        state = "closed" if self.closed else f"{stats.workers} workers, {stats.queued} queued"
        return f"<AsyncEngine {state}>"


AsyncMLExecutor = AsyncEngine


# ----------------------------------------------------------------------------- helpers






def _observed(engine: Engine, job: Job, arguments: tuple) -> Any:
    """The execution ``arguments`` (Engine._execute's, in order) describe, reported as an
    ``async`` execution rather than as the in-process or sandboxed one it runs."""
    source, timeout, execution_id = arguments[0], arguments[4], arguments[11]
    run = events.execution_started(
        "async", execution_id=execution_id, timeout=timeout, queue_time=job.queue_time,
        capabilities=lambda: engine._reported_grants(arguments[3]),
        code_length=len(source) if isinstance(source, str) else None)
    result = None
    try:
        result = engine._execute(*arguments)
        return result
    finally:
        run.end(result)


def _join(workers: list[threading.Thread]) -> None:
    for worker in workers:
        if worker is not threading.current_thread():
            worker.join()


def _name_of(fn: Any) -> str:
    return f"{getattr(fn, 'name', None) or getattr(fn, '__name__', 'the call')}()"


def _calling(fn: Callable[..., Any], args: tuple) -> Callable[[Job], Any]:
    return lambda _job: fn(*args)


def _sandbox_config(isolation: str, max_workers: int, config: Any = None) -> Any:
    """One warm sandbox worker per async worker; the rest from the config's sandbox section
    when there is one."""
    if isolation != "subprocess":
        return None
    if config is not None:
        return config.sandbox_config(pool_size=max_workers)
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
