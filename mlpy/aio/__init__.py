"""Asynchronous execution: :class:`AsyncEngine` (alias ``AsyncMLExecutor``), its results and
stats, :class:`SessionPool` and the one-call :func:`async_ml_execute`.

See the integration guide's page on async execution for the model (workers, queue,
backpressure, timeouts, cancellation, context propagation).
"""

from __future__ import annotations

from mlpy.aio.engine import DEFAULT, INHERIT, AsyncEngine, AsyncMLExecutor
from mlpy.aio.result import AsyncMLResult, ExecutorStats

__all__ = ["DEFAULT", "INHERIT", "AsyncEngine", "AsyncMLExecutor", "AsyncMLResult",
           "ExecutorStats"]
