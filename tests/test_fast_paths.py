"""Native fast paths the compiler takes keep every limit and every ML rule.

Each fast path runs an operation natively where the compiler proved the result is the
helper's: these tests run ML programs right at the edges of those proofs (the operand sizes,
kinds and bindings they rest on) and check that ML's answer, size limits, step counts and
error messages are those of the slow path.
"""

from __future__ import annotations

import pytest

import mlpy

SMALL = 1 << 62  # below this, an integer times a literal multiplies natively
COMPACT = (1 << 30) - 1  # up to this, two integer variables multiply natively


def run(source, variables=None, **options):
    return mlpy.Engine().execute(source, variables, capture_output=True, **options)


def value(source, **options):
    result = run(source, **options)
    assert result.ok, result.error
    return result.value


# ----------------------------------------------------------------------------- `*`

MUL = "function mul(a, b) { return a * b; }\n"


@pytest.mark.parametrize("a, b", [
    (SMALL - 1, SMALL - 1), (-(SMALL - 1), SMALL - 1), (SMALL, 3), (3, SMALL), (-SMALL, -SMALL),
    (SMALL * SMALL, SMALL * SMALL), (0, 1 << 200), (7, 6), (COMPACT, COMPACT),
    (COMPACT + 1, -COMPACT - 1), (-COMPACT, 1 << 40),
])
def test_products_of_integers_at_and_beyond_the_native_bound_are_exact(a, b):
    assert value(MUL + f"result = mul({a}, {b});") == a * b


@pytest.mark.parametrize("factor", [3, SMALL - 1, SMALL, -SMALL, 1 << 100])
@pytest.mark.parametrize("x", [5, SMALL - 1, SMALL, -(SMALL - 1), 1 << 90])
def test_products_by_a_literal_around_the_native_bound_are_exact(x, factor):
    source = f"function f(x) {{ return [x * {factor}, {factor} * x]; }} result = f({x});"
    assert value(source) == [x * factor, factor * x]


@pytest.mark.parametrize("call, expected", [
    ('mul("ab", 3)', "ababab"), ("mul(3, [1])", [1, 1, 1]), ("mul(true, 5)", 5),
    ("mul(5, 2.5)", 12.5), ("mul(2.5, 2)", 5.0), ('mul(0, "x")', ""),
])
def test_products_that_are_not_of_two_integers_keep_their_ml_meaning(call, expected):
    result = value(MUL + f"result = {call};")
    assert result == expected and type(result) is type(expected)


def test_a_product_too_large_for_the_integer_limit_is_refused_in_a_loop_of_known_numbers():
    # `x` is known to hold numbers, so only the size is tested before the native product
    source = "function grow() { x = 3; while (true) { x = x * x; } } grow();"
    error = run(source, timeout=30).error
    assert error.resource == "memory" and "integer" in error.message


def test_a_repeated_sequence_is_still_checked_against_the_size_limit():
    error = run(MUL + 'result = mul("abcd", 10000000);').error
    assert error.resource == "memory" and "string" in error.message
    error = run(MUL + "result = mul([1, 2], 10000000);").error
    assert error.resource == "memory"


# A small literal factor compounds in a loop: every pass multiplies what the last one made.
COMPOUNDING = {
    "string doubled": ('s = "x"; while (true) { s = s * 2; }', "string"),
    "string doubled, literal first": ('s = "x"; while (true) { s = 2 * s; }', "string"),
    "array tripled": ("a = [1]; while (true) { a = a * 3; }", "sequence"),
    "integer times 1000": ("n = 7; while (true) { n = n * 1000; }", "integer"),
    "integer times -1000 in a function": (
        "function grow() { n = 7; while (true) { n = -1000 * n; } } grow();", "integer"),
}


@pytest.mark.parametrize("name", sorted(COMPOUNDING))
def test_a_product_by_a_small_literal_cannot_grow_past_the_size_limits(name):
    source, what = COMPOUNDING[name]
    error = run(source, timeout=60).error
    assert isinstance(error, mlpy.MLResourceError), error
    assert error.resource == "memory" and what in error.message, error.message


@pytest.mark.parametrize("source, variables", [
    ("result = s * 2;", {"s": "x" * 10_000_000}),
    ("result = 2 * a;", {"a": [0] * 10_000_000}),
    ("result = n * 2;", {"n": 2 ** (2 ** 20 - 1)}),
])
def test_one_product_by_a_small_literal_is_checked_against_the_size_limits(source, variables):
    error = run(source, variables).error
    assert isinstance(error, mlpy.MLResourceError) and "over the limit" in error.message, error


def test_operands_are_read_in_order_when_the_right_one_changes_the_left():
    source = ("a = 2; function bump() { nonlocal a; a = 10; return 3; }\n"
              "function f() { return a * bump(); } result = [f(), a];")
    assert value(source) == [6, 10]


# ----------------------------------------------------------------------------- range loops

SQUARES = ("function squares(n) { s = 0; for (i in range(n)) { s = s + i * i % 7; } "
           "return s; }\n")


def test_a_loop_over_range_computes_what_python_does():
    assert value(SQUARES + "result = squares(1000);") == sum(i * i % 7 for i in range(1000))
    source = "function f() { t = []; for (i in range(10, 0, -3)) { t.append(i); } return t; }"
    assert value(source + " result = f();") == [10, 7, 4, 1]


def test_a_loop_over_range_keeps_the_size_limit_of_range():
    error = run("for (i in range(20000000)) { }").error
    assert error.resource == "memory" and "20,000,000 items" in error.message
    error = run("function f() { for (i in range(16777217)) { } } f();").error
    assert error.resource == "memory"


def test_a_loop_over_range_takes_one_step_per_iteration():
    result = run("function f() { for (i in range(1000)) { } } f();", max_steps=10_000)
    assert result.ok and result.usage["steps"] == 1001  # the loop and f's own step
    result = run("function f() { for (i in range(1000)) { } } f();", max_steps=1000)
    assert result.error.resource == "steps"


def test_a_loop_over_range_stops_at_the_time_limit():
    source = "function f() { s = 0; for (i in range(16000000)) { s = s + i * i % 7; } } f();"
    result = run(source, timeout=0.2)
    assert type(result.error).__name__ == "MLTimeoutError"


def test_range_arguments_are_checked_as_range_checks_them():
    error = run('for (i in range("a")) { }').error
    assert "integer" in error.message
    assert run("for (i in range(1, 2, 0)) { }").error is not None


def test_big_integer_range_values_multiply_within_the_limits():
    start = 1 << 70
    source = (f"function f() {{ t = 0; for (i in range({start}, {start + 3})) "
              "{ t = t + i * i; } return t; } result = f();")
    assert value(source) == sum(i * i for i in range(start, start + 3))


def test_a_loop_variable_assigned_in_the_body_holds_what_it_is_given():
    source = ('function f() { t = ""; for (i in range(2)) { i = "x"; t = t + i; } return t; }'
              " result = f();")
    assert value(source) == "xx"
    error = run('function f() { t = 0; for (i in range(2)) { i = "x"; t = t + i; } } f();').error
    assert "unsupported operand" in error.message


def test_a_program_that_defines_its_own_range_loops_over_what_it_returns():
    source = ('function range(n) { return ["a", "b"]; }\n'
              'function f() { t = ""; for (i in range(5)) { t = t + i * 2; } return t; }'
              " result = f();")
    assert value(source) == "aabb"


def test_a_session_that_rebinds_range_changes_the_loops_compiled_before():
    session = mlpy.Engine().session()
    session.exec("function f() { t = []; for (i in range(3)) { t.append(i * 2); } "
                 "return t; }").raise_for_error()
    assert session.eval("f()") == [0, 2, 4]
    session.exec('function range(n) { return ["a", "b"]; }').raise_for_error()
    assert session.eval("f()") == ["aa", "bb"]


# ----------------------------------------------------------------------------- joining text


def test_joined_values_are_shown_after_every_operand_ran():
    # the helper sees all operands first: so does the native join
    source = ('a = [1]; function f() { a.append(2); return 0; }\n'
              'result = "x" + a + ":" + f();')
    assert value(source) == "x[1, 2]:0"


def test_every_kind_of_value_joins_as_its_display():
    source = 'result = "" + 1 + 2.5 + true + null + [1, "a"] + {"k": 1} + -0.0 + (1e300 * 1e10);'
    assert value(source) == "12.5truenull[1, 'a']{'k': 1}-0.0inf"


@pytest.mark.parametrize("length", [65_000, 65_536, 8_388_607, 8_388_608])
def test_joined_text_at_and_past_the_sizes_that_change_the_path(length):
    source = f'function f(s) {{ return "<" + s + s + ">"; }} result = len(f("y" * {length}));'
    result = run(source)
    if 2 * length + 2 <= 1 << 24:
        assert result.ok and result.value == 2 * length + 2
    else:
        assert result.error.resource == "memory" and "string" in result.error.message


def test_large_joined_text_is_charged_to_the_memory_budget():
    source = ('function f(s) { parts = []; while (true) { parts.append(s + "," + s); } }\n'
              'f("y" * 40000);')
    result = run(source, max_memory=20_000_000, timeout=60)
    assert result.error.resource == "memory" and "memory limit" in result.error.message


def test_a_program_that_defines_str_joins_what_its_str_returns():
    source = ('function str(x) { return [x]; }\n'
              'function f(v) { return "<" + str(v) + str(v) + ">"; } result = f(1);')
    assert value(source) == "<[1][1]>"


def test_a_session_that_rebinds_str_changes_the_joins_compiled_before():
    session = mlpy.Engine().session()
    session.exec('function f(v) { return "<" + str(v) + ":" + str(v) + ">"; }')
    assert session.eval("f(2)") == "<2:2>"
    session.exec("function str(x) { return [x, x]; }").raise_for_error()
    assert session.eval("f(2)") == "<[2, 2]:[2, 2]>"


def test_display_of_numbers_at_the_one_digit_bound_is_python_text():
    numbers = [(1 << 30) - 1, 1 << 30, -(1 << 30) + 1, -(1 << 30), 10 ** 40, 0.1, 1e300]
    assert value(f"result = [{', '.join(f'str({n})' for n in numbers)}];") == [
        str(n) for n in numbers]


# ----------------------------------------------------------------------------- numeric functions

FIB = "function fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }\n"


def test_a_function_that_returns_numbers_computes_the_same_for_every_kind_of_number():
    assert value(FIB + "result = [fib(15), fib(15.0), fib(true), fib(-3)];") == [
        610, 610.0, True, -3]


def test_a_function_that_returns_numbers_given_anything_else_keeps_the_ml_rules():
    error = run(FIB + 'result = fib("ab");').error
    assert "not supported between" in error.message
    source = ('function twice(s) { if (len(s) > 3) { return s; } return twice(s + s); }\n'
              'result = twice("ab");')
    assert value(source) == "abab"


class Shifty:
    """A host class whose `-` gives a long string: not a number, whatever `x - 1` looks like."""

    _ml_members = frozenset()

    def __sub__(self, other):
        return "y" * ((1 << 23) + 1)


def test_arithmetic_on_a_host_object_is_not_taken_for_a_number():
    # g and h return numbers when given numbers; given a host object whose `-` gives text,
    # h's `+` must still go through the size check (two such strings are over the limit)
    source = ("function g(n) { return n - 1; }\n"
              "function h(x) { return g(x) + g(x); }\n"
              "result = h(shifty);")
    error = mlpy.Engine().execute(source, {"shifty": Shifty()}).error
    assert error.resource == "memory" and "string" in error.message


def test_a_rebound_or_redefined_function_is_not_taken_to_return_numbers():
    source = ('function f(n) { if (n < 1) { return n; } return f(n - 1) + f(n - 1); }\n'
              'function f(n) { return "t"; }\n'
              "function g(n) { return f(n) + f(n); } result = g(2);")
    assert value(source) == "tt"
    session = mlpy.Engine().session()
    session.exec("function k(n) { if (n < 1) { return 0; } return k(n - 1) + k(n - 1); }"
                 "function m(n) { return k(n) + k(n); }").raise_for_error()
    assert session.eval("m(2)") == 0
    session.exec('function k(n) { return "z"; }').raise_for_error()
    assert session.eval("m(2)") == "zz"


def test_a_function_that_can_end_without_a_number_is_not_taken_to_return_numbers():
    source = ("function f(n) { if (n > 0) { return n; } }\n"
              "function g(n) { return f(n) + f(n); } result = g(-1);")
    error = run(source).error
    assert "unsupported operand" in error.message
    source = ('function f(n) { if (n > 0) { return [n]; } return n; }\n'
              "function g(n) { return f(n) + f(n); } result = g(1);")
    assert value(source) == [1, 1]


@pytest.mark.parametrize("source, variables", [
    ('result = s + "abc";', {"s": "x" * (2 ** 24 - 1)}),
    ('result = "abc" + s;', {"s": "x" * (2 ** 24 - 1)}),
    ('result = "<" + n + ">";', {"n": "x" * (2 ** 24 - 1)}),
])
def test_one_value_joined_with_literals_is_checked_against_the_size_limit(source, variables):
    error = run(source, variables).error
    assert isinstance(error, mlpy.MLResourceError) and "over the limit" in error.message, error


def test_a_string_grown_by_a_literal_in_a_loop_stops_at_the_size_limit():
    # Growth by a literal's length per pass, not by a factor: still past the limit in time.
    source = 's = ""; while (true) { s = s + "' + "x" * 1_000_000 + '"; }'
    error = run(source, timeout=60).error
    assert isinstance(error, mlpy.MLResourceError) and "string" in error.message, error


# The native range loop and the native str() in a join are taken only where `range` and
# `str` are the builtins: every way a program can bind those names changes what runs.
REBOUND = {
    "range, a function": ("function range(n) { return [7]; }\n"
                          "s = 0; for (i in range(3)) { s = s + i; } result = s;", 7),
    "range, assigned": ("range = fn(n) => [7];\n"
                        "s = 0; for (i in range(3)) { s = s + i; } result = s;", 7),
    "range, a parameter": ("function f(range) { s = 0; for (i in range(3)) { s = s + i; }"
                           " return s; } result = f(fn(n) => [7]);", 7),
    "range, a loop variable": ("r = 0; for (range in [fn(n) => [7]]) { s = 0;"
                               " for (i in range(3)) { s = s + i; } r = s; } result = r;", 7),
    "range, a local": ("function f() { range = fn(n) => [7]; s = 0;"
                       " for (i in range(3)) { s = s + i; } return s; } result = f();", 7),
    "str, a function": ('function str(x) { return "S"; } result = "a" + str(1);', "aS"),
    "str, assigned": ('str = fn(x) => "S"; result = "a" + str(1);', "aS"),
    "str, a parameter": ('function f(str) { return "a" + str(1); }'
                         ' result = f(fn(x) => "S");', "aS"),
}


@pytest.mark.parametrize("name", sorted(REBOUND))
def test_a_rebound_builtin_is_what_the_fast_path_calls(name):
    source, expected = REBOUND[name]
    assert value(source) == expected
