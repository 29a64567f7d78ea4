"""Expressions: native Python operations wherever ML and Python agree, helpers elsewhere.

Member reads and method calls on a plain name get an inline fast path: the common case
(an object's key, a list or string method) runs natively after a one-instruction type test,
and anything else falls back to the runtime helper, which applies the full allow-list.

Members of a module are plain attributes of its module object. They are used natively where
the checks proved that the name holds the module (its import is its only binding). In a
session, where a later chunk or the host may rebind any top-level name, the members of a
Python module are used natively after an identity test: the name still holds the very object
its import bound (which the import also stored in a hidden variable). Anything else goes
through the helpers and their allow-list.
"""

from __future__ import annotations

import ast as py

from mlpy.language import ast
from mlpy.language.ast import could_be_string
from mlpy.language.checks import module_var
from mlpy.language.codegen.names import py_name

BINARY = {"+": py.Add, "-": py.Sub, "*": py.Mult, "/": py.Div, "//": py.FloorDiv, "%": py.Mod}
COMPARE = {"==": py.Eq, "!=": py.NotEq, "<": py.Lt, ">": py.Gt, "<=": py.LtE, ">=": py.GtE}

# Methods whose receiver type the fast path tests for. The rest goes through the helper,
# including the methods whose result can grow far beyond the receiver (replace, join,
# center, ljust, rjust, extend, copy), which the runtime checks against the size limits, and
# those whose comparisons can take long (index, count, remove, sort), which it measures.
LIST_FAST = frozenset("append insert pop reverse clear".split())
STRING_FAST = frozenset(
    "upper lower strip lstrip rstrip split rsplit startswith endswith find rfind "
    "index rindex count isdigit isalpha isalnum isspace istitle isupper islower capitalize "
    "title swapcase".split()
)


def concatenated(node: ast.Expr) -> list[ast.Expr]:
    """The operands of a chain of string-rule `+`, left to right."""
    parts: list[ast.Expr] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if type(item) is ast.Binary and item.op == "+" and could_be_string(item):
            stack.append(item.right)
            stack.append(item.left)
        else:
            parts.append(item)
    return parts


def small_factor(node: ast.Binary) -> bool:
    """Whether a product is cheap for sure: a number literal of at most 1000 times anything
    that is not a sequence literal (growth by a bounded factor), or two number literals."""
    left, right = node.left, node.right
    literal = [side for side in (left, right) if type(side) is ast.Number]
    if len(literal) == 2:
        return True
    if not literal or abs(literal[0].value) > 1000:
        return False
    other = right if literal[0] is left else left
    return type(other) not in (ast.String, ast.Array)


class ExpressionsMixin:
    name_of = staticmethod(py_name)

    def expr(self, node: ast.Expr) -> py.expr:
        method = getattr(self, "expr_" + type(node).__name__)
        return self.at(node.span, method(node))

    # ------------------------------------------------------------------ atoms

    def expr_Number(self, node: ast.Number) -> py.expr:
        return py.Constant(node.value)

    def expr_String(self, node: ast.String) -> py.expr:
        return py.Constant(node.value)

    def expr_Boolean(self, node: ast.Boolean) -> py.expr:
        return py.Constant(node.value)

    def expr_Null(self, node: ast.Null) -> py.expr:
        return py.Constant(None)

    def expr_Name(self, node: ast.Name) -> py.expr:
        if self.analysis.module_refs.get(id(node)) == "builtin":
            return self.helper("builtin")
        if id(node) in self.analysis.null_names:
            return py.Constant(None)
        return self.load(self.name_of(node.id))

    def expr_Array(self, node: ast.Array) -> py.expr:
        return py.List(elts=[self.expr(item) for item in node.items], ctx=py.Load())

    def expr_Object(self, node: ast.Object) -> py.expr:
        return py.Dict(keys=[py.Constant(key) for key, _ in node.pairs],
                       values=[self.expr(value) for _, value in node.pairs])

    # ------------------------------------------------------------------ operators

    def expr_Binary(self, node: ast.Binary) -> py.expr:
        if node.op == "+" and could_be_string(node):
            return self.concatenation(node)
        if node.op == "+":
            return self.addition(node)
        if node.op == "*" and not small_factor(node):
            return self.helper_call("mul", self.expr(node.left), self.expr(node.right))
        if node.op == "%" and not self.numeric(node.left):
            return self.modulo(node)
        return py.BinOp(left=self.expr(node.left), op=BINARY[node.op](),
                        right=self.expr(node.right))

    def concatenation(self, node: ast.Binary) -> py.expr:
        """`+` next to a string literal. With at most one operand that is not a literal the
        result grows by a literal's length at most, so it is built natively; joining two or
        more values goes through a helper that checks the size of the result."""
        parts = concatenated(node)
        values = [part for part in parts if type(part) is not ast.String]
        if len(values) >= 2:
            return self.helper_call("concat", *[self.expr(part) for part in parts])
        return py.BinOp(left=self.text(node.left), op=py.Add(), right=self.text(node.right))

    def addition(self, node: ast.Binary) -> py.expr:
        """`+` of numbers natively; of strings or arrays through a size check (a sequence
        added to itself doubles: the check stops that before memory runs out)."""
        left, right = node.left, node.right
        native = py.BinOp(left=self.expr(left), op=py.Add(), right=self.expr(right))
        if ast.Number in (type(left), type(right)) or ast.Array in (type(left), type(right)):
            return native  # a number, or growth by a literal's length
        if type(left) is ast.Name and self.known(left) == "number":
            return native
        first, again = self.tested_operand(left)
        if type(left) is not ast.Name:
            native = py.BinOp(left=again, op=py.Add(), right=self.expr(right))
        # `(c := x.__class__) is int or c is float`: two identity tests, the cheapest way to
        # let numbers through (a containment test on a tuple of types costs twice as much).
        kind = self.fresh("class")
        is_int = py.Compare(
            left=py.NamedExpr(target=self.store(kind),
                              value=py.Attribute(value=first, attr="__class__", ctx=py.Load())),
            ops=[py.Is()], comparators=[self.helper("int")])
        is_float = py.Compare(left=self.load(kind), ops=[py.Is()],
                              comparators=[self.helper("float")])
        checked = self.helper_call("add", again, self.expr(right))
        return py.IfExp(test=py.BoolOp(op=py.Or(), values=[is_int, is_float]), body=native,
                        orelse=checked)

    def tested_operand(self, node: ast.Expr) -> tuple[py.expr, py.expr]:
        """An operand used twice -- in a type test, then in the operation it guards: a name
        is simply read twice, anything else is evaluated once into a temporary."""
        if type(node) is ast.Name:
            return self.expr(node), self.expr(node)
        temp = self.fresh("left")
        return (py.NamedExpr(target=self.store(temp), value=self.expr(node)),
                self.load(temp))

    def modulo(self, node: ast.Binary) -> py.expr:
        """`%` natively unless the left operand is a string: formatting goes through a
        helper that shows ML values and checks widths against the size limit."""
        left, right = node.left, node.right
        if type(left) is ast.String:
            return self.helper_call("mod", self.expr(left), self.expr(right))
        first, again = self.tested_operand(left)
        not_text = py.Compare(left=py.Attribute(value=first, attr="__class__", ctx=py.Load()),
                              ops=[py.IsNot()], comparators=[self.helper("S")])
        native = py.BinOp(left=again, op=py.Mod(), right=self.expr(right))
        return py.IfExp(test=not_text, body=native,
                        orelse=self.helper_call("mod", again, self.expr(right)))

    def text(self, node: ast.Expr) -> py.expr:
        """An operand of a concatenation, as display text (D3)."""
        if type(node) is ast.String or could_be_string(node):
            return self.expr(node)
        value = self.expr(node)
        if type(node) is ast.Name and self.known(node) == "string":
            return value
        if type(node) is ast.Name:  # skip the call when it already is a string
            test = py.Compare(left=py.Attribute(value=value, attr="__class__", ctx=py.Load()),
                              ops=[py.Is()], comparators=[self.helper("S")])
            return self.at(node.span, py.IfExp(test=test, body=self.expr(node),
                                               orelse=self.helper_call("str", self.expr(node))))
        return self.at(node.span, self.helper_call("str", value))

    def expr_Compare(self, node: ast.Compare) -> py.expr:
        return py.Compare(left=self.expr(node.left), ops=[COMPARE[node.op]()],
                          comparators=[self.expr(node.right)])

    def expr_Logical(self, node: ast.Logical) -> py.expr:
        op = py.And() if node.op == "&&" else py.Or()
        return py.BoolOp(op=op, values=[self.expr(node.left), self.expr(node.right)])

    def expr_Unary(self, node: ast.Unary) -> py.expr:
        op = py.Not() if node.op == "!" else py.USub()
        return py.UnaryOp(op=op, operand=self.expr(node.operand))

    def expr_Ternary(self, node: ast.Ternary) -> py.expr:
        return py.IfExp(test=self.expr(node.test), body=self.expr(node.then),
                        orelse=self.expr(node.otherwise))

    # ------------------------------------------------------------------ indexing

    def receiver(self, node: ast.Expr) -> py.expr:
        """The value an index or slice applies to. A literal goes through an identity helper:
        Python would warn at compile time about some subscripts of literals (`0[0]`,
        `"a"[0.5]`), and ML reports those when they run instead."""
        value = self.expr(node)
        if isinstance(value, (py.Constant, py.List, py.Dict)):
            return self.at(node.span, self.helper_call("value", value))
        return value

    def expr_Index(self, node: ast.Index) -> py.expr:
        return py.Subscript(value=self.receiver(node.target), slice=self.expr(node.index),
                            ctx=py.Load())

    def slice_of(self, node: ast.Slice) -> py.Slice:
        part = lambda e: self.expr(e) if e is not None else None  # noqa: E731
        return py.Slice(lower=part(node.start), upper=part(node.stop), step=part(node.step))

    def expr_Slice(self, node: ast.Slice) -> py.expr:
        return py.Subscript(value=self.receiver(node.target), slice=self.slice_of(node),
                            ctx=py.Load())

    # ------------------------------------------------------------------ members

    def module_call(self, target: ast.Expr, name: str, ml_args: list[ast.Expr],
                    args: list[py.expr], func: py.expr) -> py.expr:
        """A native call of a module function (or its native equivalent)."""
        inline = self.intrinsic(self.analysis.module_refs[id(target)], name, ml_args, args)
        return inline if inline is not None else py.Call(func=func, args=args, keywords=[])

    def intrinsic(self, module: str | None, name: str, ml_args: list[ast.Expr],
                  args: list[py.expr]) -> py.expr | None:
        """A native equivalent of a pure module function, when the arguments' kinds prove
        it has exactly the same meaning (``json.get(o, k, d)`` on an object is ``o.get``)."""
        if module != "json" or not ml_args:
            return None
        first = ml_args[0]
        if type(first) is not ast.Name or self.known(first) != "object":
            return None
        if name == "get" and len(args) in (2, 3):
            return py.Call(func=py.Attribute(value=args[0], attr="get", ctx=py.Load()),
                           args=args[1:], keywords=[])
        if name == "hasKey" and len(args) == 2:
            return py.Compare(left=args[1], ops=[py.In()], comparators=[args[0]])
        return None

    def known(self, node: ast.Name) -> str:
        """The kind a local name always holds ("array", "object", "string"), else "any"."""
        return self.analysis.static_kind(self.scope, node.id)

    def numeric(self, node: ast.Expr) -> bool:
        """Whether ``node`` can only be a number (or fail): a number literal, a local known
        to hold numbers, or arithmetic that can yield nothing else."""
        kind = type(node)
        if kind is ast.Number:
            return True
        if kind is ast.Name:
            return self.known(node) == "number"
        if kind is ast.Unary:
            return node.op == "-" and self.numeric(node.operand)
        if kind is not ast.Binary:
            return False
        if node.op in ("-", "/", "//"):  # never text or arrays
            return True
        if node.op == "+":  # a number plus anything but text is a number or an error
            return not could_be_string(node) and (
                self.numeric(node.left) or self.numeric(node.right))
        return self.numeric(node.left) and self.numeric(node.right)

    def is_module(self, node: ast.Expr) -> bool:
        return id(node) in self.analysis.module_refs

    def proven_module(self, node: ast.Expr) -> bool:
        return id(node) in self.analysis.proven_modules

    def still_imported(self, name: ast.Name, fast: py.expr, slow: py.expr) -> py.expr | None:
        """``fast`` if the name still holds the Python module its import bound, else ``slow``
        (None when the name is not such a module name of a session)."""
        if id(name) not in self.analysis.tested_modules:
            return None
        bound = self.load(module_var(self.analysis.module_refs[id(name)]))
        test = py.Compare(left=self.expr(name), ops=[py.Is()], comparators=[bound])
        return py.IfExp(test=test, body=fast, orelse=slow)

    def class_is(self, name: ast.Name, key: str) -> py.expr:
        cls = py.Attribute(value=self.expr(name), attr="__class__", ctx=py.Load())
        return py.Compare(left=cls, ops=[py.Is()], comparators=[self.helper(key)])

    def expr_Member(self, node: ast.Member) -> py.expr:
        target = node.target
        if self.proven_module(target):  # module members are attributes of the module object
            return py.Attribute(value=self.expr(target), attr=node.name, ctx=py.Load())
        slow = self.helper_call("get", self.expr(target), py.Constant(node.name))
        if type(target) is not ast.Name:
            return slow
        if self.is_module(target):
            native = py.Attribute(value=self.expr(target), attr=node.name, ctx=py.Load())
            return self.still_imported(target, native, slow) or slow
        kind = self.known(target)
        if node.name == "length":
            fast = self.helper_call("len", self.expr(target))
            if kind in ("array", "string"):
                return fast
            return py.IfExp(test=self.class_is(target, "L"), body=fast, orelse=slow)
        fast = py.Call(func=py.Attribute(value=self.expr(target), attr="get", ctx=py.Load()),
                       args=[py.Constant(node.name)], keywords=[])
        if kind == "object":
            return fast
        return py.IfExp(test=self.class_is(target, "D"), body=fast, orelse=slow)

    # ------------------------------------------------------------------ calls

    def expr_Call(self, node: ast.Call) -> py.expr:
        args = [self.expr(arg) for arg in node.args]
        callee = node.callee
        if type(callee) is ast.Name:
            if id(node) in self.analysis.direct_calls:
                return py.Call(func=self.expr(callee), args=args, keywords=[])
            return self.helper_call("call", self.expr(callee), *args)
        if type(callee) is ast.Member:
            return self.method_call(node, callee, args)
        return self.helper_call("call", self.expr(callee), *args)

    def method_call(self, call: ast.Call, member: ast.Member, args: list[py.expr]) -> py.expr:
        target, name = member.target, member.name
        if self.proven_module(target):
            func = self.at(member.span, py.Attribute(value=self.expr(target), attr=name,
                                                     ctx=py.Load()))
            if id(call) not in self.analysis.direct_calls:
                return self.helper_call("call", func, *args)
            return self.module_call(target, name, call.args, args, func)
        if type(target) is ast.String and name in STRING_FAST:
            func = py.Attribute(value=self.expr(target), attr=name, ctx=py.Load())
            return py.Call(func=func, args=args, keywords=[])
        slow = self.helper_call("method", self.expr(target), py.Constant(name), *args)
        if type(target) is ast.Name and self.is_module(target):
            func = self.at(member.span, py.Attribute(value=self.expr(target), attr=name,
                                                     ctx=py.Load()))
            fast = self.module_call(target, name, call.args, args, func)
            return self.still_imported(target, fast, slow) or slow
        if type(target) is not ast.Name or (name not in LIST_FAST and name not in STRING_FAST):
            return slow
        kind = "L" if name in LIST_FAST else "S"
        func = py.Attribute(value=self.expr(target), attr=name, ctx=py.Load())
        # The argument nodes appear in both branches; only one branch ever runs.
        fast = py.Call(func=func, args=args, keywords=[])
        if {"L": "array", "S": "string"}[kind] == self.known(target):
            return fast
        return py.IfExp(test=self.class_is(target, kind), body=fast, orelse=slow)

    # ------------------------------------------------------------------ functions

    def expr_Arrow(self, node: ast.Arrow) -> py.expr:
        return self.arrow(node)


