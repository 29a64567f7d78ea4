"""Builds the ML syntax tree of :mod:`mlpy.language.ast` while the parser parses.

The parser (:mod:`mlpy.language.lalr`, or lark when it falls back) calls one method per
grammar rule (or ``-> alias``) as it reduces, with the rule's kept children as arguments --
no parse tree is built. Tokens are lark's or :class:`mlpy.language.lalr.Token`: the methods
read only their ``type``, ``value`` and position fields. Positions come from the tokens and from the children's spans, which is why the
grammar keeps the keyword and closing tokens a span needs (``RETURN``, ``RBRACE``, ...).
Binary operators arrive as one flat list and are grouped by precedence here.

Shapes the LALR grammar accepts but ML does not (an assignment to a call, a destructuring
pattern holding a non-name) are refused with the position of the offending part.
"""

from __future__ import annotations

from typing import Any

from mlpy.errors import Span
from mlpy.integers import digits_value
from mlpy.language import ast
from mlpy.language.strings import EscapeError, decode


class TreeError(Exception):
    """A shape the grammar accepts but the language does not; turned into MLSyntaxError."""

    def __init__(self, message: str, span: Span, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint


class Statements(list):
    """A block's statements, remembering where the block ends."""

    end: Span


def token_span(token: Any) -> Span:
    return Span(token.line, token.column, token.end_line, max(token.end_column - 1, token.column))


def span_of(item: Any) -> Span:
    if isinstance(item, Statements):
        return item.end
    if isinstance(item, ast.Node):
        return item.span
    return token_span(item)


def join(first: Any, last: Any) -> Span:
    """The span from ``first``'s start to ``last``'s end (nodes, blocks or tokens; a token's
    position is read as it is, without a span of its own)."""
    if isinstance(first, ast.Node):
        first = first.span
    elif isinstance(first, Statements):
        first = first.end
    if isinstance(last, ast.Node):
        last = last.span
    elif isinstance(last, Statements):
        last = last.end
    elif not isinstance(last, Span):  # a token: its last character
        return Span(first.line, first.column, last.end_line,
                    max(last.end_column - 1, last.column))
    return Span(first.line, first.column, last.end_line, last.end_column)


def string_value(token: Any) -> str:
    try:
        return decode(token.value[1:-1])
    except EscapeError as error:
        line, column = _advance(token.value, error.offset + 1, token.line, token.column)
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

PRECEDENCE = {
    "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6,
}


def _operation(op: str, left: ast.Expr, right: ast.Expr) -> ast.Expr:
    span = join(left, right)
    if op in ("||", "&&"):
        return ast.Logical(span, op, left, right)
    if PRECEDENCE[op] in (3, 4):
        return ast.Compare(span, op, left, right)
    return ast.Binary(span, op, left, right)


class ToAST:
    # --------------------------------------------------------------------- program

    def start(self, *items):
        body = [i for i in items if i is not None]
        span = join(body[0], body[-1]) if body else Span(1, 1, 1, 1)
        return ast.Program(span, body)

    def import_stmt(self, keyword, path, alias):
        end = alias if alias is not None else path[-1]
        return ast.Import(join(keyword, end), [p.value for p in path],
                          alias.value if alias is not None else None)

    def dotted_name(self, *parts):
        return list(parts)

    def capability_decl(self, keyword, name, *items):
        decl = ast.CapabilityDecl(join(keyword, name), name.value)
        for kind, payload in items:
            if kind == "resource":
                decl.resources.append(payload)
            else:
                decl.allows.append(payload)
        return decl

    def cap_resource(self, string):
        return ("resource", ast.String(token_span(string), string_value(string)))

    def cap_allow(self, keyword, permission, target):
        value = ast.String(token_span(target), string_value(target)) if target else None
        return ("allow", (permission.value, value, token_span(permission)))

    # --------------------------------------------------------------------- statements

    def expr_stmt(self, value):
        return ast.ExprStmt(value.span, value)

    def assign_stmt(self, target, value):
        span = join(target, value)
        if isinstance(target, ast.Array):
            return ast.Destructure(span, "array", self._pattern(target), value)
        if isinstance(target, ast.Null):
            raise TreeError("null cannot be assigned", target.span, "choose another name")
        if not isinstance(target, ASSIGNABLE):
            raise TreeError(
                "cannot assign to this expression", target.span,
                "only a name, `a[i]`, `a[i:j]` or `o.key` can be assigned",
            )
        return ast.Assign(span, target, value)

    @staticmethod
    def _pattern(array: ast.Array) -> list[ast.Name]:
        if not array.items:
            raise TreeError("a destructuring pattern needs at least one name", array.span)
        for item in array.items:
            if not isinstance(item, ast.Name):
                raise TreeError(
                    "a destructuring pattern holds plain names only", item.span,
                    "write `[a, b] = value;` and index the parts afterwards",
                )
        return list(array.items)

    def destructure_stmt(self, brace, *rest):
        *names, value = rest
        return ast.Destructure(join(brace, value), "object",
                               [ast.Name(token_span(n), n.value) for n in names], value)

    def function_def(self, keyword, name, params, body):
        return ast.FunctionDef(join(keyword, body), name.value, token_span(name), params or [],
                               body)

    def params(self, *params):
        return list(params)

    def param(self, name, annotation):
        return ast.Param(token_span(name), name.value, annotation.value if annotation else None)

    def block(self, *items):
        *statements, closing = items
        block = Statements(statements)
        block.end = token_span(closing)
        return block

    arrow_block = block

    def if_stmt(self, keyword, test, body, *clauses):
        branches = [(test, body)]
        otherwise = None
        end: Any = body
        for clause in clauses:
            if clause is None:
                continue
            if clause[0] == "elif":
                branches.append((clause[1], clause[2]))
                end = clause[2]
            else:
                otherwise = clause[1]
                end = otherwise
        return ast.If(join(keyword, end), branches, otherwise)

    def elif_clause(self, keyword, test, body):
        return ("elif", test, body)

    def else_clause(self, body):
        return ("else", body)

    def while_stmt(self, keyword, test, body):
        return ast.While(join(keyword, body), test, body)

    def for_stmt(self, keyword, var, iterable, body):
        return ast.For(join(keyword, body), ast.Name(token_span(var), var.value), iterable, body)

    def return_stmt(self, keyword, value, semicolon):
        return ast.Return(join(keyword, semicolon), value)

    def throw_stmt(self, keyword, value):
        return ast.Throw(join(keyword, value), value)

    def try_stmt(self, keyword, body, *rest):
        *handlers, final = rest
        end: Any = final if final is not None else (handlers[-1] if handlers else body)
        return ast.Try(join(keyword, end), body, [h for h in handlers if h is not None], final)

    def except_clause(self, keyword, name, body):
        bound = ast.Name(token_span(name), name.value) if name else None
        return ast.Except(join(keyword, body), bound, body)

    def finally_clause(self, body):
        return body

    def break_stmt(self, keyword, semicolon):
        return ast.Break(join(keyword, semicolon))

    def continue_stmt(self, keyword, semicolon):
        return ast.Continue(join(keyword, semicolon))

    def nonlocal_stmt(self, keyword, *names):
        return ast.Nonlocal(join(keyword, names[-1]),
                            [ast.Name(token_span(n), n.value) for n in names])

    # --------------------------------------------------------------------- expressions

    def arrow(self, keyword, params, body):
        return ast.Arrow(join(keyword, body), params or [], body)

    def ternary(self, test, then, otherwise):
        return ast.Ternary(join(test, otherwise), test, then, otherwise)

    def binary(self, *items):
        operands: list[ast.Expr] = [items[0]]
        operators: list[str] = []

        def reduce() -> None:
            right = operands.pop()
            operands.append(_operation(operators.pop(), operands.pop(), right))

        for index in range(1, len(items), 2):
            op = items[index].value
            while operators and PRECEDENCE[operators[-1]] >= PRECEDENCE[op]:
                reduce()
            operators.append(op)
            operands.append(items[index + 1])
        while operators:
            reduce()
        return operands[0]

    def not_op(self, bang, operand):
        return ast.Unary(join(bang, operand), "!", operand)

    def neg(self, minus, operand):
        return ast.Unary(join(minus, operand), "-", operand)

    def call(self, callee, args, closing):
        return ast.Call(join(callee, closing), callee, args or [])

    def args(self, *args):
        return list(args)

    def index(self, target, index, closing):
        return ast.Index(join(target, closing), target, index)

    def slice(self, target, start, stop, step, closing):
        return ast.Slice(join(target, closing), target, start, stop, step)

    def member(self, target, name):
        return ast.Member(join(target, name), target, name.value, token_span(name))

    def member_name(self, name):
        return name

    def keyword(self, word):
        return word

    def number(self, token):
        text = token.value
        if any(c in text for c in ".eE"):
            return ast.Number(token_span(token), float(text))
        try:
            value = digits_value(text)  # however long: int() stops at 4,300 digits
        except ValueError as error:
            raise TreeError(str(error), token_span(token),
                            hint="keep a number this long as a string") from None
        return ast.Number(token_span(token), value)

    def string(self, token):
        return ast.String(token_span(token), string_value(token))

    def true(self, token):
        return ast.Boolean(token_span(token), True)

    def false(self, token):
        return ast.Boolean(token_span(token), False)

    def name(self, token):
        if token.value == "null":
            return ast.Null(token_span(token))
        return ast.Name(token_span(token), token.value)

    def array(self, opening, *rest):
        *items, closing = rest
        return ast.Array(join(opening, closing), [i for i in items if i is not None])

    def object(self, opening, *rest):
        *pairs, closing = rest
        merged: dict[str, ast.Expr] = {}
        for pair in pairs:
            if pair is not None:
                key, value = pair
                merged[key] = value  # the last duplicate wins, at the first one's position
        return ast.Object(join(opening, closing), list(merged.items()))

    def pair(self, key, value):
        if key.type == "STRING":
            return (string_value(key), value)
        return (key.value, value)
