"""Tests of capability_denied: a denial is a CapabilityError with code MLCAP001, the missing
capability and the ML position; the host function never runs; ML code may catch a denial;
the audit log records it; and no other way of reaching the function gets past the gate."""

from __future__ import annotations

import importlib.util
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(
        "examples_foundation_capability_denied_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture(autouse=True)
def empty_outbox():
    app.OUTBOX.clear()


def run(grants, source=None):
    variables = {"customer": app.CUSTOMER, "send_email": app.send_email}
    return app.engine.execute(source or app.program, variables, capabilities=grants,
                              filename="probe.ml")


def test_the_denial_names_its_class_code_capability_and_position():
    error = run([]).error
    assert type(error) is mlpy.CapabilityError
    assert isinstance(error, mlpy.MLExecutionError)
    assert (error.code, error.required) == ("MLCAP001", "email.send")
    assert (error.ml_file, error.ml_line, error.ml_column) == ("notify.ml", 6, 5)
    assert error.message == ("send_email requires the capability 'email.send', which this "
                             "execution was not granted (granted: none)")
    assert [frame.function for frame in error.ml_traceback] == \
        ["<program>", "notify", "<host send_email>"]


def test_the_host_function_never_runs_when_denied():
    assert app.notify([])["status"] == 403
    assert app.OUTBOX == []
    assert app.notify(["email.send"])["status"] == 200
    assert app.OUTBOX == [("ada@example.com", "Your order has shipped")]


def test_ml_code_can_catch_a_denial_and_carry_on():
    assert app.notify(["email.send"]) == {"status": 200, "result": "sent", "log": ""}
    assert app.notify(["email.send", "console.write"])["log"] == "notified Ada\n"


def test_a_requests_grants_end_with_its_scope():
    assert app.notify(["email.send"])["status"] == 200
    after = app.engine.execute(app.program, {"customer": app.CUSTOMER,
                                             "send_email": app.send_email})
    assert isinstance(after.error, mlpy.CapabilityError)  # outside the scope: no grants


def test_concurrent_requests_never_see_each_others_grants():
    barrier = threading.Barrier(2)

    def request(grants):
        with mlpy.capability_scope(grants):
            barrier.wait(timeout=30)  # both scopes are open at the same time
            assert mlpy.current_capabilities().names() == set(grants)
            return app.engine.execute("result = getCapabilities();").value

    with ThreadPoolExecutor(max_workers=2) as pool:
        granted = pool.submit(request, ["email.send"])
        bare = pool.submit(request, [])
        assert (granted.result(), bare.result()) == (["email.send"], [])


def test_a_deny_of_the_engine_wins_over_the_requests_grant():
    engine = mlpy.Engine(deny=["email.send"])
    error = engine.execute(app.program, {"customer": app.CUSTOMER, "send_email": app.send_email},
                           capabilities=["email.send"]).error
    assert isinstance(error, mlpy.CapabilityError)
    assert "which the host denies" in error.message


@pytest.mark.parametrize("source", [
    "f = send_email; f('x@example.com', 'hi');",
    "box = {send: send_email}; box.send('x@example.com', 'hi');",
    "function later(g) { return g('x@example.com', 'hi'); } later(send_email);",
])
def test_every_way_of_reaching_the_function_meets_the_same_gate(source):
    error = run([], source).error
    assert isinstance(error, mlpy.CapabilityError) and error.required == "email.send"
    assert app.OUTBOX == []


# [audit]
def test_the_audit_log_records_the_denial_with_its_execution():
    result = app.engine.execute(app.program, {"customer": app.CUSTOMER,
                                              "send_email": app.send_email},
                                capabilities=[], execution_id="request-41")
    assert result.error.execution_id == "request-41"
    denials = [e for e in app.engine.audit if e["event"] == "deny"
               and e["execution_id"] == "request-41"]
    assert [e["requirement"] for e in denials] == ["email.send"]
# [/audit]


def test_the_check_warns_before_running_about_what_the_engine_does_not_grant():
    [warning] = app.engine.check(app.SCRIPT.read_text(), filename="notify.ml",
                                 inputs=["customer", "send_email"])
    assert (warning.code, warning.severity, warning.line) == ("MLCAP002", "warning", 8)


def test_main_prints_one_answer_per_set_of_grants(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == ("[] -> {'status': 403, 'code': 'MLCAP001', 'required': 'email.send', "
                        "'at': 'notify.ml:6:5'}")
    assert lines[4].startswith("notify.ml:6:5: error: send_email requires the capability")
