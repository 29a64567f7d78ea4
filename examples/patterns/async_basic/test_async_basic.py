"""Tests of async_basic: decisions come back as results, and the event loop stays free."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_async_basic_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def run(coroutine_function):
    """Run ``coroutine_function(runner)`` with the app's scoring engine."""
    async def main():
        async with app.scoring_engine() as runner:
            return await coroutine_function(runner)

    return asyncio.run(main())


def test_the_rule_decides_each_application():
    async def decide(runner):
        return [await app.score(runner, a) for a in app.APPLICATIONS[:2]]

    first, second = run(decide)
    assert first.success and first.value == {"id": "A-1", "score": 730.0, "decision": "approve"}
    assert second.value["decision"] == "review"
    assert first.worker.startswith("scoring-")  # it ran on a worker thread of the engine


def test_a_failing_application_is_a_result_with_the_ml_position():
    async def decide(runner):
        failed = await app.score(runner, {"id": "X", "credit_score": 700})
        after = await app.score(runner, app.APPLICATIONS[0])
        return failed, after

    failed, after = run(decide)
    assert not failed.success
    assert isinstance(failed.error_info, mlpy.MLRuntimeError)
    assert (failed.error_info.ml_file, failed.error_info.ml_line) == ("scoring.ml", 10)
    assert after.success  # the engine goes on serving


def test_the_event_loop_runs_other_coroutines_while_ml_runs():
    # The ML code waits until a coroutine on the event loop lets it go. Were the script run
    # on the loop's thread, that coroutine could never run, and the wait would end unset.
    loop_ran = threading.Event()

    @mlpy.host_function
    def wait_for_the_loop() -> bool:
        return loop_ran.wait(30)

    async def both(runner):
        job = asyncio.create_task(runner.execute(
            "result = wait_for_the_loop();", variables={"wait_for_the_loop": wait_for_the_loop},
            timeout=60))
        await asyncio.sleep(0)  # the job is on its way to a worker
        loop_ran.set()  # this line runs while the ML code waits
        return await job

    result = run(both)
    assert result.success and result.value is True


def test_a_runaway_script_is_stopped_and_the_worker_serves_the_next_one():
    async def runaway_then_next(runner):
        runaway = await runner.execute("while (true) {}")
        return runaway, await app.score(runner, app.APPLICATIONS[0]), runner.stats()

    runaway, after, stats = run(runaway_then_next)
    assert runaway.timed_out and isinstance(runaway.error_info, mlpy.MLTimeoutError)
    assert after.success
    assert isinstance(stats, app.ExecutorStats)
    assert (stats.timeouts, stats.stuck, stats.busy) == (1, 0, 0)


def test_a_full_queue_refuses_at_once_and_the_queued_work_still_runs():
    release = threading.Event()

    @mlpy.host_function
    def hold() -> None:
        release.wait(30)

    async def flood(runner):
        held = [asyncio.create_task(runner.execute("hold();", variables={"hold": hold},
                                                   timeout=60)) for _ in range(2)]
        while runner.stats().busy < 2:  # both workers are held
            await asyncio.sleep(0.01)
        queued = [asyncio.create_task(app.score(runner, app.APPLICATIONS[0]))
                  for _ in range(50)]
        while runner.stats().queued < 50:
            await asyncio.sleep(0.01)
        refused = await app.score(runner, app.APPLICATIONS[1])
        release.set()
        return refused, await asyncio.gather(*held, *queued)

    refused, done = run(flood)
    assert isinstance(refused.error_info, mlpy.MLBackpressureError)
    assert all(result.success for result in done)


def test_the_one_call_form_gives_the_same_decision_on_the_default_engine():
    result = asyncio.run(app.quick_score(app.APPLICATIONS[0]))
    assert result.success and result.value["decision"] == "approve"
    assert result.worker.startswith("mlpy-default")  # not a thread of an engine of ours


def test_the_rule_may_use_no_capability():
    async def read_a_file(runner):
        return await runner.execute('import file; result = file.read("/etc/hostname");')

    refused = run(read_a_file)
    assert isinstance(refused.error_info, mlpy.CapabilityError)


def test_main_prints_each_decision(capsys):
    asyncio.run(app.main())
    assert capsys.readouterr().out.splitlines() == [
        "A-1: approve (score 730.0)",
        "A-2: review (score 625.0)",
        "A-3 failed: unsupported operand types for /: null and number (scoring.ml:10) [MLR001]",
        "runaway stopped by the time limit: True",
        "completed 2, failed 1, timed out 1",
    ]
