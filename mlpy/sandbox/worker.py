"""The sandbox worker: a separate, limited process that runs ML programs for a SandboxPool.

Started as ``python -I -m mlpy.sandbox.worker READ_FD WRITE_FD CANCEL_FD`` (or through the
pool's bootstrap, which loads mlpy from the host's installation first), a worker imports mlpy
and builds its parser before any work arrives, then talks to the pool over its private pipes:

1. ``hello{key, limits, settings}``: the pool's signing key (never in argv or the
   environment), the limits to apply, output caps. The worker applies its OS limits and
   answers ``ready{pid, version, package, limits}``, or ``startup_error{error}`` and exits.
2. ``run{execution_id, program{source, filename, inputs, fingerprint}, variables,
   capabilities, cwd, argv, limits}``, one at a time. The worker recomputes the program's fingerprint
   (it covers the mlpy and grammar versions too), verifies the capability set's signature,
   compiles with its own engine and compile cache, and runs the program with those grants
   in a fresh private directory (the worker's own ``HOME`` and ``TMPDIR``), its relative
   paths starting at the caller's working directory ``cwd`` and its ``args`` module showing
   the caller's ``argv``. It answers ``result{...}`` or ``error{...}`` -- both with
   the captured output, usage figures and the capabilities used -- or ``refused{message}``
   for a frame it will not run (a bad signature, a stale fingerprint, an unknown type).
3. Cancellation: the pool writes the execution id to a third pipe and sends ``SIGUSR1``;
   the worker stops the execution with that id at its next step, or as soon as it starts if
   the request came first. A request for any other id is ignored, so a late cancel never
   reaches the next execution.

ML output is captured in the worker, capped per stream, and returned inside the reply, so a
program's output can never be read as a frame. Limits the execution reaches stop it with the
same errors as in-process; anything that kills the worker is classified by the pool.
"""

from __future__ import annotations

import faulthandler
import gc
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator

import mlpy
from mlpy.engine import Engine, ExecutionResult
from mlpy.errors import (
    MLCompileError, MLConfigurationError, MLError, MLMarshalError, MLResourceError,
)
from mlpy.marshal import to_wire
from mlpy.modules.registry import ModuleRegistry
from mlpy.program import Program, translate_error
from mlpy.runtime.capabilities import USES, CapabilitySet
from mlpy.runtime.gate import AuditLog
from mlpy.runtime.state import current_state
from mlpy.sandbox.channel import read_frame, write_bytes, write_frame
from mlpy.sandbox.limits import (
    CpuBudget, apply_process_limits, isolate_network, memory_figures, peak_memory_reset,
)
from mlpy.sandbox.wire import (
    EXIT_OUT_OF_MEMORY, ProtocolViolation, encode_frame, error_to_wire, from_wire,
    task_fingerprint,
)
from mlpy.stdlib._fs import working_directory_of
from mlpy.stdlib.args_bridge import program_arguments

# Frames the pool sends before the worker knows its limits are small.
_HELLO_LIMIT = 1 << 16
_PROGRAM_MEMO = 512
_ENGINE_LIMITS = ("max_steps", "max_depth", "max_output", "max_memory")
_CANCEL_RETRY = 0.002


class CappedOutput:
    """A text stream that keeps the first ``limit`` bytes (UTF-8) written to it.

    Past the limit the rest is dropped and ``truncated`` set; with ``fail`` the running
    execution also stops with ``MLResourceError(resource="output")``, which ML code cannot
    catch.
    """

    def __init__(self, name: str, limit: int, fail: bool):
        self.name = name
        self.limit = limit
        self.fail = fail
        self.size = 0
        self.truncated = False
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if self.size + size <= self.limit:
            self._parts.append(text)
            self.size += size
            return len(text)
        if not self.truncated:
            self._parts.append(_utf8_prefix(text, self.limit - self.size))
            self.size = self.limit
            self.truncated = True
        if self.fail:
            self._stop()
        return len(text)

    def _stop(self) -> None:
        error = MLResourceError(
            f"output limit reached: the execution wrote more than {self.limit:,} bytes to "
            f"{self.name}", resource="output", limit=self.limit,
            hints=["raise max_output in SandboxConfig, or write less"])
        state = current_state()
        if state is not None:
            state.trip(error)
            raise state.tripped
        raise error

    def flush(self) -> None:
        pass

    def getvalue(self) -> str:
        return "".join(self._parts)


def _utf8_prefix(text: str, size: int) -> str:
    data = text.encode("utf-8", "surrogatepass")[:max(size, 0)]
    for cut in range(4):  # drop a character the cut split in two
        try:
            return data[:len(data) - cut].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            continue
    return ""


class Task:
    """One verified ``run`` frame."""

    def __init__(self, frame: dict[str, Any], key: bytes):
        self.execution_id = str(frame["execution_id"])
        program = frame["program"]
        self.source = program["source"]
        self.filename = program["filename"]
        self.inputs = tuple(program["inputs"])
        if not isinstance(self.source, str) or not isinstance(self.filename, str) \
                or not all(isinstance(name, str) for name in self.inputs):
            raise ProtocolViolation("the program of a run frame is malformed")
        self.fingerprint = program["fingerprint"]
        if self.fingerprint != task_fingerprint(self.source, self.filename, self.inputs):
            raise ProtocolViolation(
                f"the program's fingerprint does not match: this worker runs mlpy "
                f"{mlpy.__version__}, or the program was altered on the way")
        modules = frame.get("modules") or {}
        self.module_paths = (tuple(modules.get("extension_paths", ())),
                             tuple(modules.get("ml_module_paths", ())))
        if not all(isinstance(path, str) for paths in self.module_paths for path in paths):
            raise ProtocolViolation("the module paths of a run frame are malformed")
        self.cwd = frame.get("cwd")
        if self.cwd is not None and not (isinstance(self.cwd, str) and os.path.isabs(self.cwd)):
            raise ProtocolViolation("the working directory of a run frame is not absolute")
        self.argv = frame.get("argv") or []
        if not isinstance(self.argv, list) or not all(isinstance(a, str) for a in self.argv):
            raise ProtocolViolation("the arguments of a run frame are malformed")
        self.capabilities = CapabilitySet.from_wire(frame["capabilities"], key)
        self.variables = from_wire(frame["variables"])
        if not isinstance(self.variables, dict):
            raise ProtocolViolation("the variables of a run frame are not an object")
        limits = frame["limits"]
        self.timeout = float(limits["timeout"])
        self.cpu = float(limits["cpu"])
        # The engine's own limits, passed on only when the call set them.
        self.engine_limits = {name: limits[name] for name in _ENGINE_LIMITS
                              if limits.get(name) is not None}
        self.result_name = str(frame.get("result_name", "result"))
        self.redact = frame.get("redact", False)
        if not isinstance(self.redact, bool):
            raise ProtocolViolation("the redact flag of a run frame is not a boolean")
        # The W3C traceparent of the caller's span, when the host traces. The worker exports
        # nothing: the host builds the run's span from the reply's figures.
        trace = frame.get("trace") or {}
        parent = trace.get("traceparent") if isinstance(trace, dict) else None
        self.traceparent = parent if isinstance(parent, str) else None


class Worker:
    """The state of one worker process: its engine, key, limits and output settings."""

    def __init__(self, read_fd: int, write_fd: int, cancel_fd: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.cancel_fd = cancel_fd
        os.set_blocking(cancel_fd, False)
        self.root = os.getcwd()
        self.engine = Engine()
        # One engine per set of module directories the pool's engines use (usually one), and
        # whether their audit logs redact.
        self._engines: dict[tuple, Engine] = {((), (), False): self.engine}
        self.key = b""
        self.settings: dict[str, Any] = {}
        self.cpu: CpuBudget | None = None
        self._programs: OrderedDict[str, Program] = OrderedDict()
        self._busy = False
        self._current: str | None = None
        self._cancelled: set[str] = set()
        # Build the parser now, not in the first task.
        warm = self.engine.compile("result = 1;")
        self._programs[(task_fingerprint(warm.source, warm.filename, ()), ((), ()))] = warm

    # ------------------------------------------------------------------ lifecycle

    def serve(self) -> None:
        """Shake hands, then answer run frames until the pool closes the pipe."""
        if not self._handshake():
            return
        while True:
            frame = read_frame(self.read_fd, self.settings["max_frame"])
            if frame is None:
                return
            try:
                data = encode_frame(self._answer(frame))
            except MemoryError:
                data = None
            if data is None:  # outside the handler, so the answer's objects can be freed
                gc.collect()
                data = encode_frame(self._unanswerable(frame, MLResourceError(
                    "memory limit reached: the result needed more memory than the sandbox "
                    f"allows ({self.settings['memory_limit']:,} bytes of address space)",
                    resource="memory", limit=self.settings["memory_limit"])))
            if len(data) > self.settings["max_frame"]:
                data = encode_frame(self._unanswerable(frame, MLMarshalError(
                    f"the result is {len(data):,} bytes on the wire, more than the sandbox "
                    "passes back (max_wire_bytes in SandboxConfig)", path="$")))
            write_bytes(self.write_fd, data)

    def _handshake(self) -> bool:
        hello = read_frame(self.read_fd, _HELLO_LIMIT)
        if hello is None or hello.get("type") != "hello":
            return False
        self.key = bytes.fromhex(hello["key"])
        self.settings = hello["settings"]
        required = bool(hello["require_limits"])
        try:
            if self.settings.get("network_isolation") == "os":
                isolate_network()
            applied = apply_process_limits(hello["limits"], required)
            self.cpu = CpuBudget(self._cpu_limit_reached, required)
        except MLConfigurationError as error:
            write_frame(self.write_fd, {"type": "startup_error",
                                        "error": error_to_wire(error, None)})
            return False
        signal.signal(signal.SIGUSR1, self._on_cancel)
        signal.signal(signal.SIGALRM, self._on_cancel)
        write_frame(self.write_fd, {
            "type": "ready", "pid": os.getpid(), "version": mlpy.__version__,
            "package": os.path.dirname(mlpy.__file__), "limits": applied,
            "cpu_total": time.process_time(),
        })
        return True

    def _answer(self, frame: dict[str, Any]) -> dict[str, Any]:
        kind = frame.get("type")
        if kind != "run":
            return {"type": "refused", "message": f"unknown frame type {kind!r}"}
        try:
            task = Task(frame, self.key)
        except (MLError, ProtocolViolation, KeyError, TypeError, ValueError) as problem:
            return {"type": "refused", "execution_id": frame.get("execution_id"),
                    "message": f"refused to run: {_text(problem)}"}
        return self._run(task)

    # ------------------------------------------------------------------ one execution

    def _run(self, task: Task) -> dict[str, Any]:
        stdout, stderr = (CappedOutput(name, self.settings["max_output"],
                                       self.settings["fail_on_output_limit"])
                          for name in ("stdout", "stderr"))
        cpu_start, started = time.process_time(), time.perf_counter()
        with self._surroundings(task, stdout, stderr):
            result, warnings, cache_hit = self._execute(task)
        peak, current = memory_figures()
        reply = self._reply(task, result)
        reply.update(
            stdout=stdout.getvalue(), stderr=stderr.getvalue(),
            truncated=[s.name for s in (stdout, stderr) if s.truncated],
            warnings=warnings, capabilities_used=sorted(result.capabilities_used),
            uses={g.token_id: USES.used(g.token_id) for g in task.capabilities.grants
                  if g.max_uses is not None},
            usage={"steps": result.usage.get("steps", 0),
                   "cpu_time": time.process_time() - cpu_start,
                   "max_rss_bytes": peak, "rss_bytes": current,
                   "cpu_total": time.process_time()},
            timings={"compile": result.timings.get("compile", 0.0),
                     "run": result.timings.get("run", 0.0), "cache_hit": cache_hit,
                     "worker": time.perf_counter() - started},
        )
        return reply

    @contextmanager
    def _surroundings(self, task: Task, stdout: CappedOutput,
                      stderr: CappedOutput) -> Iterator[None]:
        """One execution's directories, command line, output streams, CPU budget and cancel
        handling."""
        directory = self._enter_directory()
        # An explicit working_dir is where relative paths start; else the caller's directory.
        relative_to = self.settings.get("working_dir") or task.cwd
        saved = sys.stdout, sys.stderr
        peak_memory_reset()
        self.cpu.arm(task.cpu)
        sys.stdout, sys.stderr = stdout, stderr
        self._current = task.execution_id
        self._cancelled &= {task.execution_id}  # a request that came before the task did
        self._busy = True
        self._on_cancel(0, None)
        try:
            with working_directory_of(relative_to), program_arguments(task.argv):
                yield
        finally:
            self._busy = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._cancelled.clear()
            sys.stdout, sys.stderr = saved
            self.cpu.disarm()
            self._leave_directory(directory)

    def _execute(self, task: Task) -> tuple[ExecutionResult, list[dict], bool]:
        start = time.perf_counter()
        try:
            program, cache_hit = self._compile(task)
        except MLCompileError as error:
            return (ExecutionResult(False, error=error,
                                    timings={"compile": time.perf_counter() - start}), [],
                    False)
        compiled = time.perf_counter() - start
        warnings = [d.to_dict() for d in program.warnings]
        try:
            result = self._engine(task).execute(
                program, task.variables, capabilities=task.capabilities, timeout=task.timeout,
                result_name=task.result_name, capture_output=False,
                execution_id=task.execution_id, **task.engine_limits)
        except MemoryError as exhausted:  # so little was left that reporting failed too
            first = _innermost(exhausted)
            result = None
        if result is None:  # outside the handler the program's data is unreachable: free it
            gc.collect()
            result = ExecutionResult(False, error=translate_error(first, task.execution_id),
                                     timings={"run": 0.0})
        result.timings["compile"] = compiled
        return result, warnings, cache_hit

    def _compile(self, task: Task) -> tuple[Program, bool]:
        """The compiled program (from the engine's cache when it has it), and whether it was
        cached: the engine returns the very same Program object for a cache hit."""
        key = (task.fingerprint, task.module_paths)
        known = self._programs.pop(key, None)
        program = self._engine(task).compile(task.source, filename=task.filename,
                                             inputs=task.inputs)
        self._programs[key] = program
        while len(self._programs) > _PROGRAM_MEMO:
            self._programs.popitem(last=False)
        return program, known is program

    def _engine(self, task: Task) -> Engine:
        key = (*task.module_paths, task.redact)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine(registry=ModuleRegistry(*task.module_paths),
                                                 audit=AuditLog(redact=task.redact))
        return engine

    def _reply(self, task: Task, result: ExecutionResult) -> dict[str, Any]:
        error = result.error
        # After running out of memory, copying the globals would run out again.
        out_of_memory = isinstance(error, MLResourceError) and error.resource == "memory"
        names = {} if out_of_memory else _wire_globals(result.globals)
        reply: dict[str, Any] = {"type": "result", "execution_id": task.execution_id,
                                 "globals": names}
        if error is None:
            if result.globals.get(task.result_name, reply) is result.value \
                    and task.result_name in names:
                reply["value_from"] = task.result_name  # sent once, decoded as one object
            else:
                try:
                    reply["value"] = to_wire(result.value)
                except MLMarshalError as problem:
                    error = problem
        if error is not None:
            self._explain_memory(error)
            reply.update(type="error", error=error_to_wire(error, task.source))
        return reply

    def _explain_memory(self, error: MLError) -> None:
        """Name the worker's memory limit where the engine speaks of the host's memory."""
        if isinstance(error, MLResourceError) and error.resource == "memory" \
                and error.limit is None:
            limit = self.settings["memory_limit"]
            error.message = (f"memory limit reached: the execution needed more memory than the "
                             f"sandbox allows ({limit:,} bytes of address space)")
            error.args = (error.message,)
            error.limit = limit
            error.suggestions = ["raise memory_limit in SandboxConfig, or work on smaller "
                                 "pieces of data"]

    def _unanswerable(self, frame: dict[str, Any], error: MLError) -> dict[str, Any]:
        """An error reply for a task whose real answer could not be sent."""
        return {"type": "error", "execution_id": frame.get("execution_id"),
                "error": error_to_wire(error, None), "globals": {}, "stdout": "", "stderr": "",
                "truncated": ["stdout", "stderr"], "warnings": [], "capabilities_used": [],
                "uses": {}, "usage": {"cpu_total": time.process_time()}, "timings": {}}

    # ------------------------------------------------------------------ surroundings

    def _enter_directory(self) -> str | None:
        working = self.settings.get("working_dir")
        if working:
            os.chdir(working)
            return None
        path = tempfile.mkdtemp(prefix="task-", dir=self.root)
        os.chdir(path)
        os.environ["HOME"] = os.environ["TMPDIR"] = path
        tempfile.tempdir = path
        return path

    def _leave_directory(self, path: str | None) -> None:
        os.chdir(self.root)
        if path is not None:
            os.environ["HOME"] = os.environ["TMPDIR"] = self.root
            tempfile.tempdir = self.root
            shutil.rmtree(path, ignore_errors=True)

    def _on_cancel(self, signum: int, frame: Any) -> None:
        """The pool's cancel (SIGUSR1), or its retry (SIGALRM): stop the running execution
        if its id was requested. A request that arrives while the program is still being
        compiled is retried every few milliseconds until the execution runs."""
        self._cancelled.update(_drain_lines(self.cancel_fd))
        if not self._busy or self._current not in self._cancelled:
            return
        state = current_state()
        if state is not None:
            state.cancel()
        else:
            signal.setitimer(signal.ITIMER_REAL, _CANCEL_RETRY)

    def _cpu_limit_reached(self) -> bool:
        state = current_state()
        if state is None:
            return False
        seconds = self.cpu.seconds
        state.trip(MLResourceError(
            f"CPU time limit reached: the execution used more than {seconds:g} s of CPU time",
            resource="cpu", limit=seconds,
            hints=["raise cpu_timeout in SandboxConfig, or look for a loop that never ends"]))
        return True


def _wire_globals(names: Any) -> dict[str, Any]:
    """Top-level names with a wire form; functions and host objects stay in the worker."""
    wire = {}
    for name, value in names.items():
        try:
            wire[name] = to_wire(value, f"$.{name}")
        except MLMarshalError:
            continue
    return wire


def _innermost(error: BaseException) -> BaseException:
    """The first failure in a chain of errors raised while handling each other."""
    while error.__context__ is not None:
        error = error.__context__
    return error


def _drain_lines(fd: int) -> list[str]:
    """The execution ids waiting in the cancel pipe (each written whole, hex-encoded, one
    per line)."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except (BlockingIOError, InterruptedError):
            break
        except OSError:
            return []
        if not chunk:
            break
        data += chunk
    ids = []
    for line in data.split():
        try:
            ids.append(bytes.fromhex(line.decode("ascii")).decode("utf-8", "replace"))
        except ValueError:
            continue
    return ids


def _text(problem: BaseException) -> str:
    return problem.message if isinstance(problem, MLError) else str(problem) or \
        type(problem).__name__


def main(read_fd: int, write_fd: int, cancel_fd: int) -> None:
    """Run a worker on the given pipe descriptors until the pool closes them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pool, not the terminal, stops workers
    faulthandler.enable()  # a crash leaves a trace in the worker's log for the pool
    try:
        Worker(read_fd, write_fd, cancel_fd).serve()
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    except (BrokenPipeError, ProtocolViolation):
        os._exit(0)  # the pool went away or broke the protocol: nothing to answer


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
