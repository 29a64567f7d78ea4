"""Functions: ``function`` definitions, arrow functions, their scopes and their ticks.

Every ML function begins with one tick (see :mod:`mlpy.runtime.state`) so recursion is
counted like loops are. ``nonlocal`` declarations are gathered at the top of the Python
function, as ``global`` when the binding is at the program's top level, because the top level
is the module namespace (which is what lets a session run chunk after chunk as if they were
one program).
"""

from __future__ import annotations

import ast as py

from mlpy.language import ast
from mlpy.language.codegen import TICKER


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
            if self.ticks:
                out.append(self.at(node.span, self.tick_stmt()))
            out.extend(self.block(body))
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
                tick = [self.at(node.span, self.tick_stmt())] if self.ticks else []
                body = tick + inner_prelude + [self.at(node.body.span, py.Return(value=value))]
            finally:
                self.scope = outer
            return self.hoist(node, body)
        if self.ticks:  # `next(ticker) and body`: the tick yields True
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
