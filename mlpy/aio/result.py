"""What an asynchronous execution produced (:class:`AsyncMLResult`) and how an executor is
doing (:class:`ExecutorStats`).

``AsyncMLResult`` keeps the five fields of the 2.0 reference's result first, in their order,
so code written against it keeps working; the rest is the integration spec's superset
(section 3.2). ``error`` is the full human report (file:line:col, excerpt, caret);
``error_info`` is the structured :class:`~mlpy.errors.MLError` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlpy.engine import ExecutionResult
from mlpy.errors import MLCancelledError, MLError, MLTimeoutError
from mlpy.marshal import to_wire


@dataclass(repr=False)
class AsyncMLResult:
    """The outcome of one job on an :class:`~mlpy.aio.AsyncEngine`; never raised, returned."""

    success: bool
    value: Any = None
    error: str | None = None
    execution_time: float = 0.0  # seconds, compile + run
    transpile_time: float = 0.0  # seconds; 0.0 when the program came from the cache
    execution_id: str = ""
    error_info: MLError | None = None
    timed_out: bool = False
    cancelled: bool = False
    queue_time: float = 0.0  # seconds waiting for a worker
    run_time: float = 0.0
    cache_hit: bool = False
    stdout: str | None = None
    stderr: str | None = None
    worker: str = ""  # the worker thread's name, or "pid:<n>" for a sandbox process
    capabilities_used: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        shown = f"value={self.value!r}"[:80] if self.success else f"error={self.error_info!r}"
        return (f"AsyncMLResult(success={self.success}, {shown}, "
                f"execution_id={self.execution_id!r})")

    def unwrap(self) -> Any:
        """The value, or raise the error."""
        if self.error_info is not None:
            raise self.error_info
        return self.value

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the value by the wire rules of :mod:`mlpy.marshal`, the error
        as :meth:`MLError.to_dict`, the capabilities used as a sorted list."""
        return {
            "success": self.success, "value": to_wire(self.value) if self.success else None,
            "error": self.error, "execution_time": self.execution_time,
            "transpile_time": self.transpile_time, "execution_id": self.execution_id,
            "error_info": self.error_info.to_dict() if self.error_info else None,
            "timed_out": self.timed_out, "cancelled": self.cancelled,
            "queue_time": self.queue_time, "run_time": self.run_time,
            "cache_hit": self.cache_hit, "stdout": self.stdout, "stderr": self.stderr,
            "worker": self.worker, "capabilities_used": sorted(self.capabilities_used),
        }

    @classmethod
    def failed(cls, error: MLError, *, execution_id: str = "", queue_time: float = 0.0,
               run_time: float = 0.0, worker: str = "") -> "AsyncMLResult":
        """A result for ``error`` (timed out or cancelled as the error says)."""
        return cls(False, error=str(error), execution_id=execution_id or _id_of(error),
                   error_info=error, timed_out=isinstance(error, MLTimeoutError),
                   cancelled=isinstance(error, MLCancelledError), queue_time=queue_time,
                   run_time=run_time, execution_time=run_time, worker=worker)

    @classmethod
    def from_execution(cls, result: ExecutionResult, *, queue_time: float,
                       worker: str) -> "AsyncMLResult":
        timings = result.timings
        cache_hit = bool(timings.get("cache_hit", False))
        error = result.error
        pid = result.usage.get("worker_pid")
        return cls(
            success=result.ok, value=result.value,
            error=None if error is None else str(error),
            execution_time=timings.get("total", timings.get("run", 0.0)),
            transpile_time=0.0 if cache_hit else timings.get("compile", 0.0),
            execution_id=result.execution_id, error_info=error,
            timed_out=isinstance(error, MLTimeoutError),
            cancelled=isinstance(error, MLCancelledError),
            queue_time=queue_time, run_time=timings.get("run", 0.0), cache_hit=cache_hit,
            stdout=result.stdout, stderr=result.stderr,
            worker=f"pid:{pid}" if pid is not None else worker,
            capabilities_used=result.capabilities_used)


def _id_of(error: MLError) -> str:
    return getattr(error, "execution_id", None) or ""


@dataclass(frozen=True)
class ExecutorStats:
    """A snapshot of an :class:`~mlpy.aio.AsyncEngine`.

    ``workers`` are the live, usable worker threads (stuck ones not counted), ``busy`` those
    running a job, ``queued`` the jobs waiting, ``stuck`` the threads left behind in a host
    call after a timeout or a cancellation. The counters are of finished jobs: ``completed``
    (succeeded), ``failed`` (an error other than these), ``timeouts``, ``cancelled``, and
    ``rejected`` (backpressure: queue full or ``queue_timeout``). ``unhealthy`` is true once
    ``max_stuck`` threads are stuck: no more replacements are started.
    """

    workers: int
    busy: int
    queued: int
    stuck: int
    completed: int
    failed: int
    timeouts: int
    cancelled: int
    rejected: int
    unhealthy: bool
