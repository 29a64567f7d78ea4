"""Asynchronous execution: :class:`AsyncEngine` (alias ``AsyncMLExecutor``), its results and
stats, :class:`SessionPool` and the one-call :func:`async_ml_execute`.

See the integration guide's page on async execution for the model (workers, queue,
backpressure, timeouts, cancellation, context propagation).
"""

from __future__ import annotations

from mlpy.aio.defaults import async_ml_execute, default_async_engine, set_default_async_engine
from mlpy.aio.engine import DEFAULT, INHERIT, AsyncEngine, AsyncMLExecutor
from mlpy.aio.result import AsyncMLResult, ExecutorStats
from mlpy.aio.sessions import SessionPool, SessionPoolStats

__all__ = ["DEFAULT", "INHERIT", "AsyncEngine", "AsyncMLExecutor", "AsyncMLResult",
           "ExecutorStats", "SessionPool", "SessionPoolStats", "async_ml_execute",
           "default_async_engine", "set_default_async_engine"]
