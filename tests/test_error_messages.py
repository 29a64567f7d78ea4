"""One wording for one error: a failed operation reads the same whether ML code catches it
(``e.message``, ``str(e)``) or it ends the program (the report, the REPL, the command line),
and in ML's words -- ML type names, no Python vocabulary.
"""

from __future__ import annotations

import re

import pytest

import mlpy
from mlpy.repl.session import MLREPLSession

VALUES = {"s": "a", "n": 1, "zero": 0, "fzero": 0.0, "half": 1.5, "arr": [1, 2], "obj": {"k": 1},
          "nothing": None, "flag": True, "inf": float("inf"), "nan": float("nan")}

# Every kind of failed operation a newcomer meets, by the Python exception behind it.
FAILURES = {
    # TypeError
    "compare string and number": "x = s >= n;",
    "compare array and string": "x = arr < s;",
    "compare objects": "x = obj < obj;",
    "compare null": "x = nothing < n;",
    "subtract a string": "x = n - s;",
    "subtract from a string": "x = s - n;",
    "add null": "x = nothing + n;",
    "add a string to a number": "x = n + s;",
    "add a number to a string": "x = s + n;",
    "add an array and a string": "x = arr + s;",
    "repeat by a string": "x = s * s;",
    "repeat by a float": "x = arr * half;",
    "negate a string": "x = -s;",
    "negate an array": "x = -arr;",
    "index a number": "x = n[0];",
    "index null": "x = nothing[0];",
    "index an array with a string": "x = arr[s];",
    "index a string with a string": "x = s[s];",
    "slice with a string": "x = arr[0:s];",
    "assign into a string": "s[0] = s;",
    "array as a key": "o = {}; o[arr] = 1;",
    "iterate a number": "for (i in n) { }",
    "unpack a number": "[p, q] = n;",
    "sorted of mixed": "x = sorted([n, s]);",
    "sum of strings": "x = sum([s]);",
    "abs of a string": "x = abs(s);",
    "abs of null": "x = abs(nothing);",
    "int of an array": "x = int(arr);",
    "float of an array": "x = float(arr);",
    "range of a float": "x = range(half);",
    "hex of a float": "x = hex(half);",
    "chr of a string": "x = chr(s);",
    "ord of a number": "x = ord(n);",
    "round a string": "x = round(s);",
    "format code": 'x = format(n, "q");',
    "%d of a string": 'x = "%d" % s;',
    "join numbers": 'x = ",".join(arr);',
    "replace with numbers": "x = s.replace(n, n);",
    "startswith a number": "x = s.startswith(n);",
    "count a number": "x = s.count(n);",
    "split on a number": "x = s.split(n);",
    "center by a string": "x = s.center(s);",
    "insert at a string": "arr.insert(s, 1);",
    "call with too many": "function f(a) { return a; } x = f(1, 2);",
    "call with too few": "function f(a, b) { return a; } x = f(1);",
    # ZeroDivisionError
    "divide by zero": "x = n / zero;",
    "divide a float by zero": "x = half / zero;",
    "divide by a float zero": "x = n / fzero;",
    "floor-divide by zero": "x = n // zero;",
    "floor-divide a float by zero": "x = half // zero;",
    "modulo zero": "x = n % zero;",
    "float modulo zero": "x = half % fzero;",
    # OverflowError
    "int of infinity": "x = int(inf);",
    "int of infinite text": 'x = int("1e400");',
    "huge index": "x = arr[10 * 10000000000 * 10000000000];",
    # ValueError
    "int of NaN": "x = int(nan);",
    "int of text": 'x = int("abc");',
    "float of text": 'x = float("abc");',
    "index of a missing item": "x = arr.index(9);",
    "index of a missing null": "x = arr.index(nothing);",
    "remove a missing item": "arr.remove(9);",
    "range step zero": "x = range(1, 5, 0);",
    "slice step zero": "x = arr[::0];",
    "chr out of range": "x = chr(-1);",
    "empty separator": 'x = s.split("");',
    # IndexError, KeyError, NameError
    "array index": "x = arr[5];",
    "array assignment": "arr[5] = 1;",
    "string index": "x = s[5];",
    "pop from empty": "x = [].pop();",
    "missing key": 'x = obj["nope"];',
    "missing number key": "x = obj[1];",
}

# Python's vocabulary that ML users must not meet: its type names (quoted, or where a type is
# named), and the kinds of division it tells apart.
PYTHON_WORDING = re.compile(
    r"'(?:str|int|float|list|dict|tuple|NoneType|bool)'|\bNoneType\b|\bNone\b"
    r"|\b(?:list|dict|tuple)\b|\bstr\b|\b(?:int|float) (?:object|found)\b"
    r"|\b(?:not|of type|expected) int\b|type\(s\)|__\w+__|\barg\b"
    r"|(?:float|integer) (?:floor )?(?:division|modulo)|float modulo|float (?:infinity|NaN)"
    r"|non-int\b|cannot access local variable")


def caught(source: str) -> tuple[str, str, str]:
    catching = f"try {{ {source} }} except (e) {{ result = [e.type, e.message, str(e)]; }}"
    result = mlpy.execute(catching, VALUES)
    assert result.ok, result.error
    return tuple(result.value)


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_caught_and_uncaught_read_the_same_in_ml_words(name):
    source = FAILURES[name]
    uncaught = mlpy.execute(source, VALUES).error
    assert isinstance(uncaught, mlpy.MLRuntimeError), uncaught
    kind, message, text = caught(source)
    assert message == uncaught.message == text, (name, message, uncaught.message)
    assert not PYTHON_WORDING.search(message), (name, message)
    assert kind == type(uncaught.__cause__).__name__  # e.type still names the error


@pytest.mark.parametrize("source, message", [
    ("x = s >= n;", "'>=' not supported between instances of string and number"),
    ("x = n / fzero;", "division by zero"),
    ("x = half // zero;", "division by zero"),
    ("x = n % zero;", "modulo by zero"),
    ("x = arr[5];", "array index out of range"),
    ('x = obj["nope"];', "key 'nope' not found"),
    ("x = n - s;", "unsupported operand types for -: number and string"),
    ("x = s * s;", "a string or array can only be repeated by an integer, not by a string"),
    ("x = hex(half);", "a float cannot be interpreted as an integer"),
    ("x = int(inf);", "cannot convert infinity to an integer"),
    ("x = arr.index(nothing);", "null is not in the array"),
    ('x = int("abc");', "invalid literal for int() with base 10: 'abc'"),
])
def test_the_ml_wording(source, message):
    assert caught(source)[1] == message
    assert mlpy.execute(source, VALUES).error.message == message


def test_a_quoted_value_is_kept_as_it_is():
    # the text the user gave is data: a word such as 'int' in it is not a type name
    assert caught('x = int("int");')[1] == "invalid literal for int() with base 10: 'int'"
    assert caught('x = obj["str"];')[1] == "key 'str' not found"


def test_the_repl_shows_the_same_message():
    session = MLREPLSession()
    session.session.set("s", "a")
    shown = session.execute("s >= 1")
    assert not shown.ok
    assert shown.error.message == "'>=' not supported between instances of string and number"


def test_a_long_quoted_value_is_cut():
    result = mlpy.execute('x = int("a" * 100000);')
    assert len(result.error.message) < 200 and "100,000 characters" in result.error.message
