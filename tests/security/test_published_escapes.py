"""Published sandbox escapes, ported to ML.

Each case is the closest ML equivalent of a known escape from another Python (or embedded)
sandbox; the comment names the escape class. ML has no str.format, no generators, no pickle,
no AST access and no ``**``, so several escapes reduce to "the building block does not exist";
the tests then check that every nearby building block that does exist is refused too.
"""

from __future__ import annotations

import copy
import pickle

import pytest

import mlpy
from mlpy import MLRuntimeError, MLSecurityError, SecurityError

from .conftest import (
    assert_blocked,
    assert_healthy,
    assert_isolated_limit,
    assert_limit,
    run,
    run_isolated,
)

# ----------------------------------------------------------------------------- RestrictedPython

@pytest.mark.parametrize("source", [
    # RestrictedPython: str.format attribute traversal ("{0.__class__.__mro__[1]...}")
    'x = "{0.__class__.__mro__[1].__subclasses__}".format(""); print("REACHED", x);',
    # RestrictedPython: str.format_map with attribute traversal (CVE-2019-10906 in Jinja2)
    'x = "{a.__class__}".format_map({a: 1}); print("REACHED", x);',
    # string.Formatter().get_field("0.__class__", ...): the string module is not ML's
    'import string;\nf = string.Formatter(); print("REACHED");',
])
def test_format_string_attribute_traversal(source):
    error = assert_blocked(run(source), MLRuntimeError, mlpy.MLCompileError)
    if isinstance(error, MLRuntimeError):
        assert error.kind == "attribute_error", error.message


@pytest.mark.parametrize("source", [
    # RestrictedPython / CPython sandboxes: generator frame walking gi_frame.f_back.f_globals
    'it = iter([1]); f = it.gi_frame; print("REACHED", f);',
    'it = iter([1]); f = it.gi_frame.f_back.f_globals; print("REACHED");',
    # traceback walking from a caught exception: e.__traceback__.tb_frame.f_back
    'try { x = 1 / 0; } except (e) { f = e.__traceback__.tb_frame.f_back; print("REACHED"); }',
    # function globals: f.__globals__["__builtins__"]["__import__"]("os")
    'function f() { return 1; } b = f.__globals__["__builtins__"]; print("REACHED");',
    # Jinja2 sandbox: cycler.__init__.__globals__.os
    'o = {}; g = o.get.__globals__; print("REACHED");',
    # the classic: ().__class__.__bases__[0].__subclasses__()
    's = [].__class__.__base__.__subclasses__(); print("REACHED");',
    # type("X", (), {...}) three-argument class creation
    'X = type("X", [], {}); print("REACHED");',
])
def test_frame_and_class_walking_is_refused_statically(source):
    assert_blocked(run(source), MLSecurityError, MLRuntimeError, SecurityError)


@pytest.mark.parametrize("name", ["gi_frame", "gi_code", "f_back", "f_globals", "f_locals",
                                  "tb_frame", "tb_next", "cr_frame", "ag_frame", "im_func",
                                  "func_globals", "mro", "obj"])
def test_frame_attributes_are_unreachable_by_name(name):
    # The same walks with a computed name: getattr is ML's and refuses everything that is not
    # a documented member (iterators, errors, functions have none of these).
    source = f"""
        function gen() {{ return 1; }}
        caught = null;
        try {{ x = "s".nothing; }} except (e) {{ caught = e; }}
        found = [];
        for (v in [iter([1]), gen, caught, print]) {{ found.append(getattr(v, "{name}")); }}
        try {{ found.append(caught.{name}); }} except (e) {{ found.append("refused"); }}
    """
    result = run(source)
    assert result.ok, result.error
    assert result.globals["found"][:4] == [None] * 4
    assert result.globals["found"][4] in (None, "refused")


def test_attribute_error_obj_is_not_exposed():
    # CPython 3.10+: AttributeError.obj / .name carry the object whose attribute was missing;
    # a sandbox that hands out exception objects leaks it.
    @mlpy.host_function
    def fail():
        error = AttributeError("no attribute 'x'", name="x", obj=object())
        raise error

    result = run("""
        got = [];
        try { s = "abc".nothing; } except (e) { got.append(e.obj); got.append(e.name); }
        try { fail(); } except (e) { got.append(e.obj); got.append(e.name);
                                     got.append(e.args); got.append(e.exception); }
    """, {"fail": fail})
    assert result.ok, result.error
    assert result.globals["got"] == [None] * 6


@pytest.mark.parametrize("key", ["__eq__", "__hash__", "__getattribute__", "__getattr__",
                                 "__str__", "__repr__", "__len__", "__iter__", "__bool__",
                                 "__lt__", "__del__", "__init__"])
def test_dunder_keys_do_not_become_methods(key):
    # RestrictedPython/asteval: defining special methods to hijack comparisons and
    # conversions. An ML object with such keys is a dict; the functions under them never run.
    calls = []

    @mlpy.host_function
    def hook(*args):
        calls.append(args)
        return True

    source = (f'o = {{}}; o["{key}"] = fn(a, b) => hook(a, b); p = {{k: 1}};'
              ' r = [o == p, str(o), len(o), bool(o), [o] == [o], keys(o)];'
              ' for (k in o) { } s = sorted([1, 2]);')
    result = run(source, {"hook": hook})
    assert result.ok, result.error
    assert calls == []


def test_computed_dunder_names_are_refused():
    # RestrictedPython: getattr(obj, "__cl" + "ass__") -- the name is built at run time.
    result = run('name = "__cl" + "ass__"; a = getattr("s", name); b = getattr([], name);'
                 'c = hasattr(print, "__glo" + "bals__");')
    assert result.ok, result.error
    assert (result.globals["a"], result.globals["b"], result.globals["c"]) == (None, None, False)


# ----------------------------------------------------------------------------- asteval

def test_rebinding_builtins_does_not_leak_into_other_executions():
    # asteval: mutating the interpreter's symbol table (or AST) so that later code runs
    # differently. ML can rebind names only in its own namespace.
    engine = mlpy.Engine()
    first = engine.execute("print = 5; getattr = fn(a, b) => \"hijacked\"; len = 0;"
                           "function call(f) { return 1; }", capture_output=True)
    assert first.ok, first.error
    second = engine.execute('print("clean"); r = [getattr("s", "upper") == null, len("ab"),'
                            ' call(fn() => 3)];', capture_output=True)
    assert second.ok, second.error
    assert second.stdout == "clean\n"
    assert second.globals["r"] == [False, 2, 3]


def test_overwriting_runtime_hooks_is_impossible():
    # asteval: swapping the interpreter's hooks (the ticker, the call gate) to disable checks.
    for source in ['__ml_T = [1]; while (true) { } print("REACHED");',
                   '__ml_call = fn(f) => f; print("REACHED");',
                   'o = {}; o.__class__ = 1; print("REACHED");']:
        assert_blocked(run(source, timeout=1), MLSecurityError)
    # ordinary names that match the runtime's short names change nothing: loops still tick
    result = run("compress = 0; next = 0; T = 0; tick = 0; while (true) { }", timeout=0.5)
    assert_limit(result, mlpy.MLTimeoutError)


@pytest.mark.parametrize("key", ["__reduce__", "__reduce_ex__", "__deepcopy__", "__copy__",
                                 "__getstate__", "__setstate__", "__getnewargs__"])
def test_pickle_and_copy_hooks_in_ml_data_do_not_run_on_the_host(key):
    # asteval/pickle: a value whose __reduce__ runs code when the host copies or pickles it.
    calls = []

    @mlpy.host_function
    def effect(*args):
        calls.append(args)
        return "x"

    result = run(f'o = {{k: 1}}; o["{key}"] = "os.system"; p = {{inner: o}}; result = p;',
                 {"effect": effect})
    assert result.ok, result.error
    value = result.value
    assert copy.deepcopy(value) == value and copy.copy(value) == value
    assert pickle.loads(pickle.dumps(value)) == value
    assert type(value["inner"]) is dict
    assert calls == []


# ----------------------------------------------------------------------------- simpleeval

@pytest.mark.parametrize("source", [
    # simpleeval: reaching os through a module's attributes (math.__loader__, ...)
    'import math; l = math.__loader__; print("REACHED");',
    'import math; s = math.__spec__.loader; print("REACHED");',
    # the bridge's own imports are not members: json_bridge imports Python's json
    'import json; j = json.json; print("REACHED", j);',
    'import math; r = math.random.seed; print("REACHED", r);',
    'import math; m = math.math; print("REACHED", m);',
    # function __globals__["__builtins__"]
    'import json; b = json.parse.__globals__["__builtins__"]; print("REACHED");',
    # through a module held in a variable (no static knowledge)
    'import json; m = json; j = m.json; print("REACHED", j);',
    'import json; m = [json][0]; j = m.Json; print("REACHED", j);',
])
def test_module_attribute_chains_to_the_host(source):
    assert_blocked(run(source), MLSecurityError, mlpy.MLCompileError, MLRuntimeError,
                   SecurityError)


@pytest.mark.parametrize("name", ["json", "math", "random", "os", "sys", "Json", "Math",
                                  "ml_function", "ml_module", "check_bits", "loads"])
def test_getattr_on_modules_sees_exports_only(name):
    result = run(f'import json; import math; a = getattr(json, "{name}");'
                 f' b = getattr(math, "{name}"); c = hasattr(json, "{name}");')
    assert result.ok, result.error
    for value in (result.globals["a"], result.globals["b"]):
        assert value is None or callable(value) and name in ("random",), value


# ----------------------------------------------------------------------------- resource escapes

def test_simpleeval_power_tower_is_refused():
    # simpleeval: 2 ** 2 ** 100 style DoS. ML has no **; math.pow checks the size.
    assert_limit(run("import math; x = math.pow(2, math.pow(2, 30));"), mlpy.MLResourceError,
                 "memory")
    assert_limit(run("import math; x = math.pow(3, 100000000);"), mlpy.MLResourceError, "memory")
    result = run("import math; x = math.pow(2.0, 1e300);")
    assert result.ok and result.globals["x"] == float("inf")


@pytest.mark.parametrize("source, kind, resource", [
    # lupa / Lua: while true do end
    ("while (true) { }", mlpy.MLTimeoutError, None),
    # Starlark: recursion is the classic unbounded computation
    ("function f(n) { return f(n + 1) + 1; } f(0);", mlpy.MLResourceError, "recursion"),
    # Lua: string.format("%099999999d", 1) -- width in a format
    ('x = "%030000000d" % 1;', mlpy.MLResourceError, "memory"),
    # Python format-spec width, the same trick
    ('x = format(1, "30000000");', mlpy.MLResourceError, "memory"),
])
def test_published_resource_exhaustion(source, kind, resource):
    result = run(source, timeout=1)
    assert_limit(result, kind, resource)
    assert_healthy()


ISOLATED = {
    # lupa: string.rep("x", 1e9)
    "string_rep": {"src": 'x = "x" * 1000000000;', "options": {"timeout": 2},
                   "group": "sizes"},
    # Starlark: range(1e9) materialised
    "range": {"src": "x = range(1000000000);", "options": {"timeout": 2}, "group": "sizes"},
    # lupa: table doubling in a loop
    "table_doubling": {"src": "a = [1]; while (true) { a = a + a; }", "options": {"timeout": 2},
                       "group": "sizes"},
    # simpleeval: "a" * n * n
    "repeat_product": {"src": 'n = 100000; x = "a" * n * n;', "options": {"timeout": 2},
                       "group": "sizes"},
    # simpleeval: factorial/huge-integer DoS in a pure function (runs in C, no ticks)
    "factorial": {"src": "import math; x = math.factorial(100000000);",
                  "options": {"timeout": 1}},
    # Starlark/Lua "billion laughs": exponential work on shared structure
    "laughs_print": {"src": "a = [1]; i = 0; while (i < 60) { a = [a, a]; i = i + 1; } "
                            "print(a);", "options": {"timeout": 1}},
}


@pytest.fixture(scope="module")
def isolated():
    return run_isolated(ISOLATED)


@pytest.mark.parametrize("name", sorted(ISOLATED))
def test_published_exhaustion_in_a_child_process(isolated, name):
    assert_isolated_limit(isolated[name])
