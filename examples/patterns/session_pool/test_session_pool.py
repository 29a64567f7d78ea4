"""Tests of session_pool: a request never sees another's changes, and waiters are served."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import mlpy
from mlpy.aio import SessionPoolStats

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_session_pool_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def with_pool(requests, size=2):
    async def main():
        pool = app.checkout_pool(size)
        try:
            return await requests(pool)
        finally:
            pool.close()

    return asyncio.run(main())


def test_a_coupon_stays_with_the_request_that_set_it():
    async def requests(pool):
        return [await app.checkout(pool, app.BASKET, "coupon = 10;")] + [
            await app.checkout(pool, app.BASKET) for _ in range(pool.size)]

    assert with_pool(requests) == [22.81, 25.34, 25.34]


def test_a_script_that_redefines_a_helper_leaves_the_next_request_the_original():
    async def requests(pool):
        await app.checkout(pool, app.BASKET, "function line_total(item) { return 0; }")
        return await asyncio.gather(*(app.checkout(pool, app.BASKET) for _ in range(4)))

    assert with_pool(requests, size=1) == [25.34] * 4


def test_requests_beyond_the_size_wait_without_blocking_the_loop():
    async def requests(pool):
        async with pool.acquire():  # the one session is lent out
            waiting = [asyncio.create_task(app.checkout(pool, app.BASKET)) for _ in range(3)]
            while pool.stats().waiters < 3:
                await asyncio.sleep(0.01)  # the loop runs: the waiters do not block it
            busy = pool.stats()
        return busy, await asyncio.gather(*waiting), pool.stats()

    busy, totals, after = with_pool(requests, size=1)
    assert isinstance(busy, SessionPoolStats)
    assert (busy.size, busy.in_use, busy.waiters) == (1, 1, 3)
    assert totals == [25.34] * 3
    assert (after.in_use, after.waiters) == (0, 0)


def test_a_failing_script_gives_its_session_back():
    async def requests(pool):
        try:
            await app.checkout(pool, app.BASKET, "coupon = ;")
        except mlpy.MLSyntaxError as error:
            failed = error
        return failed, await app.checkout(pool, app.BASKET), pool.stats().in_use

    failed, total, in_use = with_pool(requests, size=1)
    assert failed.ml_line == 1 and total == 25.34 and in_use == 0


def test_main_prints_the_totals(capsys):
    asyncio.run(app.main())
    assert capsys.readouterr().out.splitlines() == [
        "with a coupon: 22.81", "the next customer: 25.34",
        "five at once on two sessions: [25.34, 25.34, 25.34, 25.34, 25.34]",
        "sessions: 2, lent: 0, waiting: 0"]
