"""The sandbox worker: a separate, limited process that runs ML programs for a SandboxPool.

Started as ``python -I -m mlpy.sandbox.worker READ_FD WRITE_FD`` (or through the pool's
bootstrap, which loads mlpy from the host's installation first), a worker imports mlpy and
builds its parser before any work arrives, then talks to the pool over its two private
pipes:

1. ``hello{key, limits, settings}``: the pool's signing key (never in argv or the
   environment), the limits to apply, output caps. The worker applies its OS limits and
   answers ``ready{pid, version, package, limits}``, or ``startup_error{error}`` and exits.
2. ``run{execution_id, program{source, filename, inputs, fingerprint}, variables,
   capabilities, limits}``, one at a time. The worker recomputes the program's fingerprint
   (it covers the mlpy and grammar versions too), verifies the capability set's signature,
   compiles with its own engine and compile cache, and runs the program with those grants
   in a fresh working directory. It answers ``result{...}`` or ``error{...}`` -- both with
   the captured output, usage figures and the capabilities used -- or ``refused{message}``
   for a frame it will not run (a bad signature, a stale fingerprint, an unknown type).

ML output is captured in the worker, capped per stream, and returned inside the reply, so a
program's output can never be read as a frame. Limits the execution reaches stop it with the
same errors as in-process; anything that kills the worker is classified by the pool.
"""

from __future__ import annotations

import faulthandler
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import OrderedDict
from typing import Any

import mlpy
from mlpy.engine import Engine, ExecutionResult
from mlpy.errors import (
    MLCompileError, MLConfigurationError, MLError, MLMarshalError, MLResourceError,
)
from mlpy.marshal import to_wire
from mlpy.program import Program, fingerprint
from mlpy.runtime.capabilities import USES, CapabilitySet
from mlpy.runtime.state import CURRENT
from mlpy.sandbox.channel import read_frame, write_bytes, write_frame
from mlpy.sandbox.limits import (
    CpuBudget, apply_process_limits, memory_figures, peak_memory_reset,
)
from mlpy.sandbox.wire import (
    EXIT_OUT_OF_MEMORY, ProtocolViolation, encode_frame, error_to_wire, from_wire,
)

# Frames the pool sends before the worker knows its limits are small.
_HELLO_LIMIT = 1 << 16
_PROGRAM_MEMO = 512


def task_fingerprint(source: str, filename: str, inputs: tuple[str, ...]) -> str:
    """What the pool and the worker both compute for a program; equal only when the source,
    the file name, the inputs and the mlpy and grammar versions all agree."""
    return fingerprint(source, filename, ("sandbox", tuple(inputs)))


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
        state = CURRENT.get()
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
        self.capabilities = CapabilitySet.from_wire(frame["capabilities"], key)
        self.variables = from_wire(frame["variables"])
        if not isinstance(self.variables, dict):
            raise ProtocolViolation("the variables of a run frame are not an object")
        limits = frame["limits"]
        self.timeout = float(limits["timeout"])
        self.cpu = float(limits["cpu"])
        self.max_steps = limits.get("max_steps")
        self.max_depth = limits.get("max_depth")
        self.max_output = limits.get("max_output")
        self.result_name = str(frame.get("result_name", "result"))


class Worker:
    """The state of one worker process: its engine, key, limits and output settings."""

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.root = os.getcwd()
        self.engine = Engine()
        self.engine.compile("result = 1;")  # build the parser now, not in the first task
        self.key = b""
        self.settings: dict[str, Any] = {}
        self.cpu: CpuBudget | None = None
        self._programs: OrderedDict[str, Program] = OrderedDict()

    # ------------------------------------------------------------------ lifecycle

    def serve(self) -> None:
        """Shake hands, then answer run frames until the pool closes the pipe."""
        if not self._handshake():
            return
        while True:
            frame = read_frame(self.read_fd, self.settings["max_frame"])
            if frame is None:
                return
            data = encode_frame(self._answer(frame))
            if len(data) > self.settings["max_frame"]:
                data = encode_frame(self._too_large(frame, len(data)))
            write_bytes(self.write_fd, data)

    def _handshake(self) -> bool:
        hello = read_frame(self.read_fd, _HELLO_LIMIT)
        if hello is None or hello.get("type") != "hello":
            return False
        self.key = bytes.fromhex(hello["key"])
        self.settings = hello["settings"]
        required = bool(hello["require_limits"])
        try:
            applied = apply_process_limits(hello["limits"], required)
            self.cpu = CpuBudget(self._cpu_limit_reached, required)
        except MLConfigurationError as error:
            write_frame(self.write_fd, {"type": "startup_error",
                                        "error": error_to_wire(error, None)})
            return False
        signal.signal(signal.SIGUSR1, _cancel_running)
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
        stdout = CappedOutput("stdout", self.settings["max_output"],
                              self.settings["fail_on_output_limit"])
        stderr = CappedOutput("stderr", self.settings["max_output"],
                              self.settings["fail_on_output_limit"])
        directory = self._enter_directory()
        saved = sys.stdout, sys.stderr
        cpu_start = time.process_time()
        peak_memory_reset()
        started = time.perf_counter()
        self.cpu.arm(task.cpu)
        sys.stdout, sys.stderr = stdout, stderr
        try:
            result, warnings, cache_hit = self._execute(task)
        finally:
            sys.stdout, sys.stderr = saved
            self.cpu.disarm()
            self._leave_directory(directory)
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

    def _execute(self, task: Task) -> tuple[ExecutionResult, list[dict], bool]:
        start = time.perf_counter()
        try:
            program, cache_hit = self._compile(task)
        except MLCompileError as error:
            return (ExecutionResult(False, error=error,
                                    timings={"compile": time.perf_counter() - start}), [],
                    False)
        compiled = time.perf_counter() - start
        result = self.engine.execute(
            program, task.variables, capabilities=task.capabilities, timeout=task.timeout,
            max_steps=task.max_steps, max_depth=task.max_depth, max_output=task.max_output,
            result_name=task.result_name, capture_output=False,
            execution_id=task.execution_id)
        result.timings["compile"] = compiled
        return result, [d.to_dict() for d in program.warnings], cache_hit

    def _compile(self, task: Task) -> tuple[Program, bool]:
        """The compiled program (from the engine's cache when it has it), and whether it was
        cached: the engine returns the very same Program object for a cache hit."""
        known = self._programs.pop(task.fingerprint, None)
        program = self.engine.compile(task.source, filename=task.filename, inputs=task.inputs)
        self._programs[task.fingerprint] = program
        while len(self._programs) > _PROGRAM_MEMO:
            self._programs.popitem(last=False)
        return program, known is program

    def _reply(self, task: Task, result: ExecutionResult) -> dict[str, Any]:
        error = result.error
        value = None
        if error is None:
            try:
                value = to_wire(result.value)
            except MLMarshalError as problem:
                error = problem
        if error is not None:
            self._explain_memory(error)
            return {"type": "error", "execution_id": task.execution_id,
                    "error": error_to_wire(error, task.source), "globals": {}}
        return {"type": "result", "execution_id": task.execution_id, "value": value,
                "globals": _wire_globals(result.globals)}

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

    def _too_large(self, frame: dict[str, Any], size: int) -> dict[str, Any]:
        error = MLMarshalError(
            f"the result is {size:,} bytes on the wire, more than the sandbox passes back "
            "(max_wire_bytes in SandboxConfig)", path="$")
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

    def _cpu_limit_reached(self) -> bool:
        state = CURRENT.get()
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


def _cancel_running(signum: int, frame: Any) -> None:
    state = CURRENT.get()
    if state is not None:
        state.cancel()


def _text(problem: BaseException) -> str:
    return problem.message if isinstance(problem, MLError) else str(problem) or \
        type(problem).__name__


def main(read_fd: int, write_fd: int) -> None:
    """Run a worker on the given pipe descriptors until the pool closes them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pool, not the terminal, stops workers
    faulthandler.enable()  # a crash leaves a trace in the worker's log for the pool
    try:
        Worker(read_fd, write_fd).serve()
    except MemoryError:
        os._exit(EXIT_OUT_OF_MEMORY)
    except (BrokenPipeError, ProtocolViolation):
        os._exit(0)  # the pool went away or broke the protocol: nothing to answer


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
