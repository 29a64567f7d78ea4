"""AsyncEngine (integration spec 3.2, 5.6; acceptance tests T8, T9, T10, T15).

Every test runs real ML code on a real AsyncEngine. Waiting for a state (a job has started,
a thread is stuck) is done by polling with a generous deadline, never by sleeping: a slow
machine makes these tests slower, not red. Bounds on elapsed time are far from what a
working engine needs and far below what a broken one would take.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import dataclasses
import threading
import time

import pytest

import mlpy
from mlpy import MLCallError, MLCancelledError, MLError, MLRuntimeError, MLTimeoutError
from mlpy.aio import AsyncEngine, AsyncMLExecutor, AsyncMLResult, ExecutorStats
from mlpy.errors import CapabilityError, MLBackpressureError, MLConfigurationError

HAS_HOME = 'import env; result = env.has("HOME");'


def run(coroutine):
    return asyncio.run(coroutine)


def wait_until(condition, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


async def async_wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)



# ----------------------------------------------------------------------------- results


def test_result_fields_are_the_specified_ones_in_order():
    names = [f.name for f in dataclasses.fields(AsyncMLResult)]
    assert names == ["success", "value", "error", "execution_time", "transpile_time",
                     "execution_id", "error_info", "timed_out", "cancelled", "queue_time",
                     "run_time", "cache_hit", "stdout", "stderr", "worker",
                     "capabilities_used"]
    assert AsyncMLExecutor is AsyncEngine
    assert {f.name for f in dataclasses.fields(ExecutorStats)} == {
        "workers", "busy", "queued", "stuck", "completed", "failed", "timeouts", "cancelled",
        "rejected", "unhealthy"}


def test_execute_returns_value_timings_and_worker():
    async def main():
        async with AsyncEngine(max_workers=2) as engine:
            first = await engine.execute("result = a + b;", variables={"a": 1, "b": 2})
            again = await engine.execute("result = a + b;", context={"a": 5, "b": 2})
            return first, again

    first, again = run(main())
    assert first.success and first.value == 3 and first.error is None
    assert first.worker.startswith("mlpy-worker-")
    assert first.execution_id and first.cache_hit is False and first.transpile_time > 0
    assert again.value == 7 and again.cache_hit is True and again.transpile_time == 0.0
    assert first.execution_time >= first.run_time >= 0 and first.queue_time >= 0
    assert again.unwrap() == 7
    data = first.to_dict()
    assert data["value"] == 3 and data["error_info"] is None
    assert data["capabilities_used"] == []


def test_ml_error_is_a_result_with_its_position():
    async def main():
        async with AsyncEngine() as engine:
            return await engine.execute("x = 1;\ny = x / 0;", capture_output=True)

    result = run(main())
    assert not result.success and result.value is None
    assert isinstance(result.error_info, MLRuntimeError)
    assert "<string>:2:5" in result.error and "division by zero" in result.error
    assert result.error_info.ml_line == 2
    assert result.to_dict()["error_info"]["ml_line"] == 2
    with pytest.raises(MLRuntimeError):
        result.unwrap()
    assert result.stdout == "" and not result.timed_out


def test_capture_output():
    async def main():
        async with AsyncEngine() as engine:
            return await engine.execute('print("hi");', capture_output=True)

    assert run(main()).stdout == "hi\n"


def test_compile_error_is_a_result():
    async def main():
        async with AsyncEngine() as engine:
            return await engine.execute("result = ;")

    result = run(main())
    assert not result.success and "<string>:1:" in result.error
    assert isinstance(result.error_info, MLError)


# ----------------------------------------------------------------------------- timeouts


def test_timeout_stops_the_ml_code_and_frees_the_worker():
    """T8: a timed-out job frees its only worker; the next job starts at once. With a
    cancel_grace of 60 s, a worker that was not freed would hold the next job 60 s."""

    async def main():
        async with AsyncEngine(max_workers=1, cancel_grace=60) as engine:
            started = time.monotonic()
            stuck = await engine.execute("while (true) {}", timeout=0.2)
            elapsed = time.monotonic() - started
            following = await engine.execute("result = 5;")
            return stuck, elapsed, following, engine.stats()

    stuck, elapsed, following, stats = run(main())
    assert stuck.timed_out and isinstance(stuck.error_info, MLTimeoutError)
    assert "1:1" in stuck.error
    assert 0.2 <= elapsed < 10
    assert following.value == 5 and following.queue_time < 10
    assert stats.timeouts == 1 and stats.completed == 1 and stats.stuck == 0


def test_ml_code_cannot_catch_the_timeout():
    async def main():
        async with AsyncEngine() as engine:
            return await engine.execute(
                "n = 0;\nwhile (true) { try { while (true) {} } except (e) { n = n + 1; } }",
                timeout=0.2)

    result = run(main())
    assert result.timed_out


def test_default_timeout_applies():
    async def main():
        async with AsyncEngine(default_timeout=0.2) as engine:
            return await engine.execute("while (true) {}")

    assert run(main()).timed_out


def test_worker_blocked_in_a_host_call_is_set_aside_and_replaced(blocker):
    block, entered, release = blocker

    async def main():
        engine = AsyncEngine(max_workers=1, cancel_grace=0.2, max_stuck=2)
        try:
            started = time.monotonic()
            result = await engine.execute("result = block();", variables={"block": block},
                                          timeout=0.2)
            delivered = time.monotonic() - started
            stats = engine.stats()
            following = await engine.execute("result = 2;")
            release.set()
            await async_wait_until(lambda: engine.stats().stuck == 0)
            return result, delivered, stats, following, engine.stats()
        finally:
            release.set()
            await engine.aclose()

    result, delivered, stats, following, after = run(main())
    assert result.timed_out and "cancel_grace" in result.error
    assert delivered < 30  # delivered although the host function still blocked
    assert stats.stuck == 1 and stats.workers == 1 and not stats.unhealthy
    assert following.value == 2  # the replacement thread ran it
    assert after.stuck == 0 and after.workers == 1


def test_max_stuck_makes_the_executor_unhealthy(blocker):
    block, entered, release = blocker

    async def main():
        async with AsyncEngine(max_workers=1, cancel_grace=0.1, max_stuck=1) as engine:
            await engine.execute("block();", variables={"block": block}, timeout=0.1)
            stats = engine.stats()
            release.set()
            await async_wait_until(lambda: engine.stats().stuck == 0)
            return stats, engine.stats()

    stuck, recovered = run(main())
    assert stuck.stuck == 1 and stuck.unhealthy
    assert not recovered.unhealthy


def test_stuck_worker_result_is_not_overwritten_when_it_returns(blocker):
    block, entered, release = blocker

    def main():
        with AsyncEngine(max_workers=1, cancel_grace=0.1) as engine:
            future = engine.submit("result = block();", variables={"block": block},
                                   timeout=0.1)
            result = future.result(30)
            release.set()
            wait_until(lambda: engine.stats().stuck == 0)
            return result, engine.stats()

    result, stats = main()
    assert result.timed_out and stats.timeouts == 1 and stats.completed == 0


# ----------------------------------------------------------------------------- cancellation


def test_cancelling_the_awaiting_task_cancels_the_execution():
    """T9: the CancelledError reaches the awaiting code; the ML loop stops and frees the
    worker (with cancel_grace=60 a worker left running would hold the next job 60 s)."""

    async def main():
        async with AsyncEngine(max_workers=1, cancel_grace=60, default_timeout=None) as engine:
            task = asyncio.create_task(engine.execute("while (true) {}"))
            await async_wait_until(lambda: engine.stats().busy == 1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            started = time.monotonic()
            following = await engine.execute("result = 3;")
            return following, time.monotonic() - started, engine.stats()

    following, elapsed, stats = run(main())
    assert following.value == 3 and elapsed < 10
    assert stats.cancelled == 1 and stats.completed == 1 and stats.stuck == 0


def test_cancelling_a_queued_job_means_it_never_runs(blocker):
    block, entered, release = blocker
    ran = []

    @mlpy.host_function
    def mark() -> None:
        ran.append(True)

    async def main():
        async with AsyncEngine(max_workers=1) as engine:
            first = asyncio.create_task(
                engine.execute("result = block();", variables={"block": block}))
            await async_wait_until(entered.is_set)
            second = asyncio.create_task(engine.execute("mark();", variables={"mark": mark}))
            await async_wait_until(lambda: engine.stats().queued == 1)
            second.cancel()
            with pytest.raises(asyncio.CancelledError):
                await second
            queued = engine.stats().queued
            release.set()
            return await first, queued, engine.stats()

    first, queued, stats = run(main())
    assert first.value == "released" and queued == 0 and ran == []
    assert stats.cancelled == 1


def test_run_call_cancel_stops_the_ml_function():
    async def main():
        async with AsyncEngine(max_workers=1, cancel_grace=60) as engine:
            session = engine.engine.session()
            session.exec("function spin() { while (true) {} }")
            spin = session.function("spin")
            task = asyncio.create_task(engine.run_call(spin))
            await async_wait_until(lambda: engine.stats().busy == 1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await engine.execute("result = 1;"), engine.stats()

    following, stats = run(main())
    assert following.value == 1 and stats.cancelled == 1


def test_run_call_timeout_stops_the_ml_function():
    async def main():
        async with AsyncEngine(max_workers=1, cancel_grace=60) as engine:
            session = engine.engine.session()
            session.exec("function spin(n) { while (true) { n = n + 1; } }")
            with pytest.raises(MLTimeoutError) as caught:
                await engine.run_call(session.function("spin"), 0, timeout=0.2)
            return caught.value, await engine.run_call(lambda: 42)

    error, value = run(main())
    assert error.ml_line == 1 and value == 42


def test_cancelling_a_submit_future_cancels_the_execution():
    with AsyncEngine(max_workers=1, cancel_grace=60, default_timeout=None) as engine:
        future = engine.submit("while (true) {}")
        wait_until(lambda: engine.stats().busy == 1)
        assert future.cancel()
        assert engine.submit("result = 4;").result(30).value == 4
        assert engine.stats().cancelled == 1


# ----------------------------------------------------------------------------- backpressure


def test_full_queue_refuses_at_once(blocker):
    """T10: max_pending exceeded -> a backpressure result now; stats count it."""
    block, entered, release = blocker

    async def main():
        async with AsyncEngine(max_workers=1, max_pending=2) as engine:
            running = asyncio.create_task(
                engine.execute("result = block();", variables={"block": block}))
            await async_wait_until(entered.is_set)
            queued = [asyncio.create_task(engine.execute("result = 1;")) for _ in range(2)]
            await async_wait_until(lambda: engine.stats().queued == 2)
            started = time.monotonic()
            refused = await engine.execute("result = 1;")
            refused_in = time.monotonic() - started
            with pytest.raises(MLBackpressureError) as raised:
                await engine.call("function f() { return 1; }", "f")
            stats = engine.stats()
            release.set()
            return refused, refused_in, raised.value, stats, await running, \
                await asyncio.gather(*queued), engine.stats()

    refused, refused_in, raised, stats, running, queued, after = run(main())
    assert not refused.success and refused.error_info.code == "backpressure"
    assert isinstance(refused.error_info, MLBackpressureError) and refused_in < 10
    assert raised.code == "backpressure"
    assert stats.rejected == 2 and stats.queued == 2 and stats.busy == 1
    assert running.value == "released" and [r.value for r in queued] == [1, 1]
    assert after.rejected == 2 and after.completed == 3


def test_queue_timeout_bounds_the_wait(blocker):
    block, entered, release = blocker

    async def main():
        async with AsyncEngine(max_workers=1) as engine:
            running = asyncio.create_task(
                engine.execute("result = block();", variables={"block": block}))
            await async_wait_until(entered.is_set)
            waited = await engine.execute("result = 1;", queue_timeout=0.1)
            release.set()
            await running
            return waited, engine.stats()

    waited, stats = run(main())
    assert waited.error_info.code == "backpressure" and "queue_timeout" in waited.error
    assert stats.rejected == 1 and stats.queued == 0


# ----------------------------------------------------------------------------- propagation


def test_capability_scope_of_the_awaiting_task_is_what_the_ml_sees():
    """T15: the scope set in a request handler reaches the worker."""

    async def handler(engine, grants):
        async with mlpy.capability_scope(grants):
            return await engine.execute(HAS_HOME)

    async def main():
        async with AsyncEngine() as engine:
            granted = await handler(engine, ["env.read:HOME"])
            other = await handler(engine, ["env.read:PATH"])
            none = await engine.execute(HAS_HOME)
            return granted, other, none

    granted, other, none = run(main())
    assert granted.success and granted.capabilities_used == {"env.read"}
    assert isinstance(other.error_info, CapabilityError)
    assert isinstance(none.error_info, CapabilityError)


def test_a_host_thread_without_scope_has_no_grants():
    """T15: a worker that ran a granted job gives nothing to the next job; a plain host
    thread that submits has no scope, hence no grants."""
    with AsyncEngine(max_workers=1) as engine:
        with mlpy.capability_scope(["env.read"]):
            assert engine.submit(HAS_HOME).result(30).success
        outcome = []
        thread = threading.Thread(target=lambda: outcome.append(
            engine.submit(HAS_HOME).result(30)))
        thread.start()
        thread.join(30)
        assert isinstance(outcome[0].error_info, CapabilityError)
        assert isinstance(engine.submit(HAS_HOME).result(30).error_info, CapabilityError)


def test_explicit_capabilities_replace_the_inherited_ones():
    async def main():
        async with AsyncEngine() as engine:
            async with mlpy.capability_scope(["env.read"]):
                denied = await engine.execute(HAS_HOME, capabilities=[])
            granted = await engine.execute(HAS_HOME, capabilities=["env.read"])
            return denied, granted

    denied, granted = run(main())
    assert isinstance(denied.error_info, CapabilityError) and granted.success


def test_engine_capabilities_override_the_ambient_scope():
    async def main():
        async with AsyncEngine(capabilities=["env.read:HOME"]) as engine:
            async with mlpy.capability_scope(["env.read:PATH"]):
                return await engine.execute(HAS_HOME)

    assert run(main()).success


def test_concurrent_requests_never_see_each_others_grants():
    """Attacker-style: 200 requests, each granted one variable name, run concurrently on 4
    workers; each sees exactly its own grant, never another's."""

    @mlpy.host_function
    def granted() -> str:
        return ",".join(sorted(str(c) for c in mlpy.current_capabilities()))

    async def request(engine, i):
        async with mlpy.capability_scope([f"env.read:VAR{i}"]):
            await asyncio.sleep(0)
            return await engine.execute("result = granted();", variables={"granted": granted})

    async def main():
        async with AsyncEngine(max_workers=4) as engine:
            return await asyncio.gather(*(request(engine, i) for i in range(200)))

    results = run(main())
    assert [r.value for r in results] == [f"env.read:VAR{i}" for i in range(200)]


def test_caller_contextvars_reach_host_functions():
    request_id = contextvars.ContextVar("request_id", default="none")

    @mlpy.host_function
    def current_request() -> str:
        return request_id.get()

    async def handle(engine, rid):
        request_id.set(rid)
        return await engine.execute("result = rid();", variables={"rid": current_request})

    async def main():
        async with AsyncEngine(max_workers=2) as engine:
            return await asyncio.gather(*(handle(engine, f"r{i}") for i in range(20)))

    assert [r.value for r in run(main())] == [f"r{i}" for i in range(20)]


# ----------------------------------------------------------------------------- call, map, submit


def test_call_on_source_program_and_session():
    async def main():
        async with AsyncEngine() as engine:
            source = "function add(a, b) { return a + b; }"
            program = engine.engine.compile(source)
            session = engine.engine.session()
            session.exec("total = 10; function bump(n) { nonlocal total; total = total + n; return total; }")
            return (await engine.call(source, "add", 1, 2),
                    await engine.call(program, "add", a=3, b=4),
                    await engine.call(session, "bump", 5),
                    await engine.call(session, "bump", 5))

    assert run(main()) == (3, 7, 15, 20)


def test_call_raises_the_ml_error():
    async def main():
        async with AsyncEngine() as engine:
            with pytest.raises(MLRuntimeError) as caught:
                await engine.call("function f(x) {\n  return x / 0;\n}", "f", 1)
            with pytest.raises(MLCallError):
                await engine.call("function f(x) { return x; }", "g")
            return caught.value

    assert run(main()).ml_line == 2


def test_map_keeps_order_and_reports_failures():
    async def main():
        async with AsyncEngine(max_workers=3) as engine:
            session = engine.engine.session()
            session.exec("function inv(x) { return 1 / x; }")
            by_handle = await engine.map(session.function("inv"), [(1,), (0,), (4,)])
            by_name = await engine.map((session, "inv"), [(2,), (5,)], concurrency=1)
            return by_handle, by_name

    by_handle, by_name = run(main())
    assert [r.success for r in by_handle] == [True, False, True]
    assert by_handle[0].value == 1.0 and by_handle[2].value == 0.25
    assert isinstance(by_handle[1].error_info, MLRuntimeError)
    assert [r.value for r in by_name] == [0.5, 0.2]


def test_submit_works_from_a_thread_without_event_loop():
    with AsyncEngine(max_workers=2) as engine:
        futures = [engine.submit("result = n * 2;", variables={"n": n}) for n in range(10)]
        assert [f.result(30).value for f in futures] == [n * 2 for n in range(10)]
        session = engine.engine.session()
        session.exec("function twice(x) { return 2 * x; }")
        call = engine.submit_call(session.function("twice"), 21)
        assert isinstance(call, concurrent.futures.Future) and call.result(30) == 42


def test_submit_call_propagates_python_exceptions():
    def boom():
        raise ValueError("bad")

    with AsyncEngine() as engine:
        with pytest.raises(ValueError, match="bad"):
            engine.submit_call(boom).result(30)
        assert engine.stats().failed == 1


def test_many_concurrent_executions_all_complete():
    async def main():
        async with AsyncEngine(max_workers=4) as engine:
            results = await asyncio.gather(*(engine.execute("result = n + 1;",
                                                            variables={"n": n})
                                             for n in range(100)))
            return results, engine.stats()

    results, stats = run(main())
    assert [r.value for r in results] == list(range(1, 101))
    assert stats.completed == 100 and stats.workers <= 4 and stats.busy == 0


# ----------------------------------------------------------------------------- closing


def test_after_close_submissions_get_a_clear_error():
    async def main():
        engine = AsyncEngine()
        await engine.execute("result = 1;")
        await engine.aclose()
        await engine.aclose()  # idempotent
        with pytest.raises(MLConfigurationError, match="closed"):
            await engine.execute("result = 1;")
        return engine

    engine = run(main())
    with pytest.raises(MLError, match="closed"):
        engine.submit("result = 1;")


def test_shutdown_cancel_pending(blocker):
    block, entered, release = blocker
    engine = AsyncEngine(max_workers=1, cancel_grace=0.1)
    running = engine.submit("result = block();", variables={"block": block})
    wait_until(entered.is_set)
    queued = engine.submit("result = 1;")
    engine.shutdown(wait=False, cancel_pending=True)
    assert queued.result(30).cancelled
    assert isinstance(queued.result(30).error_info, MLCancelledError)
    release.set()
    assert running.result(30).success or running.result(30).cancelled


def test_sync_context_manager_waits_for_running_jobs():
    with AsyncEngine(max_workers=2) as engine:
        futures = [engine.submit("s = 0; for (i in range(20000)) { s = s + i; } result = s;")
                   for _ in range(4)]
    assert all(f.done() for f in futures)
    assert {f.result().value for f in futures} == {sum(range(20000))}


@pytest.mark.parametrize("options", [
    {"max_workers": 0}, {"max_pending": -1}, {"default_timeout": 0}, {"cancel_grace": -1},
    {"isolation": "thread"}, {"strict_security": False}, {"max_stuck": 0},
])
def test_bad_options_are_configuration_errors(options):
    with pytest.raises(MLConfigurationError):
        AsyncEngine(**options)


def test_bad_timeout_is_a_configuration_error():
    async def main():
        async with AsyncEngine() as engine:
            with pytest.raises(MLConfigurationError):
                await engine.execute("result = 1;", timeout=-1)

    run(main())


def test_an_ml_function_keeps_its_own_grants_whatever_scope_awaits_it():
    """Attacker-style: a handle to a function of an ungranted session does not gain the
    grants of the request that calls it through run_call."""

    async def main():
        async with AsyncEngine() as engine:
            session = engine.engine.session()
            session.exec('import env; function probe() { return env.has("HOME"); }')
            async with mlpy.capability_scope(["env.read"]):
                with pytest.raises(CapabilityError):
                    await engine.run_call(session.function("probe"))
                with pytest.raises(CapabilityError):
                    await engine.call(session, "probe")
            return await engine.call(session, "probe", capabilities=["env.read"])

    assert run(main()) in (True, False)


def test_distinct_programs_compile_concurrently():
    async def main():
        async with AsyncEngine(max_workers=4) as engine:
            return await asyncio.gather(*(
                engine.execute(f"function f{n}(x) {{ return x * {n}; }}\nresult = f{n}(2);")
                for n in range(60)))

    results = run(main())
    assert [r.value for r in results] == [2 * n for n in range(60)]
    assert not any(r.cache_hit for r in results)


@pytest.mark.parametrize("isolation", ["inprocess", "subprocess"])
def test_execute_and_submit_name_the_source_in_errors_as_engine_execute_does(isolation):
    source = "total = 1;\nshare = total / 0;"

    async def main():
        async with AsyncEngine(max_workers=1, isolation=isolation) as engine:
            awaited = await engine.execute(source, filename="split.ml")
            submitted = engine.submit(source, filename="split.ml").result(timeout=60)
            unnamed = await engine.execute(source)
        return awaited, submitted, unnamed

    awaited, submitted, unnamed = asyncio.run(main())
    expected = mlpy.Engine().execute(source, filename="split.ml").error
    for result in (awaited, submitted):
        assert not result.success
        assert str(result.error).startswith("split.ml:2:"), result.error
        assert str(result.error).splitlines()[0] == str(expected).splitlines()[0]
    assert str(unnamed.error).startswith("<string>:2:"), unnamed.error
