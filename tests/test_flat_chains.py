"""Flat chains are not nesting: `a + b + c ...`, `a.b.c ...`, `f()()`, `elif` chains and
chains of ternaries compile and run at any length, with the same values and the same order of
evaluation as short ones; real nesting keeps its limit, with an error at its position."""

from __future__ import annotations

import functools
import operator

import pytest

import mlpy
from mlpy.language.ast import CHAIN_STEP

# Around the places where the code generator breaks a chain into steps, and far beyond
# what any recursion limit allows.
LENGTHS = [CHAIN_STEP - 1, CHAIN_STEP, CHAIN_STEP + 1, 2 * CHAIN_STEP + 1, 5000]


def run(source: str, **inputs):
    result = mlpy.execute(source, inputs)
    assert result.ok, result.error
    return result


def value(source: str, **inputs):
    return run(source, **inputs).globals["x"]


def test_a_one_megabyte_sum_on_one_line_runs():
    terms = 250_000
    source = "x = " + " + ".join(["1"] * terms) + ";"
    assert len(source) >= 1_000_000
    assert value(source) == terms


NUMBER_CHAINS = {  # operator -> (ML text of the chain, the value Python folds left to right)
    "+": lambda n: (" + ".join(map(str, range(n))), sum(range(n))),
    "-": lambda n: (" - ".join(["1000"] + ["3"] * n), 1000 - 3 * n),
    "float +": lambda n: (" + ".join(["0.1"] * n), functools.reduce(operator.add, [0.1] * n)),
    "*": lambda n: (" * ".join(["1", "-1"] * n), (-1) ** n),
    "//": lambda n: (" // ".join([str(2 ** 40)] + ["2"] * min(n, 40) + ["1"] * (n - min(n, 40))),
                     2 ** 40 // 2 ** min(n, 40)),
    "%": lambda n: (" % ".join(["1000003"] + [str(997 - i % 5) for i in range(n)]),
                    functools.reduce(operator.mod, [997 - i % 5 for i in range(n)], 1000003)),
    "<": lambda n: (" < ".join(["0"] * (n + 1)),  # (0 < 0) < 0 ...: comparisons do not chain
                    functools.reduce(operator.lt, [0] * n, 0)),
    "==": lambda n: (" == ".join(["true"] * (n + 1)), True),
    "&&": lambda n: (" && ".join(["true"] * n + ["5"]), 5),
    "||": lambda n: (" || ".join(["false"] * n + ["0", "7"]), 7),
}


@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("op", list(NUMBER_CHAINS))
def test_operator_chains_fold_left_as_short_ones_do(op, length):
    text, expected = NUMBER_CHAINS[op](length)
    assert value(f"x = {text};") == expected


@pytest.mark.parametrize("length", LENGTHS)
def test_chains_of_names_go_through_the_type_tests(length):
    assert value("x = " + " + ".join(["a"] * length) + ";", a=3) == 3 * length
    assert value("x = " + " + ".join(["a"] * length) + ";", a="ab") == "ab" * length
    assert value("x = " + " % ".join(["a"] * length) + ";", a=7) == 0


@pytest.mark.parametrize("length", LENGTHS)
def test_the_string_literal_rule_holds_in_long_chains(length):
    ones = " + ".join(["1"] * length)
    assert value(f'x = {ones} + "a";') == f"{length}a"  # the numbers are added first
    assert value(f'x = "a" + {ones};') == "a" + "1" * length  # then joined as text
    assert value('x = ' + " + ".join(['"s"', "n"] * length) + ";", n=1) == "s1" * length
    assert value("x = " + " + ".join(['"t"'] * length) + ";") == "t" * length


@pytest.mark.parametrize("length", LENGTHS)
def test_member_index_call_and_method_chains(length):
    assert value("o = {v: 7}; o.a = o; x = o" + ".a" * length + ".v;") == 7
    assert value("a = [0, 5]; a[0] = a; x = a" + "[0]" * length + "[1];") == 5
    assert value("function f() { return f; } x = typeof(f" + "()" * length + ");") == "function"
    assert value("s = ' x '; x = s" + ".strip()" * length + ".upper();") == "X"
    assert value("s = 'abc'; x = s" + "[0:3]" * length + ";") == "abc"


@pytest.mark.parametrize("length", LENGTHS)
def test_chains_evaluate_left_to_right_once_each(length):
    source = """
    seen = [];
    function at(i) { seen.append(i); return i; }
    o = {};
    o.then = fn(i) => { seen.append(i); return o; };
    x = %s;
    y = o%s;
    """ % (" - ".join(f"at({i})" for i in range(length)),
           "".join(f".then({i})" for i in range(length)))
    result = run(source)
    assert result.globals["x"] == -sum(range(1, length))
    assert result.globals["seen"] == list(range(length)) * 2


@pytest.mark.parametrize("length", LENGTHS)
def test_long_elif_and_ternary_chains_pick_the_first_true_branch(length):
    branches = " ".join(f"elif (k == {i}) {{ x = {i}; }}" for i in range(1, length))
    statement = f"if (k == 0) {{ x = 0; }} {branches} else {{ x = -1; }}"
    ternary = "y = " + "".join(f"k == {i} ? {i} : " for i in range(length)) + "-1;"
    for k in sorted({0, CHAIN_STEP - 1, CHAIN_STEP, length // 2, length - 1, length}):
        result = run(f"x = null; {statement} {ternary}", k=k)
        expected = k if k < length else -1
        assert (result.globals["x"], result.globals["y"]) == (expected, expected)


def test_every_elif_test_runs_only_until_one_holds():
    length = 3 * CHAIN_STEP
    branches = " ".join(f"elif (at({i})) {{ x = {i}; }}" for i in range(1, length))
    source = f"""
    seen = [];
    function at(i) {{ seen.append(i); return i == k; }}
    for (i in range(3)) {{ if (at(0)) {{ x = 0; }} {branches} }}
    """
    result = run(source, k=CHAIN_STEP + 2)
    assert result.globals["x"] == CHAIN_STEP + 2
    assert result.globals["seen"] == list(range(CHAIN_STEP + 3)) * 3


def test_an_error_deep_in_a_long_chain_points_at_its_link():
    terms = ["1"] * 3000
    terms[2000] = "(1 / 0)"
    source = "x = " + " + ".join(terms) + ";"
    error = mlpy.execute(source).error
    assert isinstance(error, mlpy.MLRuntimeError) and error.message == "division by zero"
    assert (error.ml_line, error.ml_column) == (1, source.index("(1 / 0)") + 2)


@pytest.mark.parametrize("text", [
    "(1 + " * 200 + "1" + ")" * 200,
    "[" * 200 + "]" * 200,
    "f(" * 200 + "1" + ")" * 200,
    "fn(a) => " * 200 + "1",
    "!" * 200 + "true",
    "true ? (" * 200 + "1" + ") : 0" * 200,
    # below a chain of 15 links, every level counts the chain too
    functools.reduce(lambda inner, _: f"-({inner})" + " + 1" * (CHAIN_STEP - 1), range(9), "1"),
])
def test_real_nesting_is_still_limited_with_a_positioned_error(text):
    source = "function f(v) { return v; }\nx = " + text + ";"
    with pytest.raises(mlpy.MLSyntaxError) as caught:
        mlpy.compile(source)
    error = caught.value
    assert "nested too deeply (more than 128 levels)" in error.message
    assert error.ml_line == 2 and 5 < error.ml_column < len(source)


def test_blocks_nested_too_deeply_are_refused_at_their_position():
    source = "x = 1;\n" + "if (x) { " * 200 + "x = 2; " + "}" * 200
    with pytest.raises(mlpy.MLSyntaxError, match="nested too deeply") as caught:
        mlpy.compile(source)
    assert caught.value.ml_line == 2


@pytest.mark.parametrize("text", [
    "x + (" * 120 + "x" + ")" * 120,  # the deepest code each level makes
    "x % (1 + " * 60 + "x" + ")" * 60,
    "s.strip(" * 120 + "s" + ")" * 120,
    "f(" * 120 + "x" + ")" * 120,
    "(" * 100 + " + ".join(["x"] * (CHAIN_STEP - 1)) + ")" * 100,
])
def test_nesting_up_to_the_limit_compiles_and_runs(text):
    source = f"x = 1; s = 'a'; function f(v) {{ return v; }} y = {text};"
    assert run(source).ok


LOOPS = {  # the deepest nesting of one kind that Python compiles, and the statement's text
    "while": (20, "while (i < 1) { i = 1; ", "}"),
    "for": (20, "for (j in [1]) { ", "}"),
    "try body": (19, "try { ", "} except (e) { }"),
    "except body": (10, "try { i = 1; } except (e) { ", "}"),
    "try finally": (9, "try { ", "} finally { i = 1; }"),
    "finally body": (18, "try { i = 1; } finally { ", "}"),
    "except with finally": (5, "try { i = 1; } except (e) { ", "} finally { i = 1; }"),
}


PLACES = {  # where the nested statements are: the program's top level or a function's body
    "top level": "i = 0;\n{}",
    "function": "function f(i) {{\n{}\nreturn i; }} f(0);",
    "arrow function": "f = fn(i) => {{\n{}\nreturn i; }}; f(0);",
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("kind", list(LOOPS))
def test_loops_and_try_nest_as_deep_as_python_allows_and_no_deeper(kind, place):
    depth, opening, closing = LOOPS[kind]

    def nested(count: int) -> str:
        return PLACES[place].format(opening * count + "i = 2; " + closing * count)

    assert run(nested(depth)).ok
    with pytest.raises(mlpy.MLSyntaxError) as caught:
        mlpy.compile(nested(depth + 1))
    error = caught.value
    assert error.message == "loops and `try` statements are nested too deeply here"
    assert error.hints == ["move the inner loops or `try` statements into a function"]
    keyword = opening.split()[0]
    source = nested(depth + 1)
    line = source.split("\n")[error.ml_line - 1]
    assert line[error.ml_column - 1:].startswith(keyword)


def test_a_function_starts_its_own_count_of_loops():
    inner = "while (i < 1) { " * 15 + "i = 1; " + "}" * 15
    source = "i = 0; " + "while (i < 1) { " * 15 + f"function g() {{ {inner} }} i = 1; " + \
        "}" * 15
    assert run(source).ok


@pytest.mark.parametrize("text", [
    "x = 1; " + "if (x) { " * 110 + "y = 1; " + "}" * 110,  # deeper than Python's indentation
    "x = " + "(1 + " * 120 + "1" + ")" * 120 + ";",
    "a = 1; x = " + " + ".join(["a"] * 3000) + ";",
])
def test_transpile_of_allowed_programs_never_raises(text):
    result = mlpy.transpile(text)
    if result.ok:
        assert result.python_code
    else:
        assert [d.code for d in result.diagnostics] == ["MLS002"]
