"""IntegrationTestHelper: the 2.0 reference's method names with working semantics -- the
capabilities given are honoured and ``assert_capability_violation`` can pass (G8)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mlpy
from mlpy.testing import IntegrationTestHelper

pytest_plugins = ["pytester"]


def test_the_reference_methods_work_in_a_user_suite(user_suite):
    suite = user_suite('''
import pytest
from mlpy.testing import IntegrationTestHelper

READ = 'import file; result = file.read("/etc/hostname");'

@pytest.fixture
def helper():
    with IntegrationTestHelper() as helper:
        yield helper

def test_right_violation_is_detected(helper):
    helper.assert_capability_violation(READ, "file.read")
    assert helper.get_violation_history()[0]["required"] == "file.read"

def test_wrong_violation_when_granted(helper):
    helper.assert_capability_violation(READ, "file.read", ["file.read"])

def test_right_callback_on_a_test_session(helper):
    session = helper.create_test_session()
    session.exec("function double(x) { return x * 2; }").raise_for_error()
    helper.assert_callback_works(session, "double", (21,), 42)

def test_wrong_test_session_gets_only_what_it_is_given(helper):
    session = helper.create_test_session(["console.write"])
    session.exec('import console; console.log("x");').raise_for_error()
    session.exec('import file; file.read("/etc/hostname");').raise_for_error()

def test_right_test_repl_honours_capabilities(helper):
    repl = helper.create_test_repl(capabilities=["console.write"])
    assert repl.execute('import console; console.log("hi");').ok
    assert not helper.create_test_repl().execute('import console; console.log("hi");').ok
''').check()
    suite.run.assert_outcomes(passed=3, failed=2)
    assert "but the program ran to its end with the capabilities ['file.read']" in \
        suite.text("test_wrong_violation_when_granted")
    assert "file.read" in suite.text("test_wrong_test_session_gets_only_what_it_is_given")


def test_the_async_check_honours_capabilities(user_suite):
    pytest.importorskip("anyio")  # its pytest plugin runs the async tests
    suite = user_suite('''
import pytest
from mlpy.testing import IntegrationTestHelper

pytestmark = pytest.mark.anyio
LOGS = 'import console; console.log("x"); result = 2;'

@pytest.fixture
def anyio_backend():
    return "asyncio"

async def test_right_async_with_capabilities():
    with IntegrationTestHelper() as helper:
        await helper.assert_async_execution(LOGS, 2, capabilities=["console.write"])
        assert helper.get_execution_history()[0]["result"] == 2

async def test_wrong_async_capabilities_are_not_ignored():
    with IntegrationTestHelper() as helper:
        await helper.assert_async_execution(LOGS, 2)
''').check()
    suite.run.assert_outcomes(passed=1, failed=1)
    assert "console.write" in suite.text("test_wrong_async_capabilities_are_not_ignored")


def test_module_helpers_are_methods_too():
    with IntegrationTestHelper() as helper:
        helper.assert_ml_result("result = 2 + 2;", 4)
        helper.assert_ml_raises("result = [][1];", mlpy.MLRuntimeError, line=1)
        helper.assert_no_diagnostics("x = 1;")
        helper.assert_capability_denied('import console; console.log("x");', "console.write")
        with pytest.raises(AssertionError):
            helper.assert_ml_result("result = 2 + 2;", 5)
        helper.create_test_session()
        helper.reset()
        assert helper.get_violation_history() == [] and helper.mock_repl_sessions
    assert helper.mock_repl_sessions == []


def test_core_modules_never_import_mlpy_testing():
    code = ("import sys, mlpy, mlpy.aio, mlpy.callbacks, mlpy.sandbox, mlpy.session; "
            "mlpy.execute('result = 1;'); "
            "print([m for m in sys.modules if m.startswith('mlpy.testing')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    import importlib
    modules = subprocess.run(
        [sys.executable, "-c", "import sys, mlpy.testing; "
         "print('pytest' in sys.modules, 'mlpy.aio' in sys.modules)"],
        capture_output=True, text=True, check=True).stdout
    assert modules.split() == ["False", "False"]  # usable without pytest; async loads on use
    assert importlib.import_module("mlpy.testing").__all__
