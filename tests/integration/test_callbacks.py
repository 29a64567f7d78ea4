"""ML functions as Python callbacks: binding, grants, the error contract, state and threads."""

from __future__ import annotations

import logging
import threading

import pytest

import mlpy
from mlpy.callbacks import MISSING, MLCallbackRegistry, MLCallbackWrapper, ml_callback
from mlpy.errors import CapabilityError, MLCallError, MLRuntimeError, MLTimeoutError

HELLO = 'import console; function hello(name) { console.log("hi " + name); return name; }'


def session_with(source: str, **options):
    session = mlpy.Engine().session(**options)
    session.exec(source)
    return session


def test_a_callback_calls_the_ml_function_and_counts_the_call():
    session = session_with("function add(a, b) { return a + b; }")
    add = ml_callback(session, "add")
    assert isinstance(add, MLCallbackWrapper)
    assert add(2, 3) == 5
    assert add(a=1, b=2) == 3
    assert add.stats.calls == 2 and add.stats.errors == 0 and add.stats.total_time > 0


def test_late_binding_picks_up_a_redefinition_early_binding_keeps_the_first():
    session = session_with("function rule(x) { return x + 1; }")
    late = ml_callback(session, "rule")
    early = ml_callback(session, "rule", bind="early")
    session.exec("function rule(x) { return x * 10; }")
    assert late(2) == 20
    assert early(2) == 3


def test_state_persists_in_top_level_variables_between_calls():
    session = session_with("count = 0; function bump() { nonlocal count; count = count + 1; return count; }")
    bump = ml_callback(session, "bump")
    assert [bump() for _ in range(3)] == [1, 2, 3]
    assert session.exec("result = count;").value == 3


def test_eight_threads_of_a_thousand_calls_each_give_exact_results():
    session = session_with("count = 0; function bump() { nonlocal count; count = count + 1; return count; }")
    bump = ml_callback(session, "bump")
    seen: list[list[int]] = [[] for _ in range(8)]

    def worker(i):
        for _ in range(1000):
            seen[i].append(bump())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = sorted(v for part in seen for v in part)
    assert values == list(range(1, 8001))  # every call saw a distinct count: none was lost
    assert bump.stats.calls == 8000


def test_bad_names_are_call_errors():
    session = session_with("x = 1; function f() { return 1; }")
    with pytest.raises(MLCallError):
        ml_callback(session, "not a name")
    with pytest.raises(MLCallError):
        ml_callback(session, "missing", bind="early")
    with pytest.raises(MLCallError):
        ml_callback(session, "missing")()  # late binding: at the call
    with pytest.raises(MLCallError):
        ml_callback(session, "x")()  # a variable, not a function


def test_error_handler_then_default_return_then_raise(caplog):
    session = session_with("function boom() { throw {message: \"no\"}; }")
    handled = ml_callback(session, "boom", error_handler=lambda error: ("handled", error.code))
    assert handled()[0] == "handled"
    defaulted = ml_callback(session, "boom", default_return=None)
    with caplog.at_level(logging.WARNING, logger="mlpy.callbacks"):
        assert defaulted() is None
    assert defaulted.stats.errors == 1
    record = next(r for r in caplog.records if r.name == "mlpy.callbacks")
    assert record.levelno == logging.WARNING and "boom" in record.getMessage()
    assert any(len(word) >= 8 for word in record.getMessage().split())  # carries an id
    with pytest.raises(MLRuntimeError):
        ml_callback(session, "boom")()
    assert ml_callback(session, "boom").default_return is MISSING


def test_an_error_handler_that_raises_propagates():
    session = session_with("function boom() { return 1 / 0; }")

    def handler(error):
        raise ValueError("handler failed")

    with pytest.raises(ValueError, match="handler failed"):
        ml_callback(session, "boom", error_handler=handler)()


def test_a_runaway_callback_times_out_and_the_next_call_works():
    session = session_with("function spin() { while (true) {} } function ok() { return 7; }")
    spin = ml_callback(session, "spin", timeout=0.2)
    with pytest.raises(MLTimeoutError):
        spin()
    assert ml_callback(session, "ok")() == 7
    assert ml_callback(session, "spin", timeout=0.2, default_return="late")() == "late"


def test_creation_captures_the_scope_caller_reads_it_at_each_call():
    session = session_with(HELLO, capabilities=["console.write"])
    with mlpy.capability_scope(["console.write"]):
        created = ml_callback(session, "hello")
    with mlpy.capability_scope([]):
        created_bare = ml_callback(session, "hello")
    caller = ml_callback(session, "hello", capabilities="caller")
    assert created("ada") == "ada"  # the scope it was made in still applies
    with pytest.raises(CapabilityError):
        created_bare("ada")  # made where nothing was granted: nothing, whatever the session has
    with pytest.raises(CapabilityError):
        caller("ada")  # no scope here: no grants
    with mlpy.capability_scope(["console.write"]):
        assert caller("ada") == "ada"
        with pytest.raises(CapabilityError):
            created_bare("ada")  # the caller's scope does not widen it
    with mlpy.capability_scope([]):
        assert created("ada") == "ada"  # nor narrow it


def test_creation_never_exceeds_the_session_grants_and_follows_a_revoke():
    session = session_with(HELLO, capabilities=["console.write"])
    hello = ml_callback(session, "hello")
    assert hello("ada") == "ada"
    session.revoke("console.write")
    with pytest.raises(CapabilityError):
        hello("ada")


def test_a_registry_registers_finds_and_removes_callbacks():
    session = session_with("function on_save(x) { return x + 1; } function on_load() { return 0; }"
                           " function helper() { return 2; }")
    registry = MLCallbackRegistry(session)
    added = registry.register_all("on_")
    assert sorted(added) == ["on_load", "on_save"]
    assert registry.list_callbacks() == ["on_load", "on_save"] and len(registry) == 2
    assert "on_save" in registry and registry["on_save"](1) == 2
    assert registry.get("nope") is None
    with pytest.raises(KeyError):
        registry["nope"]
    stripped = MLCallbackRegistry(session).register_all("on_", strip_prefix=True)
    assert sorted(stripped) == ["load", "save"]
    with pytest.raises(MLCallError):
        registry.register("later")
    lazy = registry.register("later", lazy=True)
    session.exec("function later() { return 'now'; }")
    assert lazy() == "now"
    assert registry.remove("later") is True and registry.remove("later") is False
    assert dict(registry.items()).keys() == {"on_load", "on_save"}
    registry.clear()
    assert len(registry) == 0 and list(registry) == []


def test_registry_defaults_apply_to_every_callback():
    session = session_with("function on_fail() { return 1 / 0; }")
    registry = MLCallbackRegistry(session, defaults={"default_return": -1})
    assert registry.register_all()["on_fail"]() == -1


def test_submit_runs_on_a_worker_and_hands_the_outcome_to_the_dispatcher():
    import concurrent.futures

    from mlpy.aio import AsyncEngine

    class Recorder:  # a dispatcher: records where and what it was asked to run
        def __init__(self):
            self.posted = []

        def post(self, fn, *args):
            self.posted.append(threading.current_thread().name)
            fn(*args)

    session = session_with("function double(x) { return x * 2; } function boom() { return 1 / 0; }")
    results, errors, dispatcher = [], [], Recorder()
    with AsyncEngine(max_workers=1) as engine:
        done = ml_callback(session, "double").submit(
            21, dispatcher=dispatcher, on_result=results.append, executor=engine)
        assert done.result(30) == 42
        failed = ml_callback(session, "boom").submit(
            dispatcher=dispatcher, on_error=errors.append, executor=engine)
        with pytest.raises(MLRuntimeError):
            failed.result(30)
        swallowed = ml_callback(session, "boom", default_return=0).submit(
            on_result=results.append, executor=engine)  # no dispatcher: runs in the worker
        assert swallowed.result(30) == 0
        concurrent.futures.wait([done, failed, swallowed], timeout=30)
    assert results == [42, 0]
    assert len(errors) == 1 and isinstance(errors[0], MLRuntimeError)
    assert dispatcher.posted and all(name != threading.current_thread().name
                                     for name in dispatcher.posted)
