"""One sandbox worker as the pool sees it: start it, shake hands, run a task, end it.

How a worker finds mlpy. The worker runs in isolated mode (``python -I``: no user site
directory, no ``PYTHON*`` variables, no current directory on ``sys.path``), so it cannot rely
on the host's environment to import mlpy. A short bootstrap passed with ``-c`` loads the
``mlpy`` package from the *host's* package directory, by path, before anything else, and
appends the directories of mlpy's dependencies to ``sys.path``. The worker therefore runs the
very same mlpy as the host -- an editable checkout, a regular install, or a copy on a path
the host added itself -- and reports its version and location in its ``ready`` frame, which
the pool checks.

How a worker's end is classified. A worker that answers gets its answer; one that does not
is ended and its exit read: killed by the pool for overrunning its time (``timeout``), ended
by ``SIGXCPU`` (``cpu_limit``), out of memory (``memory_limit``: the worker's own exit status,
or a crash whose log shows the allocator failing), a protocol violation (``protocol_error``),
or anything else (``crash(SIGSEGV)``, ``crash(exit 3)``...). Every worker is reaped, so none
is left a zombie, and its pipes and temporary directory go with it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

import mlpy
from mlpy.errors import (
    MLConfigurationError, MLError, MLResourceError, MLSandboxError, MLTimeoutError,
)
from mlpy.language import parser as _parser
from mlpy.language.parser import cache_dir as parser_cache_dir
from mlpy.sandbox.channel import Channel, ChannelClosed, ChannelTimeout
from mlpy.sandbox.config import SandboxConfig
from mlpy.sandbox.wire import EXIT_OUT_OF_MEMORY, ProtocolViolation, error_from_wire

STARTUP_TIMEOUT = 30.0
# Seconds a worker that closed its pipe gets to exit before it is killed.
_EXIT_GRACE = 2.0
_DEPENDENCIES = ("lark",)
_MEMORY_SIGNS = ("MemoryError", "Cannot allocate memory", "out of memory", "std::bad_alloc")

_BOOTSTRAP = """\
import importlib.util, os, sys
package, dependencies, read_fd, write_fd, cancel_fd = sys.argv[1:6]
sys.path.extend(p for p in dependencies.split(os.pathsep) if p and p not in sys.path)
spec = importlib.util.spec_from_file_location(
    "mlpy", os.path.join(package, "__init__.py"), submodule_search_locations=[package])
module = importlib.util.module_from_spec(spec)
sys.modules["mlpy"] = module
spec.loader.exec_module(module)
from mlpy.sandbox.worker import main
main(int(read_fd), int(write_fd), int(cancel_fd))
"""


def package_directory() -> str:
    """The directory of the mlpy package this process runs."""
    return os.path.dirname(os.path.realpath(mlpy.__file__))


def dependency_path() -> str:
    """``os.pathsep``-joined directories holding mlpy's dependencies, for the bootstrap."""
    found = []
    for name in _DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            found.append(os.path.dirname(os.path.dirname(os.path.realpath(spec.origin))))
    return os.pathsep.join(dict.fromkeys(found))


def worker_command(config: SandboxConfig, read_fd: int, write_fd: int, cancel_fd: int
                   ) -> list[str]:
    return [config.python_executable, "-I", "-B", "-X", "utf8", "-c", _BOOTSTRAP,
            package_directory(), dependency_path(), str(read_fd), str(write_fd),
            str(cancel_fd)]


def worker_environment(config: SandboxConfig, root: str) -> dict[str, str]:
    """A minimal environment: a system PATH, HOME and TMPDIR in the worker's own directory,
    the host's parser cache (so a worker loads the parser tables instead of rebuilding
    them; when the host runs without that cache, ``mlpy run --no-cache``, a directory of the
    worker's own, removed with it), the passed-through host variables, then ``extra_env``."""
    cache = str(parser_cache_dir()) if _parser.DISK_CACHE else os.path.join(root, "cache")
    env = {"PATH": os.defpath.lstrip(os.pathsep) or "/usr/bin:/bin", "HOME": root,
           "TMPDIR": root, "TMP": root, "TEMP": root, "MLPY_CACHE_DIR": cache}
    for name in config.env_passthrough:
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(config.extra_env)
    return env


@dataclass(frozen=True)
class Ending:
    """How a worker ended, with the figures its exit left."""

    reason: str  # timeout, cpu_limit, memory_limit, protocol_error, closed, crash(...)
    detail: str
    returncode: int | None
    cpu_time: float | None  # CPU the worker used since its last answer
    max_rss_bytes: int | None  # the worker's peak resident memory over its life


class WorkerProcess:
    """A started worker, its pipes, its temporary directory and its log.

    One thread uses a worker at a time; :meth:`kill` and :meth:`cancel` may come from any
    thread. Killing and reaping share a lock, so a signal never reaches a process id the
    system may already have given to another process.
    """

    def __init__(self, config: SandboxConfig, key: bytes):
        self.config = config
        self.tasks = 0
        self.ready = False
        self.limits: dict[str, Any] = {}
        self.cpu_total = 0.0
        self.execution_id: str | None = None
        self.returncode: int | None = None
        self.started = time.monotonic()
        self._killed: str | None = None
        self._rusage: Any = None
        self._lock = threading.Lock()
        self._ending: Ending | None = None
        self.root = tempfile.mkdtemp(prefix="mlpy-sandbox-")
        self._log = tempfile.TemporaryFile()
        try:
            self._spawn(config, key)
        except BaseException:
            self._log.close()
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _spawn(self, config: SandboxConfig, key: bytes) -> None:
        to_worker, from_worker, cancels = os.pipe(), os.pipe(), os.pipe()
        child_fds = (to_worker[0], from_worker[1], cancels[0])
        try:
            self._popen = subprocess.Popen(
                worker_command(config, *child_fds), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=self._log, pass_fds=child_fds,
                env=worker_environment(config, self.root), cwd=self.root,
                close_fds=True, start_new_session=True)
        except OSError as error:
            for fd in (from_worker[0], to_worker[1], cancels[1]):
                os.close(fd)
            raise MLConfigurationError(
                f"cannot start a sandbox worker with {config.python_executable!r}: "
                f"{error}") from None
        finally:
            for fd in child_fds:
                os.close(fd)
        self.pid = self._popen.pid
        self.channel = Channel(from_worker[0], to_worker[1], config.frame_limit)
        self._cancel_fd = cancels[1]
        os.set_blocking(self._cancel_fd, False)
        hello = {"type": "hello", "key": key.hex(), "limits": config.os_limits(),
                 "require_limits": config.require_limits,
                 "settings": {"max_output": config.max_output,
                              "fail_on_output_limit": config.fail_on_output_limit,
                              "working_dir": config.working_dir,
                              "memory_limit": config.memory_limit,
                              "network_isolation": config.network_isolation,
                              "max_frame": config.frame_limit}}
        try:
            self.channel.send(hello, time.monotonic() + STARTUP_TIMEOUT)
        except (ChannelClosed, ChannelTimeout):
            pass  # the worker died at once: wait_ready reports how

    # ------------------------------------------------------------------ talking

    def wait_ready(self) -> None:
        """Wait for the worker's ``ready`` frame; raise the MLError that stopped it."""
        if self.ready:
            return
        try:
            frame = self.channel.recv(time.monotonic() + STARTUP_TIMEOUT)
        except ChannelTimeout:
            ending = self.end("startup_timeout")
            raise MLSandboxError(f"a sandbox worker did not start within {STARTUP_TIMEOUT:g} s"
                                 f"{_log_note(ending.detail)}") from None
        except (ChannelClosed, ProtocolViolation):
            ending = self.end()
            raise MLSandboxError(f"a sandbox worker failed while starting: "
                                 f"{ending.detail}") from None
        if frame["type"] == "startup_error":
            self.end("startup_error")
            raise error_from_wire(frame.get("error"), None)
        self._check_ready(frame)

    def _check_ready(self, frame: dict[str, Any]) -> None:
        expected = (mlpy.__version__, package_directory())
        found = (frame.get("version"), os.path.realpath(str(frame.get("package"))))
        if frame["type"] != "ready" or found != expected:
            self.end("protocol_error")
            raise MLSandboxError(
                f"a sandbox worker runs mlpy {found[0]} from {found[1]}, not mlpy {expected[0]} "
                f"from {expected[1]}" if frame["type"] == "ready"
                else f"a sandbox worker sent {frame['type']!r} instead of 'ready'")
        self.limits = frame.get("limits", {})
        self.cpu_total = float(frame.get("cpu_total", 0.0))
        self.ready = True

    def run(self, frame: bytes, execution_id: str, deadline: float) -> dict[str, Any]:
        """Send an encoded run frame and return the reply; raise WorkerEnded if the worker
        does not answer by ``deadline`` or stops answering."""
        self.tasks += 1
        with self._lock:
            self.execution_id = execution_id
        try:
            self.channel.send_encoded(frame, deadline)
            reply = self.channel.recv(deadline)
        except ChannelTimeout:
            raise WorkerEnded(self.end("timeout")) from None
        except ChannelClosed:
            raise WorkerEnded(self.end()) from None
        except ProtocolViolation as problem:
            raise WorkerEnded(self.end("protocol_error", str(problem))) from None
        finally:
            with self._lock:
                self.execution_id = None
        if reply["type"] not in ("result", "error", "refused") \
                or reply.get("execution_id") != execution_id:
            raise WorkerEnded(self.end("protocol_error",
                                       f"the worker answered with {reply['type']!r}"))
        self.cpu_total = float(reply.get("usage", {}).get("cpu_total", self.cpu_total))
        return reply

    # ------------------------------------------------------------------ signals and ending

    def cancel(self, execution_id: str) -> bool:
        """Ask the execution ``execution_id`` to stop at its next step (from any thread).

        The id goes down the cancel pipe before the signal, so the worker acts on it even
        if the request overtakes the run frame, and ignores it once that execution is over.
        """
        with self._lock:
            if self.execution_id != execution_id or self.returncode is not None:
                return False
            try:
                os.write(self._cancel_fd, execution_id.encode("utf-8", "replace").hex().encode()
                         + b"\n")
            except OSError:
                return False
        return self._signal(signal.SIGUSR1)

    def kill(self, reason: str) -> None:
        """Kill the worker (from any thread); ``reason`` becomes its classification."""
        with self._lock:
            if self._killed is None:
                self._killed = reason
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> bool:
        with self._lock:
            if self.returncode is not None:
                return False
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                return False
            return True

    def end(self, reason: str | None = None, detail: str | None = None) -> Ending:
        """Stop the worker if it still runs, reap it, release its pipes and directory, and
        say how it ended. Idempotent."""
        if self._ending is not None:
            return self._ending
        if reason is not None:
            self.kill(reason)
        self._reap()
        self.channel.close()
        os.close(self._cancel_fd)
        tail = self._log_tail()
        self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)
        killed = self._killed
        reason, text = classify(self.returncode, killed, tail)
        cpu = peak = None
        if self._rusage is not None:
            cpu = max(self._rusage.ru_utime + self._rusage.ru_stime - self.cpu_total, 0.0)
            peak = self._rusage.ru_maxrss * 1024
        self._ending = Ending(reason, detail or text, self.returncode, cpu, peak)
        return self._ending

    @property
    def alive(self) -> bool:
        return self._ending is None

    def _reap(self) -> None:
        deadline = time.monotonic() + _EXIT_GRACE
        while not self._try_reap():
            if time.monotonic() >= deadline:
                self.kill("unresponsive")
                deadline = float("inf")
            time.sleep(0.001)

    def _try_reap(self) -> bool:
        with self._lock:
            if self.returncode is not None:
                return True
            try:
                pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: the exit status is lost
                self.returncode = self._popen.returncode if self._popen.returncode is not None \
                    else -signal.SIGKILL
                return True
            if pid == 0:
                return False
            self.returncode = os.waitstatus_to_exitcode(status)
            self._popen.returncode = self.returncode
            self._rusage = usage
            return True

    def _log_tail(self, size: int = 4096) -> str:
        try:
            fd = self._log.fileno()
            end = os.fstat(fd).st_size
            data = os.pread(fd, size, max(end - size, 0))
        except (OSError, ValueError):
            return ""
        return data.decode("utf-8", "replace").strip()


class WorkerEnded(Exception):
    """A worker stopped answering; ``ending`` says how."""

    def __init__(self, ending: Ending):
        super().__init__(ending.detail)
        self.ending = ending


def classify(returncode: int | None, killed: str | None, log: str) -> tuple[str, str]:
    """``(termination_reason, description)`` of a worker's end (see the module docstring)."""
    if killed is not None and killed != "unresponsive":
        return killed, _KILLED.get(killed, f"the sandbox worker was stopped ({killed})")
    if returncode == EXIT_OUT_OF_MEMORY:
        return "memory_limit", "the sandbox worker ran out of memory"
    if returncode is not None and returncode < 0:
        number = -returncode
        name = _signal_name(number)
        if number == signal.SIGXCPU:
            return "cpu_limit", "the sandbox worker reached its CPU time limit"
        if any(sign in log for sign in _MEMORY_SIGNS):
            return "memory_limit", f"the sandbox worker ran out of memory ({name})"
        return f"crash({name})", f"the sandbox worker crashed ({name}){_log_note(log)}"
    return (f"crash(exit {returncode})",
            f"the sandbox worker exited unexpectedly with status {returncode}{_log_note(log)}")


_KILLED = {
    "timeout": "the sandbox worker overran its time limit and was killed",
    "closed": "the sandbox pool was closed while the execution ran",
    "protocol_error": "the sandbox worker broke the protocol and was killed",
    "startup_timeout": "the sandbox worker did not start in time",
    "startup_error": "the sandbox worker could not apply its configuration",
}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _log_note(log: str) -> str:
    lines = [line for line in log.splitlines() if line.strip()]
    return f"; its log ends with: {lines[-1].strip()[:300]}" if lines else ""


def ended_error(ending: Ending, limit: float, cpu_limit: float, elapsed: float) -> MLError:
    """The MLError a caller gets for a task whose worker ended (see :func:`classify`).

    Besides its own fields the error carries ``termination_reason`` (also as
    ``exit_reason``) and ``exit_code``, the worker's exit status.
    """
    if ending.reason == "timeout":
        error: MLError = MLTimeoutError(
            f"time limit reached: the execution ran longer than {limit:g} s and its sandbox "
            "worker was stopped", limit=limit, elapsed=elapsed,
            hints=["raise timeout=, or look for a loop that never ends"])
    elif ending.reason == "cpu_limit":
        error = MLResourceError(
            f"CPU time limit reached: the execution used more than {cpu_limit:g} s of CPU "
            "time", resource="cpu", limit=cpu_limit,
            hints=["raise cpu_timeout in SandboxConfig"])
    elif ending.reason == "memory_limit":
        error = MLResourceError(
            f"memory limit reached: {ending.detail}", resource="memory",
            hints=["raise memory_limit in SandboxConfig, or work on smaller pieces of data"])
    else:
        error = MLSandboxError(ending.detail)
    error.termination_reason = ending.reason
    error.exit_reason = ending.reason
    error.exit_code = ending.returncode
    return error
