"""Reflection: reaching Python internals (dunder and underscore members) by any syntax.

DESIGN D8: dunder syntax (``.__x``, ``__x`` as a name) is refused statically everywhere;
names starting with ``_`` are never reachable through the runtime gate on anything but an ML
object's keys (which are data); stdlib objects expose only their documented members; a caught
error exposes ``message``, ``type`` and the thrown object's keys (D5).
"""

from __future__ import annotations

import types

import pytest

import mlpy
from mlpy import MLRuntimeError, MLSecurityError, SecurityError

from .conftest import REACHED, assert_blocked, compile_error, run

# ----------------------------------------------------------------------------- static refusals

# (program, error code, text the message must name)
DUNDER_MEMBERS = [
    ('s = "abc"; x = s.__class__; print("REACHED");', "MLSEC004", "__class__"),
    ('x = "abc".__class__.__mro__; print("REACHED");', "MLSEC004", "__mro__|__class__"),
    ('x = [].__class__.__bases__[0].__subclasses__(); print("REACHED");', "MLSEC004",
     "__subclasses__|__bases__|__class__"),
    ('x = (1).__class__; print("REACHED");', "MLSEC004", "__class__"),
    ('o = {a: 1}; d = o.__dict__; print("REACHED");', "MLSEC004", "__dict__"),
    ('o = {a: 1}; d = o.__class__; print("REACHED");', "MLSEC004", "__class__"),
    ('s = "abc"; f = s.upper; x = f.__self__; print("REACHED");', "MLSEC004", "__self__"),
    ('function f() { return 1; } g = f.__globals__; print("REACHED");', "MLSEC004", "__globals__"),
    ('function f() { return 1; } g = f.__code__; print("REACHED");', "MLSEC004", "__code__"),
    ('function f() { x = 1; return fn() => x; } c = f().__closure__; print("REACHED");',
     "MLSEC004", "__closure__"),
    ('function f(a) { return a; } d = f.__defaults__; print("REACHED");', "MLSEC004",
     "__defaults__"),
    ('function f(a) { return a; } d = f.__kwdefaults__; print("REACHED");', "MLSEC004",
     "__kwdefaults__"),
    ('function f(a) { return a; } d = f.__builtins__; print("REACHED");', "MLSEC004",
     "__builtins__"),
    ('import math; d = math.__dict__; print("REACHED");', "MLSEC004", "__dict__"),
    ('import math; d = math.__loader__; print("REACHED");', "MLSEC004", "__loader__"),
    ('import math; d = math.__spec__; print("REACHED");', "MLSEC004", "__spec__"),
    ('import math; s = math.sqrt.__self__; print("REACHED");', "MLSEC004", "__self__"),
    ('import math; s = math.sqrt.__func__; print("REACHED");', "MLSEC004", "__func__"),
    ('import json; g = json.parse.__globals__; print("REACHED");', "MLSEC004", "__globals__"),
    ('s = len.__self__; print("REACHED");', "MLSEC004", "__self__"),
    ('m = print.__module__; print("REACHED");', "MLSEC004", "__module__"),
    ('x = builtin.len.__self__; print("REACHED");', "MLSEC004", "__self__"),
    ('try { x = 1 / 0; } except (e) { t = e.__traceback__; print("REACHED"); }', "MLSEC004",
     "__traceback__"),
    ('try { x = 1 / 0; } except (e) { c = e.__class__; print("REACHED"); }', "MLSEC004",
     "__class__"),
    ('try { x = 1 / 0; } except (e) { c = e.__cause__; print("REACHED"); }', "MLSEC004",
     "__cause__"),
    ('it = iter([1]); f = it.__reduce__(); print("REACHED");', "MLSEC004", "__reduce__"),
    ('g = fn(x) => x.__class__; print("REACHED");', "MLSEC004", "__class__"),
    # refused even in code that never runs
    ('function never() { return "".__class__; } print("REACHED");', "MLSEC004", "__class__"),
    # as assignment targets
    ('o = {}; o.__class__ = 1; print("REACHED");', "MLSEC004", "__class__"),
    ('function f() { return 1; } f.__code__ = 1; print("REACHED");', "MLSEC004", "__code__"),
]

DUNDER_NAMES = [
    ('x = __builtins__; print("REACHED");', "__builtins__"),
    ('x = __import__("os"); print("REACHED");', "__import__"),
    ('x = __name__; print("REACHED");', "__name__"),
    ('x = __loader__; print("REACHED");', "__loader__"),
    ('x = __ml_get; print("REACHED");', "__ml_get"),
    ('x = __ml_call(print, 1); print("REACHED");', "__ml_call"),
    ('x = __ml_T; print("REACHED");', "__ml_T"),
    ('x = __mlkw_class; print("REACHED");', "__mlkw_class"),
    ('print(__x); print("REACHED");', "__x"),
    # binding positions the reference did not inspect (spec 11.1 "does not look at")
    ('__x = 1; print("REACHED");', "__x"),
    ('__builtins__ = {}; print("REACHED");', "__builtins__"),
    ('[__a, b] = [1, 2]; print("REACHED");', "__a"),
    ('o = {__a: 1}; {__a} = o; print("REACHED");', "__a"),
    ('function f(__x) { return 1; } print("REACHED");', "__x"),
    ('g = fn(__x) => 1; print("REACHED");', "__x"),
    ('for (__i in [1]) { } print("REACHED");', "__i"),
    ('try { x = 1 / 0; } except (__e) { } print("REACHED");', "__e"),
    ('__ml_T = 1; function f() { nonlocal __ml_T; } print("REACHED");', "__ml_T"),
    ('function __init__() { return 1; } print("REACHED");', "__init__"),
    ('import math as __m; print("REACHED");', "__m"),
]


@pytest.mark.parametrize("source, code, name", DUNDER_MEMBERS,
                         ids=[f"member{i}" for i in range(len(DUNDER_MEMBERS))])
def test_dunder_member_is_refused_before_anything_runs(source, code, name):
    error = compile_error(source)
    assert_blocked(error, MLSecurityError, code=code, match=name)
    assert_blocked(run(source), MLSecurityError, code=code)


@pytest.mark.parametrize("source, name", DUNDER_NAMES, ids=[n for _, n in DUNDER_NAMES])
def test_dunder_name_is_refused_in_every_position(source, name):
    error = compile_error(source)
    assert_blocked(error, MLSecurityError, match=name)
    assert any(d.category == "security" for d in error.diagnostics)
    assert_blocked(run(source), MLSecurityError)


@pytest.mark.parametrize("source", [
    'import math; x = math._private; print("REACHED");',
    'import math; x = math._ml_name; print("REACHED");',
    'import json; x = json._Json; print("REACHED");',
    'x = builtin._x; print("REACHED");',
])
def test_private_module_member_is_refused_statically(source):
    assert_blocked(compile_error(source), MLSecurityError, code="E_PRIVATE_MEMBER")


# ----------------------------------------------------------------------------- the run-time gate

# Underscore members reached where the compiler cannot see the receiver's type.
RUNTIME_PRIVATE = [
    'import math; m = math; x = m._ml_name; print("REACHED");',
    'import math; m = math; x = m._ml_members(); print("REACHED");',
    'import math; m = [math][0]; x = m._ml_description; print("REACHED");',
    'import json; p = json.parse; x = p._ml_function; print("REACHED");',
    's = "abc"; x = s._x; print("REACHED");',
    's = "abc"; f = s.upper; x = f._x; print("REACHED");',
    'function f() { return 1; } g = f; x = g._x; print("REACHED");',
    'x = print._ml_function; print("REACHED");',
    'import math; x = math.sqrt._ml_function; print("REACHED");',
    'try { x = 1 / 0; } except (e) { y = e._exception; print("REACHED"); }',
    'import math; b = [math.sqrt]; x = b[0]._ml_function; print("REACHED");',
]


@pytest.mark.parametrize("source", RUNTIME_PRIVATE)
def test_underscore_member_is_refused_by_the_gate(source):
    error = assert_blocked(run(source), SecurityError, code="MLSEC101")
    assert "private" in error.message


@pytest.mark.parametrize("source", [
    'a = [1]; a._x(); print("REACHED");',
    'a = [1]; a.__len__(); print("REACHED");',
    's = "abc"; s._formatter_parser(); print("REACHED");',
    'import math; m = math; m._ml_members(); print("REACHED");',
])
def test_underscore_method_call_is_refused(source):
    # `__len__` is refused statically; `_x` methods at run time (as a private or a missing
    # member: either way nothing is called).
    error = assert_blocked(run(source), MLSecurityError, SecurityError, MLRuntimeError)
    if isinstance(error, MLRuntimeError):
        assert error.kind == "attribute_error", error.message


@pytest.mark.parametrize("name", ["__class__", "__globals__", "__self__", "__dict__", "_ml_name",
                                  "__code__", "__closure__", "_x", "__traceback__"])
@pytest.mark.parametrize("receiver", [
    '"abc"', "[1, 2]", "print", "len", "fn(x) => x", "math", "math.sqrt", "json.parse",
    "iter([1])", "caught",
])
def test_getattr_builtin_never_reaches_underscore_members(name, receiver):
    # getattr/hasattr are ML builtins, not Python's: they see what `value.name` may see.
    source = (
        "import math; import json;\n"
        "caught = null; try { x = 1 / 0; } except (e) { caught = e; }\n"
        f'v = {receiver};\n'
        f'got = getattr(v, "{name}", "refused");\n'
        f'has = hasattr(v, "{name}");\n'
    )
    result = run(source)
    assert result.ok, result.error
    assert result.globals["got"] == "refused"
    assert result.globals["has"] is False


@pytest.mark.parametrize("source", [
    'x = [1]; y = x["__class__"]; print("REACHED");',
    's = "abc"; y = s["__class__"]; print("REACHED");',
    's = "abc"; y = s["upper"]; print("REACHED");',
    'function f() { return 1; } y = f["__globals__"]; print("REACHED");',
    'import math; m = math; y = m["__dict__"]; print("REACHED");',
    'import math; m = math; y = m["sqrt"]; print("REACHED");',
    'try { x = 1 / 0; } except (e) { y = e["__traceback__"]; print("REACHED"); }',
    'y = print["__self__"]; print("REACHED");',
])
def test_string_keys_do_not_act_as_members_of_non_objects(source):
    # Only ML objects are indexed by key; on anything else a key is not a member name.
    error = assert_blocked(run(source), MLRuntimeError, SecurityError)
    assert getattr(error, "kind", "type_error") in ("type_error", "key_error", "error")


def test_object_keys_named_like_internals_stay_data():
    # D8: a key named "__class__" is data of the object, never the object's class.
    result = run('o = {}; o["__class__"] = "k"; o["__dict__"] = 1; v = o["__class__"];'
                 'ks = keys(o);')
    assert result.ok, result.error
    assert result.globals["v"] == "k"
    assert result.globals["ks"] == ["__class__", "__dict__"]
    assert result.globals["o"] == {"__class__": "k", "__dict__": 1}


# ----------------------------------------------------------------------------- formatting

@pytest.mark.parametrize("source", [
    'x = "{0.__class__}".format("a"); print("REACHED", x);',
    'x = "{0.upper.__self__}".format("a"); print("REACHED", x);',
    'x = "{a.__class__}".format_map({a: 1}); print("REACHED", x);',
    's = "{0.__globals__}"; x = s.format(print); print("REACHED", x);',
    'x = "{0}".format; print("REACHED");',
    's = "a"; x = s.encode("utf-8"); print("REACHED");',
    's = "a"; x = s.maketrans("a", "b"); print("REACHED");',
])
def test_string_formatting_with_attribute_traversal_is_unavailable(source):
    # str.format/format_map can walk attributes ("{0.__class__}"); ML does not have them.
    error = assert_blocked(run(source), MLRuntimeError)
    assert error.kind == "attribute_error"


@pytest.mark.parametrize("source", [
    'x = "%s" % ["a"];',
    'x = "%(a)s" % {a: "{0.__class__}"};',
    'x = "%r" % [print];',
    'x = format("a", "{0.__class__}");',
])
def test_percent_and_format_never_traverse_attributes(source):
    # %-formatting and format specs have no attribute traversal: either plain text or an error.
    result = run(source)
    if result.ok:
        text = result.globals["x"]
        assert "class '" not in text and "<class" not in text, text
    else:
        assert_blocked(result, MLRuntimeError)


class Sentinel:
    """A host object with secrets in every text form Python could produce for it."""

    def __init__(self):
        self.shown: list[str] = []

    def __str__(self):
        self.shown.append("str")
        return "SECRET-str"

    def __repr__(self):
        self.shown.append("repr")
        return "SECRET-repr"

    def __format__(self, spec):
        self.shown.append("format")
        return "SECRET-format"


@pytest.mark.parametrize("source", [
    "x = str(h);",
    "x = repr(h);",
    'x = "" + h;',
    'x = "v: " + h + "!";',
    "x = str([h, {k: h}]);",
    'x = "%s" % h;',
    'x = "%r" % h;',
    'x = "%s" % [h];',
    'x = format(h, "");',
    'x = "%(a)s" % {a: h};',
    'x = "%(a)r" % {a: h};',
    'x = format(h, "s");',
    'x = format(h, ">20");',
])
def test_text_of_an_opaque_host_object_never_comes_from_the_host(source):
    # integration spec 2.5 / A10: an opaque handle displays as <object TypeName>; its own
    # __str__/__repr__/__format__ (which may hold secrets) is never what ML sees.
    host = Sentinel()
    result = run(source, {"h": host})
    if result.ok:
        assert "SECRET" not in result.globals["x"], result.globals["x"]
    else:
        assert_blocked(result, MLRuntimeError, SecurityError)
    assert host.shown == []


# ----------------------------------------------------------------------------- error objects

UNDOCUMENTED_ERROR_MEMBERS = ["exception", "args", "with_traceback", "obj", "name", "cause",
                              "context", "traceback", "tb_frame", "add_note", "errno", "code",
                              "execution_id", "ml_traceback", "span", "source", "file"]


@pytest.mark.parametrize("member", UNDOCUMENTED_ERROR_MEMBERS)
@pytest.mark.parametrize("failure", [
    "x = 1 / 0;",                       # a Python exception
    'o = {}; x = o["k"];',              # KeyError
    "x = missing_fn(1);",               # NameError
    'console.log(1);',                  # CapabilityError
    'f = h; f();',                      # SecurityError from the gate
    "boom(1);",                         # a host function's exception
])
def test_caught_error_exposes_only_its_documented_members(member, failure):
    @mlpy.host_function
    def boom(x):
        raise ValueError("host detail", Sentinel())

    source = (f"import console; try {{ {failure} }} except (e) {{"
              f" got = getattr(e, \"{member}\", \"none\");"
              f" direct = e.{member}; ms = methods(e); t = e.type; m = e.message; }}")
    result = run(source, {"h": lambda: None, "boom": boom})
    assert result.ok, result.error
    assert result.globals["got"] in ("none", None), result.globals["got"]
    assert result.globals["direct"] is None
    assert result.globals["ms"] == ["message", "type"]
    assert isinstance(result.globals["t"], str) and isinstance(result.globals["m"], str)


def test_caught_error_values_are_plain_data():
    # Whatever a caught host error carries, ML sees strings and its own thrown data only.
    @mlpy.host_function
    def boom():
        error = RuntimeError("host says no")
        error.secret = Sentinel()
        raise error

    result = run("""
        seen = [];
        try { boom(); } except (e) { seen.append(e.message); seen.append(e.type);
                                     seen.append(e.secret); seen.append(e.payload); }
        try { throw {message: "m", data: [1]}; } except (e) { seen.append(e.data); }
    """, {"boom": boom})
    assert result.ok, result.error
    for value in result.globals["seen"]:
        assert value is None or isinstance(value, (str, list)), value
    assert result.globals["seen"][0].endswith("host says no")


# ----------------------------------------------------------------------------- typeof / str

def test_text_forms_reveal_no_host_details():
    # No memory addresses, Python module paths or bound-method reprs in what ML can print.
    result = run("""
        import math; import json;
        function f() { return 1; }
        e = null; try { x = 1 / 0; } except (err) { e = err; }
        items = [f, print, len, math.sqrt, json.parse, fn(x) => x, math, e, iter([1]), h, hf];
        texts = [];
        for (v in items) { texts.append(str(v)); texts.append(repr(v)); texts.append(typeof(v)); }
        print(items);
    """, {"h": object(), "hf": lambda: 1})
    assert result.ok, result.error
    for text in result.globals["texts"] + [result.stdout]:
        assert " at 0x" not in text and "0x" not in text, text
        assert "mlpy." not in text and "bound method" not in text and "<class" not in text, text


@pytest.mark.parametrize("source", [
    "v = typeof(print);", "v = typeof(h);", "v = str(typeof);", "v = methods(h);",
    "v = methods(print);", "v = methods(math);", "v = help(h);", "v = requiredCapabilities(h);",
])
def test_introspection_builtins_return_ml_data_only(source):
    result = run("import math; " + source, {"h": Sentinel()})
    assert result.ok, result.error
    value = result.globals["v"]
    assert isinstance(value, (str, list)), value
    if isinstance(value, list):
        assert all(isinstance(x, str) and not x.startswith("_") for x in value), value
    else:
        assert "SECRET" not in value


def test_no_python_internals_end_up_in_ml_variables():
    # A sweep over everything a program can bind by legitimate-looking reflection: none of
    # the values is a Python type, frame, code object, module or traceback.
    result = run("""
        import math; import json;
        function f() { return 1; }
        vals = [];
        for (name in ["class", "globals", "self", "func", "code", "dict", "module", "mro",
                      "bases", "frame", "f_back", "gi_frame", "tb_frame", "im_func", "loader"]) {
            for (v in [f, print, len, math, math.sqrt, json.parse, "s", [1], {k: 1}]) {
                vals.append(getattr(v, name));
            }
        }
    """)
    assert result.ok, result.error
    forbidden = (type, types.FrameType, types.CodeType, types.ModuleType, types.TracebackType,
                 BaseException)
    assert not any(isinstance(v, forbidden) for v in result.globals["vals"])
    assert REACHED not in (result.stdout or "")
