"""Functions: ``function`` definitions, arrow functions, their scopes and their prologue.

Every ML function invocation that can go on working ticks once (see
:mod:`mlpy.runtime.state`), so recursion is counted like loops are. The tick is placed after
the leading statements that are *pure*: they hold no call and no loop and change nothing but
the function's own local variables. Those run in bounded time, so an invocation that returns
from them (the base case of a recursion, a small arrow function) needs no tick, and one that
goes on ticks before it can call, loop or change anything.

The first tick is also where a function finds out that the host called it directly, outside
any execution: the tick raises, and the prologue calls the function again through the
runtime's host-call entry, which runs it as an execution of its own. Running the pure prefix
a second time is harmless, which is why the prefix must be pure; an error the prefix raises
outside an execution is handled the same way, so the host gets it as an ML error -- and so
is a capability decision the prefix causes there (a host property getter asking the gate, see
:func:`mlpy.runtime.state.deciding_state`), so the gate decides it inside that execution. The
prologue finds its own function by a hidden name bound right after the definition: the ML
name may be rebound, the hidden one cannot.

``nonlocal`` declarations are gathered at the top of the Python function, as ``global`` when
the binding is at the program's top level, because the top level is the module namespace
(which is what lets a session run chunk after chunk as if they were one program).
"""

from __future__ import annotations

import ast as py

from mlpy.language import ast
from mlpy.language.codegen.names import SELF_PREFIX


class FunctionsMixin:
    def arguments(self, params: list[ast.Param]) -> py.arguments:
        return py.arguments(
            posonlyargs=[],
            args=[self.at(p.span, py.arg(arg=self.name_of(p.name))) for p in params],
            kwonlyargs=[], kw_defaults=[], defaults=[],
        )

    def function_body(self, node: ast.Node, params: list[ast.Param], body: list[ast.Stmt],
                      self_name: str) -> list[py.stmt]:
        """Declarations, the prologue and the statements of a function's body."""
        outer, self.scope = self.scope, self.analysis.scopes[id(node)]
        outer_held, self.ticker_held = self.ticker_held, False
        try:
            out: list[py.stmt] = []
            declared = {"global": [], "nonlocal": []}
            for name in self.scope.nonlocals:
                kind = self.analysis.nonlocal_targets.get((id(node), name))
                if kind:
                    declared[kind].append(self.name_of(name))
            if declared["global"]:
                out.append(self.at(node.span, py.Global(names=declared["global"])))
            if declared["nonlocal"]:
                out.append(self.at(node.span, py.Nonlocal(names=declared["nonlocal"])))
            if not self.ticks:
                out.extend(self.specialise(node, params, body))
            else:
                local = {p.name for p in params} | set(self.scope.nonlocals)
                split = pure_prefix(body, local)
                guarded = self.block(body[:split])
                if split < len(body):
                    guarded.append(self.at(body[split].span, self.tick_stmt()))
                if guarded:
                    out.append(self.at(node.span, self.prologue(guarded, params, self_name)))
                self.ticker_held = split < len(body)
                out.extend(self.specialise(node, params, body[split:]))
            if not out:
                out.append(self.at(node.span, py.Pass()))
            return out
        finally:
            self.scope = outer
            self.ticker_held = outer_held

    def specialise(self, node: ast.Node, params: list[ast.Param],
                   body: list[ast.Stmt]) -> list[py.stmt]:
        """``body``; for a function that returns numbers when given numbers, twice: once
        for calls whose arguments are all numbers (tested here, one class test each),
        where the parameters are known to be numbers -- so `fib(n - 1) + fib(n - 2)` adds
        natively -- and once for any other call."""
        if not body or not self.numeric_functions.specialised(node):
            return self.block(body)
        self.assumed_numbers = {p.name for p in params}
        try:
            numbers = self.block(body)
        finally:
            self.assumed_numbers = set()
        tests = []
        for param in params:
            kind = self.fresh("class")
            name = self.load(self.name_of(param.name))
            is_int = py.Compare(
                left=py.NamedExpr(target=self.store(kind), value=py.Attribute(
                    value=name, attr="__class__", ctx=py.Load())),
                ops=[py.Is()], comparators=[self.helper("int")])
            is_float = py.Compare(left=self.load(kind), ops=[py.Is()],
                                  comparators=[self.helper("float")])
            tests.append(py.BoolOp(op=py.Or(), values=[is_int, is_float]))
        test = tests[0] if len(tests) == 1 else py.BoolOp(op=py.And(), values=tests)
        return [self.at(body[0].span, py.If(test=test, body=numbers, orelse=self.block(body)))]

    def prologue(self, guarded: list[py.stmt], params: list[ast.Param],
                 self_name: str) -> py.Try:
        """``try: <pure prefix>; <tick>`` -- and when it raises outside any execution, the
        host called the function: ``return __ml_enter(<the function>, <its arguments>)``."""
        inside = py.UnaryOp(op=py.Not(), operand=py.Attribute(
            value=self.ticker(), attr="idle", ctx=py.Load()))
        entry = self.helper_call("enter", self.load(self_name),
                                 *(self.load(self.name_of(p.name)) for p in params))
        handler = py.ExceptHandler(type=self.helper("Exception"), name=None, body=[
            py.If(test=inside, body=[py.Raise(exc=None, cause=None)], orelse=[]),
            py.Return(value=entry),
        ])
        return py.Try(body=guarded, handlers=[handler], orelse=[], finalbody=[])

    def self_name(self) -> str:
        return f"{SELF_PREFIX}{self.unit}_{self.fresh('fn')}"

    def define(self, span, name: str, params: list[ast.Param], body_of) -> list[py.stmt]:
        """``def name(...)`` followed by its hidden self name (see the module docstring)."""
        hidden = self.self_name()
        node = py.FunctionDef(name=name, args=self.arguments(params), body=body_of(hidden),
                              decorator_list=[], returns=None)
        bind = py.Assign(targets=[self.store(hidden)], value=self.load(name))
        return [self.at(span, node), self.at(span, bind)]

    def stmt_FunctionDef(self, stmt: ast.FunctionDef) -> list[py.stmt]:
        return self.define(stmt.span, self.name_of(stmt.name), stmt.params,
                           lambda hidden: self.function_body(stmt, stmt.params, stmt.body,
                                                             hidden))

    def arrow(self, node: ast.Arrow) -> py.expr:
        """An arrow function: a ``def`` hoisted right before the current statement (a lambda
        could not hold the prologue)."""
        body = node.body if isinstance(node.body, list) else [
            ast.Return(span=node.body.span, value=node.body)]
        name = self.fresh("arrow")
        self.prelude.extend(self.define(
            node.span, name, node.params,
            lambda hidden: self.function_body(node, node.params, body, hidden)))
        return self.load(name)


def own_returns(function: ast.FunctionDef) -> list[ast.Return]:
    """The return statements of ``function`` itself (not those of functions inside it)."""
    found: list[ast.Return] = []
    stack: list[object] = list(function.body)
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is ast.Return:
            found.append(item)
        elif kind in (ast.FunctionDef, ast.Arrow):
            continue
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            stack.extend(getattr(item, name) for name in item.__slots__
                         if name != "span" and not name.endswith("_span"))
    return found


class NumericFunctions:
    """The functions that return a number whenever they are called with numbers and return.

    A call of one with numeric arguments is numeric (``fib(n - 1) + fib(n - 2)`` adds
    natively). A function qualifies when its name is bound by that one definition and
    nothing else (outside the top level of a session, which a later chunk may rebind), no
    parameter is assigned, its body ends with a ``return``, and every ``return`` gives an
    expression that is numeric when the parameters are numbers and calls of qualifying
    functions with numeric arguments are numbers. The set is the greatest one that holds
    (every candidate in, then out until none fails): by induction on the depth of the
    calls a returning call makes, a call of a function in it with numbers returns a number.
    """

    def __init__(self, generator):
        self.generator = generator
        self.analysis = generator.analysis
        self.members: set[int] | None = None
        self.assumed: set[str] = set()  # while checking a candidate: its parameters

    def of_call(self, call: ast.Call, scope) -> ast.FunctionDef | None:
        """The function a direct call of a name can only call, if it is a candidate."""
        callee = call.callee
        if type(callee) is not ast.Name or id(call) not in self.analysis.direct_calls:
            return None
        owner = scope.owner_of(callee.id)
        if owner is None or owner.bindings.get(callee.id) != {"def"} \
                or len(owner.assigned.get(callee.id, ())) != 1:
            return None
        if owner is self.analysis.root and self.analysis.session:
            return None
        return self.definitions().get((id(owner), callee.id))

    def definitions(self) -> dict[tuple[int, str], ast.FunctionDef]:
        found = getattr(self, "_definitions", None)
        if found is None:
            found = {}
            for scope in self.analysis.scopes.values():
                node = scope.node
                if type(node) is ast.FunctionDef and scope.parent is not None:
                    found[(id(scope.parent), node.name)] = node
            self._definitions = found
        return found

    def numeric_call(self, call: ast.Call, numeric) -> bool:
        """Whether a call is of a function in the set, with arguments ``numeric`` proves
        to be numbers."""
        function = self.of_call(call, self.generator.scope)
        if function is None or not all(numeric(arg) for arg in call.args):
            return False
        return id(function) in self.set()

    def specialised(self, function: ast.Node) -> bool:
        """Whether ``function`` gets a second body for calls with numbers (see
        FunctionsMixin.specialise): it is in the set, takes parameters and defines no
        function of its own (which would be generated twice)."""
        return (type(function) is ast.FunctionDef and bool(function.params)
                and id(function) in self.set()
                and not any(type(node) in (ast.FunctionDef, ast.Arrow)
                            for stmt in function.body for node in ast.walk(stmt)))

    def set(self) -> set[int]:
        """The set, found by a worklist: a function is checked again only when a function
        its returns call leaves the set, so finding it takes time linear in the calls."""
        if self.members is not None:
            return self.members
        candidates = {id(fn): fn for fn in self.definitions().values() if _candidate(
            fn, self.analysis.scopes[id(fn)])}
        callers: dict[int, list[int]] = {}
        for key, function in candidates.items():
            scope = self.analysis.scopes[id(function)]
            for ret in own_returns(function):
                for node in ast.walk(ret.value):
                    if type(node) is ast.Call:
                        callee = self.of_call(node, scope)
                        if callee is not None and id(callee) in candidates:
                            callers.setdefault(id(callee), []).append(key)
        self.members = set(candidates)  # the optimistic start
        pending = list(candidates)
        while pending:
            key = pending.pop()
            if key in self.members and not self.returns_numbers(candidates[key]):
                self.members.discard(key)
                pending.extend(caller for caller in callers.get(key, ())
                               if caller in self.members)
        return self.members

    def returns_numbers(self, function: ast.FunctionDef) -> bool:
        generator = self.generator
        outer_scope, outer_assumed = generator.scope, generator.assumed_numbers
        generator.scope = self.analysis.scopes[id(function)]
        generator.assumed_numbers = {p.name for p in function.params}
        try:
            return all(generator.numeric(ret.value, strict=True)
                       for ret in own_returns(function))
        finally:
            generator.scope, generator.assumed_numbers = outer_scope, outer_assumed


def _candidate(function: ast.FunctionDef, scope) -> bool:
    """A function whose parameters keep the values it was called with, and whose body can
    only end by a return with a value (or an error)."""
    if not function.body or type(function.body[-1]) is not ast.Return:
        return False
    if any(scope.bindings.get(p.name) != {"param"} or p.name in scope.nonlocals
           for p in function.params):
        return False
    return all(ret.value is not None for ret in own_returns(function))


def bounded(node: ast.Node) -> bool:
    """Whether running ``node`` takes bounded time: it holds no call and no loop (the bodies
    of functions it merely defines do not count)."""
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in (ast.Call, ast.While, ast.For):
            return False
        if kind in (ast.FunctionDef, ast.Arrow):
            continue
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, ast.Node):
            stack.extend(getattr(item, name) for name in item.__slots__
                         if name != "span" and not name.endswith("_span"))
    return True


def pure_prefix(body: list[ast.Stmt], outer: set[str]) -> int:
    """How many leading statements are pure: bounded, and assigning only local variables
    that are neither parameters nor outer variables (``outer``), so that running them twice
    changes nothing."""
    for index, stmt in enumerate(body):
        if not _pure(stmt, outer):
            return index
    return len(body)


def _pure(stmt: ast.Stmt, outer: set[str]) -> bool:
    kind = type(stmt)
    if kind is ast.If:
        return bounded(stmt) and all(
            _pure(s, outer) for _, block in stmt.branches for s in block) and all(
            _pure(s, outer) for s in stmt.otherwise or ())
    if kind is ast.Assign:
        target = stmt.target
        return type(target) is ast.Name and target.id not in outer and bounded(stmt.value)
    return kind in (ast.Return, ast.Throw, ast.ExprStmt) and bounded(stmt)
