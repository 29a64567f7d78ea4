"""Reaching the host: host modules, Python builtins and host objects handed to ML.

Language spec 11.1 (dangerous imports and names), 11.2 (host builtins cannot be named),
integration spec 2.5 (what a host value becomes in ML: callables are refused unless marked with
``mlpy.host_function``, any other object is an opaque handle), modules spec A10 (opaque
handles: no attribute access or call) and A12 (introspection never reveals host paths).
"""

from __future__ import annotations

import functools
import os
import re
import sys
import types
from pathlib import Path

import pytest

import mlpy
from mlpy import MLCompileError, MLRuntimeError, MLSecurityError, SecurityError

from .conftest import assert_blocked, compile_error, run

# ----------------------------------------------------------------------------- imports

HOST_MODULES = ["os", "sys", "os.path", "builtins", "subprocess", "importlib", "importlib.util",
                "ctypes", "socket", "signal", "threading", "pickle", "marshal", "gc", "inspect",
                "types", "shutil", "code", "pty", "multiprocessing", "__builtin__"]


@pytest.mark.parametrize("module", HOST_MODULES)
@pytest.mark.parametrize("form", ["import {m};", "import {m} as x;"])
def test_importing_a_host_module_is_a_security_error(module, form):
    source = 'print("REACHED");\n' + form.format(m=module)
    error = assert_blocked(run(source), MLSecurityError)
    assert error.code in ("MLSEC002", "MLSEC003", "MLSEC001"), error.code
    assert module.split(".")[0].strip("_") in error.message


@pytest.mark.parametrize("module", ["posix", "io", "_io", "pathlib", "runpy", "tempfile",
                                    "urllib", "codecs", "mlpy", "mlpy.runtime.ops", "lark",
                                    "json.decoder", "math.os", "console.sys", "stdlib",
                                    "json_bridge", "mlpy.stdlib.math_bridge"])
def test_python_modules_are_not_ml_modules(module):
    # Only ML modules resolve; the name of a Python module is just an unknown module.
    source = f'print("REACHED");\nimport {module};'
    error = assert_blocked(compile_error(source), MLCompileError)
    assert "REACHED" not in (run(source).stdout or "")
    assert error.code in ("E_MODULE_NOT_FOUND", "MLSEC002", "MLSEC003"), error.code


# ----------------------------------------------------------------------------- host builtin names

DANGEROUS = ["eval", "exec", "open", "compile", "globals", "locals", "vars", "dir", "type",
             "object", "exit", "quit", "setattr", "delattr", "execfile", "file"]


@pytest.mark.parametrize("name", DANGEROUS)
@pytest.mark.parametrize("form", ['x = {n}; print("REACHED");',
                                  'x = {n}("1"); print("REACHED");',
                                  'function f() {{ return {n}; }} print("REACHED");',
                                  'o = {{k: {n}}}; print("REACHED");'])
def test_dangerous_python_builtins_cannot_be_named(name, form):
    source = form.format(n=name)
    assert_blocked(compile_error(source), MLSecurityError, code="MLSEC006", match=name)


@pytest.mark.parametrize("name", ["breakpoint", "id", "super", "memoryview", "bytearray",
                                  "classmethod", "staticmethod", "property", "issubclass",
                                  "hash", "frozenset", "help2", "license", "copyright",
                                  "credits", "aiter", "anext", "__build_class__"])
def test_other_python_builtins_do_not_exist_in_ml(name):
    # As a value the name is unknown at compile time; as a call it fails when it runs.
    assert_blocked(compile_error(f"x = {name};"), MLCompileError)
    result = run(f'x = {name}(); print("REACHED");')
    error = assert_blocked(result, MLCompileError, MLRuntimeError)
    if isinstance(error, MLRuntimeError):
        assert error.kind == "name_error", error.message


@pytest.mark.parametrize("source, expected", [
    ('v = getattr("s", "__class__", "default");', "default"),
    ('v = help(print);', "Print value to console\nCapabilities: None required"),
    ('v = isinstance(1, "number");', True),
    ('v = callable(print);', True),
    ('v = typeof(len);', "function"),
    ('v = next(iter([7]));', 7),
])
def test_builtins_that_share_python_names_are_the_ml_versions(source, expected):
    result = run(source)
    assert result.ok, result.error
    assert result.globals["v"] == expected


def test_input_reads_the_ml_input_not_code(monkeypatch):
    # input() returns text; what it reads is data and is never run. Reading the host's
    # standard input needs the console.read capability.
    import io
    text = '__import__("os").system("echo PWNED")'
    monkeypatch.setattr(sys, "stdin", io.StringIO(text + "\n"))
    refused = run('line = input(); print("REACHED");')
    assert_blocked(refused, mlpy.CapabilityError)
    assert sys.stdin.read() == text + "\n", "input() consumed host input without the grant"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text + "\n"))
    result = run("line = input(); n = len(line);", capabilities=["console.read"])
    assert result.ok, result.error
    assert result.globals["line"] == text


# ----------------------------------------------------------------------------- host objects

class Recorder:
    """A host object whose every reachable piece records that it was used."""

    def __init__(self):
        self.calls: list[str] = []

    def method(self):
        self.calls.append("method")
        return "method ran"

    @property
    def secret(self):
        self.calls.append("secret")
        return "s3cr3t"

    def _private(self):
        self.calls.append("_private")


@pytest.mark.parametrize("source", [
    'x = h.method(); print("REACHED", x);',
    'm = h.method; print("REACHED");',
    'x = h.secret; print("REACHED", x);',
    'x = h._private(); print("REACHED");',
    'o = {k: h}; x = o.k.method(); print("REACHED");',
    'a = [h]; x = a[0].secret; print("REACHED");',
    'x = call(h); print("REACHED");',
    'x = h(); print("REACHED");',
    'x = getattr(h, "method"); x(); print("REACHED");',
])
def test_a_host_object_is_opaque(source):
    host = Recorder()
    assert_blocked(run(source, {"h": host}), SecurityError, MLRuntimeError)
    assert host.calls == []


@pytest.mark.parametrize("name", ["method", "secret", "_private", "calls", "__dict__"])
def test_getattr_on_a_host_object_finds_nothing(name):
    host = Recorder()
    result = run(f'x = getattr(h, "{name}"); y = hasattr(h, "{name}");', {"h": host})
    assert result.ok, result.error
    assert result.globals["x"] is None and result.globals["y"] is False
    assert host.calls == []


def test_an_opaque_host_object_can_be_stored_and_handed_back():
    host = Recorder()
    seen = []

    @mlpy.host_function
    def take(value):
        seen.append(value)
        return value is host

    result = run("a = [h, h]; o = {k: h}; same = take(o.k) && a[0] == h; t = typeof(h);"
                 "s = str(h);", {"h": host, "take": take})
    assert result.ok, result.error
    assert result.globals["same"] is True and seen == [host]
    assert result.globals["t"] == "object"
    assert result.globals["s"] == "<object Recorder>"


class Store:
    """A host object that supports Python's item protocol and records every use of it."""

    def __init__(self):
        self.log: list[tuple] = []

    def __getitem__(self, key):
        self.log.append(("get", key))
        return "secret"

    def __setitem__(self, key, value):
        self.log.append(("set", key, value))

    def __iter__(self):
        self.log.append(("iter",))
        return iter(["secret"])

    def __len__(self):
        self.log.append(("len",))
        return 1


@pytest.mark.parametrize("source", [
    'h.token = "x"; print("REACHED");',
    'h["token"] = "x"; print("REACHED");',
    'h[0:1] = ["x"]; print("REACHED");',
    'x = h["token"]; print("REACHED", x);',
    'x = h[0:1]; print("REACHED", x);',
    'for (x in h) { print("REACHED", x); }',
    'x = sorted(h); print("REACHED", x);',
])
def test_an_opaque_host_object_cannot_be_indexed_written_or_iterated(source):
    # A10: an opaque handle can be stored, compared, passed back and displayed; reading or
    # writing its items runs the host's own __getitem__/__setitem__/__iter__ (think of a
    # request's headers or os.environ handed over to be passed back to a host function).
    store = Store()
    result = run(source, {"h": store})
    assert_blocked(result, SecurityError, MLRuntimeError)
    assert store.log == []


def _recording_module():
    module = types.ModuleType("fakeos")
    module.calls = []
    module.system = lambda cmd: module.calls.append(cmd)
    module.environ = {"SECRET": "x"}
    return module


@pytest.mark.parametrize("source", [
    'm.system("echo REACHED"); print("REACHED");',
    'f = m.system; f("x"); print("REACHED");',
    'e = m.environ; print("REACHED", e);',
    'x = getattr(m, "system"); x("echo"); print("REACHED");',
    'x = m["system"]; print("REACHED");',
    'o = {mod: m}; o.mod.system("x"); print("REACHED");',
])
def test_a_module_object_passed_in_is_opaque(source):
    module = _recording_module()
    result = run(source, {"m": module})
    assert_blocked(result, SecurityError, MLRuntimeError)
    assert module.calls == []


@pytest.mark.parametrize("source", [
    'x = os.getcwd(); print("REACHED", x);',
    'x = os.environ; print("REACHED", x);',
    'x = os.path.join("a", "b"); print("REACHED", x);',
    'x = sys.modules; print("REACHED");',
    'x = sys.modules["os"]; print("REACHED");',
    'x = bi.eval("1"); print("REACHED", x);',
    'x = bi.open("/etc/hostname"); print("REACHED");',
])
def test_real_host_modules_passed_in_give_nothing(source):
    result = run(source, {"os": os, "sys": sys, "bi": __builtins__ if isinstance(
        __builtins__, types.ModuleType) else sys.modules["builtins"]})
    assert_blocked(result, SecurityError, MLRuntimeError)


def test_sys_modules_passed_as_a_dict_is_data_without_powers():
    # A dict of str keys is an ML object: its values can be read, but modules inside it are
    # opaque and their functions cannot be called.
    calls = []
    fake = _recording_module()
    mods = {"os": fake, "builtins": sys.modules["builtins"]}
    for source in ['mods.os.system("x"); print("REACHED");',
                   'f = mods["os"].system; print("REACHED");',
                   'e = mods.builtins.eval; print("REACHED");',
                   'x = mods.builtins.__import__("os"); print("REACHED");']:
        # refused at the boundary (a host object inside a container) or when used
        assert_blocked(run(source, {"mods": mods}), SecurityError, MLRuntimeError,
                       MLSecurityError, mlpy.MLMarshalError)
    assert fake.calls == calls


class Constructed:
    made = 0

    def __init__(self, *args):
        Constructed.made += 1


@pytest.mark.parametrize("value", [
    lambda: "ran",
    print, open, eval, exec, getattr, __import__, os.system, os.getcwd, sys.exit,
    functools.partial(os.system, "echo x"), Constructed, str, type, object,
    Recorder().method, os.path.join, "".join.__self__.__class__,
], ids=lambda v: getattr(v, "__name__", type(v).__name__))
@pytest.mark.parametrize("form", [
    'f("echo x"); print("REACHED");',
    'g = f; g("echo x"); print("REACHED");',
    'o = {k: f}; o.k("echo x"); print("REACHED");',
    'a = [f]; g = a[0]; g("echo x"); print("REACHED");',
    'x = call(f, "echo x"); print("REACHED");',
    'function use(h) { return h("echo x"); } use(f); print("REACHED");',
])
def test_unmarked_host_callables_are_refused_when_called(value, form, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    monkeypatch.setattr(sys, "exit", lambda *a: calls.append(a))
    Constructed.made = 0
    result = run(form, {"f": value})
    # A function is refused by the call gate; a class is an opaque handle, not a function.
    error = assert_blocked(result, SecurityError, MLRuntimeError)
    if isinstance(error, SecurityError):
        assert error.code == "MLSEC102", error.code
    else:
        assert error.kind == "type_error" and isinstance(value, type), error.message
    assert calls == [] and Constructed.made == 0


def test_a_host_function_returning_a_host_callable_does_not_leak_it():
    calls = []

    @mlpy.host_function
    def tools():
        return {"run": lambda cmd: calls.append(cmd), "sys": sys, "open": open}

    for source in ['t = tools(); t.run("x"); print("REACHED");',
                   't = tools(); r = t.run; r("x"); print("REACHED");',
                   't = tools(); f = t.open; f("/etc/hostname"); print("REACHED");',
                   't = tools(); m = t.sys.modules; print("REACHED");']:
        assert_blocked(run(source, {"tools": tools}), SecurityError, MLRuntimeError,
                       mlpy.MLMarshalError)
    assert calls == []


def test_marked_host_functions_work_and_see_only_ml_values():
    received = []

    @mlpy.host_function
    def double(x):
        received.append(x)
        return x * 2

    @mlpy.host_function(name="lookup", capabilities=["users.read"])
    def lookup(user_id):
        return {"id": user_id, "name": "Ada"}

    source = ('a = double(21); f = double; b = f(2); c = call(double, 3);'
              'd = [1, 2].copy(); e = lookup(7).name;')
    result = run(source, {"double": double, "lookup": lookup}, capabilities=["users.read"])
    assert result.ok, result.error
    assert (result.globals["a"], result.globals["b"], result.globals["c"]) == (42, 4, 6)
    assert result.globals["e"] == "Ada"
    assert received == [21, 2, 3]
    denied = run(source, {"double": double, "lookup": lookup})
    assert_blocked(denied, mlpy.CapabilityError, match="users.read")


def test_a_host_function_is_only_its_call():
    @mlpy.host_function
    def hf():
        return 1

    for source in ['x = hf.__wrapped__; print("REACHED");',
                   'x = hf._ml_capabilities; print("REACHED");',
                   ('x = getattr(hf, "__wrapped__", null); y = getattr(hf, "_ml_description");'
                   'z = getattr(hf, "wrapped"); print(x, y, z);')]:
        result = run(source, {"hf": hf})
        if result.ok:
            assert result.stdout == "null null null\n"
        else:
            assert_blocked(result, MLSecurityError, SecurityError, MLRuntimeError)


# ----------------------------------------------------------------------------- introspection

def test_module_introspection_reveals_no_host_paths():
    result = run("""
        infos = [];
        for (name in available_modules()) { infos.append(module_info(name)); }
        all = [available_modules(), modules(), infos, has_module("os"), has_module("sys"),
               module_info("os"), module_info("sys"), module_info("builtins")];
    """)
    assert result.ok, result.error
    assert result.globals["all"][3:] == [False, False, None, None, None]

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from strings(item)

    root = str(Path(mlpy.__file__).resolve().parents[1])
    for text in strings(result.globals["all"]):
        assert root not in text and "site-packages" not in text, text
        assert not re.search(r"(^|[\s'\"(])/[\w.-]+(/[\w.-]+)+", text), text
        assert not re.search(r"\w+\.py\b", text), text
