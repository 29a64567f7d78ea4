"""SandboxPool: run ML programs in warm, limited worker processes.

A pool keeps ``pool_size`` workers started, each with mlpy imported and its parser built, so
an execution costs a round trip over a pipe rather than a process start. An execution checks
out an idle worker (waiting if all are busy), sends it the program text, the variables in wire
form and a capability set signed with the pool's key, and turns the reply into the same
:class:`~mlpy.engine.ExecutionResult` an in-process execution returns: the value and globals
decoded by the wire rules, errors rebuilt as the same MLError classes with the same message
and position, plus ``usage`` figures measured in the worker (``cpu_time``,
``max_rss_bytes``).

Limits hold even when ML code cannot be stopped cooperatively: the pool kills a worker that
overruns its wall time (``MLTimeoutError``), the kernel ends one that overruns its CPU time
(``MLResourceError(cpu)``), and any other death of a worker is an ``MLSandboxError`` carrying
its ``termination_reason``. A worker that reached any limit, failed, or ran
``max_tasks_per_worker`` executions is replaced. ``close()`` kills and reaps every worker.

What differs from in-process (integration spec 2.5, wire boundary): inputs and results are
copies; a result that is a function or host object is an ``MLMarshalError``; globals with no
wire form (functions, host objects) are left out of ``ExecutionResult.globals``; output is
delivered when the execution ends, and is lost if the worker is killed; ``input()`` reads an
empty stream; host functions and extension modules of the host's engine do not exist in
the worker. What stays the same: relative file paths in ML code start at the caller's working
directory (at the call; ``working_dir`` in SandboxConfig sets another), as relative grants do,
and the ``args`` module shows the caller's command line (see
:func:`mlpy.stdlib.args_bridge.program_arguments`), never the worker's; both travel in the
run frame. The worker process itself runs, and keeps its ``HOME`` and ``TMPDIR``, in a fresh
private directory per execution.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import time
import uuid
import weakref
from collections import deque
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from mlpy.engine import ExecutionResult
from mlpy.errors import (
    MLCancelledError, MLConfigurationError, MLError, MLLimitError, MLMarshalError,
    MLSandboxError, MLTimeoutError,
)
from mlpy.language.parser import get_parser
from mlpy.observability import events
from mlpy.program import Program
from mlpy.runtime.capabilities import USES, CapabilitySet, CapabilitySpec, as_capability_set
from mlpy.sandbox.config import SandboxConfig
from mlpy.sandbox.process import WorkerEnded, WorkerProcess, ended_error
from mlpy.sandbox.result import SandboxResult
from mlpy.sandbox.wire import (
    ProtocolViolation, encode_frame, error_from_wire, from_wire, task_fingerprint,
    variables_to_wire,
)
from mlpy.stdlib._fs import working_directory
from mlpy.stdlib.args_bridge import current_arguments

_logger = logging.getLogger("mlpy.sandbox")
# Why a worker ended, when the program reached a limit (INFO); any other end is an ERROR,
# except a pool closed while an execution ran.
_LIMITS = frozenset({"timeout", "cpu_limit", "memory_limit"})

# Seconds allowed on top of the time limit before the pool kills a worker, so that the
# worker's own, cooperative stop (which reports the ML position) normally comes first.
_GRACE_BASE, _GRACE_SHARE, _GRACE_MAX = 0.25, 0.1, 2.0
_CLOSE_WAIT = 10.0
# Limits the in-process engine enforces, passed through to the worker's engine.
_ENGINE_LIMITS = ("max_steps", "max_depth", "max_output", "max_memory")


@dataclass(frozen=True)
class _Task:
    """A prepared execution: the encoded run frame and what decoding the reply needs."""

    execution_id: str
    frame: bytes
    source: str
    timeout: float
    grants: CapabilitySet


class SandboxPool:
    """A thread-safe pool of sandbox worker processes (see the module docstring).

    Use it as a context manager, or call :meth:`close`; workers left running when the pool
    is garbage-collected or the interpreter exits are killed then.
    """

    def __init__(self, config: SandboxConfig | None = None):
        self.config = config if config is not None else SandboxConfig()
        if not isinstance(self.config, SandboxConfig):
            raise MLConfigurationError("SandboxPool takes a SandboxConfig")
        if os.name != "posix":
            raise MLConfigurationError(
                "subprocess isolation needs a POSIX system (Linux or macOS): its workers are "
                "limited with POSIX resource limits and talk over inherited pipes")
        self._key = secrets.token_bytes(32)
        self._cond = threading.Condition()
        self._workers: set[WorkerProcess] = set()
        self._idle: deque[WorkerProcess] = deque()
        self._running: dict[str, WorkerProcess] = {}
        self._closed = False
        self._counts = {"started": 0, "retired": 0, "executions": 0}
        self.limits: dict[str, Any] = {}
        self._owner = os.getpid()
        self._finalizer = weakref.finalize(self, _shutdown, self._owner, self._workers,
                                           self._idle)
        get_parser()  # writes the parser cache once, for every worker to load
        try:
            with self._cond:
                for _ in range(self.config.pool_size):
                    self._idle.append(self._start_locked())
            for worker in list(self._idle):
                worker.wait_ready()
            self.limits = dict(self._idle[0].limits)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ public API

    def execute(
        self,
        source: str | Program | os.PathLike[str],
        variables: Mapping[str, Any] | None = None,
        *,
        filename: str | None = None,
        inputs: Iterable[str] = (),
        capabilities: CapabilitySpec | None = None,
        timeout: float | None = None,
        max_steps: int | None = None,
        max_depth: int | None = None,
        max_output: int | None = None,
        max_memory: int | None = None,
        result_name: str = "result",
        capture_output: bool = True,
        execution_id: str | None = None,
        extension_paths: Iterable[str | os.PathLike[str]] = (),
        ml_module_paths: Iterable[str | os.PathLike[str]] = (),
        redact: bool = False,
    ) -> ExecutionResult:
        """Run a program in a worker; the same result (and no raise for ML errors) as
        :meth:`mlpy.Engine.execute`.

        ``capabilities`` are the grants (None: none), narrowed by the config's file and
        network options; ``timeout`` defaults to the config's ``wall_timeout``;
        ``max_steps``, ``max_depth``, ``max_output`` and ``max_memory`` are the engine's
        limits (``max_output`` in characters, as in-process, besides the config's
        per-stream cap in bytes). With
        ``capture_output=False`` the program's output is written to the host's
        ``sys.stdout``/``sys.stderr`` when the execution ends. ``extension_paths`` and
        ``ml_module_paths`` are the directories the worker finds modules in (an Engine
        passes its registry's). ``redact`` hides resources in the worker's denials as an
        ``AuditLog(redact=True)`` does in-process (an Engine passes its audit log's).
        Raises MLConfigurationError only when the pool is closed.
        """
        limits = {"max_steps": max_steps, "max_depth": max_depth, "max_output": max_output,
                  "max_memory": max_memory}
        return self._execute(source, variables, filename, inputs, capabilities, timeout,
                             limits, result_name, capture_output, execution_id,
                             extension_paths=extension_paths,
                             ml_module_paths=ml_module_paths, redact=redact)[0]

    def run(self, source: str | Program | os.PathLike[str],
            variables: Mapping[str, Any] | None = None, **options: Any) -> SandboxResult:
        """Like :meth:`execute`, as a :class:`SandboxResult` (the reference's shape)."""
        limits = {name: options.pop(name, None) for name in _ENGINE_LIMITS}
        result, warnings = self._execute(
            source, variables, options.pop("filename", None), options.pop("inputs", ()),
            options.pop("capabilities", None), options.pop("timeout", None), limits,
            options.pop("result_name", "result"), options.pop("capture_output", True),
            options.pop("execution_id", None),
            extension_paths=options.pop("extension_paths", ()),
            ml_module_paths=options.pop("ml_module_paths", ()), **options)
        return SandboxResult.from_execution(result, security_warnings=warnings)

    def cancel(self, execution_id: str) -> bool:
        """Ask a running execution to stop (it ends with MLCancelledError); True if it ran."""
        with self._cond:
            worker = self._running.get(execution_id)
        return worker is not None and worker.cancel(execution_id)

    def workers(self) -> list[dict[str, Any]]:
        """One entry per live worker: ``pid``, ``busy``, ``execution_id``, ``tasks``, ``ready``."""
        with self._cond:
            idle = {id(w) for w in self._idle}
            return [{"pid": w.pid, "busy": id(w) not in idle, "execution_id": w.execution_id,
                     "tasks": w.tasks, "ready": w.ready} for w in self._workers]

    def stats(self) -> dict[str, int]:
        """Counters: ``workers``, ``idle``, ``busy``, ``started``, ``retired``, ``executions``."""
        with self._cond:
            return {"workers": len(self._workers), "idle": len(self._idle),
                    "busy": len(self._workers) - len(self._idle), **self._counts}

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Kill and reap every worker; executions still running end with MLSandboxError.
        Idempotent."""
        with self._cond:
            self._closed = True
            workers = list(self._workers)
            idle = list(self._idle)
            self._idle.clear()
        if os.getpid() != self._owner:  # a forked copy: the workers belong to the parent
            self._finalizer.detach()
            return
        for worker in workers:
            worker.kill("closed")
        for worker in idle:
            worker.end()
        with self._cond:
            self._workers.difference_update(idle)
            self._cond.wait_for(lambda: not self._workers, timeout=_CLOSE_WAIT)
            self._cond.notify_all()
        self._finalizer.detach()

    def __enter__(self) -> "SandboxPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._workers)} workers"
        return f"<SandboxPool {state}>"

    # ------------------------------------------------------------------ one execution

    def _execute(self, source, variables, filename, inputs, capabilities, timeout, limits,
                 result_name, capture_output, execution_id, *, extension_paths=(),
                 ml_module_paths=(), redact=False, **unknown
                 ) -> tuple[ExecutionResult, list[str]]:
        if unknown:
            raise TypeError(f"unexpected options: {', '.join(sorted(unknown))}")
        start = time.perf_counter()
        execution_id = str(execution_id or uuid.uuid4().hex)
        try:
            task = self._prepare(source, variables, filename, inputs, capabilities, timeout,
                                 limits, result_name, execution_id,
                                 (extension_paths, ml_module_paths), bool(redact))
            worker = self._checkout()
        except MLError as error:
            if isinstance(error, MLConfigurationError) and (
                    self._closed or os.getpid() != self._owner):
                raise
            return _failed(error, execution_id, capture_output, start), []
        queued = time.perf_counter()
        with self._cond:
            self._running[execution_id] = worker
            self._counts["executions"] += 1
        deadline = time.monotonic() + task.timeout + _grace(task.timeout)
        healthy, ending, pid, started_ns = False, None, worker.pid, time.time_ns()
        try:
            reply = worker.run(task.frame, execution_id, deadline)
            result, warnings, healthy = self._from_reply(reply, task, worker)
        except WorkerEnded as ended:
            ending = ended.ending.reason
            _log_ending(ended.ending, worker.pid, execution_id)
            result, warnings = self._from_ending(ended, task, time.perf_counter() - queued), []
        finally:
            with self._cond:
                self._running.pop(execution_id, None)
            restart = self._checkin(worker, healthy)
        if events.ACTIVE:
            _report(result, pid, ending, restart, started_ns)
        result.timings.update(queue=queued - start, total=time.perf_counter() - start)
        return _deliver_output(result, capture_output), warnings

    def _prepare(self, source, variables, filename, inputs, capabilities, timeout, limits,
                 result_name, execution_id, module_paths, redact) -> _Task:
        text, filename, inputs = _program_text(source, filename, inputs)
        variables = dict(variables or {})
        grants = self.config.restrict(as_capability_set(capabilities))
        timeout = self.config.wall_timeout if timeout is None else _seconds("timeout", timeout)
        inputs = tuple(sorted(set(inputs) | {n for n in variables if isinstance(n, str)}))
        if not isinstance(result_name, str):
            raise MLConfigurationError("result_name must be a string")
        frame = {
            "type": "run", "execution_id": execution_id, "result_name": result_name,
            "program": {"source": text, "filename": filename, "inputs": inputs,
                        "fingerprint": task_fingerprint(text, filename, inputs)},
            "variables": variables_to_wire(variables),
            "modules": {"extension_paths": [os.path.abspath(p) for p in module_paths[0]],
                        "ml_module_paths": [os.path.abspath(p) for p in module_paths[1]]},
            "capabilities": grants.to_wire(self._key),
            # Where the program's relative paths start and the command line it sees: the
            # caller's, as in-process (the worker's own would show host paths).
            "cwd": working_directory(), "argv": current_arguments(),
            "limits": {"timeout": timeout, "cpu": self.config.cpu_timeout,
                       **{name: _count(name, value) for name, value in limits.items()}},
            "redact": redact,
        }
        if events.ACTIVE:  # the worker's part of the trace continues the caller's
            frame["trace"] = events.trace_context()
        data = encode_frame(frame)
        if len(data) > self.config.frame_limit:
            raise MLMarshalError(
                f"the program and its variables are {len(data):,} bytes on the wire, more "
                "than the sandbox accepts (max_wire_bytes in SandboxConfig)", path="$")
        return _Task(execution_id, data, text, timeout, grants)

    def _from_reply(self, reply: dict[str, Any], task: _Task, worker: WorkerProcess
                    ) -> tuple[ExecutionResult, list[str], bool]:
        """The result a worker's reply describes, its security warnings, and whether the
        worker may run more executions."""
        if reply["type"] == "refused":
            error = MLSandboxError(f"the sandbox worker {reply.get('message', 'refused')}")
            error.termination_reason = error.exit_reason = "protocol_error"
            return _failed(error, task.execution_id, True, time.perf_counter()), [], False
        try:
            return self._decode(reply, task, worker)
        except (ProtocolViolation, MLMarshalError, KeyError, TypeError, ValueError,
                AttributeError) as problem:
            raise WorkerEnded(worker.end("protocol_error",
                                         f"the sandbox worker sent a malformed reply "
                                         f"({problem})")) from None

    def _decode(self, reply: dict[str, Any], task: _Task, worker: WorkerProcess
                ) -> tuple[ExecutionResult, list[str], bool]:
        error = error_from_wire(reply["error"], task.source) if reply["type"] == "error" \
            else None
        names = {str(k): from_wire(v, f"$.{k}") for k, v in reply["globals"].items()}
        value = None
        if error is None:
            value = names[reply["value_from"]] if "value_from" in reply \
                else from_wire(reply["value"])
        stdout, stderr = reply["stdout"], reply["stderr"]
        if not isinstance(stdout, str) or not isinstance(stderr, str):
            raise ProtocolViolation("the output of a reply is not text")
        self._reconcile_uses(reply.get("uses") or {}, task.grants)
        usage = dict(reply["usage"])
        usage.pop("cpu_total", None)
        truncated = set(reply.get("truncated") or ())
        usage.update(worker_pid=worker.pid, exit_code=0 if error is None else 1,
                     stdout_truncated="stdout" in truncated,
                     stderr_truncated="stderr" in truncated)
        result = ExecutionResult(
            ok=error is None, value=value, error=error, globals=MappingProxyType(names),
            stdout=stdout, stderr=stderr, execution_id=task.execution_id,
            timings=dict(reply["timings"]), usage=usage,
            capabilities_used=frozenset(map(str, reply["capabilities_used"])))
        warnings = [w["message"] for w in reply.get("warnings") or ()
                    if w.get("category") == "security"]
        healthy = not isinstance(error, MLLimitError) or isinstance(error, MLCancelledError)
        return result, warnings, healthy

    @staticmethod
    def _reconcile_uses(uses: dict[str, Any], grants: CapabilitySet) -> None:
        """Uses of limited grants made in the worker count here too (integration spec 5.3)."""
        sent = {g.token_id for g in grants.grants if g.max_uses is not None}
        for token_id, count in uses.items():
            if token_id in sent:
                USES.set_used(token_id, int(count))

    def _from_ending(self, ended: WorkerEnded, task: _Task, elapsed: float) -> ExecutionResult:
        ending = ended.ending
        error = ended_error(ending, task.timeout, self.config.cpu_timeout, elapsed)
        usage = {"steps": None, "cpu_time": ending.cpu_time,
                 "max_rss_bytes": ending.max_rss_bytes, "exit_code": ending.returncode}
        return ExecutionResult(False, error=error, stdout="", stderr="",
                               execution_id=task.execution_id,
                               timings={"run": elapsed}, usage=usage)

    # ------------------------------------------------------------------ workers

    def _start_locked(self) -> WorkerProcess:
        worker = WorkerProcess(self.config, self._key)
        self._workers.add(worker)
        self._counts["started"] += 1
        return worker

    def _checkout(self) -> WorkerProcess:
        """An idle, ready worker; waits while all are busy, starts one if the pool is short."""
        if os.getpid() != self._owner:
            raise MLConfigurationError(
                "this SandboxPool was created in another process (before a fork); create a "
                "pool in each process that uses one")
        with self._cond:
            while True:
                if self._closed:
                    raise MLConfigurationError("this SandboxPool is closed")
                if self._idle:
                    worker = self._idle.popleft()
                    break
                if len(self._workers) < self.config.pool_size:
                    worker = self._start_locked()
                    break
                self._cond.wait()
        try:
            worker.wait_ready()
        except BaseException:
            self._checkin(worker, healthy=False)
            raise
        return worker

    def _checkin(self, worker: WorkerProcess, healthy: bool) -> bool:
        """Return a worker after an execution; replace it when it must not run more.
        Whether it was replaced."""
        retire = not healthy or not worker.alive or self._closed \
            or worker.tasks >= self.config.max_tasks_per_worker
        if retire:
            worker.end("retired" if worker.alive else None)
        with self._cond:
            if not retire:
                self._idle.append(worker)
            else:
                self._workers.discard(worker)
                self._counts["retired"] += 1
                if not self._closed:
                    self._replace_locked()
            self._cond.notify_all()
        return retire and not self._closed

    def _replace_locked(self) -> None:
        """Start a replacement now, so it is warm by the time it is needed. A failure is
        left for the next checkout to report."""
        if len(self._workers) >= self.config.pool_size:
            return
        try:
            self._idle.append(self._start_locked())
        except MLError:
            pass


# ----------------------------------------------------------------------------- helpers


def _program_text(source: Any, filename: str | None, inputs: Iterable[str]
                  ) -> tuple[str, str, tuple[str, ...]]:
    inputs = tuple(inputs)
    if isinstance(source, Program):
        return source.source, filename or source.filename, tuple(source.inputs) + inputs
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        with open(path, encoding="utf-8") as handle:
            return handle.read(), filename or path, inputs
    if not isinstance(source, str):
        raise TypeError("ML source must be a str, a Program or a path")
    return source, filename or "<string>", inputs


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or value == float("inf"):
        raise MLConfigurationError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _count(name: str, value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value < 1):
        raise MLConfigurationError(f"{name} must be a positive integer or None, not {value!r}")
    return value


def _grace(timeout: float) -> float:
    return min(_GRACE_BASE + _GRACE_SHARE * timeout, _GRACE_MAX)


def _failed(error: MLError, execution_id: str, capture_output: bool,
            start: float) -> ExecutionResult:
    captured = "" if capture_output else None
    return ExecutionResult(False, error=error, stdout=captured, stderr=captured,
                           execution_id=execution_id,
                           timings={"run": 0.0, "total": time.perf_counter() - start})


def _deliver_output(result: ExecutionResult, capture_output: bool) -> ExecutionResult:
    """With ``capture_output=False`` the output goes to the host's streams, as in-process."""
    if capture_output:
        return result
    if result.stdout:
        sys.stdout.write(result.stdout)
    if result.stderr:
        sys.stderr.write(result.stderr)
    return ExecutionResult(
        ok=result.ok, value=result.value, error=result.error, globals=result.globals,
        stdout=None, stderr=None, execution_id=result.execution_id, timings=result.timings,
        usage=result.usage, capabilities_used=result.capabilities_used)


def _report(result: ExecutionResult, pid: int | None, ending: str | None, restarted: bool,
            started_ns: int) -> None:
    """Tell the observability listeners what the worker did (its figures, as it measured
    them or as the pool reaped it) and why it was replaced, if it was."""
    usage = result.usage
    exit_reason = ending or "completed"
    events.sandbox_ran(events.SandboxRun(
        pid or 0, exit_reason, usage.get("max_rss_bytes"), usage.get("cpu_time"),
        started_ns, time.time_ns()))
    if restarted:
        events.sandbox_restarted(_restart_reason(ending, result.error))


def _restart_reason(ending: str | None, error: MLError | None) -> str:
    """Why a worker was replaced, as the §9.2 ``reason`` label: the limit it reached (as
    the kernel or the worker itself reported it); ``crash`` when it died or broke the
    protocol; else ``recycle`` (it ran its ``max_tasks_per_worker``, or stopped at a limit
    of the program's -- steps, depth, output -- and is replaced as a precaution)."""
    if ending in _LIMITS:
        return ending
    if ending is not None or isinstance(error, MLSandboxError):
        return "crash"
    if isinstance(error, MLTimeoutError):
        return "timeout"
    resource = getattr(error, "resource", None) if isinstance(error, MLLimitError) else None
    return {"cpu": "cpu_limit", "memory": "memory_limit"}.get(resource, "recycle")


def _log_ending(ending: Any, pid: int | None, execution_id: str) -> None:
    """Log how a worker ended under an execution: at INFO when the program reached a limit
    (or the pool closed), else at ERROR. The detail may quote the worker's own log, which
    holds what the program wrote: DEBUG only."""
    level = logging.INFO if ending.reason in _LIMITS or ending.reason == "closed" \
        else logging.ERROR
    _logger.log(level, "sandbox worker %s ended (%s, exit status %s)", pid,
                ending.reason, ending.returncode,
                extra={"execution_id": execution_id, "reason": ending.reason})
    _logger.debug("sandbox worker %s: %s", pid, ending.detail,
                  extra={"execution_id": execution_id})


def _shutdown(owner: int, workers: set[WorkerProcess], idle: deque[WorkerProcess]) -> None:
    """Kill every worker of a pool that was not closed (at exit or when collected), in the
    process that started them only: a forked copy of the pool must leave them alone."""
    if os.getpid() != owner:
        return
    for worker in list(workers):
        worker.kill("closed")
    for worker in list(idle):
        worker.end()
