"""printf-style formatting (`text % value`) as an attack surface.

`%` on a string is one native operation: whatever it builds, it builds before any check of
the execution's limits runs again. So the size of its result is bounded before it runs --
widths, precisions, and values that a format shows many times -- and the values it shows
are ML values in their ML display (DESIGN D3): never a Python repr, a host object's address
or an internal class name, in the result or in an error message.
"""

from __future__ import annotations

import re

import pytest

import mlpy

from .conftest import assert_isolated_limit, assert_limit, describe, run, run_isolated

SHARED = "a = [1]; for (i in range(60)) { a = [a, a]; }\n"

# Each builds a result far over the string limit (16,777,216 characters) in one `%`.
OVERSIZED = {
    "width": 'x = "%200000000s" % 1;',
    "width_of_a_key": 'x = "%(a)200000000s" % {a: 1};',
    "precision_float": 'x = "%.200000000f" % 1.5;',
    "precision_integer": 'x = "%.200000000d" % 1;',
    "precision_hex": 'x = "%.200000000x" % 1;',
    "many_small_widths": 'x = "%(a)999d" * 100000 % {a: 1};',
    "many_float_digits": 'x = "%(a).999f" * 20000 % {a: 1e300};',
    "repeated_string": 's = "x" * 1000000; x = "%(a)s" * 20 % {a: s};',
    "repeated_array": "a = range(200000); x = \"%(a)s\" * 20 % {a: a};",
    "repeated_object": 'o = {k: "v" * 1000000}; x = "%(o)s" * 20 % {o: o};',
    "repeated_big_integer": "import math; n = math.pow(7, 300000);"
                            ' x = "%(n)x" * 100 % {n: n};',
    "repeated_escapes": 's = "\\x00" * 1000000; x = "%(a)r" * 5 % {a: s};',
    "repeated_ascii": 's = "\\u00e9" * 1000000; x = "%(a)a" * 5 % {a: s};',
    "shared_value": SHARED + 'x = "%s" % a;',
    "shared_value_repr": SHARED + 'x = "%r" % a;',
    "shared_value_of_a_key": SHARED + 'x = "%(a)s" % {a: a};',
    "shared_value_as_object": SHARED + 'x = "%s" % {a: a};',
}

CASES = {name: {"src": source, "options": {"timeout": 5}, "group": "oversized"}
         for name, source in OVERSIZED.items()}


@pytest.fixture(scope="module")
def oversized():
    return run_isolated(CASES, wall=10.0)


@pytest.mark.parametrize("name", sorted(OVERSIZED))
def test_a_format_cannot_build_more_than_the_string_limit(oversized, name):
    report = oversized[name]
    assert_isolated_limit(report, "MLResourceError", resource="memory")
    assert "size limit" in report["message"], describe(report)
    assert report["seconds"] < 5, describe(report)


def test_a_mapping_key_with_parentheses_is_refused():
    # Python reads "%((a))s" as the key "(a)"; a reader that does not balance parentheses
    # would miss the width after it. Such keys are refused outright.
    result = run('x = "%((a))200000000s" % {"(a)": 1};')
    assert not result.ok
    assert "mapping key cannot hold parentheses" in result.error.message
    assert result.globals.get("x") is None


def test_a_single_argument_is_counted_once():
    # "%s" shows its one argument once, however many other conversions the format has.
    result = run('s = "y" * 8000000; x = "[%s] 100%%" % s; n = len(x);')
    assert result.ok, result.error
    assert result.globals["n"] == 8000000 + 7


def test_reading_a_huge_format_stops_at_the_deadline():
    # Measuring a format of three million conversions takes seconds: it looks at the clock
    # as it reads, so the execution ends at its time limit instead of running past it.
    result = run('f = "%(a)s" * 3000000; t = f % {a: "y"};', timeout=0.2)
    assert_limit(result, mlpy.MLTimeoutError)


# ----------------------------------------------------------------------------- ML display

HOST_FUNCTION = mlpy.host_function(lambda: 1, name="host_fn")

# name -> an ML expression for the value (``h`` is an opaque host object, ``hf`` a host
# function, ``e`` a caught error)
VALUES = {
    "builtin": "print",
    "arrow": "fn(x) => x",
    "function": "named",
    "true": "true",
    "null": "null",
    "array": '[1, "x", true, null]',
    "object": "{a: true, b: [null]}",
    "module": "math",
    "module_function": "math.sqrt",
    "regex_pattern": 'regex.compile("a+")',
    "regex_match": 'regex.search("a+", "baa")',
    "composed_function": "functional.compose(math.sqrt, math.abs)",
    "error": "e",
    "host_object": "h",
    "host_function": "hf",
    "date": "datetime.create(2024, 1, 2)",
}
PREAMBLE = """import math; import regex; import functional; import datetime;
function named() { return 1; }
try { x = 1 / 0; } except (caught) { e = caught; }
v = VALUE;
"""


@pytest.mark.parametrize("name", sorted(VALUES))
def test_format_shows_ml_display_only(name):
    # `%s` is str(v) and `%r` is repr(v), with or without a mapping key: the one ML display.
    source = PREAMBLE.replace("VALUE", VALUES[name]) + """
result = ["%s" % v == str(v), "%r" % v == repr(v), "%(v)s" % {v: v} == str(v),
          "%(v)r" % {v: v} == repr(v), "%(v)s|%(v)r" % {v: v}];
"""
    result = run(source, {"h": object(), "hf": HOST_FUNCTION})
    assert result.ok, result.error
    *same, shown = result.value
    assert same == [True, True, True, True], (same, shown)
    assert not re.search(r"0x[0-9a-f]{4,}|<mlpy|\bobject at\b|\bTrue\b|\bNone\b", shown), shown


@pytest.mark.parametrize("source, ml_type", [
    ('x = "%d" % [1];', "array"),
    ('x = "%d" % null;', "null"),
    ('x = "%d" % {a: 1};', "object"),
    ('x = "%(x)d" % {x: "s"};', "string"),
    ('x = "%x" % 1.5;', "number"),
    ('x = "%d" % print;', "function"),
])
def test_format_errors_name_ml_types(source, ml_type):
    result = run(source)
    assert isinstance(result.error, mlpy.MLRuntimeError), result.error
    assert result.error.message.endswith(f"not {ml_type}"), result.error.message
    assert "_Shown" not in result.error.message


@pytest.mark.parametrize("source, expected", [
    ('"%5.1f%% done" % 12.345', " 12.3% done"),
    ('"%-4s|" % true', "true|"),
    ('"%03d" % 7', "007"),
    ('"%x %o" % 255', None),  # two conversions, one argument: Python's error
    ('"%c" % "s"', "s"),
    ('"%(n)s, %(b)s, %(a)s" % {n: null, b: false, a: [1, "a"]}', "null, false, [1, 'a']"),
    ('"%s" % {a: 1}', "{'a': 1}"),
    ('"%(a)s%(a)s" % {a: "ab"}', "abab"),
    ('"%.2s" % [1, 2]', "[1"),
])
def test_ordinary_formats_work_as_before(source, expected):
    result = run(f"result = {source};")
    if expected is None:
        assert "not enough arguments" in result.error.message
    else:
        assert result.ok, result.error
        assert result.value == expected
