"""Static kinds: which local names of a function always hold one kind of value.

`i = 0; ... i = i + 1;` makes `i` a number, so the code generator can emit its arithmetic
without a type test. The kinds come from a least fixpoint over each name's assignments (see
:func:`infer_kinds`), kept linear by a worklist and a bound on the nodes one value is read
from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlpy.language import ast

if TYPE_CHECKING:
    from mlpy.language.checks import Scope

_ARITHMETIC = {"-", "*", "/", "//"}

# The kind of an expression is worked out from at most this many of its nodes: a longer one
# is "any" (which only costs a fast path), so that inference stays linear.
MAX_KIND_NODES = 32


def expression_kind(expr: ast.Expr, kind_of) -> str | None:
    """What ``expr`` evaluates to: "number", "string", "array", "object", "any", or None
    when it depends on a name whose kind is not known yet (the fixpoint's bottom)."""
    part = _arithmetic_part(expr)
    if part is None:
        return "any"
    kinds: dict[int, str | None] = {}
    for node in reversed(part):  # operands before the operations on them
        kinds[id(node)] = _node_kind(node, kinds, kind_of)
    return kinds[id(expr)]


def _arithmetic_part(expr: ast.Expr) -> list[ast.Expr] | None:
    """The nodes of ``expr`` its kind depends on, parents before children (None when there
    are more than MAX_KIND_NODES)."""
    part = [expr]
    for node in part:  # grows while it is read: a walk in breadth
        if _is_arithmetic(node):
            part.extend((node.operand,) if type(node) is ast.Unary else (node.left, node.right))
            if len(part) > MAX_KIND_NODES:
                return None
    return part


def _is_arithmetic(node: ast.Expr) -> bool:
    """Whether the kind of ``node`` is made from the kinds of its operands."""
    if type(node) is ast.Unary:
        return node.op == "-"
    return type(node) is ast.Binary and not node.joins_text and (
        node.op in _ARITHMETIC or node.op in ("+", "%"))


def _node_kind(node: ast.Expr, kinds: dict[int, str | None], kind_of) -> str | None:
    literal = ast.literal_kind(node)
    if literal != "any":
        return literal
    if type(node) is ast.Number:
        return "number"
    if type(node) is ast.Name:
        return kind_of(node.id)
    if not _is_arithmetic(node):
        return "any"
    if type(node) is ast.Unary:
        inner = kinds[id(node.operand)]
        return inner if inner in (None, "number") else "any"
    left, right = kinds[id(node.left)], kinds[id(node.right)]
    if left is None or right is None:
        return None if "any" not in (left, right) else "any"
    if left == right == "number":
        return "number"
    if node.op == "+" and left == right and left in ("array", "string"):
        return left
    return "any"


def infer_kinds(scope: Scope, counts_integers=None) -> None:
    """Find the local names that always hold one kind of value, by a least fixpoint over
    their assignments: `i = 0; ... i = i + 1;` makes `i` a number. Parameters, except
    variables and names rebound from inner functions hold "any"; so do loop variables,
    except those of the loops ``counts_integers(loop)`` says count (over the builtin range):
    they hold numbers.

    A worklist keeps this linear in the size of the function: a value is worked out again
    only when a name it reads changes, a name changes twice at most (unknown, one kind,
    "any"), and a value reads MAX_KIND_NODES names at most."""
    kinds: dict[str, str | None] = dict.fromkeys(scope.assigned)
    values = [(name, value) for name, assigned in scope.assigned.items() for value in assigned]
    current: list[str | None] = [None] * len(values)  # the kind of each value so far
    found: dict[str, dict[str, int]] = {name: {} for name in kinds}  # kinds of a name's values
    readers: dict[str, list[int]] = {}  # name -> the values that read it

    def kind_of(name: str) -> str | None:  # a nonlocal name is another scope's
        if name not in scope.bindings or name in scope.nonlocals:
            return "any"
        return kinds.get(name, "any")

    def settle(index: int) -> str | None:
        """Work out value ``index`` again; the name it is assigned to, if that changed."""
        name, value = values[index]
        if type(value) is ast.For:  # a loop variable
            new = "number" if counts_integers is not None and counts_integers(value) else "any"
        else:
            new = "any" if value is None else expression_kind(value, kind_of)
        old, current[index] = current[index], new
        counts = found[name]
        if old is not None:
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
        if new is not None:
            counts[new] = counts.get(new, 0) + 1
        joined = (next(iter(counts)) if len(counts) == 1 else "any") if counts else None
        if joined == kinds[name]:
            return None
        kinds[name] = joined
        return name

    for index, (_, value) in enumerate(values):
        part = _arithmetic_part(value) if value is not None and type(value) is not ast.For \
            else None
        for read in {node.id for node in part or () if type(node) is ast.Name}:
            readers.setdefault(read, []).append(index)
    pending = [name for index in range(len(values)) if (name := settle(index)) is not None]
    while pending:
        for index in readers.get(pending.pop(), ()):
            name = settle(index)
            if name is not None:
                pending.append(name)
    scope.kinds = {name: kind for name, kind in kinds.items() if kind not in (None, "any")}
