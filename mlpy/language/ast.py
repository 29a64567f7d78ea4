"""The ML syntax tree.

Every node carries a :class:`~mlpy.errors.Span` (1-based line and column of its first and
last character), so every later pass -- checks, code generation, runtime errors -- can point
at the exact ML source. Nodes are plain slotted dataclasses; the passes dispatch on their type.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from mlpy.errors import Span


@dataclass(slots=True, eq=False)
class Node:
    span: Span


# ------------------------------------------------------------------------------- expressions


@dataclass(slots=True, eq=False)
class Expr(Node):
    pass


@dataclass(slots=True, eq=False)
class Number(Expr):
    value: int | float


@dataclass(slots=True, eq=False)
class String(Expr):
    value: str


@dataclass(slots=True, eq=False)
class Boolean(Expr):
    value: bool


@dataclass(slots=True, eq=False)
class Null(Expr):
    pass


@dataclass(slots=True, eq=False)
class Name(Expr):
    id: str


@dataclass(slots=True, eq=False)
class Array(Expr):
    items: list[Expr]


@dataclass(slots=True, eq=False)
class Object(Expr):
    pairs: list[tuple[str, Expr]]


@dataclass(slots=True, eq=False)
class Binary(Expr):
    op: str  # one of + - * / // %
    left: Expr
    right: Expr
    # Whether this `+` follows the string-literal rule (see could_be_string): worked out
    # once, when the node is built from its operands, so no pass walks a chain to know it.
    joins_text: bool = field(init=False)

    def __post_init__(self) -> None:
        self.joins_text = self.op == "+" and (
            could_be_string(self.left) or could_be_string(self.right))


@dataclass(slots=True, eq=False)
class Compare(Expr):
    op: str  # one of == != < > <= >=
    left: Expr
    right: Expr


@dataclass(slots=True, eq=False)
class Logical(Expr):
    op: str  # && or ||
    left: Expr
    right: Expr


@dataclass(slots=True, eq=False)
class Unary(Expr):
    op: str  # ! or -
    operand: Expr


@dataclass(slots=True, eq=False)
class Ternary(Expr):
    test: Expr
    then: Expr
    otherwise: Expr


@dataclass(slots=True, eq=False)
class Call(Expr):
    callee: Expr
    args: list[Expr]


@dataclass(slots=True, eq=False)
class Index(Expr):
    target: Expr
    index: Expr


@dataclass(slots=True, eq=False)
class Slice(Expr):
    target: Expr
    start: Expr | None
    stop: Expr | None
    step: Expr | None


@dataclass(slots=True, eq=False)
class Member(Expr):
    target: Expr
    name: str
    name_span: Span


@dataclass(slots=True, eq=False)
class Param(Node):
    name: str
    annotation: str | None = None


@dataclass(slots=True, eq=False)
class Arrow(Expr):
    params: list[Param]
    body: Expr | list[Stmt]  # an expression, or the statements of a block body


# ------------------------------------------------------------------------------- statements


@dataclass(slots=True, eq=False)
class Stmt(Node):
    pass


@dataclass(slots=True, eq=False)
class ExprStmt(Stmt):
    value: Expr


@dataclass(slots=True, eq=False)
class Assign(Stmt):
    target: Expr  # Name, Index, Slice or Member
    value: Expr


@dataclass(slots=True, eq=False)
class Destructure(Stmt):
    kind: str  # "array" (by position) or "object" (by key)
    names: list[Name]
    value: Expr


@dataclass(slots=True, eq=False)
class FunctionDef(Stmt):
    name: str
    name_span: Span
    params: list[Param]
    body: list[Stmt]


@dataclass(slots=True, eq=False)
class If(Stmt):
    branches: list[tuple[Expr, list[Stmt]]]  # if and every elif, in order
    otherwise: list[Stmt] | None


@dataclass(slots=True, eq=False)
class While(Stmt):
    test: Expr
    body: list[Stmt]


@dataclass(slots=True, eq=False)
class For(Stmt):
    var: Name
    iterable: Expr
    body: list[Stmt]


@dataclass(slots=True, eq=False)
class Return(Stmt):
    value: Expr | None


@dataclass(slots=True, eq=False)
class Throw(Stmt):
    value: Expr


@dataclass(slots=True, eq=False)
class Except(Node):
    name: Name | None
    body: list[Stmt]


@dataclass(slots=True, eq=False)
class Try(Stmt):
    body: list[Stmt]
    handlers: list[Except]
    final: list[Stmt] | None


@dataclass(slots=True, eq=False)
class Break(Stmt):
    pass


@dataclass(slots=True, eq=False)
class Continue(Stmt):
    pass


@dataclass(slots=True, eq=False)
class Nonlocal(Stmt):
    names: list[Name]


@dataclass(slots=True, eq=False)
class Import(Stmt):
    path: list[str]  # ["lib", "geometry"] for `import lib.geometry;`
    alias: str | None

    @property
    def module(self) -> str:
        return ".".join(self.path)

    @property
    def bound_name(self) -> str:
        """The ML name the import binds: the alias, else the first path segment."""
        return self.alias or self.path[0]


@dataclass(slots=True, eq=False)
class CapabilityDecl(Stmt):
    """`capability Name { resource "..."; allow read "..."; }`: a request the host's grants are
    checked against before the program starts (see ``Program.requests``); never a grant."""

    name: str
    resources: list[String] = field(default_factory=list)
    allows: list[tuple[str, String | None, Span]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Program(Node):
    body: list[Stmt]


def could_be_string(expr: Expr) -> bool:
    """The string-literal rule for `+`: a string literal, or a `+` with such an operand."""
    kind = type(expr)
    return kind is String or (kind is Binary and expr.joins_text)


def literal_kind(expr: Expr) -> str:
    """What a value is known to be from its syntax alone: array, object, string or any."""
    kind = type(expr)
    if kind is Array:
        return "array"
    if kind is Object:
        return "object"
    if kind is String or could_be_string(expr):
        return "string"
    return "any"


# ------------------------------------------------------------------------------- chains
#
# A chain is a run of operations each applied to the result of the one before: `a + b + c`
# (through the left operands), `a.b.c`, `x[0][1]`, `f()()`, `s.strip().lower()`. Written
# flat, a chain can be as long as the program, so no pass may recurse along one: the depth
# limit of the parser counts a chain as CHAIN_STEP levels at most, and code generation
# evaluates a long chain in steps of CHAIN_STEP links (see codegen/expressions.py).

CHAIN_STEP = 16

_CHAINING = (Binary, Compare, Logical, Member, Index, Slice, Call)


def chain_link(node: Node) -> Expr | None:
    """The operand through which ``node`` continues a chain, or None.

    That operand is always the first thing ``node`` evaluates. A method call `o.m(...)` is one
    link, from `o`. A `+` under the string-literal rule is no link: its operands are joined
    flat, however many there are.
    """
    kind = type(node)
    if kind is Binary:
        link = None if node.joins_text else node.left
    elif kind is Compare or kind is Logical:
        link = node.left
    elif kind is Member or kind is Index or kind is Slice:
        link = node.target
    elif kind is Call:
        link = node.callee.target if type(node.callee) is Member else node.callee
    else:
        return None
    if type(link) not in _CHAINING or (type(link) is Binary and link.joins_text):
        return None
    return link



def walk(node: Node):
    """Every node of the tree below ``node`` (itself included), parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        children: list[Node] = []
        for item in fields(current):
            _collect(getattr(current, item.name), children)
        stack.extend(reversed(children))


def _collect(value: object, into: list[Node]) -> None:
    if isinstance(value, Node):
        into.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect(item, into)
