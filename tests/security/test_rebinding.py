"""Rebinding a name never skips the allow-list or the gate.

The compiler reads a module's members and calls ML functions and builtins natively where it
can prove what a name holds. These tests rebind every kind of such name -- a standard-library
module, an ML source module, an extension module, a package, an ML function, a builtin -- in
every way ML and the host can bind a name, to values that must never be used natively:

* a ``log`` Logger (its methods need ``log.write``),
* an ``@ml_class`` object with a method that needs ``file.read`` and undeclared members,
* a plain object (its Python ``keys()`` would hand ML a raw ``dict_keys`` view),
* an object holding unmarked host functions (nested in ``variables``, so never wrapped),

and then use the name as the first binding promised: read a member, call a method, call it,
pass it on. Whatever the way, the use meets the gate and the allow-list: the capability is
missing, the undeclared member does not exist, the host function may not be called, and no
host code ran. The fast paths stay where the binding is proven (last section).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import mlpy
from mlpy import CapabilityError, MLCompileError, MLError, SecurityError
from mlpy.ext import ml_class, ml_function
from mlpy.stdlib.log_bridge import Logger

from .conftest import assert_clean_error

HELPERS_ML = """\
// Functions named like the members the attacks use.
function info(x) { return "ml info"; }
function keys() { return ["ml"]; }
function run(x) { return "ml run"; }
function exception() { return "ml exception"; }
"""

HOOKS_ML = """\
// A variable and a function that callers may replace.
info = null;
function set_info(f) { nonlocal info; info = f; }
function relay(x) { return "ml relay"; }
function set_relay(f) { nonlocal relay; relay = f; }
"""

PROBE_BRIDGE = '''\
from mlpy.ext import ml_function, ml_module


@ml_module("probe_ext", "Functions named like the members the attacks use")
class ProbeExt:
    @ml_function("Say which function ran")
    def info(self, x):
        return "ext info"

    @ml_function("A list")
    def keys(self):
        return ["ext"]

    @ml_function("Say which function ran")
    def run(self, x):
        return "ext run"

    @ml_function("Say which function ran")
    def exception(self):
        return "ext exception"
'''


@ml_class("Probe", "A host object that records which of its members ML reached")
class Probe:
    def __init__(self):
        self.ran: list[str] = []

    @ml_function("Declared, and needs file.read", capabilities=["file.read"])
    def info(self, *args):
        self.ran.append("info")
        return "probe info"

    def __getattr__(self, name):  # any other member: undeclared, never for ML
        if name.startswith("_"):
            raise AttributeError(name)

        def undeclared(*args):
            self.ran.append(name)
            return ("raw", "tuple")
        return undeclared


class Host:
    """The values an attack rebinds names to, and what shows that host code ran."""

    MEMBERS = ("info", "is_debug", "read", "sqrt", "get", "keys", "run", "hooks")

    def __init__(self):
        self.calls: list[tuple] = []
        self.probe = Probe()
        self.logger = Logger("evil")
        self.variables = {
            "evil_logger": self.logger,
            "probe": self.probe,
            "plain": {"a": 1},
            "hostfns": {name: self.function for name in self.MEMBERS},
        }

    def function(self, *args):
        self.calls.append(args)
        return "host function ran"

    def value(self, expression: str) -> Any:
        """The host value an ML expression of an attack stands for (for Session.set)."""
        if expression == "hostfns.run":
            return self.function
        return self.variables[expression]

    def assert_untouched(self, result: Any) -> None:
        assert self.calls == [], f"an unmarked host function ran: {self.calls}"
        assert self.probe.ran == [], f"undeclared or gated Probe members ran: {self.probe.ran}"
        assert "leak" not in (result.stdout or ""), f"a Logger method ran: {result.stdout!r}"


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> mlpy.Engine:
    root = tmp_path_factory.mktemp("rebinding")
    modules, extensions = root / "ml", root / "ext"
    (modules / "lib").mkdir(parents=True)
    extensions.mkdir()
    (modules / "helpers.ml").write_text(HELPERS_ML, encoding="utf-8")
    (modules / "hooks.ml").write_text(HOOKS_ML, encoding="utf-8")
    (modules / "lib" / "hooks.ml").write_text(HOOKS_ML, encoding="utf-8")
    (extensions / "probe_ext_bridge.py").write_text(PROBE_BRIDGE, encoding="utf-8")
    return mlpy.Engine(ml_module_paths=[modules], extension_paths=[extensions])


@pytest.fixture
def host() -> Host:
    return Host()


# ----------------------------------------------------------------------------- what is rebound


@dataclass(frozen=True)
class Target:
    """A name and the statement that binds it first; ``members`` are members it has."""

    name: str
    setup: str
    members: frozenset[str] = frozenset()


MODULES = [
    Target("log", "import log;", frozenset({"info", "is_debug"})),
    Target("file", "import file;", frozenset({"read"})),
    Target("math", "import math;", frozenset({"sqrt"})),
    Target("json", "import json;", frozenset({"get", "keys"})),
    Target("data", "import json as data;", frozenset({"get", "keys"})),
    Target("helpers", "import helpers;", frozenset({"info", "keys", "run"})),
    Target("probe_ext", "import probe_ext;", frozenset({"info", "keys", "run"})),
    Target("lib", "import lib.hooks;", frozenset({"hooks"})),
]
FUNCTIONS = [
    Target("target", 'function target(x) { return "ml function"; }'),
    Target("len", ""),  # a builtin: nothing binds it
]


@dataclass(frozen=True)
class Attack:
    """Rebind the name to ``evil`` (ML), then use ``member`` of it; ``check`` the error."""

    label: str
    evil: str
    member: str | None
    check: Callable[[MLError], None]


def needs(capability: str) -> Callable[[MLError], None]:
    def check(error: MLError) -> None:
        assert isinstance(error, CapabilityError), error
        assert error.required == capability, error

    return check


def no_member(member: str) -> Callable[[MLError], None]:
    def check(error: MLError) -> None:
        assert f"no member '{member}'" in error.message, error

    return check


def no_such_property(error: MLError) -> None:
    # An object's keys are data, not dict methods: `o.keys` reads the missing key "keys"
    assert error.message in ("object has no property 'keys'", "null is not a function"), error


def call_refused(error: MLError) -> None:
    assert isinstance(error, SecurityError) and error.code == "MLSEC102", error


def module_attacks(target: Target) -> list[Attack]:
    other = min(target.members - {"info"})
    attacks = [
        Attack("undeclared-member", "probe", other, no_member(other)),
        Attack("nested-host-function", "hostfns", other, call_refused),
    ]
    if "info" in target.members:
        attacks += [Attack("logger", "evil_logger", "info", needs("log.write")),
                    Attack("gated-method", "probe", "info", needs("file.read"))]
    if "keys" in target.members:
        attacks.append(Attack("dict-view", "plain", "keys", no_such_property))
    return attacks


FUNCTION_ATTACK = Attack("nested-host-function", "hostfns.run", None, call_refused)

# How the rebound name is used, in `function use_it() { ... }`.
MODULE_USES = {
    "method-call": "return {n}.{m}(\"leak\");",
    "member-read": "f = {n}.{m}; return f(\"leak\");",
    "pass": "return apply_it({n}.{m}, \"leak\");",
}
FUNCTION_USES = {
    "call": "return {n}(\"leak\");",
    "read": "f = {n}; return f(\"leak\");",
    "pass": "return apply_it({n}, \"leak\");",
}
APPLY = "function apply_it(f, x) { return f(x); }"


# ----------------------------------------------------------------------------- how it is rebound

# Statements that store EVIL in the name NAME; those through `nonlocal` do it from a function,
# which the checks of the use cannot see.
NONLOCAL_WAYS = {
    "nonlocal": "function rebind_it() { nonlocal NAME; NAME = EVIL; } rebind_it();",
    "nested-nonlocal": ("function outer_it() { function inner_it() { nonlocal NAME;"
                        " NAME = EVIL; } inner_it(); } outer_it();"),
    "arrow-nonlocal": "rebind_it = fn() => { nonlocal NAME; NAME = EVIL; }; rebind_it();",
    "nonlocal-array-pattern": ("function rebind_it() { nonlocal NAME; [NAME] = [EVIL]; }"
                               " rebind_it();"),
    "nonlocal-object-pattern": ("function rebind_it() { nonlocal NAME; {NAME} = {NAME: EVIL}; }"
                                " rebind_it();"),
    "nonlocal-for": ("function rebind_it() { nonlocal NAME; for (NAME in [EVIL]) { } }"
                     " rebind_it();"),
}
TOP_LEVEL_WAYS = {
    "assignment": "NAME = EVIL;",
    "array-pattern": "[NAME] = [EVIL];",
    "object-pattern": "{NAME} = {NAME: EVIL};",
    "for": "for (NAME in [EVIL]) { }",
}
SESSION_WAYS = ["later-chunk", "later-chunk-nonlocal", "earlier-chunk-function",
                "same-chunk-nonlocal", "session-set", "compiled-program-in-session",
                "repl"]


def fill(template: str, name: str, evil: str) -> str:
    return template.replace("EVIL", evil).replace("NAME", name)


def use_function(target: Target, use: str, member: str | None) -> str:
    return f"{APPLY}\nfunction use_it() {{ {use.format(n=target.name, m=member)} }}\n"


def run_way(engine: mlpy.Engine, host: Host, way: str, target: Target, evil: str,
            use: str) -> Any:
    """Bind the target, define `use_it` (ML source ``use``), rebind the name in ``way``, then
    call `use_it`: the outcome of that call."""
    variables, call = host.variables, "result = use_it();"
    first = f"{target.setup}\n{use}"
    if way in NONLOCAL_WAYS or way in TOP_LEVEL_WAYS:
        rebind = fill({**NONLOCAL_WAYS, **TOP_LEVEL_WAYS}[way], target.name, evil)
        return engine.execute(f"{first}{rebind}\n{call}", variables, capture_output=True)
    if way == "host-variable":  # the host's value is the name's until the program binds it
        shadowed = dict(variables, **{target.name: host.value(evil)})
        return engine.execute(f"{use}{call}\n{target.setup}", shadowed, capture_output=True,
                              allow_shadow=True)
    assignment = fill(TOP_LEVEL_WAYS["assignment"], target.name, evil)
    rebind = fill(NONLOCAL_WAYS["nonlocal"], target.name, evil)
    if way == "repl":
        return run_repl(engine, variables, [first, assignment, call])
    if way == "session-set":
        session = engine.session(variables)
        session.exec(first).raise_for_error()
        session.set(target.name, host.value(evil), allow_shadow=True)
        return session.exec(call, capture_output=True)
    if way == "compiled-program-in-session":
        session = engine.load(engine.compile(first, inputs=variables), variables)
        session.exec(assignment).raise_for_error()
        return session.exec(call, capture_output=True)
    chunks = {
        "later-chunk": [first, assignment, call],
        "later-chunk-nonlocal": [first, rebind, call],
        # the function is defined before the name is bound at all
        "earlier-chunk-function": [rebind.replace(" rebind_it();", ""), first,
                                   "rebind_it();\n" + call],
        "same-chunk-nonlocal": [f"{first}{rebind}\n{call}"],
    }[way]
    session = engine.session(variables)
    for chunk in chunks[:-1]:
        session.exec(chunk).raise_for_error()
    return session.exec(chunks[-1], capture_output=True)


@dataclass
class REPLOutcome:
    ok: bool
    value: Any
    error: MLError | None
    stdout: str


def run_repl(engine: mlpy.Engine, variables: dict, inputs: list[str]) -> REPLOutcome:
    """Type ``inputs`` into a REPL over the engine's modules; the outcome of the last."""
    from mlpy.repl import MLREPLSession

    printed: list[str] = []
    repl = MLREPLSession(registry=engine.registry, output=printed.append)
    try:
        for name, value in variables.items():
            repl.session.set(name, value)
        for text in inputs[:-1]:
            outcome = repl.execute(text)
            assert outcome.ok, outcome.error
        last = repl.execute(inputs[-1])
        return REPLOutcome(last.ok, last.value, last.error and last.error.error,
                           "".join(printed))
    finally:
        repl.close()


def assert_gated(result: Any, host: Host, check: Callable[[MLError], None]) -> None:
    host.assert_untouched(result)
    assert not result.ok, f"the attack ran to completion: value={result.value!r}"
    assert_clean_error(result.error)
    check(result.error)


def compile_refused(code: str) -> Callable[[MLError], None]:
    def check(error: MLError) -> None:
        assert isinstance(error, MLCompileError) and error.code == code, error

    return check


# ----------------------------------------------------------------------------- the generated family

ALL_WAYS = [*NONLOCAL_WAYS, *TOP_LEVEL_WAYS, "host-variable", *SESSION_WAYS]


def module_cases():
    for target in MODULES:
        for attack in module_attacks(target):
            for use in MODULE_USES:
                for way in ALL_WAYS:
                    yield pytest.param(target, attack, use, way,
                                       id=f"{target.name}-{attack.label}-{use}-{way}")


@pytest.mark.parametrize("target, attack, use, way", list(module_cases()))
def test_a_rebound_module_name_meets_the_gate_and_the_allow_list(engine, host, target, attack,
                                                                  use, way):
    use_code = use_function(target, MODULE_USES[use], attack.member)
    result = run_way(engine, host, way, target, attack.evil, use_code)
    assert_gated(result, host, attack.check)


def function_cases():
    for target in FUNCTIONS:
        for use in FUNCTION_USES:
            for way in ALL_WAYS:
                yield pytest.param(target, use, way, id=f"{target.name}-{use}-{way}")


@pytest.mark.parametrize("target, use, way", list(function_cases()))
def test_a_rebound_function_name_is_not_called_natively(engine, host, target, use, way):
    use_code = use_function(target, FUNCTION_USES[use], None)
    result = run_way(engine, host, way, target, FUNCTION_ATTACK.evil, use_code)
    check = FUNCTION_ATTACK.check
    if target.name == "len" and way in NONLOCAL_WAYS:  # nothing in the program binds len
        check = compile_refused("MLC014")
    assert_gated(result, host, check)


@pytest.mark.parametrize("way", NONLOCAL_WAYS)
@pytest.mark.parametrize("use", FUNCTION_USES)
def test_a_function_defined_in_a_function_and_rebound_there_is_not_called_natively(
        engine, host, use, way):
    body = FUNCTION_USES[use].format(n="target")
    rebind = fill(NONLOCAL_WAYS[way], "target", "hostfns.run")
    source = textwrap.dedent(f"""\
        {APPLY}
        function outer() {{
            function target(x) {{ return "ml function"; }}
            function use_it() {{ {body} }}
            {rebind}
            return use_it();
        }}
        result = outer();
        """)
    result = engine.execute(source, host.variables, capture_output=True)
    assert_gated(result, host, call_refused)


# Every statement that binds a name, run in a function that declared the name nonlocal, with
# what the name then holds: EVIL is an ML value with the member or call the use needs.
BINDING_FORMS = {
    "assignment": ("NAME = EVIL;", "rebound"),
    "array-pattern": ("[NAME] = [EVIL];", "rebound"),
    "object-pattern": ("{NAME} = {NAME: EVIL};", "rebound"),
    "for": ("for (NAME in [EVIL]) { }", "rebound"),
    "except": ("try { throw EVIL; } except (NAME) { }", "error"),
    "function": ('function NAME(x) { return "rebound " + x; }', "function"),
}


def binding_cases():
    for target in MODULES + FUNCTIONS:
        for form in BINDING_FORMS:
            for where in ("program", "session"):
                yield pytest.param(target, form, where, id=f"{target.name}-{form}-{where}")


@pytest.mark.parametrize("target, form, where", list(binding_cases()))
def test_a_rebound_name_holds_what_it_was_rebound_to(engine, target, form, where):
    """As in Python: after the rebinding, the name's members and calls are those of its new
    value (an error's thrown keys, a function's call), whatever it held first."""
    template, holds = BINDING_FORMS[form]
    if target in MODULES:
        member = min(target.members)
        rebound = f'{{{member}: fn(x) => "rebound " + x}}'
        use = f'{target.name}.{member}("x")'
    else:
        rebound, use = 'fn(x) => "rebound " + x', f'{target.name}("x")'
    statement = fill(template, target.name, rebound)
    rebind = f"function rebind_it() {{ nonlocal {target.name}; {statement} }}"
    source = f"{target.setup}\nfunction use_it() {{ return {use}; }}\n{rebind}\n"
    call = "rebind_it(); result = use_it();"
    if where == "program":
        result = engine.execute(source + call)
    else:
        session = engine.session()
        session.exec(source).raise_for_error()
        result = session.exec(call)
    if target.name == "len" and where == "program":
        assert isinstance(result.error, MLCompileError), result.error  # nothing binds len
    elif holds == "rebound" or (holds == "error" and target in MODULES):
        assert result.ok and result.value == "rebound x", result.error  # an error's keys
    elif holds == "function" and target in FUNCTIONS:
        assert result.ok and result.value == "rebound x", result.error
    else:  # a function has no members, an error is not a function
        assert isinstance(result.error, mlpy.MLRuntimeError), result.error
        assert_clean_error(result.error)


# ----------------------------------------------------------------------------- the reported cases


def test_a_logger_rebound_through_nonlocal_needs_log_write(engine, host):
    result = engine.execute("""
        import log;
        function swap() { nonlocal log; log = log.create_logger("x"); }
        swap();
        log.info("leak");
        """, capture_output=True)
    assert_gated(result, host, needs("log.write"))


def test_an_unmarked_host_function_nested_in_variables_is_refused_after_nonlocal(engine, host):
    result = engine.execute("""
        function g() { return 1; }
        function swap() { nonlocal g; g = hostfns.run; }
        swap();
        result = g("leak");
        """, host.variables, capture_output=True)
    assert_gated(result, host, call_refused)


@pytest.mark.parametrize("member, check", [("info", needs("file.read")),
                                           ("run", no_member("run"))])
def test_gated_and_undeclared_ml_class_members_are_checked_after_nonlocal(engine, host, member,
                                                                          check):
    result = engine.execute(f"""
        import probe_ext;
        function swap() {{ nonlocal probe_ext; probe_ext = probe; }}
        swap();
        result = probe_ext.{member}("leak");
        """, host.variables, capture_output=True)
    assert_gated(result, host, check)


@pytest.mark.parametrize("member", ["keys", "values"])
def test_no_raw_dict_view_reaches_ml_after_nonlocal(engine, member):
    result = engine.execute(f"""
        import json;
        function swap() {{ nonlocal json; json = {{"a": 1}}; }}
        swap();
        result = json.{member}();
        """, capture_output=True)
    assert not result.ok, f"ML received {result.value!r}"
    assert "dict_" not in repr(result.value) and "dict_" not in result.error.message


def test_an_error_value_bound_by_a_nonlocal_except_exposes_no_python_attribute(engine):
    result = engine.execute("""
        import probe_ext;
        function swap() { nonlocal probe_ext; try { throw {a: 1}; } except (probe_ext) { } }
        swap();
        result = typeof(probe_ext.exception);
        """, capture_output=True)
    assert result.ok, result.error
    assert result.value == "null"  # an error has message, type and its thrown keys only


# ----------------------------------------------------------------------------- ML modules' names


@pytest.mark.parametrize("source", [
    'import hooks; hooks.set_info(hostfns.run); result = hooks.info("leak");',
    'import hooks; hooks.set_relay(hostfns.run); result = hooks.relay("leak");',
    'import lib.hooks; lib.hooks.set_info(hostfns.run); result = lib.hooks.info("leak");',
    'import lib.hooks; lib.hooks.set_relay(hostfns.run); result = lib.hooks.relay("leak");',
    ('import hooks as h; function f() { return h.info("leak"); } h.set_info(hostfns.run);'
     ' result = f();'),
], ids=["variable", "rebound-function", "package-variable", "package-rebound-function",
        "alias-in-function"])
def test_a_name_an_ml_module_rebinds_is_called_through_the_gate(engine, host, source):
    result = engine.execute(source, host.variables, capture_output=True)
    assert_gated(result, host, call_refused)


def test_a_module_name_imported_twice_is_not_taken_for_either_module(engine, host):
    result = engine.execute("""
        import log;
        function use_it() { return log.info("leak"); }
        import hooks as log;
        log.set_info(hostfns.info);
        result = use_it();
        """, host.variables, capture_output=True)
    assert_gated(result, host, call_refused)


def test_an_ml_module_in_a_session_is_called_through_the_gate(engine, host):
    session = engine.session(host.variables)
    session.exec("import hooks; function use_it() { return hooks.info('leak'); }")
    session.exec("hooks.set_info(hostfns.run);").raise_for_error()
    result = session.exec("result = use_it();", capture_output=True)
    assert_gated(result, host, call_refused)


# ----------------------------------------------------------------------------- static kinds


def test_a_local_assigned_from_a_nonlocal_name_has_no_static_kind(engine, host):
    # `y = []` in inner is not what `y` held before: `x` may be anything, so `x.pop()`
    # meets the allow-list
    result = engine.execute("""
        function outer() {
            y = probe;
            function inner() { nonlocal y; x = y; y = []; return x.pop(); }
            return inner();
        }
        result = outer();
        """, host.variables, capture_output=True)
    assert_gated(result, host, no_member("pop"))


def test_a_format_string_held_by_a_nonlocal_name_keeps_the_size_check(engine):
    result = engine.execute("""
        function outer() {
            y = "%020000000d";
            function inner() { nonlocal y; x = y; y = 1; return x % 5; }
            return inner();
        }
        result = len(outer());
        """, capture_output=True)
    assert isinstance(result.error, mlpy.MLResourceError), result.error


# ----------------------------------------------------------------------------- fast paths kept


def test_proven_bindings_keep_their_native_paths(engine):
    code = engine.compile("""
        import math;
        import helpers;
        function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
        function f(x) { return math.sqrt(x) + math.pi + len([x]) + helpers.run(x); }
        """).python_code
    assert "fib(n - 1)" in code and "math.sqrt(x)" in code and "helpers.run(x)" in code
    assert "len([x])" in code and "math.pi" in code
    assert "__ml_call" not in code and "__ml_method" not in code and "__ml_get" not in code


def test_a_session_tests_that_a_module_name_still_holds_what_its_import_bound(engine):
    session = engine.session()
    session.exec("import math; function f(x) { return math.sqrt(x); }").raise_for_error()
    assert "math.sqrt(x) if math is __ml_module_math" in session.last_program.python_code
    session.exec("function g(x) { return math.floor(x); }").raise_for_error()
    assert "math.floor(x) if math is __ml_module_math" in session.last_program.python_code
    assert session.call("f", 16) == 4.0 and session.call("g", 2.5) == 2
    session.exec("math = {sqrt: fn(x) => x * 10, floor: fn(x) => -x};").raise_for_error()
    assert session.call("f", 2) == 20 and session.call("g", 2) == -2  # as in one program


def test_a_session_import_that_never_ran_proves_nothing(engine):
    session = engine.session()
    session.exec("math = {sqrt: fn(x) => x * 10};").raise_for_error()
    assert not session.exec("x = 1 / 0; import math;").ok  # stops before the import
    result = session.exec("function f() { return math.sqrt(2); } result = f();")
    assert result.ok and result.value == 20, result.error


@pytest.mark.parametrize("source, expected", [
    ("import helpers; result = [helpers.run(1), helpers.keys(), helpers.info(2)];",
     ["ml run", ["ml"], "ml info"]),
    ("import probe_ext; result = [probe_ext.run(1), probe_ext.keys()];", ["ext run", ["ext"]]),
    ("import lib.hooks; result = lib.hooks.relay(1);", "ml relay"),
    ("import json; function f() { return json.keys({a: 1}); } result = f();", ["a"]),
    ("function target(x) { return x + 1; } function f() { return target(1); } result = f();",
     2),
])
def test_unrebound_names_work_as_bound(engine, source, expected):
    result = engine.execute(source)
    assert result.ok, result.error
    assert result.value == expected
    session = engine.session()
    assert session.exec(source).value == expected


def test_counting_through_nonlocal_in_a_session_still_works(engine):
    session = engine.session()
    session.exec("count = 0; function inc() { nonlocal count; count = count + 1; return count; }")
    session.exec("inc(); inc();").raise_for_error()
    assert session.get("count") == 2
    assert session.call("inc") == 3
