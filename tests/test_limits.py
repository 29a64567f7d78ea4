"""Recursion depth, output, memory budget and size limits: each stops the program with an
error naming the limit and its value, and ML code cannot catch it."""

from __future__ import annotations

import threading
import time

import pytest

import mlpy
from mlpy import MLConfigurationError, MLResourceError

RECURSE = "function f(n) { if (n == 0) { return 0; } return 1 + f(n - 1); }"


def run(source, **options):
    return mlpy.Engine().execute(source, capture_output=True, **options)


# ----------------------------------------------------------------------------- recursion depth


@pytest.mark.parametrize("depth, ok", [(490, True), (505, False), (100_000, False)])
def test_the_default_depth_limit_is_500_nested_calls(depth, ok):
    result = run(RECURSE + f" result = f({depth});")
    assert result.ok is ok
    if not ok:
        assert result.error.resource == "recursion" and result.error.limit == 500
        assert "more than 500 nested calls" in result.error.message
        assert "f (line 1) x" in str(result.error)  # the call chain is summarised


def test_max_depth_is_configurable_per_engine_and_per_execution():
    assert run(RECURSE + " result = f(900);", max_depth=1000).value == 900
    shallow = mlpy.Engine(max_depth=50)
    assert shallow.execute(RECURSE + " result = f(45);").ok
    assert shallow.execute(RECURSE + " result = f(60);").error.limit == 50


@pytest.mark.parametrize("program", [
    # mutual recursion
    "function a(n) { return b(n); } function b(n) { return a(n); } a(1);",
    # recursion through a variable (calls go through the runtime's call helper)
    "g = fn(n) => g(n + 1); g(0);",
    # recursion through a stored reference in an object
    "o = {}; o.f = fn(n) => o.f(n); o.f(1);",
])
def test_every_kind_of_runaway_recursion_stops_with_the_depth_error(program):
    result = run(program)
    assert isinstance(result.error, MLResourceError) and result.error.resource == "recursion"


def test_the_depth_limit_cannot_be_caught_or_swallowed():
    result = run(RECURSE + """
        caught = false;
        function safe() {
            try { f(10000); } except (e) { caught = true; }
            finally { return 1; }
        }
        safe();
        print("after");
    """)
    assert result.error.resource == "recursion" and result.stdout == ""
    assert result.globals.get("caught") is False


def test_the_depth_limit_applies_to_functions_the_host_calls():
    session = mlpy.Engine(max_depth=100).session()
    session.exec(RECURSE)
    f = session.function("f").with_timeout(10)
    assert f(90) == 90
    with pytest.raises(MLResourceError, match="more than 100 nested calls"):
        f(150)


def test_a_deep_host_stack_does_not_eat_into_the_depth_of_ml_code():
    def nest(k):
        return run(RECURSE + " result = f(450);") if k == 0 else nest(k - 1)

    assert nest(300).value == 450


# ----------------------------------------------------------------------------- output


def test_output_is_cut_at_the_limit_and_the_program_stops():
    result = run('i = 0; while (true) { print("line " + str(i)); i = i + 1; }', max_output=100)
    assert result.error.resource == "output" and result.error.limit == 100
    assert len(result.stdout) == 100 and result.stdout.startswith("line 0\nline 1\n")
    assert "more than 100 characters" in result.error.message


def test_the_output_limit_counts_both_streams_and_cannot_be_caught():
    program = """
        import console;
        i = 0;
        while (i < 100) { try { console.error("e"); console.log("o"); } except (e) { } i = i + 1; }
    """
    result = mlpy.Engine(capabilities=["console.*"], max_output=50).execute(
        program, capture_output=True)
    assert result.error.resource == "output"
    assert len(result.stdout) + len(result.stderr) == 50


# ----------------------------------------------------------------------------- memory budget


@pytest.mark.parametrize("program", [
    "a = []; while (true) { a.append([1, 2, 3, 4, 5, 6, 7, 8]); }",
    "o = {}; i = 0; while (true) { o[str(i)] = [i, i, i]; i = i + 1; }",
    'function f(acc, n) { acc.append(str(n)); if (n == 0) { return acc; } return f(acc, n - 1); }'
    " a = []; while (true) { a.append(f([], 100)); }",
    's = "x" * 1000000; a = []; while (true) { a.append(s * 2); }',
    "keep = fn() => [0] * 100000; fs = []; while (true) { fs.append(keep()); }",
])
def test_the_memory_budget_stops_programs_that_keep_growing(program):
    started = time.perf_counter()
    result = run(program, max_memory=20_000_000, timeout=30)
    assert isinstance(result.error, MLResourceError), result.error
    assert result.error.resource == "memory" and result.error.limit == 20_000_000
    assert "more than 20,000,000 bytes" in result.error.message
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize("program", [
    "function grow() { a = []; while (true) { a.append([1, 2, 3, 4, 5, 6, 7, 8]); } } grow();",
    'function grow() { s = "x" * 1000000; a = []; while (true) { a.append(s * 2); } } grow();',
    "function outer() { a = []; function inner() { while (true) { a.append(range(50)); } }"
    " inner(); } outer();",
    "function grow(n) { a = [0] * 100000; if (n > 0) { return grow(n - 1) + a; }"
    " b = []; while (true) { b.append(str(len(b)) * 20); } } grow(50);",
    "f = fn() => { o = {}; i = 0; while (true) { o[str(i)] = [i]; i = i + 1; } }; f();",
])
def test_the_memory_budget_counts_what_running_functions_hold(program):
    # Function variables are read through frame.f_locals, a dict before Python 3.13 and a
    # live view (FrameLocalsProxy) since: both must count.
    # The time limit only stops a budget that never trips; a busy machine may need long.
    result = run(program, max_memory=20_000_000, timeout=120)
    assert isinstance(result.error, MLResourceError), result.error
    assert result.error.resource == "memory"


def test_programs_within_the_memory_budget_run_normally():
    result = run("""
        s = ""; i = 0;
        while (i < 100000) { s = s + "x"; i = i + 1; }
        a = []; j = 0;
        while (j < 100000) { a.append(j); j = j + 1; }
        result = [len(s), len(a)];
    """, max_memory=20_000_000)
    assert result.value == [100000, 100000]


def test_limits_are_validated():
    for name in ("max_depth", "max_output", "max_memory"):
        with pytest.raises(MLConfigurationError, match=name):
            mlpy.Engine(**{name: 0})
        result = mlpy.Engine().execute("x = 1;", **{name: -5})
        assert isinstance(result.error, MLConfigurationError)


# ----------------------------------------------------------------------------- size limits


@pytest.mark.parametrize("program", [
    'x = "x".center(100000000);',
    's = "ab"; x = s.ljust(100000000);',
    's = "ab"; x = s.rjust(100000000, "-");',
    's = "x" * 16000000; s = s.replace("x", "xx");',
    'x = ",".join(["xxxxxxxxxxxxx"] * 10000000);',
    "a = [1] * 16000000; a.extend(a);",
    'x = "x" * 100000000;',
    "x = [0] * 100000000;",
    "x = range(100000000);",
    's = "x" * 10000000; t = s + s;',
    's = "x"; f = s.center; f(100000000);',  # an extracted method stays checked
    'x = format(1, "200000000");',
    'x = "%200000000s" % 1;',
    'x = "%.200000000f" % 1.5;',
    "import math; x = math.factorial(100000);",
    # a structure that shares itself: 2**40 leaves when written out
    "a = [1]; i = 0; while (i < 40) { a = [a, a]; i = i + 1; } print(a);",
    "a = [1]; i = 0; while (i < 40) { a = [a, a]; i = i + 1; } s = str(a);",
    "a = [1] * 16000000; f = a.extend; f(a);",
])
def test_operations_that_would_build_oversized_values_are_refused_before_building(program):
    result = run(program)
    assert isinstance(result.error, MLResourceError) and result.error.resource == "memory"
    assert "size limit reached" in result.error.message


def test_a_structure_that_shares_itself_cannot_stall_json_or_the_host():
    result = run("import json; a = [1]; i = 0; while (i < 40) { a = [a, a]; i = i + 1; }"
                 " try { json.stringify(a); } except (e) { print(e.message); }")
    assert isinstance(result.error, MLResourceError) and result.stdout == ""
    assert len(repr(result)) < 1000  # the host can still look at the result


def test_values_that_contain_themselves_display_with_an_ellipsis():
    result = run("a = [1]; a.append(a); a.append(a); o = {}; o.me = o; print(a, o);")
    assert result.stdout == "[1, [...], [...]] {'me': {...}}\n"


def test_formatting_within_the_limits_works():
    result = run('import math; result = [format(3.14159, ".2f"), format(42, "08d"),'
                 ' "%5s|" % "ab", "%.3f" % 2.0, math.factorial(20), 7 % 3];')
    assert result.value == ["3.14", "00000042", "   ab|", "2.000", 2432902008176640000, 1]


def test_checked_methods_behave_like_the_plain_ones():
    result = run("""
        a = [1, 2]; b = a.copy(); a.extend([3]);
        result = [",".join(["a", "b"]), "x".center(5, "*"), "abc".replace("b", "BB"),
                  "ab".ljust(4, "."), "ab".rjust(4), "aaa".replace("a", "bb", 2), a, b];
    """)
    assert result.value == ["a,b", "**x**", "aBBc", "ab..", "  ab", "bbbba", [1, 2, 3], [1, 2]]


# ----------------------------------------------------------------------------- cancellation


def test_cancel_from_another_thread_stops_a_running_program():
    engine = mlpy.Engine()
    outcome = {}

    def work():
        outcome["result"] = engine.execute("while (true) { }", execution_id="job-1")

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 5
    while not engine.cancel("job-1"):
        assert time.monotonic() < deadline, "the execution never started"
        time.sleep(0.005)
    thread.join(5)
    assert not thread.is_alive()
    assert isinstance(outcome["result"].error, mlpy.MLCancelledError)
    assert engine.cancel("job-1") is False  # no longer running
