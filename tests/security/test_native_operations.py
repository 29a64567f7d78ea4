"""One builtin, method or module call must not outrun the limits.

A native operation runs to its end before any check of the execution's limits runs again.
So an argument that would make one call unbounded -- a number of digits, an iterator that
follows the array it extends, a value that shares its parts exponentially, millions of
references to two long values that differ at their end -- is refused before the call, or
the call is computed another way, or it works in slices that look at the clock. And when a
native call returns, the deadline is looked at again, so a program that ends right after a
long call still reports its timeout.

The programs that would hang or exhaust the host without these rules run in child processes.
"""

from __future__ import annotations

import pytest

import mlpy

from .conftest import REACHED, assert_isolated_limit, assert_limit, describe, run, run_isolated

SHARED = ("a = [1]; for (i in range(60)) { a = [a, a]; }\n"
          "b = [1]; for (i in range(60)) { b = [b, b]; }\n")
LONG_PAIR = 's = "x" * 16000000; t = "x" * 15999999 + "y"; a = [s, t] * 4000000;\n'
BIG_PAIR = ("n = 7; for (i in range(18)) { n = n * n; } m = n + 1;"
            " a = [n, m] * 4000000;\n")

# Calls that ran for minutes or forever: each must end with a limit.
UNBOUNDED = {
    # comparing two values that share their parts exponentially: 2**60 steps each
    "shared_index": SHARED + "x = [a].index(b);",
    "shared_count": SHARED + "x = [a, 1].count(b);",
    "shared_remove": SHARED + "c = [a]; c.remove(b);",
    "shared_sort": SHARED + "c = [a, b]; c.sort();",
    "shared_sorted": SHARED + "x = sorted([a, b]);",
    "shared_max": SHARED + "x = max(a, b);",
    "shared_min": SHARED + "x = min([a, b]);",
    "shared_contains": SHARED + "import collections; x = collections.contains([a], b);",
    "shared_index_of": SHARED + "import collections; x = collections.indexOf([a], b);",
    "shared_unique": SHARED + "import collections; x = collections.unique([a, b]);",
    "shared_functional_unique": SHARED + "import functional; x = functional.unique([a, b]);",
    "shared_collections_sort": SHARED + "import collections; x = collections.sort([a, b]);",
    # eight million comparisons of two long strings that differ in their last character
    "long_count": LONG_PAIR + "x = a.count(t);",
    "long_index": LONG_PAIR + 'x = a.index("x" * 15999999 + "z");',
    "long_max": LONG_PAIR + "x = max(a);",
    "long_sort": LONG_PAIR + "a.sort();",
    "long_sorted": LONG_PAIR + "x = sorted(a);",
    "long_contains": LONG_PAIR + 'import collections;'
                                 ' x = collections.contains(a, "x" * 15999999 + "z");',
    # eight million additions and comparisons of 700,000-bit integers
    "big_sum": BIG_PAIR + "x = sum(a);",
    "big_max": BIG_PAIR + "x = max(a);",
    "big_index": BIG_PAIR + "x = a.index(n + 2);",
    "big_sort": BIG_PAIR + "x = sorted(a);",
    # each least common multiple doubles the digits (and the next one's work)
    "lcm_growth": "import math; n = 2; while (true) { n = math.lcm(n, n + 1); }",
    # millions of matches, each one replaced or kept in Python
    "regex_sub_every_gap": 'import regex; x = regex.sub("", "-", "a" * 16000000);',
    "regex_sub_template": 'import regex; x = regex.sub("(a)", "\\\\1", "a" * 16000000);',
    "regex_sub_function": 'import regex; x = regex.sub("a", fn(m) => "b", "a" * 16000000);',
    "regex_finditer_every_gap": 'import regex; x = regex.finditer("", "a" * 16000000);',
    "regex_pattern_finditer": 'import regex; p = regex.compile("a|");'
                              ' x = p.finditer("a" * 16000000);',
    # the quadratic scan of unique over arrays that do not hash
    "unique_of_arrays": "import collections; a = []; for (i in range(200000)) { a.append([i]); }"
                        " x = collections.unique(a);",
}

# Growth past the size limit that no size check saw.
OVERSIZED = {
    "extend_own_iterator": "a = [1, 2]; while (true) { a.extend(iter(a)); }",
    "slice_assignment": "a = [1]; while (true) { a[0:0] = a; }",
    "slice_assignment_iterator": "a = [1]; while (true) { a[0:0] = iter(a); }",
    "sum_of_arrays": "a = [[0] * 1000] * 20000; x = sum(a, []);",
    "join_of_iterator": 'a = ["ab"] * 1000000; while (true) { a = [",".join(iter(a + a))]; }',
    "strftime_widths": 'import datetime; d = datetime.create(2024, 1, 1);'
                       ' x = d.format("%_2000Y" * 40000);',
    "join_of_object_keys": 'o = {}; for (i in range(100000)) { o["k" * 200 + str(i)] = i; }'
                           ' x = ("-" * 200).join(o);',
}

# Calls that took minutes (or forever) and now compute the same result another way; each
# prints its result.
FAST = {
    "round_far_left": ("print(round(1, -30000000));", "0"),
    "round_negative": ("print(round(-7, -400000));", "0"),
    "round_big_number": ("import math; print(round(math.pow(10, 300) + 5, -301));", "0"),
    "round_kept_digit": ("print(round(1234, -2), round(1250, -2));", "1200 1200"),
    "extend_own_iterator_once": ("a = [1, 2]; a.extend(iter(a)); print(a);", "[1, 2, 1, 2]"),
    "slice_from_own_iterator": ("a = [1, 2]; a[0:0] = iter(a); print(a);", "[1, 2, 1, 2]"),
    "random_string": ("import crypto; print(len(crypto.random_string(16000000)));",
                      "16000000"),
}

CASES = {
    **{f"unbounded:{name}": {"src": source, "options": {"timeout": 1}}
       for name, source in UNBOUNDED.items()},
    **{f"oversized:{name}": {"src": source, "options": {"timeout": 10}}
       for name, source in OVERSIZED.items()},
    **{f"fast:{name}": {"src": source, "options": {"timeout": 1}}
       for name, (source, _) in FAST.items()},
}


@pytest.fixture(scope="module")
def reports():
    return run_isolated(CASES, wall=20.0, memory=2_000_000_000)


@pytest.mark.parametrize("name", sorted(UNBOUNDED))
def test_one_call_cannot_outrun_the_limits(reports, name):
    report = reports[f"unbounded:{name}"]
    assert_isolated_limit(report)
    assert report["seconds"] < 15, describe(report)


@pytest.mark.parametrize("name", sorted(OVERSIZED))
def test_growth_through_iterators_slices_and_sums_meets_the_size_limit(reports, name):
    report = reports[f"oversized:{name}"]
    assert_isolated_limit(report, "MLResourceError", resource="memory")
    assert "size limit" in report["message"], describe(report)


@pytest.mark.parametrize("name", sorted(FAST))
def test_calls_that_need_no_long_work_do_none(reports, name):
    report = reports[f"fast:{name}"]
    assert report["status"] == "done", describe(report)
    assert report["ok"], describe(report)
    assert report["stdout_head"] == FAST[name][1] + "\n", describe(report)
    assert report["seconds"] < 5, describe(report)


# ----------------------------------------------------------------------------- after a call

LONG_CALLS = {
    "method_value": 's = "ab" * 8000000; f = s.count; n = call(f, "ba");',
    "method_of_an_expression": 's = "ab" * 8000000; n = [s][0].count("ba");',
    "builtin_by_value": "a = range(4000000); f = sorted; b = f(a);",
}


@pytest.mark.parametrize("name", sorted(LONG_CALLS))
def test_a_deadline_passed_in_a_native_call_stops_the_program_at_once(name):
    # The program has no loop after the call: without a look at the clock when the call
    # returns, it would end normally and report success.
    result = run(LONG_CALLS[name] + '\nprint("REACHED");', timeout=0.001)
    assert REACHED not in (result.stdout or "")
    assert_limit(result, mlpy.MLTimeoutError)


# ----------------------------------------------------------------------------- unchanged


@pytest.mark.parametrize("source, expected", [
    ("result = [min([2, 1, 1.0]), max([1, 2, 2.0]), min(3, 1, 2), max([]), min(5)];",
     [1, 2, 1, None, 5]),
    ("a = [1, 2, 3, 2]; result = [a.index(2), a.index(2, 2), a.index(3, -2), a.count(2)];",
     [1, 3, 2, 2]),
    ("a = [3, 1, 2, 1]; a.remove(1); a.sort(); result = a;", [1, 2, 3]),
    ("result = [sum([1, 2, 3]), sum([0.1] * 10), sum([[1], [2]], [9]), sum(iter([1, 2]))];",
     [6, sum([0.1] * 10), [9, 1, 2], 3]),
    ("result = sorted(iter([3, 1, 2]), true);", [3, 2, 1]),
    ('import collections; result = [collections.indexOf([1, [2], 3], [2]),'
     ' collections.unique([[1], 1, [1], 2, 1]), collections.contains([[1]], [1]),'
     ' collections.sortBy(["bb", "a", "cc"], fn(s) => len(s))];',
     [1, [[1], 1, 2], True, ["a", "bb", "cc"]]),
    ("a = [1, 2, 3, 4, 5]; a[1:3] = [9]; a[::2] = [0, 0]; result = a;", [0, 9, 0, 5]),
    ('result = ["-".join(iter(["a", "b"])), "".join({x: 1, y: 2})];', ["a-b", "xy"]),
])
def test_ordinary_calls_give_the_same_results(source, expected):
    result = run(source)
    assert result.ok, result.error
    assert result.value == expected


def test_an_unsortable_array_is_still_a_catchable_type_error():
    result = run('try { x = sorted([1, "a"]); } except (e) { result = e.type; }')
    assert result.ok, result.error
    assert result.value == "TypeError"
