"""Code generation: the checked ML tree to a Python ``ast.Module``.

The generated tree is compiled with the ML file name, and every node carries the line and
column of the ML code it came from, so tracebacks, debuggers and mlpy's own error reports
point at ML source; ``mlpy transpile`` prints ``ast.unparse`` of the same tree.

The program's top level becomes the module body; ML functions become Python functions and
arrow functions become lambdas (or, with a block body, nested ``def``s hoisted right before
the statement that contains them). Code generated here refers to the runtime only through the
names in :data:`HELPERS`, which the program binds in the namespace's builtins; ML code cannot
name them, because identifiers starting with ``__`` are refused by the checks.

The generator is split by concern: :mod:`.statements`, :mod:`.expressions` and
:mod:`.functions` each add the methods for their part of the tree.
"""

from __future__ import annotations

import ast as py
from typing import Any

from mlpy.errors import Span
from mlpy.language import ast
from mlpy.language.checks import Analysis, Scope
from mlpy.language.codegen.expressions import ExpressionsMixin
from mlpy.language.codegen.functions import FunctionsMixin, NumericFunctions
from mlpy.language.codegen.names import (  # noqa: F401 - the codegen API
    HELPERS, KEYWORD_PREFIX, LAST, SELF_PREFIX, TICK_VAR, TICKER_VAR, ml_name, py_name,
)
from mlpy.language.codegen.statements import StatementsMixin


class Generator(StatementsMixin, ExpressionsMixin, FunctionsMixin):
    def __init__(self, analysis: Analysis, *, ticks: bool = True, unit: str = ""):
        self.analysis = analysis
        self.ticks = ticks
        self.unit = unit  # makes hidden names unique among the chunks run in one namespace
        self.scope: Scope = analysis.root
        self.prelude: list[py.stmt] = []
        self.counter = 0
        self.chained: dict[int, py.expr] = {}  # id(link of a long chain) -> its code
        # Whether the code being generated runs after its function's first tick, which keeps
        # the ticker in a local variable (TICKER_VAR) for the function's loops.
        self.ticker_held = False
        # The parameters taken to hold numbers while NumericFunctions checks a function.
        self.assumed_numbers: set[str] = set()
        self.numeric_functions = NumericFunctions(self)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def at(span: Span, node: Any) -> Any:
        """Stamp ``node`` with the ML position ``span`` (children inherit it later)."""
        node.lineno = span.line
        node.col_offset = span.column - 1
        node.end_lineno = span.end_line
        node.end_col_offset = span.end_column
        return node

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"__ml_{stem}{self.counter}"

    @staticmethod
    def load(name: str) -> py.Name:
        return py.Name(id=name, ctx=py.Load())

    @staticmethod
    def store(name: str) -> py.Name:
        return py.Name(id=name, ctx=py.Store())

    def helper(self, key: str) -> py.Name:
        return self.load(HELPERS[key])

    def helper_call(self, key: str, *args: py.expr) -> py.Call:
        return py.Call(func=self.helper(key), args=list(args), keywords=[])

    def ticker(self) -> py.expr:
        """The running execution's ticker: ``__ml_T()``, or in a function after its first
        tick, the one that tick took (an invocation runs in one execution, start to end)."""
        if self.ticker_held:
            return self.load(TICKER_VAR)
        return self.helper_call("ticker")

    def tick_stmt(self) -> py.stmt:
        """A function's first step: ``for __ml_tick in (__ml_t := __ml_T()): break``."""
        held = py.NamedExpr(target=self.store(TICKER_VAR), value=self.helper_call("ticker"))
        return py.For(target=self.store(TICK_VAR), iter=held, body=[py.Break()], orelse=[])

    def module(self) -> py.Module:
        program = self.analysis.program
        body = self.block(program.body)
        if program.body and isinstance(program.body[-1], ast.ExprStmt):
            last = body[-1]
            if isinstance(last, py.Expr):
                body[-1] = py.copy_location(
                    py.Assign(targets=[self.store(LAST)], value=last.value), last
                )
        module = py.Module(body=body, type_ignores=[])
        fill_positions(module)
        return module


def fill_positions(tree: py.AST) -> None:
    """Give every node without a position its parent's (a lean ``ast.fix_missing_locations``)."""
    AST, context = py.AST, py.expr_context
    stack: list[tuple[py.AST, tuple[int, int, int, int]]] = [(tree, (1, 0, 1, 0))]
    pop, push = stack.pop, stack.append
    while stack:
        node, position = pop()
        if node._attributes:
            try:
                position = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
            except AttributeError:
                (node.lineno, node.col_offset, node.end_lineno,
                 node.end_col_offset) = position
        for field in node._fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push((item, position))
            elif isinstance(value, AST) and not isinstance(value, context):
                push((value, position))


def generate(analysis: Analysis, *, ticks: bool = True, unit: str = "") -> py.Module:
    """The Python module for a checked program (``ticks=False`` leaves out the limit hooks;
    ``unit`` tells apart the hidden names of programs that share a namespace)."""
    return Generator(analysis, ticks=ticks, unit=unit).module()
