"""Handles (MLFunction, ml_callback) call a pure ML function directly, without opening an
execution first. Every limit and grant must hold on that path exactly as on the other: a
capability decision, an error or a tick sends the call into an execution under the same
grants; a time limit, a memory budget, narrower grants and a running execution keep it off
the direct path or still apply."""

from __future__ import annotations

import threading

import pytest

import mlpy
from mlpy import CapabilityError
from mlpy.callbacks import ml_callback
from mlpy.function import direct_entry

from tests.security.test_raw_functions import REACHES, SECRET, Vault

GRANT = "file.read:/srv/vault/**"


def _session(source: str, capabilities=(), **limits) -> mlpy.Session:
    session = mlpy.Engine(**limits).session(capabilities=list(capabilities))
    session.exec(source, timeout=30.0).raise_for_error()  # the definitions: any limit
    return session


def _handles(session: mlpy.Session, name: str = "reach") -> dict:
    return {
        "function, late": session.function(name),
        "function, early": session.function(name, bind="early"),
        "callback, late": ml_callback(session, name),
        "callback, early": ml_callback(session, name, bind="early"),
    }


def _denied(call, *args) -> bool:
    try:
        value = call(*args)
    except CapabilityError as error:
        assert "file.read" in error.message
        return True
    return value is not SECRET and value is not True


def test_pure_functions_are_taken_directly_and_others_are_not():
    session = _session("function pure(x) { return x * 2 + 1; } "
                       "function loops(n) { s = 0; for (i in range(n)) { s = s + i; } return s; }")
    assert direct_entry(session._namespace["pure"])[1] is not None
    assert direct_entry(session._namespace["loops"])[1] is None
    handles = _handles(session, "pure")
    assert [h(20) for h in handles.values()] == [41] * 4
    assert session.function("loops")(5) == 10


@pytest.mark.parametrize("reach", REACHES.values(), ids=REACHES.keys())
def test_an_ungranted_handle_cannot_reach_guarded_host_code(reach):
    for way, handle in _handles(_session(reach)).items():
        assert _denied(handle, Vault()), way


@pytest.mark.parametrize("reach", REACHES.values(), ids=REACHES.keys())
def test_a_granted_handle_reaches_it(reach):
    for way, handle in _handles(_session(reach, [GRANT])).items():
        assert handle(Vault()) in (SECRET, True), way


def test_narrower_grants_than_the_sessions_are_never_widened():
    session = _session(REACHES["property"], [GRANT])
    assert _denied(session.function("reach").with_capabilities([]), Vault())
    assert _denied(ml_callback(session, "reach", capabilities=[]), Vault())
    with mlpy.capability_scope([]):  # created where nothing is granted: that is the ceiling
        narrowed = ml_callback(session, "reach")
    assert _denied(narrowed, Vault())
    with mlpy.capability_scope([]):
        assert _denied(ml_callback(session, "reach", capabilities="caller"), Vault())


def test_a_revoke_applies_to_the_next_direct_call():
    session = _session(REACHES["property"], [GRANT])
    handles = _handles(session)
    assert all(h(Vault()) == SECRET for h in handles.values())
    session.revoke(GRANT)
    for way, handle in handles.items():
        if way != "callback, early":
            assert _denied(handle, Vault()), way


def test_the_time_limit_holds_on_a_pure_call():
    session = _session("function f(x) { return x + 1; }", timeout=1e-9)
    for way, handle in _handles(session, "f").items():
        with pytest.raises(mlpy.MLTimeoutError):
            handle(1)


def test_the_memory_budget_holds_on_a_pure_call():
    session = _session("function big(n) { return 'x' * n; }", max_memory=1_000_000)
    for way, handle in _handles(session, "big").items():
        assert len(handle(10)) == 10
        with pytest.raises(mlpy.MLResourceError) as caught:
            handle(5_000_000)
        assert caught.value.resource == "memory", way


def test_errors_of_a_pure_call_are_ml_errors():
    session = _session("function f(x) { return x.missing; } function g(a, b) { return a; }")
    with pytest.raises(mlpy.MLError):
        session.function("f")(1)
    with pytest.raises(mlpy.MLCallError):
        session.function("g")(1)
    with pytest.raises(mlpy.MLCallError):
        ml_callback(session, "g", bind="early")(1, 2, 3)


def test_a_handle_called_inside_an_execution_joins_it():
    """From a host function ML called: the call nests in the running execution (its
    grants narrow to the caller's), it is not a direct call."""
    owner = _session(REACHES["property"], [GRANT])
    handle = owner.function("reach")
    calls = []

    @mlpy.host_function
    def ask():
        calls.append(_denied(handle, Vault()))
        return 0

    result = mlpy.Engine().execute("ask();", {"ask": ask})  # this execution has no grants
    assert result.ok, result.error
    assert calls == [True]


def test_direct_calls_from_many_threads_stay_exact():
    session = _session("function score(x) { return x * 2 + 1; }", timeout=30.0)
    handles = list(_handles(session, "score").values())
    wrong = []

    def work(offset: int) -> None:
        for i in range(2000):
            handle = handles[(i + offset) % len(handles)]
            if handle(i) != 2 * i + 1:
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not wrong
    assert ml_callback(session, "score").stats.calls == 0  # each wrapper counts its own
