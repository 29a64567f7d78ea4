"""The assertion helpers of mlpy.testing, used from a user's test file: each passes on the
right behaviour and fails, with a message naming what was expected, what happened and
where in the ML source, on the wrong one (integration spec 7.2, T26)."""

from __future__ import annotations

import pytest

import mlpy
from mlpy.testing import assert_ml_raises, assert_ml_result, assert_no_diagnostics

pytest_plugins = ["pytester"]


def test_assert_capability_denied_passes_on_a_denial_and_fails_when_allowed(user_suite):
    suite = user_suite('''
import pytest
from mlpy.testing import assert_capability_denied

READ = 'import file;\\nresult = file.read(path);'

@pytest.fixture
def path(tmp_path):
    target = tmp_path / "data.txt"
    target.write_text("secret")
    return str(target)

def source(path):
    return READ.replace("path", repr(path))

def test_right_denied_without_grant(path):
    error = assert_capability_denied(source(path), "file.read")
    assert error.required == "file.read"

def test_right_denied_outside_the_granted_scope(path, tmp_path):
    assert_capability_denied(source(path), "file.read", resource=path,
                             capabilities=["file.read:/nowhere/**"])

def test_right_alias_is_denied_too(path):
    assert_capability_denied(f"import file;\\ng = file;\\ng.read({path!r});", "file.read")

def test_wrong_allowed_by_grant(path):
    assert_capability_denied(source(path), "file.read", capabilities=["file.read"])

def test_wrong_other_capability(path):
    assert_capability_denied(source(path), "file.write")

def test_wrong_other_error():
    assert_capability_denied("x = 1;\\ny = 1 / 0;", "file.read")

def test_wrong_other_resource(path):
    assert_capability_denied(source(path), "file.read", resource="/etc/passwd")
''').check()
    suite.run.assert_outcomes(passed=3, failed=4)
    assert ("expected a CapabilityError for 'file.read', but the program ran to its end with "
            "the capabilities ['file.read'] (value: 'secret')") in suite.text(
                "test_wrong_allowed_by_grant")
    text = suite.text("test_wrong_other_capability")
    assert "expected a CapabilityError for 'file.write', but the capability refused was " \
           "'file.read'" in text
    assert "<string>:2:10: error:" in text  # the ML position of the refusal
    text = suite.text("test_wrong_other_error")
    assert "but the program failed with another error" in text
    assert "MLRuntimeError" in text and "<string>:2:5: error: division by zero" in text
    assert "but the resource refused was" in suite.text("test_wrong_other_resource")


def test_assert_ml_result_checks_value_success_and_grants(user_suite):
    suite = user_suite('''
import mlpy
from mlpy.testing import assert_ml_result

def test_right_value():
    result = assert_ml_result("result = a + b;", 3, variables={"a": 1, "b": 2})
    assert result.ok

def test_right_approx():
    assert_ml_result("result = [0.1 + 0.2, {x: 1 / 3}];", [0.3, {"x": 0.3333}], approx=1e-3)

def test_right_granted():
    assert_ml_result('import console; console.log("hi"); result = 1;', 1,
                     capabilities=["console.write"])

def test_right_on_the_given_engine():
    engine = mlpy.Engine(max_steps=10_000)
    assert_ml_result("i = 0; while (i < 10) { i = i + 1; } result = i;", 10, engine=engine)

def test_wrong_value():
    assert_ml_result("result = a + b;", 4, variables={"a": 1, "b": 2})

def test_wrong_true_is_not_one():
    assert_ml_result("result = true;", 1)

def test_wrong_outside_tolerance():
    assert_ml_result("result = 0.1 + 0.2;", 0.31, approx=1e-3)

def test_wrong_program_fails():
    assert_ml_result("x = 1;\\nresult = x / 0;", 1)

def test_wrong_not_granted():
    assert_ml_result('import console; console.log("hi"); result = 1;', 1)
''').check()
    suite.run.assert_outcomes(passed=4, failed=5)
    assert "the ML program gave 3, expected 4" in suite.text("test_wrong_value")
    assert "the ML program gave True, expected 1" in suite.text("test_wrong_true_is_not_one")
    assert "(within 0.001)" in suite.text("test_wrong_outside_tolerance")
    text = suite.text("test_wrong_program_fails")
    assert "the ML program failed, expected it to give 1 (run with no capabilities)" in text
    assert "<string>:2:10: error: division by zero [MLR001]" in text
    assert "console.write" in suite.text("test_wrong_not_granted")


def test_assert_ml_raises_checks_type_message_and_ml_line(user_suite):
    suite = user_suite('''
import mlpy
from mlpy.testing import assert_ml_raises

SOURCE = "function half(x) {\\n    return 10 / x;\\n}\\nresult = half(0);"

def test_right_type_match_line():
    error = assert_ml_raises(SOURCE, mlpy.MLRuntimeError, match="division", line=2)
    assert error.kind == "division_by_zero"

def test_right_compile_error():
    assert_ml_raises("x = ;", mlpy.MLSyntaxError, line=1)

def test_right_tuple_of_types():
    assert_ml_raises(SOURCE, (mlpy.MLSyntaxError, mlpy.MLRuntimeError))

def test_wrong_no_error():
    assert_ml_raises("result = 1;", mlpy.MLRuntimeError)

def test_wrong_type():
    assert_ml_raises(SOURCE, mlpy.CapabilityError)

def test_wrong_message():
    assert_ml_raises(SOURCE, mlpy.MLRuntimeError, match="overflow")

def test_wrong_line():
    assert_ml_raises(SOURCE, mlpy.MLRuntimeError, line=4)
''').check()
    suite.run.assert_outcomes(passed=3, failed=4)
    assert "expected MLRuntimeError, but the program ran to its end (value: 1)" in suite.text(
        "test_wrong_no_error")
    assert "expected CapabilityError, but it failed with MLRuntimeError" in suite.text(
        "test_wrong_type")
    assert "expected MLRuntimeError matching 'overflow', but the message was " \
           "'division by zero'" in suite.text("test_wrong_message")
    text = suite.text("test_wrong_line")
    assert "expected MLRuntimeError on ML line 4, but it failed on ML line 2" in text
    assert "<string>:2:12: error: division by zero" in text


def test_assert_no_diagnostics_thresholds(user_suite):
    suite = user_suite('''
from mlpy.testing import assert_no_diagnostics

SHADOWS = "function len(x) { return 0; }"

def test_right_clean():
    assert assert_no_diagnostics("function area(w, h) { return w * h; }") == []

def test_right_warning_below_error_threshold():
    below = assert_no_diagnostics(SHADOWS, severity="error")
    assert [d.code for d in below] == ["MLW001"]

def test_wrong_warning():
    assert_no_diagnostics(SHADOWS)

def test_wrong_error():
    assert_no_diagnostics("x = 1;\\nprint(totl);", severity="error")
''').check()
    suite.run.assert_outcomes(passed=2, failed=2)
    assert "<string>:1:10: warning: function 'len' shadows the builtin len() [MLW001]" in \
        suite.text("test_wrong_warning")
    assert "<string>:2:7: error: unknown name 'totl' [MLC001]" in suite.text("test_wrong_error")


def test_assert_callback_returns_goes_through_the_callback_path(user_suite):
    suite = user_suite('''
from mlpy.testing import assert_callback_returns

RULES = """
import console;
function discount(total, rate) {
    return total * rate;
}
function shout(text) {
    console.log(text);
    return text;
}
function broken(x) {
    return x.missing.deeper;
}
"""

def test_right_value(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert assert_callback_returns(ml_session, "discount", (100, 0.1), 10.0) == 10.0

def test_right_keyword_arguments(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert_callback_returns(ml_session, "discount", [100], 25.0, kwargs={"rate": 0.25})

def test_right_capabilities_for_the_call(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert_callback_returns(ml_session, "shout", ("hi",), "hi",
                            capabilities=["console.write"])

def test_wrong_value(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert_callback_returns(ml_session, "discount", (100, 0.1), 11)

def test_wrong_raises(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert_callback_returns(ml_session, "broken", ({},), 1)

def test_wrong_session_grants_are_kept(ml_session):
    ml_session.exec(RULES).raise_for_error()
    assert_callback_returns(ml_session, "shout", ("hi",), "hi")
''').check()
    suite.run.assert_outcomes(passed=3, failed=3)
    assert "the callback discount(100, 0.1) returned 10.0, expected 11" in suite.text(
        "test_wrong_value")
    text = suite.text("test_wrong_raises")
    assert "the callback broken({}) raised instead of returning 1" in text
    assert "<session:1>:11:" in text  # the line of the failing ML code
    assert "console.write" in suite.text("test_wrong_session_grants_are_kept")


def test_assert_async_ml_result_with_anyio(user_suite):
    pytest.importorskip("anyio")  # its pytest plugin runs the async tests
    suite = user_suite('''
import pytest
from mlpy.testing import assert_async_ml_result

pytestmark = pytest.mark.anyio

@pytest.fixture
def anyio_backend():
    return "asyncio"

async def test_right_value():
    result = await assert_async_ml_result("result = a * 2;", 42, variables={"a": 21})
    assert result.success

async def test_wrong_value():
    await assert_async_ml_result("result = 2;", 3)

async def test_wrong_timeout():
    await assert_async_ml_result("while (true) { }", 1, timeout=0.2)

async def test_wrong_not_granted():
    await assert_async_ml_result('import console; console.log("x"); result = 1;', 1)
''').check()
    suite.run.assert_outcomes(passed=1, failed=3)
    assert "the ML program gave 2, expected 3" in suite.text("test_wrong_value")
    assert "did not finish within 0.2 s, expected it to give 1" in suite.text(
        "test_wrong_timeout")
    assert "console.write" in suite.text("test_wrong_not_granted")


def test_helpers_do_not_change_what_they_observe():
    """A helper runs the program exactly once with exactly the grants it names: what ML
    code does (here: appending to a list the host passed) happens once, and a result the
    helper checks equals a plain execution's."""
    seen: list[int] = []
    assert_ml_result("items.append(1); result = len(items);", 1, variables={"items": seen})
    assert seen == [1]
    plain = mlpy.execute("result = [1, 2.5, true];").value
    assert assert_ml_result("result = [1, 2.5, true];", plain).value == plain
    error = assert_ml_raises("result = 1 / 0;", mlpy.MLRuntimeError)
    assert error.kind == mlpy.execute("result = 1 / 0;").error.kind


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="severity must be one of"):
        assert_no_diagnostics("x = 1;", severity="fatal")
    session = mlpy.Engine().load("function f(x) { return x; }")
    from mlpy.testing import assert_callback_returns

    with pytest.raises(TypeError, match=r"for one argument write \(5,\)"):
        assert_callback_returns(session, "f", 5, 5)
    with pytest.raises(AssertionError, match="raised instead of returning 5:\n"
                                             "MLCallError:\n.*'nope' is not an ML function"):
        assert_callback_returns(session, "nope", (), 5)


def test_a_path_is_run_as_the_file(tmp_path):
    rules = tmp_path / "rules.ml"
    rules.write_text("x = 1;\nresult = x / 0;\n")
    with pytest.raises(AssertionError, match=r"rules\.ml:2:10: error: division by zero"):
        assert_ml_result(rules, 1)
    assert_ml_raises(rules, mlpy.MLRuntimeError, line=2)
