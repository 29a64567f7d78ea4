"""SandboxResult: the reference sandbox's result shape, filled with real figures.

Hosts written against the reference read ``success``, ``return_value``, ``stdout``,
``execution_time`` and friends; :class:`SandboxResult` keeps those names and adds what the
reference could not say -- why the execution ended, its CPU time, its memory peak and its ML
call stack. It is derived from the :class:`~mlpy.engine.ExecutionResult` every execution
path returns, so both shapes always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from mlpy.engine import ExecutionResult
from mlpy.errors import (
    CapabilityError, MLCancelledError, MLError, MLFrame, MLResourceError, MLSandboxError,
    MLTimeoutError, SecurityError,
)

_RESOURCE_REASONS = {"cpu": "cpu_limit", "memory": "memory_limit", "output": "output_limit",
                     "steps": "step_limit", "recursion": "recursion_limit"}


def termination_reason(error: MLError | None) -> str:
    """Why an execution ended: ``completed``, ``ml_error``, ``timeout``, ``cancelled``,
    ``cpu_limit``, ``memory_limit``, ``output_limit``, ``step_limit``, ``recursion_limit``,
    ``protocol_error``, ``closed`` or ``crash(<signal or exit status>)``."""
    if error is None:
        return "completed"
    reason = getattr(error, "termination_reason", None)
    if reason:
        return reason
    if isinstance(error, MLTimeoutError):
        return "timeout"
    if isinstance(error, MLCancelledError):
        return "cancelled"
    if isinstance(error, MLResourceError):
        return _RESOURCE_REASONS.get(error.resource, "ml_error")
    if isinstance(error, MLSandboxError):
        return "crash"
    return "ml_error"


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandboxed execution, in the reference's shape plus real figures.

    ``error`` is the error's message (the reference's string) and ``exception`` the
    :class:`~mlpy.errors.MLError` itself; ``error_traceback`` is its full report with the
    source excerpt and ML call chain. ``exit_code`` is 0 on success, 1 for an error the
    worker reported, and the worker's exit status when the worker itself ended (negative: the
    signal). ``execution_time`` is the wall time of the whole round trip in seconds,
    ``cpu_time`` the worker's CPU seconds, ``cpu_usage`` that time in percent of the worker's
    wall time (100: one core busy throughout),
    ``memory_peak`` the peak resident memory during the execution and ``memory_usage`` the
    resident memory at its end, in bytes. ``capability_violations`` names the capabilities
    whose denial ended the execution; ``security_warnings`` are the compiler's security
    warnings.
    """

    success: bool
    return_value: Any = None
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    execution_time: float = 0.0
    memory_usage: int = 0
    cpu_usage: float = 0.0
    capability_violations: list[str] = field(default_factory=list)
    security_warnings: list[str] = field(default_factory=list)
    error: str | None = None
    error_traceback: str | None = None
    termination_reason: str = "completed"
    cpu_time: float = 0.0
    memory_peak: int = 0
    ml_traceback: list[MLFrame] = field(default_factory=list)
    exception: MLError | None = None
    execution_id: str = ""
    output_truncated: bool = False
    globals: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_execution(cls, result: ExecutionResult, *,
                       security_warnings: Iterable[str] = ()) -> "SandboxResult":
        """The same execution seen as a SandboxResult."""
        usage, error = result.usage, result.error
        cpu_time = float(usage.get("cpu_time") or 0.0)
        busy = float(result.timings.get("worker") or result.timings.get("run") or 0.0)
        return cls(
            success=result.ok,
            return_value=result.value,
            stdout=result.stdout or "",
            stderr=result.stderr or "",
            exit_code=_exit_code(result),
            execution_time=float(result.timings.get("total") or 0.0),
            memory_usage=int(usage.get("rss_bytes") or 0),
            cpu_usage=100.0 * cpu_time / busy if busy > 0 else 0.0,
            capability_violations=_violations(error),
            security_warnings=list(security_warnings),
            error=error.message if error is not None else None,
            error_traceback=error.report(color=False) if error is not None else None,
            termination_reason=termination_reason(error),
            cpu_time=cpu_time,
            memory_peak=int(usage.get("max_rss_bytes") or 0),
            ml_traceback=list(getattr(error, "ml_traceback", None) or []),
            exception=error,
            execution_id=result.execution_id,
            output_truncated=bool(usage.get("stdout_truncated") or usage.get("stderr_truncated")),
            globals=result.globals,
        )


def _exit_code(result: ExecutionResult) -> int:
    code = result.usage.get("exit_code")
    if code is not None:
        return int(code)
    return 0 if result.ok else 1


def _violations(error: MLError | None) -> list[str]:
    if isinstance(error, CapabilityError):
        return [error.required or error.message]
    if isinstance(error, SecurityError):
        return [error.message]
    return []
