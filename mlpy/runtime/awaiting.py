"""Host functions that are coroutines: ML calls them as plain calls.

ML code has no ``await``: a host function that is ``async def`` (or returns any awaitable)
is awaited on ML's behalf. The awaitable runs on the event loop that owns the executor the
ML code runs on (an :class:`~mlpy.aio.AsyncEngine` puts its loop in :data:`OWNER_LOOP` for
each job), through ``asyncio.run_coroutine_threadsafe``. The worker thread waits in short
slices and looks at the execution's deadline and cancel flag between them, so a slow
coroutine cannot outlive the execution: on expiry the coroutine is cancelled and the ML code
gets the time limit (or the cancellation) at that call.

Where no loop owns the execution (``Engine.execute`` in a plain thread), or where waiting
would block the loop the coroutine needs (ML running on the loop's own thread), the call is
an :class:`~mlpy.errors.MLHostError` that says to run the program on an ``AsyncEngine``:
starting a private loop with ``asyncio.run`` would run the coroutine away from the resources
(connections, clients) the host bound to its own loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from contextvars import ContextVar
from typing import Any, Awaitable

from mlpy.errors import MLHostError
from mlpy.runtime.state import current_state

# The event loop that runs the coroutines of async host functions for this execution.
OWNER_LOOP: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar(
    "mlpy_owner_loop", default=None)
# Seconds between two looks at the deadline and the cancel flag while a coroutine runs.
SLICE = 0.02


def wait_for(awaitable: Awaitable[Any], what: str) -> Any:
    """The value of ``awaitable``, awaited on the owning loop while this thread waits."""
    loop = OWNER_LOOP.get()
    if loop is None or loop.is_closed() or not loop.is_running():
        _discard(awaitable)
        raise MLHostError(
            f"{what}() is an async host function, and this execution has no event loop to "
            "await it on",
            hints=["run the program on an AsyncEngine (mlpy.aio.AsyncEngine): its event "
                   "loop runs the coroutine while the worker waits"])
    if asyncio._get_running_loop() is not None:  # noqa: SLF001 - the only cheap way to ask
        _discard(awaitable)
        raise MLHostError(
            f"{what}() is an async host function called on an event loop's own thread, "
            "where waiting for it would block the loop that runs it",
            hints=["run the program on an AsyncEngine instead of calling Engine.execute "
                   "inside a coroutine"])
    future = asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), loop)
    state = current_state()
    while True:
        try:
            return future.result(timeout=SLICE)
        except concurrent.futures.TimeoutError:
            if state is not None:
                try:
                    state.check_now()  # raises the limit once the execution must stop
                except BaseException:
                    future.cancel()
                    raise
            if loop.is_closed():
                future.cancel()
                raise MLHostError(f"{what}() could not finish: its event loop closed") from None


async def _as_coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _discard(awaitable: Awaitable[Any]) -> None:
    """Close a coroutine that will never run (so Python does not warn it was not awaited)."""
    if inspect.iscoroutine(awaitable):
        awaitable.close()
