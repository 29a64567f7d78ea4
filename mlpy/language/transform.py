"""Turns lark's parse tree into the ML syntax tree of :mod:`mlpy.language.ast`.

One method per grammar rule (or ``-> alias``). Shapes the LALR grammar accepts but ML does not
(an assignment to a call, a destructuring pattern holding a non-name) are refused here with the
position of the offending part.
"""

from __future__ import annotations

from lark import Token, Transformer, v_args

from mlpy.errors import Span
from mlpy.language import ast
from mlpy.language.strings import EscapeError, decode


class TreeError(Exception):
    """A shape the grammar accepts but the language does not; turned into MLSyntaxError."""

    def __init__(self, message: str, span: Span, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint


def token_span(token: Token) -> Span:
    return Span(token.line, token.column, token.end_line, max(token.end_column - 1, token.column))


def meta_span(meta) -> Span:
    return Span(meta.line, meta.column, meta.end_line, max(meta.end_column - 1, 1))


def string_value(token: Token) -> str:
    try:
        return decode(token.value[1:-1])
    except EscapeError as error:
        at = token_span(token)
        line, column = _advance(token.value, error.offset + 1, at.line, at.column)
        raise TreeError(str(error), Span(line, column, line, column + 1)) from None


def _advance(text: str, count: int, line: int, column: int) -> tuple[int, int]:
    """The position ``count`` characters into ``text``, which starts at (line, column)."""
    for char in text[:count]:
        if char == "\n":
            line, column = line + 1, 1
        else:
            column += 1
    return line, column


ASSIGNABLE = (ast.Name, ast.Index, ast.Slice, ast.Member)


@v_args(meta=True, inline=True)
class ToAST(Transformer):
    # --------------------------------------------------------------------- program

    @v_args(meta=True, inline=False)
    def start(self, meta, items):
        span = meta_span(meta) if not meta.empty else Span(1, 1, 1, 1)
        return ast.Program(span, list(items))

    def import_stmt(self, meta, path, alias):
        return ast.Import(meta_span(meta), path, alias.value if alias else None)

    @v_args(inline=False)
    def dotted_name(self, parts):
        return [part.value for part in parts]

    @v_args(meta=True, inline=False)
    def capability_decl(self, meta, children):
        name, *items = children
        decl = ast.CapabilityDecl(meta_span(meta), name.value)
        for kind, payload in items:
            if kind == "resource":
                decl.resources.append(payload)
            else:
                decl.allows.append(payload)
        return decl

    def cap_resource(self, meta, string):
        return ("resource", ast.String(token_span(string), string_value(string)))

    def cap_allow(self, meta, permission, target):
        value = ast.String(token_span(target), string_value(target)) if target else None
        return ("allow", (permission.value, value, token_span(permission)))

    # --------------------------------------------------------------------- statements

    def expr_stmt(self, meta, value):
        return ast.ExprStmt(meta_span(meta), value)

    def assign_stmt(self, meta, target, value):
        span = meta_span(meta)
        if isinstance(target, ast.Array):
            return ast.Destructure(span, "array", self._pattern(target.items), value)
        if not isinstance(target, ASSIGNABLE):
            raise TreeError(
                "cannot assign to this expression", target.span,
                "only a name, `a[i]`, `a[i:j]` or `o.key` can be assigned",
            )
        return ast.Assign(span, target, value)

    def _pattern(self, items):
        for item in items:
            if not isinstance(item, ast.Name):
                raise TreeError(
                    "a destructuring pattern holds plain names only", item.span,
                    "write `[a, b] = value;` and index the parts afterwards",
                )
        if not items:
            raise TreeError("a destructuring pattern needs at least one name", Span(1, 1, 1, 1))
        return list(items)

    @v_args(meta=True, inline=False)
    def destructure_stmt(self, meta, children):
        *names, value = children
        return ast.Destructure(
            meta_span(meta), "object", [ast.Name(token_span(n), n.value) for n in names], value
        )

    def function_def(self, meta, name, params, body):
        return ast.FunctionDef(meta_span(meta), name.value, token_span(name), params or [], body)

    @v_args(inline=False)
    def params(self, params):
        return list(params)

    def param(self, meta, name, annotation):
        return ast.Param(token_span(name), name.value, annotation.value if annotation else None)

    @v_args(inline=False)
    def block(self, statements):
        return list(statements)

    arrow_block = block

    @v_args(meta=True, inline=False)
    def if_stmt(self, meta, children):
        test, body, *rest = children
        branches = [(test, body)]
        otherwise = None
        for clause in rest:
            if clause is None:
                continue
            if clause[0] == "elif":
                branches.append(clause[1:])
            else:
                otherwise = clause[1]
        return ast.If(meta_span(meta), branches, otherwise)

    def elif_clause(self, meta, test, body):
        return ("elif", test, body)

    def else_clause(self, meta, body):
        return ("else", body)

    def while_stmt(self, meta, test, body):
        return ast.While(meta_span(meta), test, body)

    def for_stmt(self, meta, var, iterable, body):
        return ast.For(meta_span(meta), ast.Name(token_span(var), var.value), iterable, body)

    def return_stmt(self, meta, value):
        return ast.Return(meta_span(meta), value)

    def throw_stmt(self, meta, value):
        return ast.Throw(meta_span(meta), value)

    @v_args(meta=True, inline=False)
    def try_stmt(self, meta, children):
        body, *rest = children
        final = rest.pop() if rest else None
        handlers = [h for h in rest if h is not None]
        return ast.Try(meta_span(meta), body, handlers, final)

    def except_clause(self, meta, name, body):
        bound = ast.Name(token_span(name), name.value) if name else None
        return ast.Except(meta_span(meta), bound, body)

    def finally_clause(self, meta, body):
        return body

    def break_stmt(self, meta):
        return ast.Break(meta_span(meta))

    def continue_stmt(self, meta):
        return ast.Continue(meta_span(meta))

    @v_args(meta=True, inline=False)
    def nonlocal_stmt(self, meta, names):
        return ast.Nonlocal(meta_span(meta), [ast.Name(token_span(n), n.value) for n in names])

    # --------------------------------------------------------------------- expressions

    def arrow(self, meta, params, body):
        return ast.Arrow(meta_span(meta), params or [], body)

    def ternary(self, meta, test, then, otherwise):
        return ast.Ternary(meta_span(meta), test, then, otherwise)

    def or_op(self, meta, left, right):
        return ast.Logical(meta_span(meta), "||", left, right)

    def and_op(self, meta, left, right):
        return ast.Logical(meta_span(meta), "&&", left, right)

    def compare(self, meta, left, op, right):
        return ast.Compare(meta_span(meta), op.value, left, right)

    def binop(self, meta, left, op, right):
        return ast.Binary(meta_span(meta), op.value, left, right)

    def not_op(self, meta, _bang, operand):
        return ast.Unary(meta_span(meta), "!", operand)

    def neg(self, meta, _minus, operand):
        return ast.Unary(meta_span(meta), "-", operand)

    def call(self, meta, callee, args):
        return ast.Call(meta_span(meta), callee, args or [])

    @v_args(inline=False)
    def args(self, args):
        return list(args)

    def index(self, meta, target, index):
        return ast.Index(meta_span(meta), target, index)

    def slice(self, meta, target, start, stop, step):
        return ast.Slice(meta_span(meta), target, start, stop, step)

    def member(self, meta, target, name):
        return ast.Member(meta_span(meta), target, name.value, token_span(name))

    def member_name(self, meta, name):
        return name

    def keyword(self, meta, word):
        return word

    def number(self, meta, token):
        text = token.value
        if any(c in text for c in ".eE"):
            value: int | float = float(text)
        else:
            value = int(text)
        return ast.Number(token_span(token), value)

    def string(self, meta, token):
        return ast.String(token_span(token), string_value(token))

    def true(self, meta, _token):
        return ast.Boolean(meta_span(meta), True)

    def false(self, meta, _token):
        return ast.Boolean(meta_span(meta), False)

    def name(self, meta, token):
        if token.value in ("null", "undefined"):
            return ast.Null(token_span(token))
        return ast.Name(token_span(token), token.value)

    @v_args(meta=True, inline=False)
    def array(self, meta, items):
        return ast.Array(meta_span(meta), [i for i in items if i is not None])

    @v_args(meta=True, inline=False)
    def object(self, meta, pairs):
        merged: dict[str, ast.Expr] = {}
        for key, value in (p for p in pairs if p is not None):
            merged[key] = value  # the last duplicate wins, at the first one's position
        return ast.Object(meta_span(meta), list(merged.items()))

    def pair(self, meta, key, value):
        if key.type == "STRING":
            return (string_value(key), value)
        return (key.value, value)
