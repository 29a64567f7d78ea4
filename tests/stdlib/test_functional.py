"""The ``functional`` module: function first; the functions it builds are ML function values;
no capability needed."""

from __future__ import annotations

import pytest

import mlpy

PRELUDE = """import functional;
inc = fn(x) => x + 1;
dbl = fn(x) => x * 2;
add = fn(a, b) => a + b;
add3 = fn(a, b, c) => a + b + c;
"""


def out(run, source, **variables):
    return run.output(PRELUDE + source, **variables)


def test_sequence_functions(run):
    assert out(run, """
        print(functional.map(inc, [1, 2]), functional.map(fn(c) => c + "!", "ab"));
        print(functional.filter(fn(x) => x % 2, [1, 2, 3]), functional.find(fn(x) => x > 1, [1, 2, 3]), functional.find(fn(x) => x > 5, [1]));
        print(functional.reduce(add, [1, 2, 3]), functional.reduce(add, [1, 2], 10), functional.reduce(add, [], 0), functional.reduce(add, [5]));
        print(functional.some(fn(x) => x > 2, [1, 3]), functional.some(fn(x) => x > 5, [1]), functional.every(fn(x) => x > 0, [1, 2]), functional.every(fn(x) => x > 1, [1, 2]));
        print(functional.zip([1, 2, 3], ["a", "b"]), functional.zip([1], [2], [3]), functional.zip());
        print(functional.zipWith(add, [1, 2], [10, 20, 30]));
        print(functional.take(2, [1, 2, 3]), functional.drop(2, [1, 2, 3]), functional.take(5, [1]), functional.drop(-1, [1]));
        print(functional.takeWhile(fn(x) => x < 3, [1, 2, 3, 1]), functional.flatten([[1, 2], 3, [[4]]]));
        print(functional.chunk(2, [1, 2, 3]), functional.partition(fn(x) => x > 1, [1, 2, 3]));
        print(functional.unique([1, 1, 2, [3], [3]]), functional.reverse([1, 2, 3]), functional.reverse("ab"));
        print(functional.times(3, dbl), functional.times(0, dbl), functional.repeat("x", 2), functional.repeat(0, -1));
        print(functional.range(3), functional.range(1, 4), functional.range(5, 0, -2), functional.identity(7));
    """) == ("[2, 3] ['a!', 'b!']\n[1, 3] 2 null\n6 13 0 5\ntrue false true false\n"
             "[[1, 'a'], [2, 'b']] [[1, 2, 3]] []\n[11, 22]\n[1, 2] [3] [1] [1]\n"
             "[1, 2] [1, 2, 3, [4]]\n[[1, 2], [3]] [[2, 3], [1]]\n[1, 2, [3]] [3, 2, 1] ['b', 'a']\n"
             "[0, 2, 4] [] ['x', 'x'] []\n[0, 1, 2] [1, 2, 3] [5, 3, 1] 7\n")


def test_for_each_and_group_by(run):
    assert out(run, """
        seen = [];
        r = functional.forEach(fn(x) => seen.append(x * 2), [1, 2]);
        functional.for_each(fn(x) => seen.append(x), [9]);
        print(r, seen);
        g = functional.groupBy(fn(w) => len(w), ["a", "bb", "c"]);
        print(g, keys(g), g[1]);
        h = functional.group_by(fn(x) => x % 2 == 0 ? "even" : "odd", [1, 2, 3]);
        print(h.odd, h.even);
    """) == "null [2, 4, 9]\n{1: ['a', 'c'], 2: ['bb']} [1, 2] ['a', 'c']\n[1, 3] [2]\n"


def test_combinators(run):
    assert out(run, """
        c = functional.compose(inc, dbl);
        p = functional.pipe(inc, dbl);
        print(c(5), p(5), typeof(c), c);
        ca = functional.composeAll([inc, inc, dbl]);
        pa = functional.pipeAll([inc, inc, dbl]);
        none = functional.compose();
        print(ca(1), pa(1), none(4));
        cu = functional.curry(add3);
        a = cu(1);
        b = a(2);
        print(b(3), cu(1, 2, 3), a(2, 3));
        c2 = functional.curry(fn(a, b) => [a, b], 2);
        print(c2(1, 2));
        k = functional.curry2(add);
        k1 = k(1);
        print(k1(41));
        p10 = functional.partial(add, 10);
        p3 = functional.partial_apply(add3, 1, 2);
        print(p10(5), p3(3));
        seven = functional.constant(7);
        print(seven(), seven(1, 2));
        calls = [];
        slow = fn(x) => { calls.append(x); return x * x; };
        m = functional.memoize(slow);
        print(m(3), m(3), m(4), calls);
        sign = functional.ifElse(fn(x) => x < 0, fn(x) => "neg", fn(x) => "pos");
        print(sign(-1), sign(1));
        kind = functional.cond([[fn(x) => x > 10, fn(x) => "big"], [fn(x) => x > 0, fn(x) => "small"]]);
        print(kind(50), kind(5), kind(-5));
        j = functional.juxt([inc, dbl, str]);
        print(j(4));
    """) == ("11 12 function <function functional.compose>\n4 6 4\n6 6 6\n[1, 2]\n42\n"
             "15 6\n7 7\n9 9 16 [3, 4]\nneg pos\nbig small null\n[5, 8, '4']\n")


def test_curry_arity_of_builtins_module_functions_and_built_functions(run):
    assert out(run, """
        import regex;
        c = functional.curry(len);
        t = functional.curry(regex.test);
        t1 = t("a");
        k = functional.curry(functional.compose(len), 1);
        print(c([1, 2]), t1("cat"), t1("dog"), k("abc"));
        try { functional.curry(functional.compose(len)); } except (e) { print(e.message); }
    """) == ("2 true false 3\nfunctional.curry: the function takes any number of arguments; "
             "pass the arity: curry(f, n)\n")


def test_aliasing_and_passing_built_functions(run):
    assert out(run, """
        f = functional.map;
        ops = {g: functional.filter};
        c = functional.compose(inc, dbl);
        print(f(dbl, [1, 2]), ops.g(fn(x) => x > 1, [1, 2]), f(c, [1, 2]));
        both = functional.map(functional.partial(add, 1), [1, 2]);
        print(both, functional.map(len, ["ab", ""]));
    """) == "[2, 4] [2] [3, 5]\n[2, 3] [2, 0]\n"


def test_built_functions_expose_no_members(run):
    for member in ["c._call", "c._name", "c.name", "c.call"]:
        result = run(PRELUDE + f"c = functional.compose(inc); x = {member};")
        assert not result.ok, member
        assert isinstance(result.error, (mlpy.SecurityError, mlpy.MLRuntimeError))


def test_host_callables_are_still_refused():
    result = mlpy.Engine().execute("import functional; x = functional.map(h, [1]);",
                                   {"h": print}, capture_output=True)
    assert isinstance(result.error, mlpy.SecurityError), result.error


def test_no_tuples_in_results():
    result = mlpy.Engine().execute(PRELUDE + """
        result = [functional.zip([1, 2], [3, 4]), functional.partition(fn(x) => x, [0, 1]),
                  functional.chunk(1, [1]), functional.juxt([inc])(1), functional.take(1, "ab")];
    """)
    assert result.ok, result.error
    assert result.value == [[[1, 3], [2, 4]], [[1], [0]], [[1]], [2], ["a"]]

    def walk(value):
        assert not isinstance(value, tuple)
        if isinstance(value, list):
            for item in value:
                walk(item)
    walk(result.value)


@pytest.mark.parametrize("source, kind, message", [
    ("functional.map(5, [1]);", "TypeError", "functional.map: the function must be a function, not number"),
    ("functional.map(inc, 5);", "TypeError", "the sequence must be an array, not number"),
    ("functional.reduce(add, []);", "TypeError", "empty sequence and no initial value"),
    ("functional.chunk(0, [1]);", "ValueError", "size must be positive"),
    ("functional.range(1, 5, 0);", "ValueError", "step must not be zero"),
    ("functional.times(1.5, inc);", "TypeError", "n must be an integer"),
    ("functional.compose(inc, 3);", "TypeError", "element 1 must be a function"),
    ("functional.composeAll(inc);", "TypeError", "expected an array of functions"),
    ("functional.cond([[inc]]);", "TypeError", "pair 0 is not an array [pred, fn]"),
    ("functional.groupBy(fn(x) => [x], [1]);", "TypeError", "a key must be a string"),
    ("m = functional.memoize(inc); m([1]);", "TypeError", "arguments of a memoized function"),
    ("functional.zip([1], 2);", "TypeError", "argument 2 must be an array"),
])
def test_errors_are_catchable(run, source, kind, message):
    printed = out(run, f"try {{ {source} }} except (e) {{ print(e.type); print(e.message); }}")
    got_kind, got_message = printed.rstrip("\n").split("\n", 1)
    assert got_kind == kind
    assert message in got_message


def test_a_callback_that_throws_ends_the_call(run):
    assert out(run, """
        bad = fn(x) => { throw {message: "boom " + str(x)}; };
        c = functional.compose(inc, bad);
        try { functional.map(bad, [1]); } except (e) { print(e.message); }
        try { c(2); } except (e) { print(e.message); }
    """) == "boom 1\nboom 2\n"


@pytest.mark.parametrize("call", [
    "functional.map(spin, [1])", "functional.times(2, spin)", "functional.reduce(fn(a, x) => spin(x), [1, 2])",
    "functional.forEach(spin, [1])", "g = functional.compose(spin); g(1)",
    "g = functional.memoize(spin); g(1)", "g = functional.curry(spin, 1); g(1)",
])
def test_a_callback_cannot_escape_the_time_limit(call):
    result = mlpy.Engine(timeout=0.5).execute(f"""
        import functional;
        spin = fn(x) => {{ while (true) {{ }} return x; }};
        try {{ {call}; }} except (e) {{ print("caught"); }}
    """, capture_output=True)
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert result.stdout == ""


@pytest.mark.parametrize("call", [
    "functional.times(100000000, fn(i) => i)", "functional.repeat(0, 100000000)",
    "functional.range(100000000)",
])
def test_big_results_are_refused_before_they_are_built(call):
    result = mlpy.Engine().execute(f"import functional; x = {call};", capture_output=True)
    assert isinstance(result.error, mlpy.MLLimitError)


def test_deep_recursion_through_callbacks_is_a_limit():
    result = mlpy.Engine().execute(PRELUDE + """
        f = fn(x) => functional.map(f, [x]);
        try { f(1); } except (e) { print("caught"); }
    """, capture_output=True)
    assert isinstance(result.error, mlpy.MLLimitError), result.error


def test_no_capability_is_needed():
    result = mlpy.Engine(capabilities=[]).execute(
        "import functional; result = functional.range(3);")
    assert result.ok and result.value == [0, 1, 2]
