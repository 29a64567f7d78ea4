"""Async host functions (``async def``) called from ML running on an AsyncEngine.

The coroutine runs on the event loop that submitted the job; the deadline and the
cancellation of the execution still apply while the worker waits for it.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import mlpy
from mlpy import MLHostError, MLTimeoutError
from mlpy.aio import AsyncEngine


def run(coroutine):
    return asyncio.run(coroutine)


async def async_wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


@mlpy.host_function
async def double(x):
    await asyncio.sleep(0.01)
    return x * 2


def test_ml_calls_an_async_host_function_as_a_plain_call():
    seen = {}

    @mlpy.host_function
    async def where():
        seen["loop"] = asyncio.get_running_loop()
        return "ok"

    async def main():
        async with AsyncEngine() as engine:
            result = await engine.execute(
                "a = double(20);\nb = where();\nresult = [a + 2, b];",
                variables={"double": double, "where": where})
            return result, asyncio.get_running_loop()

    result, loop = run(main())
    assert result.value == [42, "ok"]
    assert seen["loop"] is loop  # it ran on the loop that awaited the execution


def test_a_function_returning_an_awaitable_is_awaited_too():
    @mlpy.host_function
    def later(x):
        return double.__wrapped__(x)  # a coroutine object, from a plain function

    async def main():
        async with AsyncEngine() as engine:
            return await engine.execute("result = later(4);", variables={"later": later})

    assert run(main()).value == 8


def test_the_deadline_cancels_the_coroutine_at_the_call():
    cancelled = threading.Event()

    @mlpy.host_function
    async def slow():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def main():
        async with AsyncEngine(cancel_grace=60) as engine:
            started = time.monotonic()
            result = await engine.execute(
                "x = 1;\ntry {\n  y = slow();\n} except (e) { result = 'caught'; }",
                variables={"slow": slow}, timeout=0.3)
            return result, time.monotonic() - started, engine.stats()

    result, elapsed, stats = run(main())
    assert result.timed_out and isinstance(result.error_info, MLTimeoutError)
    assert result.error_info.ml_line == 3 and "3:7" in result.error  # the call's position
    assert cancelled.wait(30)
    assert elapsed < 30 and stats.stuck == 0  # the worker returned: nothing set aside


def test_cancelling_the_task_cancels_the_coroutine():
    cancelled = threading.Event()
    entered = threading.Event()

    @mlpy.host_function
    async def slow():
        entered.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def main():
        async with AsyncEngine(max_workers=1, cancel_grace=60,
                               default_timeout=None) as engine:
            task = asyncio.create_task(engine.execute("slow();", variables={"slow": slow}))
            await async_wait_until(entered.is_set)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            following = await engine.execute("result = 1;")
            return following, engine.stats()

    following, stats = run(main())
    assert cancelled.is_set() and following.value == 1 and stats.cancelled == 1


def test_a_coroutine_error_is_a_catchable_host_error():
    @mlpy.host_function
    async def failing():
        raise ValueError("no such row")

    async def main():
        async with AsyncEngine() as engine:
            caught = await engine.execute(
                "try { failing(); } except (e) { result = e.message; }",
                variables={"failing": failing})
            uncaught = await engine.execute("failing();", variables={"failing": failing})
            return caught, uncaught

    caught, uncaught = run(main())
    assert "no such row" in caught.value
    assert isinstance(uncaught.error_info, MLHostError)
    assert isinstance(uncaught.error_info.__cause__, ValueError)


def test_the_coroutine_runs_in_the_callers_context_and_grants():
    @mlpy.host_function
    async def grants():
        return sorted(str(c) for c in mlpy.current_capabilities())

    async def main():
        async with AsyncEngine() as engine:
            async with mlpy.capability_scope(["env.read:HOME"]):
                return await engine.execute("result = grants();",
                                            variables={"grants": grants})

    assert run(main()).value == ["env.read:HOME"]


def test_without_an_async_engine_the_call_is_a_clear_error():
    result = mlpy.execute("result = double(1);", {"double": double})
    assert isinstance(result.error, MLHostError) and "AsyncEngine" in str(result.error)


def test_inside_a_coroutine_a_direct_engine_call_does_not_block_its_loop():
    async def main():
        return mlpy.execute("result = double(1);", {"double": double})

    result = run(main())
    assert isinstance(result.error, MLHostError) and "AsyncEngine" in str(result.error)


def test_sync_host_functions_are_untouched():
    @mlpy.host_function
    def add(a, b):
        return a + b

    assert mlpy.execute("result = add(1, 2);", {"add": add}).value == 3
