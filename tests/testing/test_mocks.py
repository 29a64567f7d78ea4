"""MockAsyncExecutor, MockSession and MockCapabilityManager: the interfaces of the real
objects, used from a user's test file as stand-ins for the code under test."""

from __future__ import annotations

import asyncio
import inspect

import pytest

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.testing import (
    MockAsyncExecutor, MockCapabilityManager, MockExecutionRecord, MockREPLSession, MockSession,
)

pytest_plugins = ["pytester"]


# ----------------------------------------------------------------------------- async executor


def test_mock_async_executor_has_the_async_engine_interface():
    """Every public method of AsyncEngine that code under test awaits or calls exists on
    the mock with the same keyword parameters."""
    for name in ("execute", "submit", "call", "run_call", "stats", "aclose", "shutdown"):
        real, mock = getattr(AsyncEngine, name), getattr(MockAsyncExecutor, name)
        assert inspect.iscoroutinefunction(real) == inspect.iscoroutinefunction(mock), name
        wanted = {p for p, v in inspect.signature(real).parameters.items()
                  if v.kind is v.KEYWORD_ONLY}
        assert wanted <= set(inspect.signature(mock).parameters), name
    assert isinstance(MockAsyncExecutor.closed, property)


def test_mock_async_executor_in_a_user_suite(user_suite):
    pytest.importorskip("anyio")  # its pytest plugin runs the async tests
    suite = user_suite('''
import asyncio
import pytest
import mlpy
from mlpy.aio import AsyncMLResult
from mlpy.testing import MockAsyncExecutor

pytestmark = pytest.mark.anyio

@pytest.fixture
def anyio_backend():
    return "asyncio"

async def score(executor, user):
    """The code under test: asks the executor to run a rule, handles failure."""
    result = await executor.execute("result = score(user);", variables={"user": user},
                                    timeout=1.0)
    if not result.success:
        return "unavailable" if result.timed_out else "error"
    return result.value

async def test_right_results_in_order():
    executor = MockAsyncExecutor(results=[10, mlpy.MLRuntimeError("bad rule")])
    assert await score(executor, {"id": 1}) == 10
    assert await score(executor, {"id": 2}) == "error"
    assert executor.call_count == 2
    assert executor.last_call.variables == {"user": {"id": 2}}
    assert executor.calls[0].timeout == 1.0
    assert isinstance(executor.calls[0].result, AsyncMLResult)

async def test_right_side_effect_sees_the_request():
    executor = MockAsyncExecutor(side_effect=lambda code, **kw: kw["variables"]["user"]["id"] * 2)
    assert await score(executor, {"id": 21}) == 42

async def test_right_delay_past_the_timeout_times_out():
    executor = MockAsyncExecutor(delay=30.0)
    assert await asyncio.wait_for(score(executor, {}), 10) == "unavailable"
    assert executor.stats().timeouts == 1

async def test_right_should_fail():
    assert await score(MockAsyncExecutor(should_fail=True), {}) == "error"

async def test_right_return_raw_is_the_reference_behaviour():
    executor = MockAsyncExecutor(return_raw=True)
    assert await executor.execute("x = 1;") == {"status": "success", "mock": True}
    executor.should_fail = True
    with pytest.raises(RuntimeError):
        await executor.execute("x = 1;")

async def test_right_reset():
    executor = MockAsyncExecutor(results=[1, 2])
    await executor.execute("a")
    executor.reset()
    assert executor.call_count == 0
    assert (await executor.execute("b")).value == 1

async def test_wrong_results_run_out():
    executor = MockAsyncExecutor(results=[1])
    await score(executor, {})
    await score(executor, {})

async def test_wrong_an_unexpected_exception_reaches_the_caller():
    await score(MockAsyncExecutor(side_effect=ConnectionError("down")), {})
''').check()
    suite.run.assert_outcomes(passed=6, failed=2)
    assert "MockAsyncExecutor.results ran out: request 2 found no answer left" in suite.text(
        "test_wrong_results_run_out")
    assert "ConnectionError: down" in suite.text(
        "test_wrong_an_unexpected_exception_reaches_the_caller")


def test_mock_async_executor_answers_call_and_submit():
    executor = MockAsyncExecutor(results=[5, mlpy.MLRuntimeError("no")])
    assert asyncio.run(executor.call("rules", "total", 1, 2)) == 5
    record = executor.last_call
    assert (record.kind, record.ml_code, record.args) == ("call", "total", (1, 2))
    with pytest.raises(mlpy.MLRuntimeError):
        asyncio.run(executor.call("rules", "total"))
    future = MockAsyncExecutor(results=[7]).submit("result = 7;")
    assert future.result(timeout=30).value == 7
    assert isinstance(executor.calls[0], MockExecutionRecord)


def test_cancelling_a_delayed_request_is_recorded():
    executor = MockAsyncExecutor(delay=60.0, default_timeout=None)

    async def main() -> None:
        task = asyncio.ensure_future(executor.execute("x = 1;"))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert executor.stats().cancelled == 1
    assert isinstance(executor.last_call.exception, asyncio.CancelledError)


# ----------------------------------------------------------------------------- session


def test_mock_session_is_a_session_and_its_stand_ins_get_real_arguments(user_suite):
    suite = user_suite('''
import mlpy
from mlpy.testing import MockSession

class OrderService:
    """The code under test: validates orders with an ML rule through a callback."""
    def __init__(self, session):
        session.exec("function validate_order(order) { return true; }")
        self.validate = mlpy.ml_callback(session, "validate_order", default_return={"valid": False})

    def place(self, order):
        return "placed" if self.validate(order)["valid"] else "rejected"

def test_right_callback_calls_the_stand_in_with_the_order():
    mock = MockSession()
    mock.define("validate_order", lambda order: {"valid": order["total"] > 0})
    service = OrderService(mock)
    assert service.place({"total": 5, "items": ["tea"]}) == "placed"
    assert service.place({"total": 0, "items": []}) == "rejected"
    assert [c.args for c in mock.calls] == [({"total": 5, "items": ["tea"]},),
                                            ({"total": 0, "items": []},)]
    assert mock.executed == ["function validate_order(order) { return true; }"]
    assert isinstance(mock, mlpy.Session)

def test_right_stand_in_errors_follow_the_callback_contract():
    mock = MockSession()
    mock.define("validate_order", lambda order: 1 / 0)
    assert OrderService(mock).place({"total": 5}) == "rejected"
    assert isinstance(mock.calls[0].exception, ZeroDivisionError)

def test_right_ml_code_can_call_a_stand_in():
    mock = MockSession()
    mock.define("rate", lambda region: 0.2 if region == "eu" else 0.0)
    handle = mock.function("rate")
    assert handle("eu") == 0.2 and handle(region="us") == 0.0
    assert mock.call_count("rate") == 2

def test_wrong_the_stand_in_is_called_with_what_the_code_passed():
    mock = MockSession()
    mock.define("validate_order", lambda order: {"valid": True})
    OrderService(mock).place({"total": 5})
    assert mock.calls[0].args == ({"total": 6},)
''').check()
    suite.run.assert_outcomes(passed=3, failed=1)
    assert "{'total': 5}" in suite.text(
        "test_wrong_the_stand_in_is_called_with_what_the_code_passed")


def test_mock_session_has_the_session_interface():
    real = {name for name in dir(mlpy.Session) if not name.startswith("_")}
    assert real <= set(dir(MockSession))
    assert MockREPLSession is MockSession
    assert inspect.signature(MockSession.exec).parameters.keys() == \
        inspect.signature(mlpy.Session.exec).parameters.keys()
    mock = MockSession({"tax": 0.2})
    mock.set("region", "eu")
    assert mock.get("tax") == 0.2 and mock.get("region") == "eu"
    assert mock.exec("this is not even ML").ok and mock.eval("1 + 1") is None
    assert mock.executed == ["this is not even ML", "1 + 1;"]
    mock.close()


def test_mock_session_refuses_stand_ins_it_cannot_define():
    mock = MockSession()
    with pytest.raises(mlpy.MLConfigurationError, match="params="):
        mock.define("total", lambda *items: sum(items))
    mock.define("total", lambda *items: sum(items), params=["a", "b"])
    assert mock.call("total", 1, 2) == 3
    with pytest.raises(mlpy.MLConfigurationError, match="not a valid ML function name"):
        mock.define("while", lambda: 1)
    with pytest.raises(mlpy.MLConfigurationError, match="not a valid ML name"):
        mock.define("f", lambda fn: 1)
    mock.reset()
    assert mock.calls == [] and "total" not in mock


# ----------------------------------------------------------------------------- capability manager


def test_mock_capability_manager_answers_as_the_runtime_would():
    manager = MockCapabilityManager()
    manager.set_context("request", ["file.read:/srv/data/**"])
    assert manager.has_capability("file.read", "/srv/data/a.csv")
    assert not manager.has_capability("file.read", "/etc/passwd")
    assert not manager.has_capability("file.write")
    manager.record_violation("file.write", "/etc/passwd", "write")
    assert manager.get_violation_count() == 1
    manager.clear_context()
    assert not manager.has_capability("file.read", "/srv/data/a.csv")
    manager.reset()
    assert manager.contexts == {} and manager.violations == []


def test_timeout_none_means_no_limit_as_on_the_async_engine():
    executor = MockAsyncExecutor(delay=0.05, default_timeout=0.01)
    assert asyncio.run(executor.execute("x = 1;")).timed_out  # the default applies
    assert asyncio.run(executor.execute("x = 1;", timeout=None)).success
    assert [c.timeout for c in executor.calls] == [0.01, None]
