"""Attempts to crash, hang or stop the host process.

DESIGN §6: bad input always meets a clear MLError, never a Python traceback from mlpy
internals, a hang or a crashed host. Whatever an ML program does -- cyclic or deeply nested
data, shared structure that is exponentially large when expanded, weird thrown values, huge
messages, huge sources -- ``execute`` returns an ExecutionResult in bounded time and the
interpreter keeps working. Programs that could hang or kill the process run in children.
"""

from __future__ import annotations

import time

import pytest

import mlpy
from mlpy import MLError, MLMarshalError, MLRuntimeError, MLSyntaxError

from .conftest import (
    assert_clean_error,
    assert_healthy,
    assert_isolated_limit,
    describe,
    run,
    run_isolated,
)


def finishes_cleanly(source, variables=None, *, seconds=3.0, **options):
    options.setdefault("timeout", 2)
    start = time.monotonic()
    result = run(source, variables, **options)
    elapsed = time.monotonic() - start
    assert isinstance(result, mlpy.ExecutionResult)
    assert_clean_error(result.error)
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert_healthy()
    return result


# ----------------------------------------------------------------------------- cyclic data

CYCLES = [
    "a = []; a.append(a); print(a);",
    "a = []; a.append(a); s = str(a);",
    "a = []; a.append(a); s = repr(a);",
    'a = []; a.append(a); s = "x" + a;',
    "o = {}; o.me = o; print(o);",
    "o = {}; o.me = [o, {k: o}]; s = str(o);",
    "a = []; a.append(a); import json; s = json.stringify(a);",
    "o = {}; o.me = o; import json; s = json.prettyPrint(o);",
    "a = []; a.append(a); b = []; b.append(b); r = a == b;",
    "a = []; a.append(a); r = a == a; s = [a] == [a];",
    "a = []; a.append(a); r = a.count(a); i = a.index(a);",
    "a = []; a.append(a); b = sorted([a, a]);",
    "a = []; a.append(a); throw a;",
    "o = {}; o.message = o; throw o;",
    "a = []; a.append(a); result = a;",
    "o = {}; o.me = o; result = o;",
    "a = []; a.append(a); x = a in [a];",
    "a = []; a.append(a); import json; o = json.merge({a: a}, {b: a}); s = str(o);",
]


@pytest.mark.parametrize("source", CYCLES)
def test_self_referencing_data_is_handled(source):
    result = finishes_cleanly(source)
    if not result.ok:
        assert isinstance(result.error, MLError)
    for text in (result.stdout or "",):
        assert len(text) < 100_000


def test_a_cyclic_result_cannot_cross_the_wire_but_fails_cleanly():
    result = run("a = [1]; a.append(a); result = a;")
    assert result.ok, result.error
    with pytest.raises(MLMarshalError):
        result.to_dict()


# ----------------------------------------------------------------------------- deep data

DEEP = [
    "a = []; i = 0; while (i < 100000) { a = [a]; i = i + 1; } s = str(a);",
    "a = []; i = 0; while (i < 100000) { a = [a]; i = i + 1; } print(a);",
    "o = {}; i = 0; while (i < 100000) { o = {k: o}; i = i + 1; } s = repr(o);",
    ("a = []; i = 0; while (i < 100000) { a = [a]; i = i + 1; } import json;"
    " s = json.stringify(a);"),
    "a = []; b = []; i = 0; while (i < 100000) { a = [a]; b = [b]; i = i + 1; } r = a == b;",
    "a = []; i = 0; while (i < 100000) { a = [a]; i = i + 1; } throw a;",
    'import json; s = "[" * 1000000 + "]" * 1000000; x = json.parse(s);',
    'import json; s = "[" * 1000000; ok = json.validate(s);',
    'import json; s = "{\\"a\\":" * 100000 + "1" + "}" * 100000; x = json.safeParse(s);',
    "a = []; i = 0; while (i < 100000) { a = [a]; i = i + 1; } b = sorted([a, a]);",
]


@pytest.mark.parametrize("source", DEEP)
def test_deeply_nested_data_is_handled(source):
    result = finishes_cleanly(source, seconds=4, timeout=3)
    if not result.ok:
        assert isinstance(result.error, (MLRuntimeError, mlpy.MLLimitError)), result.error


def test_a_deep_result_fails_cleanly_on_the_wire():
    result = run("a = []; i = 0; while (i < 10000) { a = [a]; i = i + 1; } result = a;")
    assert result.ok, result.error
    with pytest.raises(MLMarshalError):
        result.to_dict()


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("value", [
    "null", "true", "0", "1.5", '""', "[]", "{}", "print", "len", "fn(x) => x",
    "math", "math.sqrt", "iter([1])", "h", "hf", "[h, hf]", "{message: h}", "{message: null}",
    "{message: [1, {a: 2}]}", "{message: 5, type: \"SystemExit\"}",
    "{message: \"x\", severity: 3}", '{__class__: "SystemExit"}', '"x" * 10000000',
    '{message: "x" * 16000000}',
])
def test_throwing_weird_values_is_an_ordinary_error(value):
    host = object()
    hf = mlpy.host_function(lambda: 1, name="hf")
    source = f"import math;\nthrow {value};"
    result = finishes_cleanly(source, {"h": host, "hf": hf})
    assert not result.ok
    assert isinstance(result.error, MLRuntimeError) and result.error.kind == "thrown"
    start = time.monotonic()
    text = str(result.error)
    result.error.to_dict()
    assert time.monotonic() - start < 1
    assert "Traceback" not in text


@pytest.mark.parametrize("value", ["{message: \"x\" * 16000000}", "h", "[h]", "print"])
def test_caught_weird_values_are_ordinary_data(value):
    result = finishes_cleanly(f"""
        try {{ throw {value}; }} except (e) {{ t = e.type; m = e.message; n = len(str(e)); }}
        try {{ throw e2; }} except (e2) {{ u = e2.type; }}
    """, {"h": object()})
    assert result.ok or isinstance(result.error, MLRuntimeError)
    assert result.globals.get("t") == "Error"


# ----------------------------------------------------------------------------- stopping the host

@pytest.mark.parametrize("source", [
    "exit();", "quit();", "exit(0);", "x = exit;", "return 0;",
    'throw {message: "exit", type: "SystemExit"};',
    'throw {message: "stop", type: "KeyboardInterrupt"};',
    "e = null; try { x = 1 / 0; } except (err) { e = err; } throw e;",
])
def test_ml_cannot_exit_or_interrupt_the_host(source):
    # Whatever the program does, execute() returns; no SystemExit/KeyboardInterrupt escapes.
    try:
        result = run(source)
    except BaseException as escaped:  # noqa: BLE001 - this is what the test is about
        pytest.fail(f"{type(escaped).__name__} escaped from execute()")
    assert isinstance(result, mlpy.ExecutionResult)
    assert_clean_error(result.error)
    assert_healthy()


def test_keyboard_interrupt_in_a_host_function_is_not_caught_by_ml():
    effects = []

    @mlpy.host_function
    def interrupted():
        raise KeyboardInterrupt

    @mlpy.host_function
    def effect(x):
        effects.append(x)

    source = ("try { interrupted(); } except (e) { effect(\"caught\"); } "
              "finally { effect(\"finally\"); }\neffect(\"after\");")
    with pytest.raises(KeyboardInterrupt):
        run(source, {"interrupted": interrupted, "effect": effect})
    assert "caught" not in effects and "after" not in effects
    assert_healthy()


def test_a_failing_host_function_is_a_catchable_ml_error_without_host_detail():
    @mlpy.host_function
    def broken():
        def inner():
            raise RuntimeError("db password=hunter2 at /srv/app/db.py")
        inner()

    result = run("try { broken(); } except (e) { m = e.message; t = e.type; }",
                 {"broken": broken})
    assert result.ok, result.error
    assert "Traceback" not in result.globals["m"] and "File \"" not in result.globals["m"]


# ----------------------------------------------------------------------------- sorting

@pytest.mark.parametrize("source", [
    'a = [3, "a", null, [1], {k: 1}]; a.sort();',
    'x = sorted([{a: 1}, {a: 2}]);',
    'x = sorted([h, h]);',
    'a = [h, 1]; a.sort();',
    'x = max([1, "a"]);',
    'x = min(h, h);',
])
def test_sorting_uncomparable_values_is_a_clean_error(source):
    class Angry:
        def __lt__(self, other):
            raise ValueError("comparator exploded")

        __gt__ = __lt__

    result = finishes_cleanly(source, {"h": Angry()})
    assert not result.ok
    assert isinstance(result.error, MLRuntimeError), result.error


# ----------------------------------------------------------------------------- sources

ODD_SOURCES = [
    "\x00print(1);",
    "print('\\ud800');",
    "\ufeffprint(1);",
    "print(1);\r\nprint(2);\r",
    "print(1);\rprint(2);",
    "x = \"" + "a" * 2_000_000 + "\";",
    "// " + "c" * 2_000_000 + "\nx = 1;",
    "x = 1;\n" * 5_000,
    "x = [" + "1, " * 50_000 + "1];",
    "o = {" + ", ".join(f"k{i}: {i}" for i in range(10_000)) + "};",
    "\u202eprint(1);",
    "x = \"\\u",
    "x = '\\x4",
    "/* " * 10_000,
    "print(1)" * 10_000,
]


@pytest.mark.parametrize("source", ODD_SOURCES, ids=[f"source{i}" for i in range(len(ODD_SOURCES))])
def test_odd_and_huge_sources_are_clean(source):
    start = time.process_time()  # CPU time: a busy machine does not make it look slow
    result = run(source, timeout=2)
    assert time.process_time() - start < 6
    assert_clean_error(result.error)
    if not result.ok:
        assert isinstance(result.error, (MLSyntaxError, mlpy.MLCompileError, MLRuntimeError))
    assert_healthy()


def test_a_non_string_source_is_refused_cleanly():
    for bad in (b"print(1);", 42, None, ["print(1);"]):
        try:
            result = mlpy.Engine().execute(bad)
        except (TypeError, MLError):
            continue
        assert not result.ok and isinstance(result.error, MLError)


# ----------------------------------------------------------------------------- isolated

LAUGHS = "a = [1]; i = 0; while (i < 60) { a = [a, a]; i = i + 1; }\n"

ISOLATED = {
    # "billion laughs": a 60-level DAG of shared references is 2**60 leaves when expanded
    "laughs_print": {"src": LAUGHS + "print(a);", "options": {"timeout": 1}},
    "laughs_str": {"src": LAUGHS + "s = str(a);", "options": {"timeout": 1}},
    "laughs_concat": {"src": LAUGHS + 's = "x" + a;', "options": {"timeout": 1}},
    "laughs_json": {"src": LAUGHS + "import json; s = json.stringify(a);",
                    "options": {"timeout": 1}},
    "laughs_throw": {"src": LAUGHS + "throw a;", "options": {"timeout": 1}},
    # the host's own serialisation of such a result (to_dict, mlpy run --json)
    "laughs_wire": {"src": LAUGHS + "result = a;", "options": {"timeout": 1},
                    "after": "to_dict"},
    # a result larger than the wire limit (64 MiB by default)
    "wire_size": {"src": 's = "x" * 16000000; result = [s, s, s, s, s];',
                  "options": {"timeout": 2}, "after": "to_dict"},
    # recursion through calls the compiler cannot make direct, with a large depth allowance:
    # Python's stack must not overflow
    "deep_calls": {"src": "f = fn(n) => n == 0 ? 0 : 1 + f(n - 1); x = f(90000);",
                   "options": {"timeout": 5, "max_depth": 100000}},
    "deep_calls_engine": {"src": "function f(n) { g = f; return n == 0 ? 0 : 1 + g(n - 1); }"
                                 " x = f(90000);",
                          "engine": {"max_depth": 100000}, "options": {"timeout": 5}},
}


@pytest.fixture(scope="module")
def isolated():
    return run_isolated(ISOLATED)


@pytest.mark.parametrize("name", sorted(k for k in ISOLATED if k.startswith("laughs_")
                                        and k != "laughs_wire"))
def test_exponentially_shared_data_does_not_hang_the_host(isolated, name):
    assert_isolated_limit(isolated[name])


# Comparing two distinct structures that share themselves exponentially is one native
# operation (2**60 element comparisons inside CPython): no in-process limit can interrupt it,
# as the limits page says. Worker processes are the answer: the pool kills the worker.
TWO_LAUGHS = LAUGHS + "b = [1]; i = 0; while (i < 60) { b = [b, b]; i = i + 1; }\n"


@pytest.mark.parametrize("compare", ["r = a == b;", "r = sorted([a, b, a]);"])
def test_comparing_exponentially_shared_data_is_stopped_in_a_worker_process(compare):
    from mlpy.sandbox import SandboxConfig

    with mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(pool_size=1)) as engine:
        result = engine.execute(TWO_LAUGHS + compare + ' print("REACHED");', timeout=1,
                                capture_output=True)
        assert isinstance(result.error, (mlpy.MLTimeoutError, mlpy.MLResourceError))
        assert "REACHED" not in (result.stdout or "")
        assert engine.execute("result = 1 + 1;").value == 2  # a fresh worker took over


@pytest.mark.parametrize("name", ["laughs_wire", "wire_size"])
def test_oversized_results_fail_cleanly_on_the_wire(isolated, name):
    report = isolated[name]
    assert report["status"] == "done", describe(report)
    assert report["ok"], describe(report)
    assert report["after"] == "MLMarshalError", report["after"]
    assert report["after_seconds"] < 2


@pytest.mark.parametrize("name", ["deep_calls", "deep_calls_engine"])
def test_a_large_depth_allowance_does_not_crash_the_interpreter(isolated, name):
    report = isolated[name]
    assert report["status"] == "done", describe(report)
    if report["ok"]:
        assert report["healthy"]
    else:
        assert report["error_type"] in ("MLResourceError", "MLConfigurationError"), \
            describe(report)
