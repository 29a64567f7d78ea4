"""Syntax errors where newcomers from JavaScript or Python fall say what ML writes instead.

Every hint is for a construct ML really lacks (see docs/language/lexical.md), so each source
below fails to compile; the error is positioned, and its hint names the ML way.
"""

from __future__ import annotations

import pytest

import mlpy

HINTS = [  # source, a piece of the hint, the text the error points at
    ("arr = [1, 2]; x = 1; if (x in arr) { print(1); }", "collections.contains(arr, x)", "in"),
    ("s = 'abc'; y = 'b' in s;", "s.find(part) >= 0", "in"),
    ("o = {a: 1}; y = 'a' in o;", "json.hasKey(o, key)", "in"),
    ("x = 1; if (x === 1) { }", "there is no `===` or `!==`", "="),
    ("x = 1; if (x !== 1) { }", "there is no `===` or `!==`", "="),
    ("x = 1; y = x and x;", "ML writes `&&`", "and"),
    ("x = 1; y = x or x;", "ML writes `||`", "or"),
    ("x = 1; y = not x;", "ML writes `!value`", "x"),
    ("let x = 1;", "ML has no `let`", "x"),
    ("const x = 1;", "ML has no `const`", "x"),
    ("var x = 1;", "ML has no `var`", "x"),
    ("def f(x) { return x; }", "`function name(a, b) { ... }`", "f"),
    ("f = lambda x: x + 1;", "`fn(x) => x + 1`", "x"),
    ("f = (x) => x + 1;", "an arrow function starts with `fn`", "="),
    ("f = x => x + 1;", "an arrow function starts with `fn`", "="),
    ("f = function(x) { return x; };", "an anonymous function is `fn(x)", "{"),
    ("x = 1; if (x == 1) { } else if (x == 2) { }", "write `elif (...) { ... }`", "if"),
    ("x = 1; x++;", "ML has no `++`, `--` or `+=`", "+"),
    ("x = 1; x--;", "ML has no `++`, `--` or `+=`", ";"),
    ("x = 1; ++x;", "ML has no `++`, `--` or `+=`", "+"),
    ("x = 1; x += 2;", "ML has no `++`, `--` or `+=`", "="),
    ("x = 1; x *= 2;", "ML has no compound assignment", "="),
    ("x = 2; y = x ** 2;", "math.pow(x, y)", "*"),
    ("x = 1\ny = 2;", "every ML statement ends with `;`", ""),  # just after the `1`
    ("x = 1 y = 2;", "every ML statement ends with `;`", "y"),
    ("function f(x) { return x }", "every ML statement ends with `;`", "}"),
    ("x = 1; return x", "every ML statement ends with `;`", ""),
    ("x = [1, 2", "the `[` at line 1, column 5 is not closed", ""),
    ("x = 1;;", "ML has no empty statement", ";"),
    ("x = 1; if x == 1 { }", "`if (test) { ... }`", "x"),
    ("for i in range(3) { }", "`for (x in items) { ... }`", "i"),
    ("x = 1; while x < 3 { }", "`while (test) { ... }`", "x"),
    ("x = 1; if (x) y = 1;", "a block needs braces", "y"),
    ("x = 1; if (x == 1): y = 1", "a block is written in braces", ":"),
    ("for (let i = 0; i < 3; i++) { }", "`for (i in range(n)) { ... }`", "i"),
    ("for (i = 0; i < 3; i = i + 1) { }", "`for (i in range(n)) { ... }`", "="),
    ("for (i of [1, 2]) { }", "`for (x in items) { ... }`", "of"),
    ("try { x = 1; } catch (e) { }", "`except (e) { ... }`", "{"),
    ("x = 1; switch (x) { }", "ML has no `switch`", "{"),
    ("do { x = 1; } while (x < 3);", "ML has no `do ... while`", "{"),
    ("class Foo { }", "ML has no classes", "Foo"),
    ("x = new Foo();", "ML has no classes or `new`", "Foo"),
    ("x = 1; y = x instanceof Foo;", "compare typeof(value)", "instanceof"),
    ("x = 1; y = typeof x;", "typeof is a function", "x"),
    ("o = {a: 1}; delete o;", "ML cannot delete a key", "o"),
    ("x = null; y = x ?? 1;", "ML has no `??`", "?"),
    ("x = {}; y = x?.a;", "ML has no `?.`", "."),
    ("x = [1]; y = [...x];", "ML has no spread `...`", "."),
    ("x = [1, 2,];", "ML allows no trailing comma", "]"),
    ("x = {a: 1,};", "ML allows no trailing comma", "}"),
    ('x = "a" "b";', "put `+` between them", '"b"'),
    ("x = 1; y = x & 1;", "`&&` and `||`", "&"),
    ("x = 1; y = x ^ 1;", "ML has no bitwise operators", "^"),
    ("x = 1; y = ~x;", "ML has no bitwise operators", "~"),
    ("x = 1; y = x << 1;", "ML has no bitwise operators", "<"),
    ("x = 1; s = `total ${x}`;", "ML has no template strings", "`"),
    ("x = 1; # a comment", "ML comments start with `//`", "#"),
    ("print('a'), print('b');", "ML has no comma operator", ","),
    ("x = 1; print x;", "print is a function", "x"),
    ("y = [x for x in [1]];", "ML has no comprehensions", "for"),
    ("y = 1 if true else 2;", "`test ? a : b`", "if"),
    ("x = 4; y = x // half of it\nz = 1;", "`//` divides (floor division)", "of"),
]


@pytest.mark.parametrize("source, hint, target", HINTS, ids=[h[0] for h in HINTS])
def test_a_newcomer_mistake_gets_a_hint_at_its_position(source, hint, target):
    with pytest.raises(mlpy.MLSyntaxError) as caught:
        mlpy.compile(source)
    error = caught.value
    assert any(hint in text for text in error.hints), (error.message, error.hints)
    line = source.split("\n")[error.ml_line - 1]
    assert line[error.ml_column - 1:].startswith(target), (error.ml_line, error.ml_column)
    assert target or error.ml_column == len(line) + 1  # nothing: just after the line
    assert f"hint: {error.hints[0]}" in str(error)


@pytest.mark.parametrize("source", [
    "for (x in [1, 2]) { print(x); }",  # `in` where ML has it
    "x = 7 // 2; // floor division, then a comment",
    "x = 1; if (x == 1) { y = 1; } elif (x == 2) { y = 2; } else { y = 3; }",
    "f = fn(x) => x + 1; g = fn(x) => { return x; };",
    "x = true && !false || false;",
    "o = {in: 1, if: 2}; y = o.in + o.if;",  # keywords as keys and members
])
def test_what_ml_has_is_not_mistaken_for_a_habit(source):
    assert mlpy.execute(source).ok
