"""SessionPool: warm sessions handed to one user at a time (integration spec 3.6).

A session that ran a setup program (imports, helper functions, configuration) is expensive
to rebuild per request and unsafe to share: one request's variables would be the next one's.
A pool pre-creates ``size`` sessions, runs the setup in each, takes a
:meth:`~mlpy.session.Session.checkpoint` after it, and lends each session to one user at a
time; when the user gives it back, the session is rolled back to that checkpoint, so nothing
a request bound or changed reaches the next.

Waiting users are served first come, first served, from asyncio (``async with
pool.acquire()``, which never blocks the loop) and from threads (``with
pool.acquire_sync()``) alike: each waiter is a ``concurrent.futures.Future`` that a release
completes with the session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import deque
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator

from mlpy.errors import MLConfigurationError, MLTimeoutError
from mlpy.program import Program
from mlpy.runtime.capabilities import CapabilitySpec

if TYPE_CHECKING:
    from mlpy.engine import Engine
    from mlpy.session import Checkpoint, Session


@dataclass(frozen=True)
class SessionPoolStats:
    size: int
    in_use: int
    waiters: int


class SessionPool:
    """``size`` sessions of ``engine``, each set up with ``setup``; see the module docstring.

    Made by :meth:`mlpy.Engine.session_pool`. ``capabilities`` are the sessions' grants;
    ``reset_on_release=False`` keeps what a user left in a session (for one trusted user
    per pool only).
    """

    def __init__(self, engine: "Engine", size: int, *, setup: str | Program | None = None,
                 capabilities: CapabilitySpec | None = None, reset_on_release: bool = True):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise MLConfigurationError(f"a session pool's size must be a positive integer, "
                                       f"not {size!r}")
        self.engine = engine
        self.size = size
        self.reset_on_release = reset_on_release
        self._lock = threading.Lock()
        self._free: deque[Session] = deque()
        self._waiters: deque[concurrent.futures.Future] = deque()
        self._checkpoints: dict[int, Checkpoint] = {}
        self._closed = False
        for index in range(size):
            session = engine.session(capabilities=capabilities, name=f"pool-{index + 1}")
            if setup is not None:
                session.exec(setup).raise_for_error()
            self._checkpoints[id(session)] = session.checkpoint()
            self._free.append(session)

    def stats(self) -> SessionPoolStats:
        with self._lock:
            return SessionPoolStats(size=self.size, in_use=self.size - len(self._free),
                                    waiters=len(self._waiters))

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator["Session"]:
        """``async with pool.acquire() as session:`` -- waits without blocking the loop."""
        waiter = self._request()
        try:
            session = await asyncio.wrap_future(waiter)
        except asyncio.CancelledError:
            self._withdraw(waiter)
            raise
        try:
            yield session
        finally:
            self.release(session)

    @contextmanager
    def acquire_sync(self, timeout: float | None = None) -> Iterator["Session"]:
        """``with pool.acquire_sync() as session:`` from a thread; MLTimeoutError when no
        session is free within ``timeout`` seconds."""
        waiter = self._request()
        try:
            session = waiter.result(timeout)
        except concurrent.futures.TimeoutError:
            self._withdraw(waiter)
            raise MLTimeoutError(
                f"no session of the pool was free within {timeout:g} s",
                limit=timeout, hints=["raise the pool's size, or the timeout"]) from None
        try:
            yield session
        finally:
            self.release(session)

    def release(self, session: "Session") -> None:
        """Give a session back (``acquire`` does this): rolled back, then handed to the
        first waiter or kept for the next."""
        if self.reset_on_release and not self._closed:
            session.rollback(self._checkpoints[id(session)])
        with self._lock:
            if self._closed:
                session.close()
                return
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.set_running_or_notify_cancel():
                    waiter.set_result(session)
                    return
            self._free.append(session)

    def close(self) -> None:
        """Close the free sessions now and the lent ones when they come back; waiters get
        an MLConfigurationError. Idempotent."""
        with self._lock:
            self._closed = True
            free, self._free = list(self._free), deque()
            waiters, self._waiters = list(self._waiters), deque()
        for session in free:
            session.close()
        for waiter in waiters:
            if waiter.set_running_or_notify_cancel():
                waiter.set_exception(_closed())

    def _request(self) -> concurrent.futures.Future:
        """A future of a session: completed now if one is free, else when one comes back."""
        waiter: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self._closed:
                raise _closed()
            if self._free and not self._waiters:
                waiter.set_running_or_notify_cancel()
                waiter.set_result(self._free.popleft())
            else:
                self._waiters.append(waiter)
        return waiter

    def _withdraw(self, waiter: concurrent.futures.Future) -> None:
        """A waiter gave up: forget it, or, if a session reached it meanwhile, pass that
        session on."""
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                return
        if not waiter.cancelled() and waiter.exception() is None:
            self.release(waiter.result())

    def __enter__(self) -> "SessionPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    async def __aenter__(self) -> "SessionPool":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()


def _closed() -> MLConfigurationError:
    return MLConfigurationError("this SessionPool is closed")
