"""Legitimate programs that must keep working.

A gate that refuses everything would pass every attack test; these programs use exactly the
features the attacks abuse -- members, methods, keys with underscores, functions as values,
callbacks, host functions, errors, recursion, big (but allowed) values -- and must produce
the right output.
"""

from __future__ import annotations

import pytest

import mlpy

from .conftest import run


def ok(source, variables=None, **options):
    result = run(source, variables, **options)
    assert result.ok, result.error
    return result


def test_string_methods():
    result = ok("""
        s = "  Hello, World  ";
        t = s.strip();
        print(t.upper(), t.lower(), t.split(", "), "-".join(["a", "b", "c"]));
        print(t.replace("World", "ML"), t.find("World"), t.startswith("Hell"),
              t.endswith("!"), t.count("l"), t.index("o"), t.rfind("o"));
        print("ab".center(6, "*"), "ab".ljust(4, "."), "ab".rjust(4), "x y z".rsplit(" ", 1));
        print("abc".capitalize(), "a b".title(), "AbC".swapcase(), "123".isdigit(),
              "abc".isalpha(), " ".isspace(), "ab1".isalnum(), t.length, len(t), t[0:5], t[-1]);
    """)
    assert result.stdout == (
        "HELLO, WORLD hello, world ['Hello', 'World'] a-b-c\n"
        "Hello, ML 7 true false 3 4 8\n"
        "**ab** ab..   ab ['x y', 'z']\n"
        "Abc A B aBc true true true true 12 12 Hello d\n")


def test_array_methods():
    result = ok("""
        a = [3, 1, 2];
        a.append(4); a.extend([6, 5]); a.insert(0, 0); a.remove(6);
        p = a.pop(); a.sort(); b = a.copy(); b.reverse();
        print(a, b, p, a.index(3), a.count(1), a.length, len(b));
        b.clear(); print(b, a[1:3], a[-1], a.count(2) > 0);
    """)
    assert result.stdout == ("[0, 1, 2, 3, 4] [4, 3, 2, 1, 0] 5 3 1 5 5\n"
                             "[] [1, 2] 4 true\n")


def test_objects_with_underscore_keys_from_json():
    result = ok("""
        import json;
        o = json.parse('{"_id": 7, "__typename": "User", "_meta": {"_rev": 2}, "name": "Ada"}');
        print(o._id, o["__typename"], o._meta._rev, o.name, o.missing);
        o._id = 8; o["__typename"] = "Admin";
        print(json.stringify(o), keys(o), hasattr(o, "_id"), getattr(o, "__typename"));
        p = {_private: 1, __dunder_key: 2};
        print(p._private, p["__dunder_key"], json.get(o, "_id"));
    """)
    assert result.stdout == (
        "7 User 2 Ada null\n"
        '{"_id": 8, "__typename": "Admin", "_meta": {"_rev": 2}, "name": "Ada"} '
        "['_id', '__typename', '_meta', 'name'] true Admin\n"
        "1 2 8\n")


def test_code_like_text_is_just_text():
    result = ok("""
        print("eval(x)", "exec (y)", "__import__('os')", "os.system('ls')", "open('f')");
        o = {eval: 1, open: 2, exec: 3, import_: 4, class: 5};
        print(o.eval + o.open + o.exec + o["import_"] + o.class);
    """)
    assert result.stdout == "eval(x) exec (y) __import__('os') os.system('ls') open('f')\n15\n"


def test_closures_and_functions_as_values():
    result = ok("""
        function counter() {
            n = 0;
            function inc() { nonlocal n; n = n + 1; return n; }
            return inc;
        }
        c = counter(); c(); c();
        adders = [];
        for (k in [1, 2, 3]) { adders.append(fn(x) => x + k); }
        ops = {double: fn(x) => x * 2, square: fn(x) => x * x};
        compose = fn(f, g) => fn(x) => f(g(x));
        h = compose(ops.double, ops.square);
        s = "abc"; up = s.upper;
        print(c(), adders[0](10), ops.double(4), ops["square"](3), h(3), up(), call(h, 2));
    """)
    assert result.stdout == "3 13 8 9 18 ABC 8\n"


def test_higher_order_builtins_and_callbacks():
    result = ok("""
        function apply_all(fs, x) { out = []; for (f in fs) { out.append(f(x)); } return out; }
        print(apply_all([len, str, typeof, fn(v) => v + "!"], "ab"));
        print(sorted([3, 1, 2]), sorted(["b", "a"], true), max([4, 9]), min(2, 1),
              sum([1, 2, 3]), any([0, 1]), all([1, 1]), reversed([1, 2]),
              enumerate(["a", "b"]), zip([1, 2], ["x", "y"]), range(3));
        print(call(max, 1, 5), call(fn(a, b) => a - b, 5, 2), callable(print),
              methods({b: 1, a: 2}), getattr("s", "upper")());
    """)
    assert result.stdout == (
        "[2, 'ab', 'string', 'ab!']\n"
        "[1, 2, 3] ['b', 'a'] 9 1 6 true true [2, 1] [[0, 'a'], [1, 'b']] "
        "[[1, 'x'], [2, 'y']] [0, 1, 2]\n"
        "5 3 true ['a', 'b'] S\n")


def test_math_json_and_console_modules():
    result = ok("""
        import math; import json; import console;
        m = math; f = math.sqrt;
        print(math.sqrt(16), m.floor(2.7), f(9), math.pi > 3, math.pow(2, 10), math.max(1, 2));
        o = json.parse('{"a": [1, 2, {"b": null}]}');
        console.log("log:", json.stringify(o), json.isObject(o), json.validate("[1"));
        c = console; c.info("via alias");
    """, capabilities=["console.write"])
    assert result.stdout == ("4.0 2 3.0 true 1024 2\n"
                             'log: {"a": [1, 2, {"b": null}]} true false\n'
                             "INFO: via alias\n")


def test_host_functions_with_granted_capabilities():
    store = {}

    @mlpy.host_function(capabilities=["kv.write"])
    def put(key, value):
        store[key] = value
        return True

    @mlpy.host_function(capabilities=["kv.read"])
    def get(key):
        return store.get(key)

    @mlpy.host_function
    def add(a, b):
        return a + b

    result = ok("""
        put("a", 1); p = put; p("b", add(1, 1));
        fs = {read: get};
        print(get("a"), fs.read("b"), call(get, "a"), add(2, 3));
    """, {"put": put, "get": get, "add": add}, capabilities=["kv.read", "kv.write"])
    assert result.stdout == "1 2 1 5\n"
    assert store == {"a": 1, "b": 2}


def test_ordinary_errors_are_catchable():
    @mlpy.host_function
    def fails():
        raise ValueError("host failure")

    result = ok("""
        import console;
        kinds = [];
        try { x = 1 / 0; } except (e) { kinds.append(e.type); }
        try { x = {}["k"]; } except (e) { kinds.append(e.type); }
        try { x = [][3]; } except (e) { kinds.append(e.type); }
        try { throw {message: "custom", code: 42}; } except (e) { kinds.append(e.code); }
        try { throw "text"; } except (e) { kinds.append(e.message); }
        try { console.log("no grant"); } except (e) { kinds.append(e.type); }
        try { h(); } except (e) { kinds.append(e.type); }
        try { fails(); } except (e) { kinds.append(e.message); }
        try { s = "a"; s._x; } except (e) { kinds.append(e.type); }
        function risky(n) { if (n > 2) { throw {message: "too big"}; } return n; }
        try { risky(5); } except (e) { kinds.append(e.message); } finally { kinds.append("f"); }
        print(kinds);
    """, {"h": lambda: None, "fails": fails})
    assert result.stdout == (
        "['ZeroDivisionError', 'KeyError', 'IndexError', 42, 'text', 'CapabilityError', "
        "'SecurityError', 'fails() failed: host failure', 'SecurityError', 'too big', 'f']\n")


def test_recursion_to_depth_400_and_mutual_recursion():
    result = ok("""
        function depth(n) { if (n == 0) { return 0; } return 1 + depth(n - 1); }
        function is_even(n) { return n == 0 ? true : is_odd(n - 1); }
        function is_odd(n) { return n == 0 ? false : is_even(n - 1); }
        f = fn(n) => n == 0 ? 0 : 1 + f(n - 1);
        function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
        g = fn(n) => n == 0 ? 0 : 1 + g(n - 1);
        warm = f(300);
        print(depth(400), is_even(300), f(400), fib(20), g(450), warm);
    """, timeout=10)
    assert result.stdout == "400 true 400 6765 450 300\n"


def test_big_but_allowed_values():
    result = ok("""
        s = "x" * 16000000;
        a = range(1000000);
        n = 1; i = 0; while (i < 1000) { n = n * 3; i = i + 1; }
        t = s.replace("x", "y", 10);
        print(len(s), len(a), n > 0, len(str(n)), t[0:11], len(",".join(["ab"] * 1000)));
    """, timeout=10)
    assert result.stdout == "16000000 1000000 true 478 yyyyyyyyyyx 2999\n"


def test_loops_within_limits():
    result = ok("""
        total = 0;
        for (i in range(100000)) { total = total + i; }
        j = 0; while (j < 100000) { j = j + 1; }
        print(total, j);
    """, timeout=10, max_steps=1_000_000)
    assert result.stdout == "4999950000 100000\n"


def test_formatting_that_is_allowed():
    result = ok("""
        print("%d items" % 5, "%.2f" % 3.14159, "%(name)s is %(age)d" % {name: "Ada", age: 36},
              "%s" % [1, true], format(3.14159, ".2f"), format(42, "05d"), format("a", ">3"),
              "%5s|" % "ab", "%-5s|" % "ab");
    """)
    assert result.stdout == ("5 items 3.14 Ada is 36 [1, true] 3.14 00042   a    ab| ab   |\n")


def test_output_within_max_output_and_python_keywords_as_names():
    result = ok("""
        class = "c"; lambda = 1; def = 2; None = 3;
        for (i in range(10)) { print(class, lambda + def + None + i); }
    """, max_output=1000)
    assert result.stdout.count("\n") == 10 and result.stdout.startswith("c 6\n")


@pytest.mark.parametrize("chunks, expected", [
    (["import console;", "f = console.log;", 'f("later chunk");'], "later chunk\n"),
    (["function greet(n) { return \"hi \" + n; }", 'print(greet("ml"));'], "hi ml\n"),
])
def test_sessions_keep_working_across_chunks(chunks, expected):
    session = mlpy.Engine().session(capabilities=["console.write"])
    out = ""
    for chunk in chunks:
        result = session.exec(chunk, capture_output=True)
        assert result.ok, result.error
        out += result.stdout or ""
    assert out == expected
