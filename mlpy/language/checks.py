"""Static checks: scopes, names and the security rules, all reported at once.

This pass walks the ML tree once to build its scopes, then once more to check every use.

Scopes. ML has Python's scoping: the program's top level is one scope, every ``function`` and
arrow function is another, blocks are not scopes. A name bound anywhere in a function --
assigned, destructured, a parameter, a loop or ``except`` variable, a nested ``function`` --
is local to the whole function unless declared ``nonlocal``. A name only read is looked up in
the enclosing functions, then at the top level, then among the builtins. ``nonlocal x`` in a
function binds to the nearest enclosing function that binds ``x``, or else to the top level.

The name check is scope-accurate: a name used where no scope binds it (and that is not a
builtin, an import, a host input or a name an earlier session chunk defined) is an error with
"did you mean" suggestions. It does not follow control flow -- a top-level name read before
the line that assigns it is accepted and fails at run time if really unbound -- so every
program the textual reference check accepts is accepted here too.

Security (language spec §11, DESIGN D8). Refused with the exact position: any identifier or
member name starting with ``__``; members starting with ``_`` on modules; imports of host
modules (``os``, ``sys``, ...); the names of Python's code-execution and reflection builtins
(``eval``, ``exec``, ``open``, ``globals``, ...); wildcard ``capability`` declarations. String
contents are data and are never scanned.

Bindings. Code generation compiles some uses natively -- a call of a ``function`` or a
builtin, a member of an imported module -- and that is only sound while the name holds what
its binding says. So a name counts as a module, a ``function`` or a builtin only when that
binding is the only one it can have: a ``nonlocal`` declaration binds the name in the scope
it refers to as well (the function may rebind it whenever it runs), a second import of the
name is a second binding, and in a session every top-level name may be rebound by a later
chunk or by the host. Uses of a name whose binding is not proven single go through the
allow-list and the gate like those of any other value -- except, in a session, the members of
a Python module, used natively after a test that the name still is the object its import
bound (``tested_modules``).
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable

from mlpy.errors import Diagnostic, Span
from mlpy.language import ast
from mlpy.language.check_imports import ImportChecks
from mlpy.language.kinds import infer_kinds

BUILTIN_NAMES: frozenset[str] = frozenset()  # filled in by configure_builtins()


def configure_builtins(names: Iterable[str]) -> None:
    """Tell the checker which names are ML builtins (the runtime owns the list)."""
    global BUILTIN_NAMES
    BUILTIN_NAMES = frozenset(names)


# Spellings from other languages, and what ML calls them.
OTHER_SPELLINGS = {
    "True": "true", "False": "false", "None": "null", "nil": "null", "this": "an object "
    "passed as a parameter", "self": "an object passed as a parameter",
}

DANGEROUS_NAMES = {
    "eval": "ML cannot run code held in a string",
    "exec": "ML cannot run code held in a string",
    "compile": "ML cannot compile code at run time",
    "execfile": "ML cannot run code held in a file",
    "open": "files are reached through the `file` module, with a capability",
    "file": "files are reached through the `file` module: write `import file;` first",
    "globals": "ML has no reflection on scopes",
    "locals": "ML has no reflection on scopes",
    "vars": "ML has no reflection on scopes",
    "dir": "use methods(value) to list what ML can use on a value",
    "exit": "a program ends when its last statement runs; use `return` at the top level",
    "quit": "a program ends when its last statement runs; use `return` at the top level",
    "delattr": "ML cannot delete members",
    "setattr": "assign with `o.key = value;`",
    "type": "use typeof(value)",
    "object": "write an object literal `{...}`",
}

KNOWN_ANNOTATIONS = frozenset(
    "number string boolean bool array object function null any int float str list dict "
    "error module".split()
)


# "Did you mean" compares a name with every candidate: with thousands of names and thousands
# of misspellings that takes minutes, so the work is capped (see _Checker.close_names).
MAX_SUGGESTED = 20
MAX_CANDIDATES = 1000


def module_var(module: str) -> str:
    """The hidden variable that an import of the Python module ``module`` also binds in a
    session: a name that `is` its value still holds the module object that import bound."""
    return "__ml_module_" + module


@dataclass(eq=False)
class Scope:
    kind: str  # "program" or "function"
    parent: "Scope | None"
    node: ast.Node | None = None
    bindings: dict[str, set[str]] = field(default_factory=dict)
    nonlocals: dict[str, Span] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    # The expressions assigned to each name (None for a binding that is not an assignment).
    assigned: dict[str, list[ast.Expr | None]] = field(default_factory=dict)
    # What each name always holds, when its assignments prove it (see infer_kinds).
    kinds: dict[str, str] = field(default_factory=dict)

    def bind(self, name: str, kind: str, value: ast.Expr | None = None) -> None:
        self.bindings.setdefault(name, set()).add(kind)
        self.assigned.setdefault(name, []).append(value)

    def owner_of(self, name: str) -> "Scope | None":
        """The scope whose binding ``name`` refers to here, or None (builtin or unknown)."""
        scope: Scope | None = self
        while scope is not None:
            # A scope that declares the name nonlocal does not own it: the binding is further out.
            if name in scope.bindings and name not in scope.nonlocals:
                return scope
            scope = scope.parent
        return None


@dataclass
class Analysis:
    """What the checks found, and what code generation needs to know."""

    program: ast.Program
    diagnostics: list[Diagnostic]
    root: Scope
    scopes: dict[int, Scope]  # id(function or arrow node) -> its scope
    # id(ast.Call) whose callee may be called natively: a name bound only by `function`
    # definitions or a builtin, or a member of a proven module that is safe to call
    direct_calls: set[int]
    module_names: dict[str, str]  # ML name bound by an import -> module path (or package)
    nonlocal_targets: dict[tuple[int, str], str]  # (id(scope node), name) -> "global"/"nonlocal"
    def_only_globals: set[str]  # top-level names bound only by `function` definitions
    # id(ast.Name or ast.Member) of expressions that denote a module (an import, `builtin`,
    # `lib.geometry` under `import lib.geometry;`) -> the module's dotted name
    module_refs: dict[int, str]
    # the ids of module_refs whose binding is proven single: nothing but their import can
    # bind them, so their members may be read natively
    proven_modules: set[int]
    # the ids of module_refs (names, in a session) whose members may be used natively after a
    # test that the name still holds the object the import of a Python module bound
    # (module_var(module) holds it)
    tested_modules: set[int]
    null_names: set[int]  # id(ast.Name) of `undefined` where no scope binds it: it is null
    guarded_names: set[str]  # def-only names of earlier chunks: stores to them are guarded
    session: bool  # a session chunk: later chunks and the host may rebind top-level names
    # id(ast.Import) -> what the import loads: ("bridge", name), ("ml", name) or
    # ("package", prefix, (names imported under the prefix so far, ...))
    import_plans: dict[int, tuple] = field(default_factory=dict)
    ml_imports: list[str] = field(default_factory=list)  # ML source modules imported

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def static_kind(self, scope: Scope, name: str) -> str:
        """"array", "object" or "string" when every value a function-local name can hold is
        of that kind (all its assignments are such literals), else "any". Top-level names
        never qualify: the host and later session chunks can rebind them."""
        owner = scope.owner_of(name)
        if owner is None or owner.kind != "function":
            return "any"
        return owner.kinds.get(name, "any")

    def store_guarded(self, scope: Scope, name: str) -> bool:
        """Whether a store to ``name`` in ``scope`` must be guarded (``guard_callable``): in a
        session, code compiled in any chunk may call a top-level name natively that was
        bound only by `function` definitions or is a builtin, so such a name never receives
        a value that may not be called. Stores from functions are all guarded: the function
        may run after a later chunk made the name such a function."""
        if not self.session or scope.owner_of(name) not in (None, self.root):
            return False
        return (scope is not self.root or name in self.guarded_names
                or name in BUILTIN_NAMES)


class _Checker(ImportChecks):
    def __init__(self, filename: str, known_globals: Iterable[str], modules: "ModuleResolver",
                 prior_def_only: Iterable[str], session: bool,
                 prior_imports: Iterable[tuple[str, str, bool]] = ()):
        self.filename = filename
        # A session passes its (large, growing) table of names as it is: it is only looked
        # up, and names this chunk adds go to a set of their own.
        self.known_globals = _Known(known_globals)
        self.modules = modules
        self.prior_def_only = set(prior_def_only)
        self.diagnostics: list[Diagnostic] = []
        self.scopes: dict[int, Scope] = {}
        self.direct_calls: set[int] = set()
        self.module_names: dict[str, str] = {}
        self.nonlocal_targets: dict[tuple[int, str], str] = {}
        self.module_refs: dict[int, str] = {}
        self.proven_modules: set[int] = set()
        self.tested_modules: set[int] = set()
        # Names whose import (in this chunk, or an earlier one that ran) bound a Python
        # module, whose object the module's hidden variable holds too.
        self.bridge_names: set[str] = set()
        self.import_plans: dict[int, tuple] = {}
        self.ml_imports: list[str] = []
        # ML module imported -> its top-level names bound only by `function` definitions
        self.ml_functions: dict[str, frozenset[str]] = {}
        # `import a.b.c;` binds `a` to a package: its dotted prefixes ("a", "a.b") and the
        # next names under each ({"a": {"b"}, "a.b": {"c"}})
        self.package_members: dict[str, set[str]] = {}
        self.package_imports: dict[str, list[str]] = {}  # bound name -> modules under it
        self.package_depth = 0  # the most names after the first in an imported dotted path
        self.session = session
        self.prior_modules: set[str] = set()  # names earlier session chunks bound by import
        for bound, module, package in prior_imports:
            self.prior_modules.add(bound)
            if package:
                self.remember_package(bound, module.split("."))
            else:
                self.module_names[bound] = module
                if module_var(module) in self.known_globals:  # the session saw it bound
                    self.bridge_names.add(bound)
        self.null_names: set[int] = set()
        self.suggestions_left = MAX_SUGGESTED
        self.sorted_globals: list[str] | None = None
        self.available_modules: frozenset[str] | None = None

    # ------------------------------------------------------------------ reporting

    def error(self, code: str, message: str, span: Span, category: str = "name",
              hints: Iterable[str] = (), severity: str = "error", cwe: int | None = None) -> None:
        self.diagnostics.append(Diagnostic(
            code, message, severity, category, self.filename, span, list(hints), cwe
        ))

    def warn(self, code: str, message: str, span: Span, hints: Iterable[str] = ()) -> None:
        self.error(code, message, span, "name", hints, severity="warning")

    def check_identifier(self, name: str, span: Span) -> bool:
        if name.startswith("__"):
            self.error(
                "MLSEC001", f"names starting with '__' are reserved: '{name}'", span,
                "security", ["choose a name without the leading double underscore"], cwe=94,
            )
            return False
        return True

    # ------------------------------------------------------------------ pass 1: bindings

    def collect(self, body: list[ast.Stmt], scope: Scope) -> None:
        for stmt in body:
            self.collect_stmt(stmt, scope)

    def collect_stmt(self, stmt: ast.Stmt, scope: Scope) -> None:
        kind = type(stmt)
        if kind is ast.Assign:
            if isinstance(stmt.target, ast.Name):
                scope.bind(stmt.target.id, "assign", stmt.value)
            self.collect_expr(stmt.target, scope)
            self.collect_expr(stmt.value, scope)
        elif kind is ast.Destructure:
            for name in stmt.names:
                scope.bind(name.id, "destructure")
            self.collect_expr(stmt.value, scope)
        elif kind is ast.FunctionDef:
            scope.bind(stmt.name, "def")
            inner = self.new_scope(stmt, scope, stmt.params)
            self.collect(stmt.body, inner)
        elif kind is ast.For:
            scope.bind(stmt.var.id, "for", stmt)  # see counts_integers
            self.collect_expr(stmt.iterable, scope)
            self.collect(stmt.body, scope)
        elif kind is ast.Try:
            self.collect(stmt.body, scope)
            for handler in stmt.handlers:
                if handler.name is not None:
                    scope.bind(handler.name.id, "except")
                self.collect(handler.body, scope)
            if stmt.final:
                self.collect(stmt.final, scope)
        elif kind is ast.Import:
            scope.bind(stmt.bound_name, "import")
        elif kind is ast.Nonlocal:
            for name in stmt.names:
                scope.nonlocals.setdefault(name.id, name.span)
        elif kind is ast.If:
            for test, body in stmt.branches:
                self.collect_expr(test, scope)
                self.collect(body, scope)
            if stmt.otherwise:
                self.collect(stmt.otherwise, scope)
        elif kind is ast.While:
            self.collect_expr(stmt.test, scope)
            self.collect(stmt.body, scope)
        elif kind in (ast.ExprStmt, ast.Throw):
            self.collect_expr(stmt.value, scope)
        elif kind is ast.Return and stmt.value is not None:
            self.collect_expr(stmt.value, scope)

    def collect_expr(self, expr: ast.Expr | None, scope: Scope) -> None:
        """Find the arrow functions inside an expression and collect their scopes."""
        for node in _walk_expr(expr):
            if type(node) is ast.Arrow:
                inner = self.new_scope(node, scope, node.params)
                if isinstance(node.body, list):
                    self.collect(node.body, inner)
                else:
                    self.collect_expr(node.body, inner)

    def bind_nonlocals(self) -> None:
        """A function that declares a name ``nonlocal`` may rebind it whenever it runs, to
        anything: the name gets a "nonlocal" binding in the scope it refers to, so that no
        use of it counts as a module, a `function` or a builtin, or as of a static kind. In
        a session (or for a host input) a name no scope binds refers to the top level."""
        for scope in self.scopes.values():
            for name in scope.nonlocals:
                owner = scope.parent.owner_of(name)
                if owner is None and (name in self.known_globals or self.session):
                    owner = self.root
                if owner is not None:
                    owner.bind(name, "nonlocal")

    def new_scope(self, node: ast.Node, parent: Scope, params: list[ast.Param]) -> Scope:
        scope = Scope("function", parent, node)
        for param in params:
            scope.bind(param.name, "param")
            scope.params.add(param.name)
        self.scopes[id(node)] = scope
        return scope

    # ------------------------------------------------------------------ pass 2: uses

    def check(self, body: list[ast.Stmt], scope: Scope, loop: bool) -> None:
        for stmt in body:
            self.check_stmt(stmt, scope, loop)

    def check_stmt(self, stmt: ast.Stmt, scope: Scope, loop: bool) -> None:
        kind = type(stmt)
        if kind is ast.ExprStmt:
            self.expr(stmt.value, scope)
        elif kind is ast.Assign:
            self.assign_target(stmt.target, scope)
            self.expr(stmt.value, scope)
        elif kind is ast.Destructure:
            for name in stmt.names:
                self.binding_name(name.id, name.span, scope)
            self.expr(stmt.value, scope)
        elif kind is ast.FunctionDef:
            self.function(stmt, scope)
        elif kind is ast.If:
            for test, body in stmt.branches:
                self.expr(test, scope)
                self.check(body, scope, loop)
            if stmt.otherwise:
                self.check(stmt.otherwise, scope, loop)
        elif kind is ast.While:
            self.expr(stmt.test, scope)
            self.check(stmt.body, scope, True)
        elif kind is ast.For:
            self.binding_name(stmt.var.id, stmt.var.span, scope)
            self.expr(stmt.iterable, scope)
            self.check(stmt.body, scope, True)
        elif kind is ast.Return:
            if stmt.value is not None:
                self.expr(stmt.value, scope)
        elif kind is ast.Throw:
            self.expr(stmt.value, scope)
        elif kind is ast.Try:
            self.check(stmt.body, scope, loop)
            for position, handler in enumerate(stmt.handlers):
                if position == 1:
                    self.warn("MLW003", "this except clause never runs: the first one catches "
                              "every error", handler.span, ["merge the clauses into one"])
                if handler.name is not None:
                    self.binding_name(handler.name.id, handler.name.span, scope)
                self.check(handler.body, scope, loop)
            if stmt.final:
                self.check(stmt.final, scope, loop)
        elif kind in (ast.Break, ast.Continue):
            if not loop:
                word = "break" if kind is ast.Break else "continue"
                self.error("MLC010", f"'{word}' outside a loop", stmt.span, "syntax")
        elif kind is ast.Nonlocal:
            self.nonlocal_stmt(stmt, scope)
        elif kind is ast.Import:
            self.import_stmt(stmt, scope)
        elif kind is ast.CapabilityDecl:
            self.capability(stmt)

    def binding_name(self, name: str, span: Span, scope: Scope) -> None:
        self.check_identifier(name, span)

    def assign_target(self, target: ast.Expr, scope: Scope) -> None:
        if type(target) is ast.Name:
            self.binding_name(target.id, target.span, scope)
        elif type(target) is ast.Member:
            module = self.module_of(target.target, scope)
            if module:
                self.error("E_MODULE_READONLY", f"cannot assign to member '{target.name}' of "
                           f"module '{module}'", target.span, "import",
                           ["modules are read-only; keep changing state in an object"])
            self.member_name(target, scope)
            self.expr(target.target, scope)
        else:
            self.expr(target, scope)

    def function(self, node: ast.FunctionDef, scope: Scope) -> None:
        self.check_identifier(node.name, node.name_span)
        if node.name in BUILTIN_NAMES:
            self.warn("MLW001", f"function '{node.name}' shadows the builtin {node.name}()",
                      node.name_span, [f"calls to {node.name}() in this scope reach this "
                                       "function; rename it to keep the builtin"])
        inner = self.scopes[id(node)]
        self.params(node.params)
        self.check(node.body, inner, False)

    def params(self, params: list[ast.Param]) -> None:
        seen: set[str] = set()
        for param in params:
            self.check_identifier(param.name, param.span)
            if param.name in seen:
                self.error("MLC011", f"duplicate parameter '{param.name}'", param.span, "syntax")
            seen.add(param.name)
            if param.annotation is not None and param.annotation not in KNOWN_ANNOTATIONS:
                self.warn("MLW002", f"unknown type name '{param.annotation}' in annotation",
                          param.span, ["annotations are documentation; known names: "
                                       + ", ".join(sorted(KNOWN_ANNOTATIONS))])

    def nonlocal_stmt(self, stmt: ast.Nonlocal, scope: Scope) -> None:
        for name in stmt.names:
            self.check_identifier(name.id, name.span)
            if scope.kind == "program":
                self.error("MLC012", "'nonlocal' is only allowed inside a function", name.span,
                           "syntax", ["top-level names are already visible everywhere"])
                continue
            if name.id in scope.params:
                self.error("MLC013", f"'{name.id}' is a parameter and cannot be nonlocal",
                           name.span, "syntax")
                continue
            owner = scope.parent.owner_of(name.id) if scope.parent else None
            if owner is None and (name.id in self.known_globals or self.session):
                owner = self.root
                self.known_globals.add(name.id)  # a later session chunk defines it
            if owner is None:
                self.error("MLC014", f"no binding for nonlocal '{name.id}' found", name.span,
                           "name", ["assign the name in an enclosing function or at the top "
                                    "level first"])
                continue
            target = "global" if owner.kind == "program" else "nonlocal"
            self.nonlocal_targets[(id(scope.node), name.id)] = target

    # ------------------------------------------------------------------ expressions

    def module_of(self, expr: ast.Expr, scope: Scope) -> str | None:
        """The module (or package) an expression denotes: a name an import bound and nothing
        else binds, or a member chain under a package (`lib.geometry`). It is recorded in
        ``module_refs``, and in ``proven_modules`` when no other binding can reach the use. A
        chain longer than every imported dotted path denotes none, so this never walks a long
        `a.b.c ...`."""
        members: list[ast.Member] = []
        while type(expr) is ast.Member:
            if len(members) >= self.package_depth:
                return None
            members.append(expr)
            expr = expr.target
        if type(expr) is not ast.Name:
            return None
        found = self.name_module(expr, scope)
        if found is None:
            return None
        module, proven, tested = found
        self.record_module(expr, module, proven, tested)
        for member in reversed(members):  # a member of a proven package is proven too
            if member.name not in self.package_members.get(module, ()):
                return None
            module = f"{module}.{member.name}"
            self.record_module(member, module, proven, False)
        return module

    def name_module(self, name: ast.Name, scope: Scope) -> tuple[str, bool, bool] | None:
        """The module a name denotes, whether that is proven, and whether it is to be tested
        (a session's import, which a later chunk or the host may rebind)."""
        owner = scope.owner_of(name.id)
        if owner is self.root and self.root.bindings.get(name.id) == {"import"}:
            module = self.module_names.get(name.id)
            if module is None or module == "builtin":
                return None  # `builtin` bound to a name is an ordinary name
            return (module, not self.session and self.single_import(name.id),
                    self.session and name.id in self.bridge_names)
        if owner is None and name.id in self.prior_modules:
            module = self.module_names.get(name.id)  # imported by an earlier chunk
            return None if module is None else (module, False, name.id in self.bridge_names)
        if owner is None and name.id == "builtin" and "builtin" not in self.known_globals:
            return "builtin", True, False  # compiled to the runtime's builtin module
        return None

    def record_module(self, node: ast.Expr, module: str, proven: bool, tested: bool) -> None:
        self.module_refs[id(node)] = module
        if proven:
            self.proven_modules.add(id(node))
        elif tested:
            self.tested_modules.add(id(node))

    def single_import(self, name: str) -> bool:
        """Whether one import statement binds ``name`` (the imports of one package under
        its first name count as one: each adds a module to the same package)."""
        return len(self.root.assigned[name]) == 1 or name in self.package_imports

    def native_member_call(self, callee: ast.Member) -> bool:
        """Whether ``module.name(...)`` may be called natively: the module is proven and the
        member is a function of a Python module, or a function of an ML module bound only
        by its `function` definition (its other top-level names may hold any value)."""
        if id(callee.target) not in self.proven_modules:
            return False
        module = self.module_refs[id(callee.target)]
        if module in self.package_members or module not in self.ml_functions:
            return True
        return callee.name in self.ml_functions[module]

    def member_name(self, node: ast.Member, scope: Scope) -> None:
        if node.name.startswith("__"):
            self.error("MLSEC004", f"access to '{node.name}' is not allowed", node.name_span,
                       "security", ["members starting with '__' are never reachable"], cwe=94)
            return
        module = self.module_of(node.target, scope)
        if module is None:
            return
        if node.name.startswith("_"):
            self.error("E_PRIVATE_MEMBER", f"'{node.name}' is private and cannot be used from "
                       "ML", node.name_span, "security")
            return
        if module in self.package_members:
            members = self.package_members[module]
            if node.name not in members:
                self.error("E_MODULE_MEMBER", f"'{module}' has no imported module "
                           f"'{node.name}'", node.name_span, "import",
                           [f"modules imported under '{module}': {', '.join(sorted(members))}",
                            f"write `import {module}.{node.name};` first"])
            return
        members = BUILTIN_NAMES if module == "builtin" else self.modules.members(module)
        if members is not None and node.name not in members:
            close = self.close_names(node.name, sorted(members))
            self.error("E_MODULE_MEMBER", f"module '{module}' has no member '{node.name}'",
                       node.name_span, "import",
                       [f"did you mean: {', '.join(close)}?"] if close else [])

    def expr(self, expr: ast.Expr | None, scope: Scope) -> None:
        """Check an expression, parents before children, left to right. The walk keeps its
        own stack: a flat chain (`a + b + ...`, `a.b.c ...`) can be as long as the program."""
        stack: list[tuple[ast.Expr | None, Scope]] = [(expr, scope)]
        while stack:
            node, scope = stack.pop()
            if node is None:
                continue
            kind = type(node)
            children = _children(node)
            if kind is ast.Name:
                self.use(node, scope)
            elif kind is ast.Call and type(node.callee) is ast.Name:
                self.use(node.callee, scope, call=True)
                if self.is_direct(node.callee.id, scope):
                    self.direct_calls.add(id(node))
                children = node.args
            elif kind is ast.Call and type(node.callee) is ast.Member:
                self.module_of(node.callee.target, scope)  # is the object a proven module?
                if self.native_member_call(node.callee):
                    self.direct_calls.add(id(node))
            elif kind is ast.Member:
                self.member_name(node, scope)
                self.module_of(node.target, scope)
            elif kind is ast.Compare and type(node.left) is ast.Compare:
                self.warn("MLW005", f"comparisons do not chain: this compares the true/false "
                          f"result of `{node.left.op}` with `{node.op}`", node.span,
                          ["write `a < b && b < c` to test a range"])
            elif kind is ast.Arrow:
                inner = self.scopes[id(node)]
                self.params(node.params)
                if isinstance(node.body, list):
                    self.check(node.body, inner, False)
                else:
                    stack.append((node.body, inner))
                continue
            stack.extend((child, scope) for child in reversed(children))

    def counts_integers(self, loop: ast.For, scope: Scope) -> bool:
        """Whether a for loop's variable only takes integers: the loop iterates a call of
        the builtin ``range`` itself, in a program no later chunk or host can rebind it in."""
        call = loop.iterable
        return (not self.session and type(call) is ast.Call and type(call.callee) is ast.Name
                and call.callee.id == "range" and id(call) in self.direct_calls
                and scope.owner_of("range") is None and "range" not in self.prior_def_only)

    def is_direct(self, name: str, scope: Scope) -> bool:
        """Whether ``name(...)`` may be compiled as a native call."""
        owner = scope.owner_of(name)
        if owner is None:
            if name in self.prior_def_only:
                return True
            return name in BUILTIN_NAMES and name not in self.known_globals
        kinds = owner.bindings[name]
        if owner is self.root and name in self.known_globals and name not in self.prior_def_only:
            return False
        return kinds == {"def"}

    def use(self, name: ast.Name, scope: Scope, call: bool = False) -> None:
        if not self.check_identifier(name.id, name.span):
            return
        if scope.owner_of(name.id) is not None:
            return
        if name.id in BUILTIN_NAMES or name.id in self.known_globals or name.id == "builtin" \
                or name.id in self.prior_modules:
            return
        if name.id == "undefined":  # the old spelling of null, unless a program binds it
            self.null_names.add(id(name))
            return
        if name.id in DANGEROUS_NAMES:
            self.error("MLSEC006", f"'{name.id}' is not available in ML", name.span, "security",
                       [DANGEROUS_NAMES[name.id]], cwe=94)
            return
        if self.session:  # a later chunk may define it, as a later line of one file may
            self.warn("MLW011", f"'{name.id}' is not defined yet", name.span,
                      ["running this before it is assigned fails"])
            return
        close = self.close_names(name.id, self.visible_names(scope))
        hints = [f"did you mean: {', '.join(close)}?"] if close else []
        if name.id in OTHER_SPELLINGS:
            hints = [f"ML writes {OTHER_SPELLINGS[name.id]}"]
        elif name.id in self.importable():
            hints.append(f"write `import {name.id};` first")
        elif call:
            # A call of an unknown name compiles (the call fails when, and only if, it runs),
            # as it always has; a typo still gets flagged here.
            self.warn("MLW010", f"unknown function '{name.id}'", name.span, hints)
            return
        else:
            hints.append("if the host provides it, declare it as an input: inputs=[...] in "
                         "Python, --input NAME on the command line")
        self.error("MLC001", f"unknown name '{name.id}'", name.span, "name", hints)

    # ------------------------------------------------------------------ suggestions

    def visible_names(self, scope: Scope) -> Iterable[str]:
        """The names a use in ``scope`` could have meant, the nearest scopes first."""
        walker: Scope | None = scope
        while walker is not None:
            yield from walker.bindings
            walker = walker.parent
        if self.sorted_globals is None:
            self.sorted_globals = sorted(self.known_globals)
        yield from self.sorted_globals
        yield from sorted(BUILTIN_NAMES)

    def close_names(self, name: str, candidates: Iterable[str]) -> list[str]:
        """Up to three candidates close to ``name``, for a "did you mean" hint. Comparing
        costs: only the first MAX_SUGGESTED unknown names of a program get suggestions, each
        from the first MAX_CANDIDATES candidates that are not too different in length (among
        ten times as many at most)."""
        if self.suggestions_left == 0:
            return []
        self.suggestions_left -= 1
        pool: dict[str, None] = {}
        for candidate in itertools.islice(candidates, 10 * MAX_CANDIDATES):
            # difflib's own first filter: a ratio of at least 0.6 needs similar lengths
            if 2 * min(len(name), len(candidate)) >= 0.6 * (len(name) + len(candidate)):
                pool[candidate] = None
                if len(pool) == MAX_CANDIDATES:
                    break
        return difflib.get_close_matches(name, sorted(pool), 3)

    def importable(self) -> frozenset[str]:
        if self.available_modules is None:
            self.available_modules = frozenset(self.modules.available())
        return self.available_modules

    # ------------------------------------------------------------------ entry

    def run(self, program: ast.Program) -> Analysis:
        self.root = Scope("program", None, program)
        self.collect(program.body, self.root)
        self.bind_nonlocals()
        self.check(program.body, self.root, False)
        for scope in self.scopes.values():
            infer_kinds(scope, lambda loop, scope=scope: self.counts_integers(loop, scope))
        def_only = {n for n, kinds in self.root.bindings.items() if kinds == {"def"}}
        guarded = set(self.prior_def_only)
        return Analysis(
            program, self.diagnostics, self.root, self.scopes, self.direct_calls,
            self.module_names, self.nonlocal_targets, def_only, self.module_refs,
            self.proven_modules, self.tested_modules, self.null_names,
            guarded, self.session, self.import_plans, self.ml_imports,
        )


class _Known:
    """Names that exist before a program runs: the caller's collection (read only) plus
    those the checks add."""

    def __init__(self, given: Iterable[str]):
        self.given = given if isinstance(given, (set, frozenset, dict)) else set(given)
        self.added: set[str] = set()

    def __contains__(self, name: object) -> bool:
        return name in self.given or name in self.added

    def add(self, name: str) -> None:
        self.added.add(name)

    def __iter__(self):
        yield from self.given
        yield from self.added


class ModuleResolver:
    """What the checker needs to know about importable modules."""

    def resolve(self, name: str) -> str:  # pragma: no cover - interface
        """The kind of module ``name`` is ("stdlib", "extension" or "ml"), after making sure
        it can be used: an ML module is compiled here (its own errors propagate as its
        MLError). Raise :class:`ImportProblem` when it cannot be imported."""
        raise NotImplementedError

    def available(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def members(self, name: str) -> frozenset[str] | None:  # pragma: no cover - interface
        """The names module ``name`` exports, or None if that is only known at run time."""
        raise NotImplementedError

    def ml_unit(self, name: str) -> Any:  # pragma: no cover - interface
        """The compiled :class:`~mlpy.program.Program` of the ML source module ``name``."""
        raise NotImplementedError


def analyze(
    program: ast.Program,
    filename: str,
    modules: ModuleResolver,
    known_globals: Iterable[str] = (),
    prior_def_only: Iterable[str] = (),
    session: bool = False,
    prior_imports: Iterable[tuple[str, str, bool]] = (),
) -> Analysis:
    """Check ``program``; ``known_globals`` are top-level names that exist before it runs
    (host inputs, names an earlier session chunk defined); in a ``session`` chunk a function
    may declare ``nonlocal`` a top-level name that a later chunk defines, and
    ``prior_imports`` -- ``(name, module, is_package)`` -- are the imports of earlier chunks,
    whose members are checked as in one program."""
    return _Checker(filename, known_globals, modules, prior_def_only, session,
                    prior_imports).run(program)


# ----------------------------------------------------------------------------- tree walking


def _children(expr: ast.Expr) -> list[ast.Expr]:
    kind = type(expr)
    if kind in (ast.Binary, ast.Compare, ast.Logical):
        return [expr.left, expr.right]
    if kind is ast.Unary:
        return [expr.operand]
    if kind is ast.Ternary:
        return [expr.test, expr.then, expr.otherwise]
    if kind is ast.Array:
        return list(expr.items)
    if kind is ast.Object:
        return [value for _, value in expr.pairs]
    if kind is ast.Index:
        return [expr.target, expr.index]
    if kind is ast.Slice:
        return [e for e in (expr.target, expr.start, expr.stop, expr.step) if e is not None]
    if kind is ast.Member:
        return [expr.target]
    if kind is ast.Call:
        return [expr.callee, *expr.args]
    return []


def _walk_expr(expr: ast.Expr | None):
    """Every node of an expression, not descending into arrow functions' bodies."""
    if expr is None:
        return
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if type(node) is not ast.Arrow:
            stack.extend(_children(node))
