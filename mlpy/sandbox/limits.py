"""Operating-system limits a sandbox worker puts on itself.

A worker applies the per-process limits once, right after it starts and before it runs any
ML code: address space (``RLIMIT_AS``), file size (``RLIMIT_FSIZE``), open files
(``RLIMIT_NOFILE``), processes (``RLIMIT_NPROC``, when it can mean "no more processes") and
core dumps (none). Applying them in the worker, rather than in a ``preexec_fn``, keeps
process creation safe in a multi-threaded host. A hard limit, once lowered, cannot be raised
again by the worker or by ML code.

CPU time is limited per execution, which one process-wide ``RLIMIT_CPU`` cannot do for a
worker that runs many executions. :class:`CpuBudget` arms two alarms per execution:

* an interval timer on the process's CPU time (``ITIMER_PROF``) at the limit, whose handler
  stops the execution at its next step with ``MLResourceError(resource="cpu")`` -- ML code
  cannot catch it, and the error carries the ML position;
* ``RLIMIT_CPU`` one second later (its soft limit, raised per execution below an unlimited
  hard limit), whose ``SIGXCPU`` kills a worker stuck inside one long operation. The pool
  reports that death as the same error.
"""

from __future__ import annotations

import math
import os
import signal
import time
from typing import Any, Callable

from mlpy.errors import MLConfigurationError

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None  # type: ignore[assignment]

# Address space the worker needs beyond what it uses at rest, to run anything at all.
HEADROOM = 16 * 1000**2
_CLONE_NEWNET, _CLONE_NEWUSER = 0x40000000, 0x10000000
# CPU seconds after which a soft alarm that found no running execution fires again.
_RETRY = 0.01


def apply_process_limits(limits: dict[str, int], required: bool) -> dict[str, Any]:
    """Apply ``SandboxConfig.os_limits()``; what was applied (or why not), by name.

    A limit that cannot be applied raises MLConfigurationError when ``required``.
    """
    if resource is None:
        return _unavailable(limits, required, "this platform has no POSIX resource limits")
    applied: dict[str, Any] = {}
    memory = limits["memory"]
    in_use = address_space_in_use()
    if in_use is not None and in_use + HEADROOM > memory:
        raise MLConfigurationError(
            f"memory_limit of {memory:,} bytes is too small: a sandbox worker already uses "
            f"{in_use:,} bytes of address space before running anything")
    wanted = [("memory", "RLIMIT_AS", memory), ("file_size", "RLIMIT_FSIZE", limits["file_size"]),
              ("open_files", "RLIMIT_NOFILE", limits["open_files"]), ("core", "RLIMIT_CORE", 0)]
    if limits["processes"] == 0:
        wanted.append(("processes", "RLIMIT_NPROC", 0))
    else:
        applied["processes"] = "not set: RLIMIT_NPROC counts processes per user, not per worker"
    for name, rlimit, value in wanted:
        applied[name] = _set_limit(name, rlimit, value, required)
    return applied


def isolate_network() -> None:
    """Move this process into a new, empty network namespace (Linux); MLConfigurationError
    if the system does not allow it. Without privileges a user namespace is needed too."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        unshare = libc.unshare
    except (OSError, AttributeError):
        raise MLConfigurationError(
            "network_isolation='os' needs Linux network namespaces, which this platform "
            "lacks") from None
    for flags in (_CLONE_NEWNET, _CLONE_NEWNET | _CLONE_NEWUSER):
        if unshare(flags) == 0:
            return
    raise MLConfigurationError(
        f"network_isolation='os' was requested but the system refuses a new network "
        f"namespace ({os.strerror(ctypes.get_errno())})")


def _set_limit(name: str, rlimit: str, value: int, required: bool) -> Any:
    number = getattr(resource, rlimit, None)
    try:
        if number is None:
            raise ValueError(f"{rlimit} does not exist on this platform")
        _, hard = resource.getrlimit(number)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(number, (value, value))
        return value
    except (ValueError, OSError) as problem:
        if required:
            raise MLConfigurationError(
                f"the sandbox cannot apply its {name} limit ({rlimit}): {problem}; pass "
                "require_limits=False to run without it") from None
        return f"not applied: {problem}"


def _unavailable(limits: dict[str, int], required: bool, reason: str) -> dict[str, Any]:
    if required:
        raise MLConfigurationError(
            f"the sandbox cannot apply its limits: {reason}; pass require_limits=False to run "
            "without them")
    return {name: f"not applied: {reason}" for name in limits}


def address_space_in_use() -> int | None:
    """Bytes of address space this process maps now (Linux), else None."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class CpuBudget:
    """Per-execution CPU limits (see the module docstring).

    ``on_limit`` runs in the worker's main thread when the soft alarm fires; it must only
    record the breach (the execution stops at its next step) and return True, or return
    False when no execution is running yet (the alarm then fires again shortly).
    """

    def __init__(self, on_limit: Callable[[], None], required: bool):
        self.on_limit = on_limit
        self.seconds: float | None = None
        if resource is None or not hasattr(signal, "setitimer"):
            if required:
                raise MLConfigurationError(
                    "the sandbox cannot limit CPU time on this platform; pass "
                    "require_limits=False to run without it")
            self.available = False
            return
        self.available = True
        self._hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        signal.signal(signal.SIGPROF, self._alarm)
        signal.signal(signal.SIGXCPU, signal.SIG_DFL)  # the backstop kills the worker

    def arm(self, seconds: float) -> None:
        """Start the budget of one execution: ``seconds`` of CPU from now."""
        if not self.available:
            return
        self.seconds = seconds
        used = time.process_time()
        soft = math.ceil(used + seconds + 1)
        if self._hard != resource.RLIM_INFINITY:
            soft = min(soft, self._hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, self._hard))
        signal.setitimer(signal.ITIMER_PROF, seconds)

    def disarm(self) -> None:
        if not self.available:
            return
        signal.setitimer(signal.ITIMER_PROF, 0)
        resource.setrlimit(resource.RLIMIT_CPU, (self._hard, self._hard))
        self.seconds = None

    def _alarm(self, signum: int, frame: Any) -> None:
        if self.seconds is not None and not self.on_limit():
            signal.setitimer(signal.ITIMER_PROF, _RETRY)


def peak_memory_reset() -> bool:
    """Start measuring this process's peak resident memory afresh (Linux); True if done."""
    try:
        fd = os.open("/proc/self/clear_refs", os.O_WRONLY)
    except OSError:
        return False
    try:
        os.write(fd, b"5")
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def memory_figures() -> tuple[int, int]:
    """``(peak, current)`` resident memory of this process in bytes.

    The peak is since the last :func:`peak_memory_reset` where Linux allows it, else over the
    process's life.
    """
    peak = current = 0
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    peak = int(line.split()[1]) * 1024
                elif line.startswith(b"VmRSS:"):
                    current = int(line.split()[1]) * 1024
    except OSError:
        pass
    if not peak and resource is not None:
        scale = 1 if os.uname().sysname == "Darwin" else 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return peak, current
