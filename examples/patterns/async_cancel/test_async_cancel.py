"""Tests of async_cancel: a deadline or a Stop really ends the ML run and frees the worker."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent
LONG_ENOUGH = 60  # a cancellation that has not taken effect by then is broken, not slow


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_async_cancel_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def run(coroutine_function):
    async def main():
        async with app.one_worker() as runner:
            return await asyncio.wait_for(coroutine_function(runner), LONG_ENOUGH)

    return asyncio.run(main())


def test_a_short_ledger_is_totalled():
    async def short(runner):
        result = await runner.execute(
            app.LEDGER, variables={"rows": 10, "progress": app.Progress().report})
        return result.unwrap()

    assert run(short) == sum(row % 7 for row in range(10))


def test_the_deadline_stops_the_ml_code_and_frees_the_worker():
    progress = app.Progress()

    async def deadline(runner):
        total = await app.total_within(runner, progress, 0.3)
        return total, await app.stopped_for_good(runner, progress), runner.stats()

    total, stopped, stats = run(deadline)
    assert total is None
    assert progress.row > 0  # it ran before it was stopped
    assert stopped
    assert (stats.cancelled, stats.busy, stats.stuck) == (1, 0, 0)


def test_stop_ends_the_execution_with_ml_cancelled_error():
    progress = app.Progress()

    async def stop(runner):
        report = await app.start_report(runner, progress, "report-1")
        await app.wait_until_running(progress)
        sent = app.stop_report(runner, "report-1")
        result = await report
        return sent, result, app.stop_report(runner, "report-1")

    sent, result, sent_again = run(stop)
    assert sent and not sent_again  # the second time, nothing was running
    assert result.cancelled and not result.success and not result.timed_out
    assert isinstance(result.error_info, mlpy.MLCancelledError)
    assert result.error_info.ml_file == "ledger.ml"
    with pytest.raises(mlpy.MLCancelledError):
        result.unwrap()


def test_a_job_queued_behind_the_stopped_one_runs_on_the_freed_worker():
    progress = app.Progress()

    async def queued(runner):
        report = await app.start_report(runner, progress, "report-2")
        await app.wait_until_running(progress)
        waiting = asyncio.create_task(runner.execute("result = 'next';"))
        await asyncio.sleep(0)  # queued behind the ledger: the engine has one worker
        app.stop_report(runner, "report-2")
        return await report, await waiting, await app.stopped_for_good(runner, progress)

    report, waiting, stopped = run(queued)
    assert report.cancelled
    assert waiting.value == "next" and waiting.worker == report.worker
    assert stopped


def test_main_prints_both_cancellations(capsys):
    asyncio.run(app.main())
    assert capsys.readouterr().out.splitlines() == [
        "within 0.3 s: None",
        "ML code stopped: True",
        "stop sent: True",
        "report: the execution was cancelled [MLL002]",
        "ML code stopped: True",
        "next job: 42",
        "cancelled 2, busy 0, stuck 0",
    ]
