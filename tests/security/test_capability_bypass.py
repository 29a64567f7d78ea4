"""Reaching a capability-guarded function without the capability.

DESIGN D8: every call into a capability-guarded function is checked at run time against the
current execution's grants, however it is reached -- an alias of the module, a stored
reference, a callback, a host function in between, a later session chunk. ``capability``
declarations in ML grant nothing (spec 8.5). Only plain ``area.action`` grants are used here;
scoped grants, denies and the capability model itself are tested in tests/test_capabilities.py.
"""

from __future__ import annotations

import pytest

import mlpy
from mlpy import CapabilityError

from .conftest import REACHED, assert_blocked, run

# Each program tries to make console.log (needs console.write) print REACHED.
CONSOLE_PATHS = [
    'console.log("REACHED");',
    'c = console; c.log("REACHED");',
    'c = [console][0]; c.log("REACHED");',
    'o = {m: console}; o.m.log("REACHED");',
    'f = console.log; f("REACHED");',
    'o = {f: console.log}; o.f("REACHED");',
    'a = [console.log]; g = a[0]; g("REACHED");',
    'x = call(console.log, "REACHED");',
    'function use(f) { return f("REACHED"); } use(console.log);',
    'function get() { return console.log; } g = get(); g("REACHED");',
    'w = fn(m) => console.log(m); w("REACHED");',
    'w = fn(m) => { console.log(m); }; w("REACHED");',
    ('function outer() { function inner() { console.log("REACHED"); } return inner; }'
    ' h = outer(); h();'),
    'f = getattr(console, "log"); f("REACHED");',
    'f = console.info; f("REACHED");',
    'function f() { try { console.log("REACHED"); } except (e) { throw e; } } f();',
    ('hasCapability = fn(x) => true; getCapabilities = fn() => ["console.write"];'
    ' console.log("REACHED");'),
    'apply(console.log, "REACHED");',
    'apply(fn(m) => console.log(m), "REACHED");',
    'o = {f: console.log}; apply(o.f, "REACHED");',
]


def _apply():
    @mlpy.host_function
    def apply(fn, *args):  # a host function with no capabilities of its own
        return fn(*args)
    return apply


@pytest.mark.parametrize("grants", [[], ["console.error"], ["console.read"]],
                         ids=["none", "other-console", "console-read"])
@pytest.mark.parametrize("path", CONSOLE_PATHS)
def test_console_log_needs_console_write_on_every_path(path, grants):
    source = "import console;\n" + path
    result = run(source, {"apply": _apply()}, capabilities=grants)
    error = assert_blocked(result, CapabilityError)
    assert error.required == "console.write"
    assert (result.stdout or "") == ""


@pytest.mark.parametrize("path", CONSOLE_PATHS)
def test_the_same_paths_work_with_the_grant(path):
    # The attack paths are real: with the grant each of them does print.
    source = "import console;\n" + path
    result = run(source, {"apply": _apply()}, capabilities=["console.write"])
    assert result.ok, result.error
    assert "REACHED" in (result.stdout or "") or "REACHED" in (result.stderr or "")


# ----------------------------------------------------------------------------- host functions

def _host():
    written = []

    @mlpy.host_function(capabilities=["db.write"])
    def db_write(value):
        written.append(value)
        return True

    return written, {"db_write": db_write, "apply": _apply()}


HOST_PATHS = [
    'db_write("x");',
    'f = db_write; f("x");',
    'o = {f: db_write}; o.f("x");',
    'x = call(db_write, "x");',
    'function use(f) { return f("x"); } use(db_write);',
    'w = fn(v) => db_write(v); w("x");',
    'apply(db_write, "x");',
    'apply(fn(v) => db_write(v), "x");',
    'try { db_write("x"); } except (e) { print(e.type); } f = [db_write][0]; f("again");',
]


@pytest.mark.parametrize("grants", [[], ["db.read"], ["db.writer"], ["dbx.write"]],
                         ids=["none", "db.read", "db.writer", "dbx.write"])
@pytest.mark.parametrize("path", HOST_PATHS)
def test_a_guarded_host_function_needs_its_capability_on_every_path(path, grants):
    written, variables = _host()
    result = run(path, variables, capabilities=grants)
    error = assert_blocked(result, CapabilityError)
    assert error.required == "db.write"
    assert written == []


@pytest.mark.parametrize("path", HOST_PATHS)
def test_a_guarded_host_function_runs_with_its_capability(path):
    written, variables = _host()
    result = run(path, variables, capabilities=["db.write"])
    assert result.ok, result.error
    assert written and written[0] == "x"


# ----------------------------------------------------------------------------- across executions

def test_a_reference_stored_by_a_granted_execution_is_checked_where_it_is_called():
    engine = mlpy.Engine()
    shared: dict = {}
    stored = engine.execute('import console; shared.f = fn(m) => console.log(m);'
                            ' shared.g = console.log;', {"shared": shared},
                            capabilities=["console.write"])
    assert stored.ok, stored.error
    for call in ['shared.f("REACHED");', 'shared.g("REACHED");',
                 'h = shared.f; h("REACHED");']:
        result = engine.execute(call, {"shared": shared}, capture_output=True)
        error = assert_blocked(result, CapabilityError)
        assert error.required == "console.write"


def test_a_function_returned_by_a_granted_execution_carries_no_grant_into_another():
    engine = mlpy.Engine()
    granted = engine.execute("import console; function w(m) { console.log(m); } result = w;",
                             capabilities=["console.write"])
    assert granted.ok, granted.error
    for value in (granted.value, granted.globals["w"]):
        result = engine.execute('w("REACHED");', {"w": value}, capture_output=True)
        assert_blocked(result, CapabilityError, mlpy.SecurityError)


def test_later_session_chunks_are_checked_at_call_time():
    engine = mlpy.Engine()
    session = engine.session()
    assert session.exec("import console; f = console.log;"
                        " function w(m) { console.log(m); }").ok
    for chunk in ['f("REACHED");', 'w("REACHED");', 'g = f; g("REACHED");',
                  'call(w, "REACHED");']:
        result = session.exec(chunk, capture_output=True)
        assert_blocked(result, CapabilityError)


def test_revoking_a_grant_stops_stored_references_at_once():
    engine = mlpy.Engine()
    session = engine.session(capabilities=["console.write"])
    first = session.exec('import console; f = console.log; function w(m) { console.log(m); }'
                         ' f("granted");', capture_output=True)
    assert first.ok and first.stdout == "granted\n", first.error
    handle = session.function("w")
    session.revoke("console.write")
    for chunk in ['f("REACHED");', 'w("REACHED");', 'o = {k: f}; o.k("REACHED");']:
        assert_blocked(session.exec(chunk, capture_output=True), CapabilityError)
    with pytest.raises(CapabilityError):
        handle("REACHED")


def test_introspection_reports_the_truth_and_cannot_be_used_to_grant():
    # A capability block is a request checked against the host's grants: the program runs
    # only because the host granted what it asks for (file.write), and it gains nothing.
    result = run("""
        import console;
        before = [hasCapability("console.write"), getCapabilities(),
                  requiredCapabilities(console.log)];
        capability ConsoleWrite { allow write; }
        after = hasCapability("console.write");
        console.log("REACHED");
    """, capabilities=["file.write"])
    error = assert_blocked(result, CapabilityError)
    assert error.required == "console.write"
    assert result.globals["before"] == [False, ["file.write"], ["console.write"]]
    assert result.globals["after"] is False
    assert REACHED not in (result.stdout or "")


def test_a_capability_block_grants_nothing_to_a_host_function():
    written, variables = _host()
    result = run('capability DbWrite { allow write; } db_write("x");', variables,
                 capabilities=["file.write"])
    error = assert_blocked(result, CapabilityError)
    assert error.required == "db.write" and written == []


def test_a_capability_block_the_host_did_not_grant_stops_the_program_before_it_starts():
    result = run('capability Out { allow write "/tmp/out.txt"; }\nprint("REACHED");')
    error = assert_blocked(result, CapabilityError)
    assert error.required == "file.write" and REACHED not in (result.stdout or "")
