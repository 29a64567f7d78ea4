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
                out.extend(self.block(body))
            else:
                local = {p.name for p in params} | set(self.scope.nonlocals)
                split = pure_prefix(body, local)
                guarded = self.block(body[:split])
                if split < len(body):
                    guarded.append(self.at(body[split].span, self.tick_stmt()))
                if guarded:
                    out.append(self.at(node.span, self.prologue(guarded, params, self_name)))
                self.ticker_held = split < len(body)
                out.extend(self.block(body[split:]))
            if not out:
                out.append(self.at(node.span, py.Pass()))
            return out
        finally:
            self.scope = outer
            self.ticker_held = outer_held

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
