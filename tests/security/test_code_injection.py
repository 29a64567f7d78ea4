"""Code injection: building code from strings, data that looks like code, names that look
like the runtime's, and host-supplied variable names.

ML has no eval (spec 11.1): a string is never run. Generated Python is built as an AST, so no
string, key or name can break out of its node (DESIGN §4). Keys of ML objects are data, even
``__proto__``/``constructor``/``__class__`` from parsed JSON (D8). Runtime names cannot collide
with ML names (spec 13.14/13.15), and host variable names are validated (integration 2.4).
"""

from __future__ import annotations

import ast
import io
import sys

import pytest

import mlpy
from mlpy import MLMarshalError, MLRuntimeError, MLSecurityError

from .conftest import assert_blocked, run

# ----------------------------------------------------------------------------- no eval

@pytest.mark.parametrize("source", [
    'code = "print(\'REACHED\')"; call(code);',
    'f = "print"; f("REACHED");',
    'o = {f: "print"}; o.f("REACHED");',
    'import json; f = json.parse(\'"print"\'); f("REACHED");',
    'name = "pri" + "nt"; g = builtin; x = call(name, "REACHED");',
    'x = call(["print"], "REACHED");',
    'x = call({code: "print(1)"}, "REACHED");',
])
def test_a_string_is_never_run_as_code(source):
    error = assert_blocked(run(source), MLRuntimeError)
    assert error.kind in ("type_error", "name_error"), error.message


@pytest.mark.parametrize("source", [
    'x = builtin["print"]; print("REACHED");',
    'x = getattr(builtin, "ev" + "al"); y = x("1"); print("REACHED");',
    'x = getattr(builtin, "__import__"); y = x("os"); print("REACHED");',
    'm = "math"; x = getattr(builtin, "import"); print("REACHED", x(m));',
])
def test_no_dynamic_lookup_reaches_a_code_runner(source):
    result = run(source)
    assert_blocked(result, MLRuntimeError, mlpy.SecurityError)


INJECTIONS = [
    '"); import os; os.system("echo PWNED"); ("',
    "'); import os; os.system('echo PWNED'); ('",
    '\\"); __import__(\\"os\\").system(\\"echo PWNED\\"); (\\"',
    "\n__import__('os').system('echo PWNED')\n#",
    "${__import__('os')}",
    "{0.__class__.__mro__}",
    "#{system('x')}",
    "*/ print('REACHED'); /*",
    "\x00'); print('REACHED",
    "\u2028'); print('REACHED",
    '""" + """; import os',
]


def ml_string(text: str) -> str:
    """An ML string literal whose value is exactly ``text`` (D1 escapes)."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\x00", "\\0"))
    return '"' + escaped + '"'


@pytest.mark.parametrize("text", INJECTIONS)
def test_strings_that_look_like_code_stay_data(text):
    # The same text as a string literal, an object key and a thrown message; the generated
    # Python holds it as one constant, never as code.
    literal = ml_string(text)
    source = (f'a = {literal}; b = {{{literal}: 1}}; k = keys(b)[0];\n'
              f'try {{ throw {{message: a}}; }} except (e) {{ m = e.message; }}\n'
              'print(len(a) > 0);')
    program = mlpy.Engine().compile(source)
    tree = ast.parse(program.python_code)
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    called = {n.func.id for n in ast.walk(tree)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"__import__", "eval", "exec", "system", "open"}, called
    result = run(program)
    assert result.ok, result.error
    assert result.stdout == "true\n"
    assert result.globals["a"] == text
    assert result.globals["k"] == text and result.globals["m"] == text


def test_strings_read_from_the_host_are_never_run(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("print('REACHED')\n"))
    result = run('line = input(); parts = line.split("(");', {}, capabilities=["console.read"])
    assert result.ok, result.error
    assert result.stdout == "" and result.globals["parts"][0] == "print"


@pytest.mark.parametrize("payload", [
    'print("REACHED");',
    "__import__('os').system('echo PWNED')",
    "x = open('/etc/passwd')",
])
def test_variables_are_values_not_source(payload):
    # integration 2.4: host data travels in variables=, never interpolated into ML text.
    result = run("n = len(data); t = typeof(data); same = data == expected;",
                 {"data": payload, "expected": payload})
    assert result.ok, result.error
    assert result.globals["same"] is True and result.stdout == ""


# ----------------------------------------------------------------------------- keys are data

def test_json_keys_named_like_prototypes_and_internals_are_plain_data():
    result = run("""
        import json;
        o = json.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}},
                         "__class__": "C", "_id": 7, "__typename": "User",
                         "__dict__": {}, "__globals__": 1}');
        fresh = {};
        admin = fresh.admin;
        ctor = fresh.constructor;
        proto_admin = o["__proto__"].admin;
        typename = o["__typename"];
        id = o._id;
        merged = json.merge({}, o);
        ks = keys(o);
        s = json.stringify(o);
    """)
    assert result.ok, result.error
    g = result.globals
    assert g["admin"] is None and g["ctor"] is None
    assert g["proto_admin"] is True and g["typename"] == "User" and g["id"] == 7
    assert g["ks"] == ["__proto__", "constructor", "__class__", "_id", "__typename", "__dict__",
                       "__globals__"]
    assert g["merged"]["__proto__"] == {"admin": True}
    assert type(g["merged"]) is dict and type(g["o"]) is dict
    assert '"__class__": "C"' in g["s"]


@pytest.mark.parametrize("key", ["__class__", "__dict__", "__proto__", "constructor",
                                 "__globals__", "_ml_name", "__ml_T"])
def test_object_keys_never_reach_members_of_the_object(key):
    # Writing a key with an internal-looking name changes data only: the object stays a dict
    # and other objects are unaffected.
    result = run(f'o = {{}}; o["{key}"] = {{evil: 1}}; p = {{}}; v = o["{key}"].evil;'
                 f' ok = p == {{}}; t = typeof(o); k = keys(o);')
    assert result.ok, result.error
    assert result.globals["v"] == 1 and result.globals["ok"] is True
    assert result.globals["t"] == "object" and result.globals["k"] == [key]
    assert type(result.globals["o"]) is dict


def test_dunder_keys_are_read_with_brackets_not_with_dots():
    # D8: `o["__typename"]` reads the key; `.__typename` is dunder syntax, refused statically.
    assert_blocked(run('import json; o = json.parse(\'{"__typename": "U"}\');'
                       'x = o.__typename; print("REACHED");'), MLSecurityError)
    ok = run('import json; o = json.parse(\'{"__typename": "U", "_id": 1}\');'
             'x = o["__typename"]; y = o._id;')
    assert ok.ok and ok.globals["x"] == "U" and ok.globals["y"] == 1


# ----------------------------------------------------------------------------- name mangling

PYTHON_WORDS = ["class", "lambda", "def", "None", "True", "False", "async", "await", "yield",
                "pass", "del", "global", "with", "as", "assert", "raise", "is", "not", "and",
                "or", "from", "elif_", "match", "case", "type_"]


@pytest.mark.parametrize("word", PYTHON_WORDS)
def test_python_keywords_are_ordinary_ml_names_everywhere(word):
    # 13.14: mangled consistently in every binding position, so no invalid or hijacked Python.
    source = f"""
        {word} = 1;
        function f_{word}({word}) {{ return {word} + 1; }}
        g = fn({word}) => {word} * 2;
        [{word}2, other] = [{word}, 2];
        for ({word} in [5]) {{ }}
        try {{ x = 1 / 0; }} except ({word}) {{ et = {word}.type; }}
        {word} = 5;
        function bump() {{ nonlocal {word}; {word} = {word} + 1; }}
        bump();
        o = {{{word}: 3}};
        result = [{word}, f_{word}(1), g(2), o.{word}, et];
    """
    result = run(source)
    assert result.ok, result.error
    assert result.value == [6, 2, 4, 3, "ZeroDivisionError"]


@pytest.mark.parametrize("name", ["str", "builtin", "Exception", "BaseException", "compress",
                                  "next", "len", "int", "float", "print", "get", "call",
                                  "method", "value", "concat", "guard", "catch", "exit", "S", "L",
                                  "D", "mul", "add", "mod", "import"])
def test_ml_names_cannot_hijack_the_runtime(name):
    # 13.15: the runtime's names are collision-proof; binding an ML name that matches one
    # of its short names leaves concatenation, loops, try/except, member access and calls
    # working as before.
    binding = f"{name}_ = 0;" if name == "import" else f"{name} = 0;"
    source = binding + """
        s = "n=" + 1;
        t = [];
        for (i in [1, 2]) { t.append(i); }
        k = 0; while (k < 3) { k = k + 1; }
        f = fn(x) => x + 1;
        try { z = 1 / 0; } except (e) { caught = e.type; }
        o = {a: 1}; a = o.a; m = "ab".upper(); n = t.length;
        result = [s, t, k, f(1), caught, a, m, n];
    """
    result = run(source)
    assert result.ok, result.error
    assert result.value == ["n=1", [1, 2], 3, 2, "ZeroDivisionError", 1, "AB", 2]


@pytest.mark.parametrize("name", ["_mlpy_x", "mlkw_class", "ml_get", "ml_T", "_ml_name",
                                  "_", "__", "_ml_members"])
def test_names_that_resemble_internals_are_ordinary_or_refused(name):
    result = run(f"{name} = 41; result = {name} + 1;")
    if name.startswith("__"):
        assert_blocked(result, MLSecurityError)
    else:
        assert result.ok, result.error
        assert result.value == 42


def test_user_function_named_print_shadows_only_inside_ml():
    result = run('function print(x) { return "mine: " + x; } v = print("a");', capture_output=True)
    assert result.ok, result.error
    assert result.globals["v"] == "mine: a" and result.stdout == ""


# ----------------------------------------------------------------------------- variables=

BAD_NAMES = ["__ml_T", "__ml_get", "__builtins__", "__ml_ns__", "__ml_state__", "__mlkw_class",
             "__import__", "a b", "1x", "x-y", "", "x\n", "import", "true", "null", "fn",
             "function", "é", "x; import os", "print(1)", 5, None, "_mlpy", "_mlpy_state",
             "_mlpy_x"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_invalid_or_reserved_variable_names_are_refused(name):
    # integration 2.4: names must be valid ML identifiers and must not collide with
    # runtime-reserved names (anything starting with `_mlpy`, and the runtime's `__` names).
    try:
        result = mlpy.Engine().execute('print("REACHED");', {name: 1}, capture_output=True)
    except MLMarshalError as error:
        assert isinstance(error, TypeError)
        return
    assert_blocked(result, MLMarshalError)


@pytest.mark.parametrize("name", ["print", "len", "str", "typeof", "range"])
def test_host_variables_do_not_silently_shadow_builtins(name):
    # integration 2.4: variables shadow builtins of the same name only with allow_shadow=True.
    # A host passing user-controlled keys (variables=request.json) must not let them replace
    # the builtins a trusted script calls.
    hits = []
    impostor = mlpy.host_function(lambda *a: hits.append(a) or "impostor", name=name)
    try:
        result = mlpy.Engine().execute(f'r = {name}("ab");', {name: impostor},
                                       capture_output=True)
    except MLMarshalError:
        return
    if result.ok:
        assert hits == [], f"the host value replaced the builtin {name}()"
    else:
        assert isinstance(result.error, MLMarshalError), result.error


def test_keyword_named_variables_bind_to_the_mangled_name():
    result = run("result = [class, None, lambda];", {"class": 1, "None": 2, "lambda": 3})
    assert result.ok, result.error
    assert result.value == [1, 2, 3]
    assert result.globals["class"] == 1
