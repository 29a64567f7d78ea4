"""The mlpy pytest plugin: fixtures for tests of ML code and of applications embedding it.

Installed with mlpy and loaded by pytest through the ``pytest11`` entry point ``mlpy``
(``-p mlpy.testing.plugin`` loads it where the entry point is not installed). Loading it
imports ``mlpy``; the async engine and the sandbox load only when a fixture needs them.

Every fixture is function-scoped and cleans up after its test, passed or failed: engines are
closed, async engines shut down (their running jobs told to stop), sandbox workers stopped,
the audit handler removed.

======================  ===================================================================
``ml_engine``           a fresh :class:`~mlpy.Engine`: no grants, its own program cache,
                        every capability use audited
``ml_async_engine``     an :class:`~mlpy.AsyncEngine` of its own (2 workers), usable from
                        the test's event loop (pytest-asyncio or anyio) and from threads
``ml_session``          a :class:`~mlpy.Session` of ``ml_engine``
``ml_caps``             ``ml_caps("file.read:/tmp/**", ..., deny=[...])`` -> a
                        :class:`~mlpy.CapabilitySet`
``ml_audit``            a list that collects the audit events (grant, revoke, deny, use) of
                        every engine during the test, as dicts with ``event`` and ``time``
                        (uses as each engine's AuditLog samples them: ``ml_engine``
                        records all, other engines 1 % by default; executions in a
                        sandbox worker are audited in the worker, not here)
``ml_tmp_sandbox``      an ``Engine(isolation="subprocess")`` with one worker process and
                        tight limits (10 s, 256 MB, 64 KB of output)
======================  ===================================================================
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any, Iterator

import pytest

__all__ = ["AuditEvents", "ml_async_engine", "ml_audit", "ml_caps", "ml_engine",
           "ml_session", "ml_tmp_sandbox"]

# How long the teardown of ml_async_engine waits for running jobs to stop before it gives up
# on them with a warning (a host function that never returns cannot be stopped).
SHUTDOWN_WAIT = 30.0


@pytest.fixture
def ml_engine() -> Iterator[Any]:
    """A fresh default-deny Engine, closed after the test."""
    from mlpy import AuditLog, Engine

    engine = Engine(audit=AuditLog(use_sample_rate=1.0))
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def ml_session(ml_engine: Any) -> Iterator[Any]:
    """A Session of ``ml_engine`` (no grants), closed after the test."""
    session = ml_engine.session()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def ml_async_engine() -> Iterator[Any]:
    """An AsyncEngine of its own, shut down after the test (its jobs told to stop)."""
    from mlpy.aio import AsyncEngine

    engine = AsyncEngine(max_workers=2, max_pending=None)
    try:
        yield engine
    finally:
        _shut_down(engine)


def _shut_down(engine: Any) -> None:
    """Shut ``engine`` down without letting a job that never stops hang the test run."""
    stopper = threading.Thread(target=engine.shutdown, kwargs={"cancel_pending": True},
                               name="ml_async_engine-teardown", daemon=True)
    stopper.start()
    stopper.join(SHUTDOWN_WAIT)
    if stopper.is_alive():
        warnings.warn(f"ml_async_engine: a job was still running {SHUTDOWN_WAIT:g} s after "
                      "the test asked it to stop (a host call that never returns?)",
                      RuntimeWarning, stacklevel=1)


@pytest.fixture
def ml_caps() -> Any:
    """A factory of capability sets: ``ml_caps("console.write", deny=["file.write"])``."""
    from mlpy import CapabilitySet

    def make(*capabilities: Any, deny: Any = ()) -> Any:
        return CapabilitySet.parse(list(capabilities), deny=list(deny))

    return make


class AuditEvents(list):
    """The audit events of a test, in order; :meth:`of` filters them by kind."""

    def of(self, event: str) -> list[dict[str, Any]]:
        return [entry for entry in self if entry.get("event") == event]


class _AuditHandler(logging.Handler):
    """Turns the records of the ``mlpy.audit`` logger back into the events they report
    (every AuditLog logs each event it records as ``("%s %s", event, fields)``)."""

    def __init__(self, events: AuditEvents):
        super().__init__(logging.DEBUG)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], dict):
            self.events.append({"event": args[0], "time": record.created, **args[1]})


@pytest.fixture
def ml_audit() -> Iterator[AuditEvents]:
    """The audit events every engine records during the test."""
    logger = logging.getLogger("mlpy.audit")
    events = AuditEvents()
    handler = _AuditHandler(events)
    level = logger.level
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def ml_tmp_sandbox() -> Iterator[Any]:
    """An Engine running every execution in a sandbox worker process (a pool of one) with
    tight limits; the worker is stopped after the test."""
    from mlpy import Engine
    from mlpy.sandbox import SandboxConfig

    config = SandboxConfig(pool_size=1, memory_limit="256MB", cpu_timeout=10.0,
                           wall_timeout=10.0, max_output="64KB", file_size_limit="1MB")
    engine = Engine(isolation="subprocess", sandbox=config, timeout=10.0)
    try:
        yield engine
    finally:
        engine.close()
