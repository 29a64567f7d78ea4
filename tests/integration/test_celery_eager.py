"""mlpy.integration.celery without a broker: Celery's eager mode runs each task in the
calling process, which is enough for what a task checks and returns. The workers, Redis,
redelivery and tracing across processes are tested in test_celery.py."""

from __future__ import annotations

import pytest

celery = pytest.importorskip("celery")

from mlpy.capabilities import capability_scope
from mlpy.errors import MLConfigurationError, MLTimeoutError
from mlpy.integration.celery import MLTaskError, async_result, ml_task

READ_HOME = 'import env; result = env.get("HOME");'


@pytest.fixture(scope="module")
def app():
    app = celery.Celery("eager", broker="memory://", backend="cache+memory://")
    app.conf.task_always_eager = True
    return app


@pytest.fixture(scope="module")
def tasks(app):
    return {
        "run": ml_task(app, name="eager.run"),
        "doubled": ml_task(app, "result = x * 2;", name="eager.doubled", inputs=["x"]),
        "area": ml_task(app, "function area(w, h) { return w * h; }", function="area",
                        name="eager.area", arity=2),
        "ceiling": ml_task(app, name="eager.ceiling", allowed_grants=["env.read:HOME"]),
    }


def test_a_program_task_takes_variables_and_a_function_task_arguments(tasks):
    assert tasks["doubled"].delay(variables={"x": 21}).get()["value"] == 42
    first = tasks["area"].delay(3, 4).get()
    again = tasks["area"].delay(5, 6).get()
    assert (first["value"], again["value"]) == (12, 30)
    assert again["cache_hit"] is True


def test_what_the_caller_sends_wrong_is_an_error_result(tasks):
    run, doubled = tasks["run"], tasks["doubled"]
    cases = [
        (run.delay(source="x = 1;", timeout=-1), "timeout= must be a positive number"),
        (run.delay(source="x = 1;", deadline=3), "unknown task option 'deadline'"),
        (run.delay(source="x = 1;", grants="env.read"), "grants= must be a list"),
        (run.delay(source="x = 1;", variables=[1, 2]), "variables= must be an object"),
        (run.delay(), "this task has no program"),
        (doubled.delay(source="x = 1;"), "the caller must not send one"),
        (doubled.delay(1), "runs a whole program"),
        (run.delay(source="x = 1;", grants=["not a capability"]), "malformed capability"),
    ]
    for sent, message in cases:
        data = sent.get()
        assert data["ok"] is False and data["error"]["type"] == "MLConfigurationError", data
        assert message in data["error"]["message"]


def test_grants_come_only_from_the_call(tasks):
    run = tasks["run"]
    assert run.delay(source=READ_HOME, grants=["env.read:HOME"]).get()["ok"]
    # A scope the host left in force in the worker lends nothing to a task.
    with capability_scope(["env.read"]):
        denied = run.delay(source=READ_HOME).get()
    assert denied["error"]["type"] == "CapabilityError"
    refused = tasks["ceiling"].delay(source=READ_HOME, grants=["env.read:PATH"]).get()
    assert "does not allow the grant 'env.read:PATH'" in refused["error"]["message"]


def test_the_result_is_json_data_that_async_result_rebuilds(tasks):
    data = tasks["run"].delay(source='print("hi"); result = {nan: 0.0 * 1e309};').get()
    assert data["value"] == {"nan": {"$ml": "float", "v": "nan"}}
    assert data["stdout"] == "hi\n"
    timed_out = tasks["run"].delay(source="while (true) { }", timeout=0.2).get()
    rebuilt = async_result(timed_out)
    assert rebuilt.timed_out and isinstance(rebuilt.error_info, MLTimeoutError)
    with pytest.raises(MLTimeoutError):
        rebuilt.unwrap()
    # The value stays in its wire form: tags and all, as the task sent it.
    assert async_result(data).value == {"nan": {"$ml": "float", "v": "nan"}}


def test_raise_errors_fails_the_task_with_the_result(tasks):
    with pytest.raises(MLTaskError) as raised:
        tasks["run"].delay(source="x = [1][3];", raise_errors=True).get()
    assert raised.value.result["error"]["kind"] == "index_error"
    assert "MLRuntimeError" in str(raised.value)


def test_a_worker_keeps_a_bounded_number_of_compiled_programs(tasks, monkeypatch):
    from mlpy.integration import celery as integration

    monkeypatch.setattr(integration, "PROGRAM_CACHE_SIZE", 3)
    for i in range(6):
        assert tasks["run"].delay(source=f"result = {i};").get()["cache_hit"] is False
    assert len(integration._PROCESS._programs) == 3
    assert tasks["run"].delay(source="result = 5;").get()["cache_hit"] is True
    assert tasks["run"].delay(source="result = 0;").get()["cache_hit"] is False


def test_a_wrong_isolation_is_refused_when_the_task_is_made(app):
    with pytest.raises(MLConfigurationError):
        ml_task(app, name="eager.wrong", isolation="thread")
