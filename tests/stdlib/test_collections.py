"""The ``collections`` module: array first, never changes its argument; no capability needed."""

from __future__ import annotations

import pytest

import mlpy


def out(run, source, **variables):
    return run.output("import collections;\n" + source, **variables)


def test_reading(run):
    assert out(run, """
        a = [10, 20, 30];
        print(collections.length(a), collections.length([]));
        print(collections.get(a, 0), collections.get(a, -1), collections.get(a, 3), collections.get(a, -4));
        print(collections.first(a), collections.last(a), collections.first([]), collections.last([]));
        print(collections.contains(a, 20), collections.contains(a, 5), collections.contains([[1]], [1]));
        print(collections.indexOf(a, 30), collections.indexOf(a, 5), collections.index_of(a, 10));
        print(collections.isEmpty([]), collections.isEmpty(a), collections.is_empty([]));
        print(collections.find(a, fn(x) => x > 15), collections.find(a, fn(x) => x > 99));
        print(collections.every(a, fn(x) => x > 5), collections.every(a, fn(x) => x > 15), collections.every([], fn(x) => false));
        print(collections.some(a, fn(x) => x > 25), collections.some(a, fn(x) => x > 99), collections.some([], fn(x) => true));
    """) == ("3 0\n10 30 null null\n10 30 null null\ntrue false true\n2 -1 0\n"
             "true false true\n20 null\ntrue false true\ntrue false false\n")


def test_building_new_arrays(run):
    assert out(run, """
        a = [3, 1, 2];
        print(collections.append(a, 4), collections.prepend(a, 0), collections.concat(a, [9]));
        print(collections.slice(a, 1), collections.slice(a, 0, 2), collections.slice(a, -2, null));
        print(collections.reverse(a), collections.take(a, 2), collections.drop(a, 2), collections.take(a, -1));
        print(collections.filter(a, fn(x) => x > 1), collections.map(a, fn(x) => x * 10));
        print(collections.reduce(a, fn(acc, x) => acc + x, 0), collections.reduce([], fn(acc, x) => acc + x, "none"));
        print(collections.removeAt(a, 0), collections.remove_at(a, 2), collections.removeAt(a, 5), collections.removeAt(a, -1));
        print(collections.unique([1, 2, 1, [1], [1], {"k": 1}, {"k": 1}, 3]));
        print(collections.flatten([1, [2, 3], [[4]], []]));
        print(collections.zip([1, 2, 3], ["a", "b"]));
        print(collections.sort(a), collections.sort(a, true), collections.sort(["b", "a"]));
        print(collections.sortBy(["ccc", "a", "bb", "d"], fn(s) => len(s)), collections.sortBy([1, 2, 3], fn(x) => x, true));
        print(collections.chunk([1, 2, 3, 4, 5], 2), collections.chunk(a, 0), collections.chunk([], 3));
        print(a);
    """) == ("[3, 1, 2, 4] [0, 3, 1, 2] [3, 1, 2, 9]\n[1, 2] [3, 1] [1, 2]\n"
             "[2, 1, 3] [3, 1] [2] []\n[3, 2] [30, 10, 20]\n6 none\n"
             "[1, 2] [3, 1] [3, 1, 2] [3, 1, 2]\n"
             "[1, 2, [1], {'k': 1}, 3]\n[1, 2, 3, [4]]\n[[1, 'a'], [2, 'b']]\n"
             "[1, 2, 3] [3, 2, 1] ['a', 'b']\n['a', 'd', 'bb', 'ccc'] [3, 2, 1]\n"
             "[[1, 2], [3, 4], [5]] [] []\n[3, 1, 2]\n")


def test_remove_at_out_of_range_returns_the_same_array():
    result = mlpy.Engine().execute(
        "import collections; a = [1]; result = [collections.removeAt(a, 3) == a, "
        "collections.append(a, 2), a];")
    assert result.value == [True, [1, 2], [1]]


def test_aliasing(run):
    assert out(run, """
        m = collections.map;
        ops = {f: collections.filter};
        print(m([1, 2], fn(x) => x + 1), ops.f([1, 2], fn(x) => x > 1));
        print(collections.map([1, "b"], str));
    """) == "[2, 3] [2]\n['1', 'b']\n"


def test_no_tuples_in_results():
    result = mlpy.Engine().execute(
        "import collections; result = [collections.zip([1, 2], [3, 4]), "
        "collections.chunk([1, 2, 3], 2), collections.slice([1, 2], 0)];")
    assert result.value == [[[1, 3], [2, 4]], [[1, 2], [3]], [1, 2]]
    assert all(type(x) is list for part in result.value for x in part
               if isinstance(x, (list, tuple)))


@pytest.mark.parametrize("source, kind, message", [
    ("collections.length(5);", "TypeError", "collections.length: the first argument must be an array, not number"),
    ("collections.map([1], 5);", "TypeError", "collections.map: expected a function, not number"),
    ("collections.concat([1], null);", "TypeError", "the second argument must be an array"),
    ("collections.get([1], 'a');", "TypeError", "the index must be an integer"),
    ("collections.take([1], 1.5);", "TypeError", "n must be an integer"),
    ("collections.sort([1, 'a']);", "TypeError", "cannot be compared"),
    ("collections.sortBy([1, 2], fn(x) => x == 1 ? 'a' : 1);", "TypeError", "keys cannot be compared"),
    ("collections.reduce([1]);", "TypeError", ""),
])
def test_errors_are_catchable(run, source, kind, message):
    printed = out(run, f"try {{ {source} }} except (e) {{ print(e.type); print(e.message); }}")
    got_kind, got_message = printed.rstrip("\n").split("\n", 1)
    assert got_kind == kind
    assert message in got_message


def test_a_callback_that_throws_ends_the_call(run):
    assert out(run, """
        bad = fn(x) => { if (x == 2) { throw {message: "two"}; } return x; };
        try { collections.map([1, 2, 3], bad); } except (e) { print("caught", e.message); }
    """) == "caught two\n"


@pytest.mark.parametrize("call", [
    "collections.map([1], spin)", "collections.filter([1], spin)",
    "collections.reduce([1], fn(a, x) => spin(x), 0)", "collections.sortBy([1, 2], spin)",
    "collections.every([1], spin)", "collections.some([1], spin)", "collections.find([1], spin)",
])
def test_a_callback_cannot_escape_the_time_limit(call):
    result = mlpy.Engine(timeout=0.5).execute(f"""
        import collections;
        spin = fn(x) => {{ while (true) {{ }} return x; }};
        try {{ {call}; }} except (e) {{ print("caught"); }}
    """, capture_output=True)
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert result.stdout == ""


def test_results_respect_the_size_limit():
    big = mlpy.Engine().execute("import collections; x = collections.concat(a, a); "
                                "y = collections.flatten([a, a]);",
                                {"a": [0] * 9_000_000}, capture_output=True)
    assert isinstance(big.error, mlpy.MLLimitError)


def test_no_capability_is_needed():
    result = mlpy.Engine(capabilities=[]).execute(
        "import collections; result = collections.first([7]);")
    assert result.ok and result.value == 7
