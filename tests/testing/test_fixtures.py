"""The fixtures of the mlpy pytest plugin, used from a user's test file: what each yields,
and that each cleans up after its test even when the test fails (integration spec 7.2)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


# In the user's file: whether a process has ended (polled: stopping a worker takes a moment).
GONE = '''
import os as _os
import time as _time

def gone(pid, within=30.0):
    deadline = _time.monotonic() + within
    while _time.monotonic() < deadline:
        try:
            _os.kill(pid, 0)
        except ProcessLookupError:
            return True
        _time.sleep(0.05)
    return False
'''


def test_ml_engine_is_fresh_default_deny_and_closed_after_a_failing_test(user_suite, tmp_path):
    pid_file = tmp_path / "pid"
    suite = user_suite(f'''
import mlpy

SEEN = []

def test_right_default_deny(ml_engine):
    result = ml_engine.execute('import console; console.log("hi");')
    assert isinstance(result.error, mlpy.CapabilityError)
    assert result.error.required == "console.write"
    assert ml_engine.capabilities.names() == frozenset()

def test_right_a_new_engine_per_test(ml_engine):
    SEEN.append(ml_engine)
    assert ml_engine.execute("result = 40 + 2;").value == 42

def test_right_and_another(ml_engine):
    SEEN.append(ml_engine)
    assert SEEN[0] is not SEEN[1]

def test_wrong_fails_while_holding_a_worker(ml_engine):
    result = ml_engine.execute("result = 1;", isolation="subprocess")
    SEEN.append(ml_engine)  # kept alive: only close() can stop its worker
    open({str(pid_file)!r}, "w").write(str(result.usage["worker_pid"]))
    assert result.value == 2

def test_right_the_worker_was_stopped():
    assert gone(int(open({str(pid_file)!r}).read())), "ml_engine was not closed"
''' + GONE).check()
    suite.run.assert_outcomes(passed=4, failed=1)


def test_ml_session_and_ml_caps(user_suite, tmp_path):
    allowed = tmp_path / "in" / "a.txt"
    allowed.parent.mkdir()
    allowed.write_text("inside")
    outside = tmp_path / "b.txt"
    outside.write_text("outside")
    suite = user_suite(f'''
import mlpy

INSIDE, OUTSIDE = {str(allowed)!r}, {str(outside)!r}
SCOPE = {str(tmp_path / "in")!r} + "/**"
READ = "import file; result = file.read(path);"

def test_right_session_of_the_engine(ml_session, ml_engine):
    assert ml_session.engine is ml_engine
    ml_session.exec("total = 0;\\n"
                    "function add(x) {{ nonlocal total; total = total + x; return total; }}")
    ml_session.call("add", 2)
    assert ml_session.call("add", 3) == 5 and ml_session.get("total") == 5

def test_right_caps_are_a_capability_set(ml_caps):
    caps = ml_caps("console.write", "file.read:/tmp/**", deny=["file.read:/tmp/secret/**"])
    assert isinstance(caps, mlpy.CapabilitySet)
    assert caps.allows("file.read", "/tmp/a") and not caps.allows("file.read", "/tmp/secret/x")

def test_right_caps_grant_in_scope(ml_engine, ml_caps):
    result = ml_engine.execute(READ, {{"path": INSIDE}}, capabilities=ml_caps("file.read:" + SCOPE))
    assert result.value == "inside"

def test_wrong_caps_do_not_reach_outside_their_scope(ml_engine, ml_caps):
    grants = ml_caps("file.read:" + SCOPE)
    result = ml_engine.execute(READ, {{"path": OUTSIDE}}, capabilities=grants)
    assert result.value == "outside", result.error.message

def test_wrong_session_has_no_grants(ml_session):
    ml_session.exec('import console; console.log("x");').raise_for_error()
''').check()
    suite.run.assert_outcomes(passed=3, failed=2)
    assert "whose granted scope does not include it" in suite.text(
        "test_wrong_caps_do_not_reach_outside_their_scope")
    assert "console.write" in suite.text("test_wrong_session_has_no_grants")


def test_ml_session_is_closed_after_a_failing_test(user_suite):
    suite = user_suite('''
KEPT = []

def test_wrong_fails(ml_session):
    ml_session.exec("x = 1;").raise_for_error()
    KEPT.append(ml_session)
    assert ml_session.get("x") == 2

def test_right_it_was_closed():
    assert KEPT[0].names() == []
''').check()
    suite.run.assert_outcomes(passed=1, failed=1)


def test_ml_audit_collects_the_events_of_the_test_only(user_suite):
    suite = user_suite('''
import logging
import mlpy

KEPT = []

def test_right_denial_and_grant(ml_audit, ml_engine):
    ml_engine.execute('import console; console.log("x");')
    session = ml_engine.session()
    session.grant("console.write")
    denied = ml_audit.of("deny")
    assert [e["requirement"] for e in denied] == ["console.write"]
    assert denied[0]["execution_id"] and isinstance(denied[0]["time"], float)
    assert [e["requirement"] for e in ml_audit.of("grant")] == ["console.write"]

def test_right_uses_of_ml_engine_are_all_recorded(ml_audit, ml_engine):
    for _ in range(3):
        ml_engine.execute('import console; console.log("x");', capabilities=["console.write"],
                          capture_output=True)
    assert len(ml_audit.of("use")) == 3

def test_right_other_engines_too(ml_audit):
    mlpy.Engine().execute('import console; console.log("x");')
    assert len(ml_audit.of("deny")) == 1

def test_wrong_fails_holding_the_list(ml_audit):
    KEPT.append(ml_audit)
    assert ml_audit == ["something"]

def test_right_the_handler_is_gone_after_the_test():
    mlpy.Engine().execute('import console; console.log("x");')
    assert KEPT[0] == []
    assert logging.getLogger("mlpy.audit").level == logging.NOTSET
    assert logging.getLogger("mlpy.audit").handlers == []
''').check()
    suite.run.assert_outcomes(passed=4, failed=1)


def test_ml_async_engine_runs_on_the_test_loop_and_stops_jobs_of_a_failing_test(user_suite):
    pytest.importorskip("anyio")  # its pytest plugin runs the async tests
    suite = user_suite('''
import pytest
import mlpy

pytestmark = pytest.mark.anyio
KEPT = []

@pytest.fixture
def anyio_backend():
    return "asyncio"

async def test_right_execute(ml_async_engine):
    result = await ml_async_engine.execute("result = x * 2;", variables={"x": 21})
    assert result.success and result.value == 42

async def test_right_no_grants(ml_async_engine):
    result = await ml_async_engine.execute('import console; console.log("x");')
    assert isinstance(result.error_info, mlpy.CapabilityError)

async def test_wrong_fails_with_a_runaway_job(ml_async_engine):
    future = ml_async_engine.submit("while (true) { }", timeout=None)
    KEPT.append((ml_async_engine, future))
    assert future.done()

def test_right_the_job_was_stopped_and_the_engine_closed():
    engine, future = KEPT[0]
    assert engine.closed
    assert future.done()
''').check()
    suite.run.assert_outcomes(passed=3, failed=1)


def test_ml_async_engine_with_pytest_asyncio(user_suite):
    pytest.importorskip("pytest_asyncio")
    suite = user_suite('''
import pytest

@pytest.mark.asyncio
async def test_right_execute(ml_async_engine):
    result = await ml_async_engine.execute("result = 1 + 1;")
    assert result.value == 2
''').check()
    suite.run.assert_outcomes(passed=1)


def test_ml_tmp_sandbox_runs_in_a_worker_with_tight_limits_and_stops_it(user_suite, tmp_path):
    pid_file = tmp_path / "pid"
    suite = user_suite(f'''
import os
import mlpy

def test_right_in_another_process(ml_tmp_sandbox):
    result = ml_tmp_sandbox.execute("result = 6 * 7;")
    assert result.value == 42
    assert result.usage["worker_pid"] != os.getpid()

def test_right_tight_output_limit(ml_tmp_sandbox):
    result = ml_tmp_sandbox.execute('print("x" * 200000);', capture_output=True)
    assert len(result.stdout) <= 64 * 1024

def test_right_default_deny(ml_tmp_sandbox):
    result = ml_tmp_sandbox.execute('import console; console.log("x");')
    assert isinstance(result.error, mlpy.CapabilityError)

KEPT = []

def test_wrong_fails_holding_the_worker(ml_tmp_sandbox):
    result = ml_tmp_sandbox.execute("result = 1;")
    KEPT.append(ml_tmp_sandbox)  # kept alive: only close() can stop its worker
    open({str(pid_file)!r}, "w").write(str(result.usage["worker_pid"]))
    assert result.value == 2

def test_right_the_worker_was_stopped():
    assert gone(int(open({str(pid_file)!r}).read())), "the sandbox worker outlived its test"
''' + GONE).check()
    suite.run.assert_outcomes(passed=4, failed=1)


def test_the_plugin_is_a_pytest11_plugin_that_loads_mlpy_lazily(user_suite):
    """Listed by ``pytest --fixtures``; loading it does not load the async engine or the
    sandbox, so a test run that uses no fixture pays no more than ``import mlpy``."""
    import subprocess
    import sys

    code = ("import sys, mlpy.testing.plugin; "
            "print(sorted(m for m in sys.modules if m.startswith('mlpy') and m not in "
            "('mlpy', 'mlpy.testing', 'mlpy.testing.plugin')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "mlpy.aio" not in loaded and "mlpy.sandbox" not in loaded
    suite = user_suite("def test_right_nothing():\n    pass\n", "--fixtures")
    for name in ("ml_engine", "ml_async_engine", "ml_session", "ml_caps", "ml_audit",
                 "ml_tmp_sandbox"):
        suite.run.stdout.fnmatch_lines([f"*{name}*"])
