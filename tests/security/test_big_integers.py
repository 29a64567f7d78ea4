"""Integers longer than Python's 4,300-digit limit on decimal conversion.

ML integers may have up to MAX_INT_BITS bits (about 315,000 digits). Every place such a
number becomes text or comes from text -- a literal, display, ``str()``, concatenation,
``print``, ``%``, JSON, the wire form, the REPL, error messages -- must work or fail with an
MLError, never with Python's ``ValueError: Exceeds the limit (4300 digits)``; a literal over
the size limit is a compile error at its position. The host's own limit is never changed.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import mlpy
from mlpy.runtime.limits import MAX_INT_BITS

from .conftest import ROOT, assert_blocked, assert_clean_error, assert_limit, run

MAX_INT_DIGITS = math.floor(MAX_INT_BITS * math.log10(2)) + 1  # of the largest ML integer

DIGITS = 5000  # past Python's limit of 4,300
BIG = 7 * 10 ** (DIGITS - 1) + 12345  # 7000...012345, 5,000 digits
BIG_TEXT = "7" + "0" * (DIGITS - 6) + "12345"
LITERAL = BIG_TEXT


def decimal(number: int) -> str:
    """The reference text of ``number``: Python's own, with its limit lifted for the call."""
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(number)
    finally:
        sys.set_int_max_str_digits(previous)


def test_the_reference_text_is_what_it_claims():
    assert decimal(BIG) == BIG_TEXT and len(BIG_TEXT) == DIGITS


# ----------------------------------------------------------------------------- literals


@pytest.mark.parametrize("source, value", [
    (f"result = {LITERAL};", BIG),
    (f"result = -{LITERAL};", -BIG),
    (f"result = {LITERAL} + 1;", BIG + 1),
    (f"result = [{LITERAL}][0] - {LITERAL};", 0),
    (f"result = 0000{LITERAL};", BIG),
], ids=["plain", "negative", "sum", "difference", "leading zeros"])
def test_a_long_literal_runs(source, value):
    result = run(source)
    assert result.ok, result.error
    assert result.value == value


def test_a_long_literal_compiles_checks_and_transpiles():
    source = f"x = {LITERAL};\nresult = x - 1;"
    program = mlpy.compile(source)
    assert mlpy.execute(program).value == BIG - 1
    assert [d for d in mlpy.default_engine().check(source) if d.severity == "error"] == []
    transpiled = mlpy.transpile(source)
    assert transpiled.ok
    namespace: dict = {}
    exec(compile(transpiled.python_code, "<transpiled>", "exec"), {"__builtins__": {}}, namespace)
    assert namespace["x"] == BIG  # the Python text means the same number (written in hex)
    assert program.python_code == transpiled.python_code


OVER = "9" * (MAX_INT_DIGITS + 1)


@pytest.mark.parametrize("how", ["execute", "compile", "check", "transpile"])
def test_a_literal_over_the_size_limit_is_a_compile_error_at_its_position(how):
    source = f"\nx = 1;\ny = 2 + {OVER};\n"
    if how == "execute":
        error = mlpy.execute(source).error
    elif how == "compile":
        with pytest.raises(mlpy.MLCompileError) as caught:
            mlpy.compile(source)
        error = caught.value
    else:
        diagnostics = (mlpy.default_engine().check(source) if how == "check"
                       else mlpy.transpile(source).diagnostics)
        [error] = [d for d in diagnostics if d.severity == "error"]
    assert isinstance(error, (mlpy.MLCompileError, mlpy.Diagnostic)), error
    assert (error.line if how in ("check", "transpile") else error.ml_line) == 3
    assert (error.column if how in ("check", "transpile") else error.ml_column) == 9
    assert f"{MAX_INT_BITS:,} bits" in error.message


def test_the_largest_integer_literal_is_accepted():
    largest = decimal((1 << MAX_INT_BITS) - 1)
    result = run(f"x = {largest}; result = x == {largest};", timeout=60)
    assert result.ok and result.value is True, result.error


# ----------------------------------------------------------------------------- text


TEXT_PATHS = {
    "print": ("print(x);", lambda r: r.stdout == BIG_TEXT + "\n"),
    "str": ("result = str(x);", lambda r: r.value == BIG_TEXT),
    "literal concatenation": ('result = "n=" + x;', lambda r: r.value == "n=" + BIG_TEXT),
    "concatenation of values": ('result = x + ":" + x;',
                                lambda r: r.value == BIG_TEXT + ":" + BIG_TEXT),
    "inside an array": ("result = str([x, -x]);",
                        lambda r: r.value == f"[{BIG_TEXT}, -{BIG_TEXT}]"),
    "inside an object": ("result = str({n: x});", lambda r: r.value == f"{{'n': {BIG_TEXT}}}"),
    "repr": ("result = repr(x);", lambda r: r.value == BIG_TEXT),
    "%s": ('result = "%s!" % x;', lambda r: r.value == BIG_TEXT + "!"),
    "%s of a key": ('result = "%(n)s" % {n: x};', lambda r: r.value == BIG_TEXT),
    "%x": ('result = "%x" % x;', lambda r: r.value == format(BIG, "x")),
    "format hex": ('result = format(x, "x");', lambda r: r.value == format(BIG, "x")),
    "int of str": ("result = int(str(x)) == x && int(str(-x)) == -x;",
                   lambda r: r.value is True),
    "json": ("import json; result = json.stringify([x, {n: -x}]);",
             lambda r: r.value == f'[{BIG_TEXT}, {{"n": -{BIG_TEXT}}}]'),
    "json indented": ("import json; result = json.prettyPrint({n: x}, 2);",
                      lambda r: r.value == f'{{\n  "n": {BIG_TEXT}\n}}'),
    "json round trip": ("import json; result = json.parse(json.stringify({n: [x]})).n[0] == x;",
                        lambda r: r.value is True),
    "json keys": ("import json; o = {}; o[x] = 1; result = json.stringify(o);",
                  lambda r: r.value == f'{{"{BIG_TEXT}": 1}}'),
    "csv": ("import csv; result = csv.write_string([[x, 1]], \",\", false);",
            lambda r: r.value.startswith(BIG_TEXT + ",1")),
    "thrown": ("try { throw x; } except (e) { result = e.message; }",
               lambda r: r.value == BIG_TEXT),
}


@pytest.mark.parametrize("name", sorted(TEXT_PATHS))
def test_a_long_integer_becomes_text_everywhere(name):
    source, check = TEXT_PATHS[name]
    result = run(source, {"x": BIG})
    assert result.ok, f"{name}: {result.error!r}"
    assert check(result), f"{name}: {str(result.value)[:80]!r} {str(result.stdout)[:80]!r}"


def test_logging_a_long_integer_in_a_json_record():
    result = run('import log; log.set_format("json"); log.set_timestamp(false);'
                 'log.info("big", {n: x});', {"x": BIG}, capabilities=["log.write"])
    assert result.ok, result.error
    assert f'"data": {{"n": {BIG_TEXT}}}' in result.stdout


@pytest.mark.parametrize("source", ['y = "%d" % x;', 'y = format(x, "d");',
                                    'y = format(x, ",");'])
def test_decimal_formats_refuse_a_long_integer_with_an_ml_error(source):
    result = run(f"try {{ {source} }} except (e) {{ result = e.type + ': ' + e.message; }}",
                 {"x": BIG})
    assert result.ok, result.error
    assert result.value.startswith("ValueError: an integer of more than 4300 digits")
    assert "sys.set_int_max_str_digits" not in result.value
    uncaught = run(source, {"x": BIG})
    assert_clean_error(uncaught.error)
    assert uncaught.error.message == result.value.split(": ", 1)[1]


@pytest.mark.parametrize("source", [
    'x = int("9" * 400000);',
    'x = json.parse("[" + "9" * 400000 + "]");',
])
def test_text_for_an_integer_over_the_size_limit_is_a_catchable_value_error(source):
    result = run(f"import json; try {{ {source} }} except (e) {{ result = e.type + ': ' "
                 "+ e.message; }")
    assert result.ok, result.error
    assert result.value.startswith("ValueError: ") and "400,000 digits" in result.value


def test_a_huge_size_in_a_limit_message_is_not_written_out():
    error = assert_limit(run('y = "a" * x;', {"x": BIG}), mlpy.MLResourceError, "memory")
    assert len(error.message) < 200


def test_showing_many_copies_of_a_long_integer_is_refused_before_it_is_built():
    assert_limit(run("a = [x] * 4000; print(a);", {"x": BIG}), mlpy.MLResourceError, "memory")
    assert_limit(run('a = {n: x}; s = "%(n)s" * 4000; t = s % a;', {"x": BIG}),
                 mlpy.MLResourceError, "memory")


# ----------------------------------------------------------------------------- messages


@pytest.mark.parametrize("source", [
    "o = {}; y = o[x];", "throw x;", "y = [1][x];", "y = x();", "y = x.length;",
])
def test_error_messages_that_show_a_long_integer_stay_clean(source):
    result = run(source, {"x": BIG})
    assert not result.ok
    assert_clean_error(result.error)
    assert "4300" not in result.error.message
    result.error.format()  # the report with its excerpt
    json.dumps(result.to_dict())


def test_a_missing_long_key_is_named_briefly():
    message = run("o = {}; y = o[x];", {"x": BIG}).error.message
    assert message.startswith("key 7000") and "(5,000 characters) not found" in message
    assert len(message) < 200


# ----------------------------------------------------------------------------- the host


def test_the_result_wire_form_and_repr():
    result = run("result = [x, -x, 1];", {"x": BIG})
    wire = result.to_dict()["value"]
    assert wire == [{"$ml": "int", "v": BIG_TEXT}, {"$ml": "int", "v": "-" + BIG_TEXT}, 1]
    assert json.loads(json.dumps(wire)) == wire  # the host's own json module writes it
    assert "7000" in repr(result) and len(repr(result)) < 400


def test_the_wire_form_decodes_exactly():
    from mlpy.marshal import to_wire
    from mlpy.sandbox.wire import from_wire
    assert from_wire(to_wire([BIG, -BIG, {"k": BIG}])) == [BIG, -BIG, {"k": BIG}]


def test_the_subprocess_sandbox_returns_a_long_integer(tmp_path):
    with mlpy.Engine(isolation="subprocess") as engine:
        result = engine.execute("result = [x + 1, str(x).length];", {"x": BIG}, timeout=30)
    assert result.ok, result.error
    assert result.value == [BIG + 1, DIGITS]


def test_the_repl_echoes_a_long_integer():
    from mlpy.repl.session import MLREPLSession
    session = MLREPLSession()
    shown = session.execute(f"{LITERAL} + 0")
    assert shown.ok, shown
    assert BIG_TEXT in shown.display


def test_the_command_line_runs_and_reports_a_long_integer(tmp_path):
    program = tmp_path / "big.ml"
    program.write_text(f"x = {LITERAL};\nprint(x);\nresult = [x];\n", encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    ran = subprocess.run([sys.executable, "-m", "mlpy", "run", str(program)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == BIG_TEXT + "\n"
    as_json = subprocess.run([sys.executable, "-m", "mlpy", "run", "--json", str(program)],
                             env=env, capture_output=True, text=True, timeout=60)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["value"] == [{"$ml": "int", "v": BIG_TEXT}]
    over = tmp_path / "over.ml"
    over.write_text(f"x = {OVER};\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "mlpy", "run", str(over)], env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 3, refused.stderr  # a syntax error, not an internal failure
    assert "over.ml:1:5: error: an integer of" in refused.stderr


# ----------------------------------------------------------------------------- conversions


@pytest.mark.parametrize("limit", [0, 640, 4300])
def test_conversions_work_under_any_limit_the_host_sets(limit):
    from mlpy.integers import digits_value, int_text
    from mlpy.marshal import json_text, json_value
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(limit)
    try:
        for number in (0, -1, 10 ** 700 + 3, -BIG, BIG ** 3):
            text = int_text(number)
            assert digits_value(text) == number
            assert json_value(json_text([number])) == [number]
        assert run("print(x);", {"x": 10 ** 700}).stdout == "1" + "0" * 700 + "\n"
        assert sys.get_int_max_str_digits() == limit  # never changed, not even for a while
    finally:
        sys.set_int_max_str_digits(previous)
    assert int_text(BIG ** 3) == decimal(BIG ** 3)


def test_text_past_the_size_limit_is_refused_before_converting():
    from mlpy.integers import digits_value
    with pytest.raises(ValueError, match="over the limit"):
        digits_value("1" * (MAX_INT_DIGITS + 1))
    with pytest.raises(ValueError, match="over the limit"):
        digits_value(decimal(1 << MAX_INT_BITS))
    assert digits_value("0" * 1_000_000 + "5") == 5  # leading zeros are not digits that count
    with pytest.raises(ValueError):
        digits_value("1" * 700 + "x")


def test_blocked_helper_sees_an_over_limit_literal_as_a_compile_error():
    assert_blocked(run(f"x = {OVER};"), mlpy.MLSyntaxError, match="over the limit")
