"""SessionPool (spec 3.6), the default engines of async_ml_execute (3.3) and
MLFunction.call_async."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import mlpy
from mlpy import MLTimeoutError
from mlpy.aio import (
    AsyncEngine, AsyncMLResult, async_ml_execute, default_async_engine, set_default_async_engine,
)
from mlpy.aio import defaults
from mlpy.errors import MLConfigurationError

SETUP = """
rate = 0.2;
limits = {"max": 100, "seen": []};
function tax(x) { return x * rate; }
function remember(x) { limits.seen.append(x); return len(limits.seen); }
"""


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def pool():
    with mlpy.Engine() as engine:
        with engine.session_pool(2, setup=SETUP) as sessions:
            yield sessions


# ----------------------------------------------------------------------------- SessionPool


def test_a_requests_variables_never_reach_the_next_user(pool):
    with pool.acquire_sync() as session:
        session.exec('rate = 0.9; secret = "alice"; token = remember("alice");')
        assert session.call("tax", 10) == 9.0
    with pool.acquire_sync() as first, pool.acquire_sync() as second:
        for session in (first, second):  # whichever of the two alice had
            assert "secret" not in session and "token" not in session
            assert session.call("tax", 10) == 2.0
            assert session.get("limits") == {"max": 100, "seen": []}
            assert not session.exec("result = secret;").ok
            assert session.call("remember", "bob") == 1


def test_grants_a_user_added_are_taken_back(pool):
    program = 'import env; result = env.has("HOME");'
    with pool.acquire_sync() as session:
        session.grant("env.read")
        assert session.exec(program).ok
    for _ in range(2):
        with pool.acquire_sync() as session:
            assert not session.exec(program).ok


def test_stats_and_waiting_in_threads(pool):
    holding = threading.Event()
    release = threading.Event()
    got = []

    def hold():
        with pool.acquire_sync():
            holding.set()
            release.wait(30)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for thread in holders:
        thread.start()
    deadline = time.monotonic() + 30
    while pool.stats().in_use < 2:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    with pytest.raises(MLTimeoutError):
        with pool.acquire_sync(timeout=0.05):
            pass
    waiter = threading.Thread(target=lambda: got.append(pool.acquire_sync(timeout=30)
                                                        .__enter__()))
    waiter.start()
    while pool.stats().waiters < 1:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    stats = pool.stats()
    release.set()
    waiter.join(30)
    for thread in holders:
        thread.join(30)
    assert (stats.size, stats.in_use, stats.waiters) == (2, 2, 1)
    assert got and pool.stats().waiters == 0


def test_async_acquire_waits_without_blocking_the_loop(pool):
    async def user(name, log):
        async with pool.acquire() as session:
            session.exec(f'who = "{name}";')
            log.append(session.get("who"))
            await asyncio.sleep(0.01)
            return session.get("who")

    async def main():
        log = []
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        tick_task = asyncio.create_task(ticker())
        names = await asyncio.gather(*(user(f"u{i}", log) for i in range(10)))
        tick_task.cancel()
        return names, log, ticks

    names, log, ticks = run(main())
    assert names == [f"u{i}" for i in range(10)] and sorted(log) == sorted(names)
    assert ticks > 10 and pool.stats().in_use == 0


def test_cancelled_async_waiter_does_not_lose_a_session(pool):
    async def main():
        async with pool.acquire(), pool.acquire():
            waiting = asyncio.create_task(pool.acquire().__aenter__())
            await asyncio.sleep(0.01)
            assert pool.stats().waiters == 1
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        return pool.stats()

    stats = run(main())
    assert stats.in_use == 0 and stats.waiters == 0


def test_pool_with_an_async_engine():
    async def main():
        async with AsyncEngine(max_workers=2) as engine:
            pool = engine.engine.session_pool(2, setup=SETUP)

            async def request(i):
                async with pool.acquire() as session:
                    await engine.call(session, "remember", i)
                    return await engine.call(session, "remember", i)

            return await asyncio.gather(*(request(i) for i in range(8)))

    assert run(main()) == [2] * 8


def test_bad_setup_and_bad_size_are_errors():
    with mlpy.Engine() as engine:
        with pytest.raises(mlpy.MLError):
            engine.session_pool(1, setup="x = ;")
        with pytest.raises(MLConfigurationError):
            engine.session_pool(0)
        pool = engine.session_pool(1)
        pool.close()
        with pytest.raises(MLConfigurationError, match="closed"):
            pool.acquire_sync().__enter__()


# ----------------------------------------------------------------------------- defaults


def test_async_ml_execute_reuses_one_engine():
    async def main():
        first = await async_ml_execute("result = a * 2;", context={"a": 21})
        engine = default_async_engine()
        second = await async_ml_execute("while (true) {}", 0.2)
        return first, second, engine, default_async_engine()

    first, second, engine, again = run(main())
    assert isinstance(first, AsyncMLResult) and first.value == 42
    assert second.timed_out
    assert engine is again and engine.stats().completed >= 1


def test_default_engines_are_cached_per_extension_paths(tmp_path, monkeypatch):
    monkeypatch.setattr(defaults, "MAX_DEFAULTS", 2)
    monkeypatch.setattr(defaults, "_engines", type(defaults._engines)())
    folders = [tmp_path / f"ext{index}" for index in range(3)]

    async def main():
        engines = []
        for folder in folders:
            folder.mkdir()
            await async_ml_execute("result = 1;", python_extension_paths=[folder])
            engines.append(defaults._engines[(True, (str(folder),))])
        await async_ml_execute("result = 1;", python_extension_paths=[folders[2]])
        return engines

    engines = run(main())
    assert [key[1] for key in defaults._engines] == [(str(folders[1]),), (str(folders[2]),)]
    assert engines[0].closed and not engines[1].closed  # the least recently used went
    assert engines[2].stats().completed == 2  # the same engine served both calls
    for engine in engines[1:]:
        engine.shutdown()


def test_set_default_async_engine():
    mine = AsyncEngine(max_workers=1)
    set_default_async_engine(mine)
    try:
        async def main():
            await async_ml_execute("result = 1;")
            return default_async_engine()

        assert run(main()) is mine and mine.stats().completed == 1
    finally:
        set_default_async_engine(None)
        mine.shutdown()
    with pytest.raises(MLConfigurationError):
        set_default_async_engine("engine")


def test_mlfunction_call_async():
    session = mlpy.Engine().session()
    session.exec("function slow(n) { while (true) { n = n + 1; } }\n"
                 "function add(a, b) { return a + b; }")

    async def main():
        value = await session.function("add").call_async(1, b=2)
        with pytest.raises(MLTimeoutError):
            await asyncio.wait_for(session.function("slow").with_timeout(0.2).call_async(0),
                                   30)
        return value

    assert run(main()) == 3
