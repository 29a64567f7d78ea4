"""Functions: ``function`` definitions, arrow functions, their scopes and their ticks.

Every ML function invocation that can go on working ticks once (see
:mod:`mlpy.runtime.state`), so recursion is counted like loops are. The tick is placed after
the leading statements that contain no call and no loop: those run in bounded time, so an
invocation that returns from them (the base case of a recursion, a small arrow function)
needs no tick, and one that goes on ticks before it can call or loop. Work stays bounded by
the ticks times the size of the code, and a recursive function's leaves cost nothing. ``nonlocal`` declarations are gathered at the top of the Python
function, as ``global`` when the binding is at the program's top level, because the top level
is the module namespace (which is what lets a session run chunk after chunk as if they were
one program).
"""

from __future__ import annotations

import ast as py

from mlpy.language import ast
from mlpy.language.codegen.names import TICKER


class FunctionsMixin:
    def arguments(self, params: list[ast.Param]) -> py.arguments:
        return py.arguments(
            posonlyargs=[],
            args=[self.at(p.span, py.arg(arg=self.name_of(p.name))) for p in params],
            kwonlyargs=[], kw_defaults=[], defaults=[],
        )

    def function_body(self, node: ast.Node, body: list[ast.Stmt]) -> list[py.stmt]:
        """Declarations, the entry tick and the statements of a function's body."""
        outer, self.scope = self.scope, self.analysis.scopes[id(node)]
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
            split = first_unbounded(body) if self.ticks else len(body)
            out.extend(self.block(body[:split]))
            if split < len(body):
                out.append(self.at(body[split].span, self.tick_stmt()))
                out.extend(self.block(body[split:]))
            if not out:
                out.append(self.at(node.span, py.Pass()))
            return out
        finally:
            self.scope = outer

    def stmt_FunctionDef(self, stmt: ast.FunctionDef) -> list[py.stmt]:
        name = self.name_of(stmt.name)
        node = py.FunctionDef(name=name, args=self.arguments(stmt.params),
                              body=self.function_body(stmt, stmt.body), decorator_list=[],
                              returns=None)
        return [self.at(stmt.span, node)]

    def arrow(self, node: ast.Arrow) -> py.expr:
        if isinstance(node.body, list):
            return self.hoist(node, self.function_body(node, node.body))
        outer, self.scope = self.scope, self.analysis.scopes[id(node)]
        saved, self.prelude = self.prelude, []
        try:
            value = self.expr(node.body)
            inner_prelude = self.prelude
        finally:
            self.scope, self.prelude = outer, saved
        if inner_prelude:  # the body holds a block arrow: this arrow needs statements too
            self.scope = self.analysis.scopes[id(node)]
            try:
                tick = [self.at(node.span, self.tick_stmt())] if self.ticks else []  # has calls
                body = tick + inner_prelude + [self.at(node.body.span, py.Return(value=value))]
            finally:
                self.scope = outer
            return self.hoist(node, body)
        if self.ticks and not bounded(node.body):  # `next(ticker) and body`: ticks yield True
            tick = py.Call(func=self.helper("next"), args=[self.load(TICKER)], keywords=[])
            value = py.BoolOp(op=py.And(), values=[tick, value])
        return py.Lambda(args=self.arguments(node.params), body=value)

    def hoist(self, node: ast.Arrow, body: list[py.stmt]) -> py.expr:
        """Define the arrow as a nested function right before the current statement."""
        name = self.fresh("arrow")
        definition = py.FunctionDef(name=name, args=self.arguments(node.params), body=body,
                                    decorator_list=[], returns=None)
        self.prelude.append(self.at(node.span, definition))
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


def first_unbounded(body: list[ast.Stmt]) -> int:
    """The index of the first statement that may call or loop (len(body) if none does)."""
    for index, stmt in enumerate(body):
        if not bounded(stmt):
            return index
    return len(body)
