"""AsyncEngine with isolation="subprocess": executions run in the sandbox pool, whose
timed-out worker processes are killed and replaced."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from mlpy import MLTimeoutError
from mlpy.aio import AsyncEngine
from mlpy.errors import MLConfigurationError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the sandbox needs POSIX")


def run(coroutine):
    return asyncio.run(coroutine)


def test_timed_out_worker_process_is_replaced_and_the_next_job_runs():
    async def main():
        async with AsyncEngine(isolation="subprocess", max_workers=1) as engine:
            first = await engine.execute("result = 1 + 1;")
            stuck = await engine.execute("while (true) {}", timeout=0.5)
            started = time.monotonic()
            following = await engine.execute("result = 3;")
            return first, stuck, following, time.monotonic() - started, engine.stats()

    first, stuck, following, elapsed, stats = run(main())
    assert first.value == 2 and first.worker.startswith("pid:")
    assert int(first.worker[4:]) != os.getpid()
    assert stuck.timed_out and isinstance(stuck.error_info, MLTimeoutError)
    assert following.value == 3 and following.worker != first.worker  # a new process
    assert elapsed < 30 and stats.timeouts == 1 and stats.stuck == 0


def test_cancelling_the_task_cancels_the_sandboxed_execution():
    async def main():
        async with AsyncEngine(isolation="subprocess", max_workers=1,
                               default_timeout=None) as engine:
            await engine.execute("result = 0;")  # a warm worker
            task = asyncio.create_task(engine.execute("while (true) {}", timeout=60))
            deadline = time.monotonic() + 30
            while engine.engine._pool is None or not any(
                    w["busy"] for w in engine.engine._pool.workers()):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            started = time.monotonic()
            following = await engine.execute("result = 4;")
            return following, time.monotonic() - started, engine.stats()

    following, elapsed, stats = run(main())
    assert following.value == 4 and elapsed < 30 and stats.cancelled == 1


def test_call_refuses_subprocess_isolation_instead_of_running_in_process():
    async def main():
        async with AsyncEngine(isolation="subprocess", max_workers=1) as engine:
            with pytest.raises(MLConfigurationError, match="subprocess"):
                await engine.call("function f() { return 1; }", "f")

    run(main())
