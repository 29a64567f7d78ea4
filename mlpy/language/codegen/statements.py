"""Statements: assignment, control flow, loops with their ticks, try/except, throw, imports."""

from __future__ import annotations

import ast as py

from mlpy.language import ast
from mlpy.language.ast import CHAIN_STEP
from mlpy.language.checks import module_var
from mlpy.language.codegen.names import TICK_VAR


class StatementsMixin:
    def block(self, body: list[ast.Stmt]) -> list[py.stmt]:
        """Generate a statement list; hoisted definitions go right before their statement."""
        saved = self.prelude
        out: list[py.stmt] = []
        for stmt in body:
            self.prelude = []
            generated = self.statement(stmt)
            out.extend(self.prelude)
            out.extend(generated)
        self.prelude = saved
        return out

    def body_or_pass(self, body: list[ast.Stmt], span) -> list[py.stmt]:
        return self.block(body) or [self.at(span, py.Pass())]

    def statement(self, stmt: ast.Stmt) -> list[py.stmt]:
        method = getattr(self, "stmt_" + type(stmt).__name__)
        return method(stmt)

    # ------------------------------------------------------------------ simple statements

    def stmt_ExprStmt(self, stmt: ast.ExprStmt) -> list[py.stmt]:
        return [self.at(stmt.span, py.Expr(value=self.expr(stmt.value)))]

    def stmt_Assign(self, stmt: ast.Assign) -> list[py.stmt]:
        value = self.expr(stmt.value)
        target = stmt.target
        if type(target) is ast.Name:
            return [self.at(stmt.span, py.Assign(targets=[self.target_name(target)],
                                                 value=self.guarded(target.id, value)))]
        if type(target) is ast.Member:
            node = py.Subscript(value=self.receiver(target.target),
                                slice=self.at(target.name_span, py.Constant(target.name)),
                                ctx=py.Store())
        elif type(target) is ast.Index:
            node = py.Subscript(value=self.receiver(target.target),
                                slice=self.expr(target.index), ctx=py.Store())
        else:
            return self.slice_assignment(stmt, target, value)
        return [self.at(stmt.span, py.Assign(targets=[self.at(target.span, node)], value=value))]

    def slice_assignment(self, stmt: ast.Assign, target: ast.Slice,
                         value: py.expr) -> list[py.stmt]:
        """`a[i:j] = v` through a helper that keeps the array within the size limit (the
        value is evaluated first, as Python does)."""
        temp = self.fresh("value")
        bounds = self.slice_of(target)
        parts = [part if part is not None else py.Constant(None)
                 for part in (bounds.lower, bounds.upper, bounds.step)]
        call = self.helper_call("set_slice", self.receiver(target.target), *parts,
                                self.load(temp))
        return [self.at(stmt.span, py.Assign(targets=[self.store(temp)], value=value)),
                self.at(stmt.span, py.Expr(value=self.at(target.span, call)))]

    def target_name(self, name: ast.Name) -> py.Name:
        return self.at(name.span, self.store(self.name_of(name.id)))

    def guarded(self, name: str, value: py.expr) -> py.expr:
        """Stores to a name other chunks may call natively must not bind a host callable."""
        if self.analysis.store_guarded(self.scope, name):
            return self.helper_call("guard", value)
        return value

    def rebind_guard(self, name: ast.Name) -> list[py.stmt]:
        if not self.analysis.store_guarded(self.scope, name.id):
            return []
        target = self.name_of(name.id)
        return [self.at(name.span, py.Assign(
            targets=[self.store(target)], value=self.helper_call("guard", self.load(target))
        ))]

    def stmt_Destructure(self, stmt: ast.Destructure) -> list[py.stmt]:
        value = self.expr(stmt.value)
        if stmt.kind == "array":
            targets = py.Tuple(elts=[self.target_name(n) for n in stmt.names], ctx=py.Store())
            out = [self.at(stmt.span, py.Assign(targets=[targets], value=value))]
        else:
            temp = self.fresh("value")
            out = [self.at(stmt.span, py.Assign(targets=[self.store(temp)], value=value))]
            for name in stmt.names:
                pick = py.Subscript(value=self.load(temp), slice=py.Constant(name.id),
                                    ctx=py.Load())
                out.append(self.at(name.span, py.Assign(targets=[self.target_name(name)],
                                                        value=pick)))
        for name in stmt.names:
            out.extend(self.rebind_guard(name))
        return out

    def stmt_Return(self, stmt: ast.Return) -> list[py.stmt]:
        value = self.expr(stmt.value) if stmt.value is not None else None
        if self.scope is self.analysis.root:  # a top-level return ends the program
            exit_call = self.helper_call("exit", *([value] if value is not None else []))
            return [self.at(stmt.span, py.Raise(exc=exit_call, cause=None))]
        return [self.at(stmt.span, py.Return(value=value))]

    def stmt_Throw(self, stmt: ast.Throw) -> list[py.stmt]:
        error = self.helper_call("throw", self.expr(stmt.value))
        return [self.at(stmt.span, py.Raise(exc=self.at(stmt.span, error), cause=None))]

    def stmt_Break(self, stmt: ast.Break) -> list[py.stmt]:
        return [self.at(stmt.span, py.Break())]

    def stmt_Continue(self, stmt: ast.Continue) -> list[py.stmt]:
        return [self.at(stmt.span, py.Continue())]

    def stmt_Nonlocal(self, stmt: ast.Nonlocal) -> list[py.stmt]:
        return []  # declared at the top of the function (see functions.py)

    def stmt_Import(self, stmt: ast.Import) -> list[py.stmt]:
        plan = self.analysis.import_plans.get(id(stmt), ("builtin",))
        if plan[0] == "builtin":
            load = self.helper("builtin")
        elif plan[0] == "bridge":
            load = self.helper_call("import", py.Constant(plan[1]))
        elif plan[0] == "ml":
            load = self.helper_call("import_ml", py.Constant(plan[1]))
        else:  # a package: the modules imported under its name so far
            load = self.helper_call("import_package", py.Constant(plan[1]),
                                    py.Constant(plan[2]))
        targets = [self.store(self.name_of(stmt.bound_name))]
        if plan[0] == "bridge" and self.analysis.session:  # see expressions.still_imported
            targets.append(self.store(module_var(plan[1])))
        return [self.at(stmt.span, py.Assign(targets=targets, value=load))]

    def stmt_CapabilityDecl(self, stmt: ast.CapabilityDecl) -> list[py.stmt]:
        return []  # no code: the engine checks the request before the program starts

    # ------------------------------------------------------------------ control flow

    def stmt_If(self, stmt: ast.If) -> list[py.stmt]:
        otherwise = self.block(stmt.otherwise) if stmt.otherwise else []
        if len(stmt.branches) <= CHAIN_STEP:
            return [self.at(stmt.span, self.if_chain(stmt.branches, otherwise, stmt.span))]
        # Python's compiler recurses along an `elif` chain, so a long one runs in groups of
        # CHAIN_STEP branches: a group where no test holds sets `rest`, and only then does
        # the next group run.
        rest = self.fresh("rest")

        def flag(value: bool) -> py.stmt:
            return self.at(stmt.span, py.Assign(targets=[self.store(rest)],
                                                value=py.Constant(value)))

        out = [flag(False)]
        for start in range(0, len(stmt.branches), CHAIN_STEP):
            group = stmt.branches[start:start + CHAIN_STEP]
            last = start + CHAIN_STEP >= len(stmt.branches)
            span = group[0][0].span
            node = self.at(span, self.if_chain(group, otherwise if last else [flag(True)], span))
            if start == 0:
                out.append(node)
            else:
                out.append(self.at(span, py.If(test=self.load(rest), body=[flag(False), node],
                                               orelse=[])))
        return out

    def if_chain(self, branches: list, orelse: list[py.stmt], span) -> py.If:
        """``if``, then an ``elif`` for each further branch, then ``orelse``."""
        for test, body in reversed(branches[1:]):
            node = py.If(test=self.expr(test), body=self.body_or_pass(body, test.span),
                         orelse=orelse)
            orelse = [self.at(test.span, node)]
        test, body = branches[0]
        return py.If(test=self.expr(test), body=self.body_or_pass(body, span), orelse=orelse)

    def stmt_While(self, stmt: ast.While) -> list[py.stmt]:
        body = self.block(stmt.body)
        always = isinstance(stmt.test, ast.Boolean) and stmt.test.value
        if not self.ticks:
            test = py.Constant(True) if always else self.expr(stmt.test)
            return [self.at(stmt.span, py.While(test=test, body=body or [py.Pass()], orelse=[]))]
        # `for _ in ticker: if not test: break` ticks once per iteration at C speed.
        if not always:
            stop = py.If(test=py.UnaryOp(op=py.Not(), operand=self.expr(stmt.test)),
                         body=[py.Break()], orelse=[])
            body.insert(0, self.at(stmt.test.span, stop))
        loop = py.For(target=self.store(TICK_VAR), iter=self.ticker(),
                      body=body or [py.Pass()], orelse=[])
        return [self.at(stmt.span, loop)]

    def loop_range(self, node: ast.Expr) -> bool:
        """Whether ``node`` is a call of the builtin ``range`` (unless a session rebinds it:
        the helper tests that) -- what a for loop can iterate without the array."""
        return (type(node) is ast.Call and type(node.callee) is ast.Name
                and node.callee.id == "range" and id(node) in self.analysis.direct_calls
                and self.scope.owner_of("range") is None)

    def stmt_For(self, stmt: ast.For) -> list[py.stmt]:
        if self.loop_range(stmt.iterable):
            call = stmt.iterable
            iterable = self.at(call.span, self.helper_call(
                "range", self.expr(call.callee), *(self.expr(arg) for arg in call.args)))
        else:
            iterable = self.expr(stmt.iterable)
        if self.ticks:  # compress(seq, ticker) yields seq's items, one tick each
            iterable = self.at(stmt.iterable.span,
                               self.helper_call("compress", iterable, self.ticker()))
        body = self.rebind_guard(stmt.var) + self.block(stmt.body)
        loop = py.For(target=self.target_name(stmt.var), iter=iterable,
                      body=body or [py.Pass()], orelse=[])
        return [self.at(stmt.span, loop)]

    def stmt_Try(self, stmt: ast.Try) -> list[py.stmt]:
        body = self.body_or_pass(stmt.body, stmt.span)
        handlers = []
        if stmt.handlers:
            handler = stmt.handlers[0]  # the first clause catches everything
            caught = self.fresh("exc")
            bind = self.helper_call("catch", self.load(caught))
            if handler.name is not None:
                first = py.Assign(targets=[self.target_name(handler.name)], value=bind)
            else:
                first = py.Expr(value=bind)
            inner = [self.at(handler.span, first)]
            if handler.name is not None:
                inner.extend(self.rebind_guard(handler.name))
            inner.extend(self.block(handler.body))
            handlers.append(self.at(handler.span, py.ExceptHandler(
                type=self.helper("Exception"), name=caught, body=inner,
            )))
        final = self.block(stmt.final) if stmt.final else []
        if not final:
            if not handlers:
                return body
            return [self.at(stmt.span, py.Try(body=body, handlers=handlers, orelse=[],
                                              finalbody=[]))]
        if handlers:  # the except block may raise too: its error passes the note below
            body = [self.at(stmt.span, py.Try(body=body, handlers=handlers, orelse=[],
                                              finalbody=[]))]
        # A limit on its way to `finally` is recorded as tripped first, so a return, break
        # or continue there cannot swallow it (nor an error it throws replace it).
        caught = self.fresh("exc")
        note = py.Expr(value=self.helper_call("unwinding", self.load(caught)))
        unwinding = self.at(stmt.span, py.ExceptHandler(
            type=self.helper("BaseException"), name=caught, body=[note, py.Raise()]))
        return [self.at(stmt.span, py.Try(body=body, handlers=[unwinding], orelse=[],
                                          finalbody=final))]
