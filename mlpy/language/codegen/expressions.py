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

Every ML node is generated once, and appears once in the code: an operand that both branches
of such a test use is read from a temporary when it is more than a name or a literal
(generating it twice would double the work, and the code, at every level of nesting).

A chain (`a + b + c ...`, `a.b.c ...`, see ``ast.chain_link``) can be as long as the program,
so a long one is generated from its first link up, without recursion, and evaluated in
steps: every CHAIN_STEP-th link goes to a temporary, `(t := <links>) is t and ... and
<last links, reading t>`. Each link is the first thing its parent evaluates, so evaluating it
one step earlier changes nothing, and the Python tree stays as shallow as Python's compiler
needs.
"""

from __future__ import annotations

import ast as py
import itertools

from mlpy.integers import MAX_INT_BITS
from mlpy.language import ast
from mlpy.language.ast import CHAIN_STEP, could_be_string
from mlpy.language.checks import module_var
from mlpy.language.codegen.names import py_name
from mlpy.runtime.limits import LARGE

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


# Concatenations of at most this many parts are joined natively (a longer one would nest the
# Python tree as deep as it is long).
JOINED_NATIVELY = 16
# The native string methods (STRING_FAST) whose result is always a string.
STRING_RESULTS = frozenset(
    "upper lower strip lstrip rstrip capitalize title swapcase".split())


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


def literal_product(node: ast.Binary) -> bool:
    """Whether a product is of two number literals, so the compiler knows its size. Any
    other operand may be a string, an array or an integer near the size limit, and even a
    small factor compounds in a loop (`s = s * 2;` doubles a string every pass): the
    product goes through ``product``'s tests."""
    return type(node.left) is ast.Number and type(node.right) is ast.Number


# Integers of magnitude below SMALL_INT multiply natively: the product of two has at most 124
# bits, far below the integer size limit (MAX_INT_BITS), so the helper's size check cannot
# refuse it. Two variables are tested against COMPACT instead, the largest integer CPython
# keeps in one digit: comparisons of such integers are specialised, and about 10 ns cheaper
# each, and loop counters and most data are that small. (A variable times a literal is
# tested against SMALL_INT, for a product like an LCG's `x * 1103515245` of 31-bit values.)
SMALL_INT = 1 << 62
COMPACT = (1 << 30) - 1
assert 2 * 62 < MAX_INT_BITS


def repeatable(node: ast.Expr) -> bool:
    """Whether ``node`` may be generated a second time, for the other branch of a type test
    (only one of the two runs): code of four nodes at most, and no function in it."""
    nodes = list(itertools.islice(ast.walk(node), 5))
    return len(nodes) <= 4 and not any(type(part) is ast.Arrow for part in nodes)


def sequence(steps: list[py.NamedExpr], last: py.expr) -> py.expr:
    """``steps`` evaluated in order, then ``last``: `(t := a) is t and ... and last` (an
    object is always itself, so every step is true and the value is ``last``'s)."""
    if not steps:
        return last
    tests = [py.Compare(left=step, ops=[py.Is()], comparators=[py.Name(id=step.target.id,
                                                                       ctx=py.Load())])
             for step in steps]
    return py.BoolOp(op=py.And(), values=[*tests, last])


def _numbered(sides):
    """Each side with the index of its temporary among those of the sides that are not
    number literals."""
    index = 0
    for side in sides:
        yield index, side
        if type(side) is not ast.Number:
            index += 1


def long_chain(node: ast.Expr) -> bool:
    """Whether ``node`` starts a chain of more than CHAIN_STEP links."""
    for _ in range(CHAIN_STEP):
        node = ast.chain_link(node)
        if node is None:
            return False
    return True


class ExpressionsMixin:
    name_of = staticmethod(py_name)

    def expr(self, node: ast.Expr) -> py.expr:
        ready = self.chained.pop(id(node), None)  # a link of a chain generated already
        if ready is not None:
            return ready
        if long_chain(node):
            return self.chain(node)
        return self.at(node.span, getattr(self, "expr_" + type(node).__name__)(node))

    def chain(self, top: ast.Expr) -> py.expr:
        """A long chain, its links generated from the first one up: each link's parent finds
        its code ready. Every CHAIN_STEP-th link, counted from ``top``, is a step."""
        links = [top]
        while (link := ast.chain_link(links[-1])) is not None:
            links.append(link)
        temp = self.fresh("chain")
        steps: list[py.NamedExpr] = []
        for distance in range(len(links) - 1, 0, -1):
            link = links[distance]
            code = self.at(link.span, getattr(self, "expr_" + type(link).__name__)(link))
            if distance % CHAIN_STEP == 0:
                steps.append(self.at(link.span, py.NamedExpr(target=self.store(temp),
                                                             value=code)))
                code = self.at(link.span, self.load(temp))
            self.chained[id(link)] = code
        last = self.at(top.span, getattr(self, "expr_" + type(top).__name__)(top))
        return self.at(top.span, sequence(steps, last))

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
        if node.op == "*" and not literal_product(node):
            return self.product(node)
        if node.op == "%" and not self.numeric(node.left):
            return self.modulo(node)
        return py.BinOp(left=self.expr(node.left), op=BINARY[node.op](),
                        right=self.expr(node.right))

    def concatenation(self, node: ast.Binary) -> py.expr:
        """`+` next to a string literal. Literals alone are joined here; with any value the
        size of the result is checked first (see ``joined``): even one value grows by a
        literal's length every pass of a loop (`s = s + "x";`), past the size limit."""
        parts = concatenated(node)
        values = [part for part in parts if type(part) is not ast.String]
        if values:
            if len(parts) > JOINED_NATIVELY:  # long: one call, and a flat tree
                return self.helper_call("concat", *[self.expr(part) for part in parts])
            return self.joined(parts)
        return self.at(parts[0].span, py.Constant("".join(part.value for part in parts)))

    def joined(self, parts: list[ast.Expr]) -> py.expr:
        """Several values joined with literals into one string: natively when the result is
        shorter than the size at which the helper would charge it to the memory budget
        (``LARGE``, far below the size limit), else through the helper, which checks it.

        As in the helper, every operand is evaluated first, in order, into a temporary;
        then each is turned into its display text (D3), which a string already is; then
        the lengths are added up -- before anything is joined."""
        steps: list[py.NamedExpr] = []
        shown: list[py.NamedExpr] = []
        pieces: list[py.expr] = []
        literal_length = 0
        for part in parts:
            if type(part) is ast.String:
                literal_length += len(part.value)
                pieces.append(self.at(part.span, py.Constant(part.value)))
                continue
            step = self.step(part)
            steps.append(step)
            temp = step.target.id
            if not self.string_valued(part):
                test = py.Compare(left=py.Attribute(value=self.load(temp), attr="__class__",
                                                    ctx=py.Load()),
                                  ops=[py.Is()], comparators=[self.helper("S")])
                shown.append(self.at(part.span, py.NamedExpr(
                    target=self.store(temp),
                    value=py.IfExp(test=test, body=self.load(temp),
                                   orelse=self.helper_call("str", self.load(temp))))))
            pieces.append(self.load(temp))
        lengths: py.expr = py.Constant(literal_length)
        for step in steps:
            lengths = py.BinOp(left=lengths, op=py.Add(),
                               right=self.helper_call("len", self.load(step.target.id)))
        short = py.Compare(left=lengths, ops=[py.Lt()], comparators=[py.Constant(LARGE)])
        native = pieces[0]
        for piece in pieces[1:]:
            native = py.BinOp(left=native, op=py.Add(), right=piece)
        return py.IfExp(test=sequence(steps + shown, short), body=native,
                        orelse=self.helper_call("concat", *pieces))

    def string_valued(self, node: ast.Expr) -> bool:
        """Whether ``node`` can only be a string: a literal, a local known to hold strings,
        a call of the builtin ``str`` where nothing can rebind it, or a native string
        method that returns text, called on such a local."""
        kind = type(node)
        if kind is ast.String:
            return True
        if kind is ast.Name:
            return self.known(node) == "string"
        if kind is not ast.Call:
            return False
        callee = node.callee
        if type(callee) is ast.Name:
            return callee.id == "str" and self.proven_builtin(node)
        return (type(callee) is ast.Member and callee.name in STRING_RESULTS
                and type(callee.target) is ast.Name and self.known(callee.target) == "string")

    def proven_builtin(self, call: ast.Call) -> bool:
        """Whether the name a call calls can only be the builtin of that name: a program
        (not a session, where later chunks may rebind it) in which no scope binds it."""
        name = call.callee.id
        return (not self.analysis.session and id(call) in self.analysis.direct_calls
                and self.scope.owner_of(name) is None
                and name not in self.analysis.guarded_names)

    def addition(self, node: ast.Binary) -> py.expr:
        """`+` of numbers natively; of strings or arrays through a size check (a sequence
        added to itself doubles: the check stops that before memory runs out)."""
        left, right = node.left, node.right
        if ast.Number in (type(left), type(right)) or ast.Array in (type(left), type(right)) \
                or self.numeric(left, strict=True) or self.numeric(right, strict=True):
            # a number, or growth by a literal's length
            return py.BinOp(left=self.expr(left), op=py.Add(), right=self.expr(right))

        # `(c := x.__class__) is int or c is float`: two identity tests, the cheapest way to
        # let numbers through (a containment test on a tuple of types costs twice as much).
        def numbers(value: py.expr) -> py.expr:
            kind = self.fresh("class")
            is_int = py.Compare(
                left=py.NamedExpr(target=self.store(kind), value=py.Attribute(
                    value=value, attr="__class__", ctx=py.Load())),
                ops=[py.Is()], comparators=[self.helper("int")])
            is_float = py.Compare(left=self.load(kind), ops=[py.Is()],
                                  comparators=[self.helper("float")])
            return py.BoolOp(op=py.Or(), values=[is_int, is_float])

        return self.dispatch(node, numbers, py.Add, "add")

    def dispatch(self, node: ast.Binary, native_when, op: type, helper: str) -> py.expr:
        """`left op right` natively when the test ``native_when(left)`` holds, else through
        the runtime ``helper``. Both branches use both operands: the left one is evaluated
        once into a temporary (unless a name), and so is the right one, after it, unless it
        is repeatable."""
        left, right = node.left, node.right
        if repeatable(right):
            first, again = self.tested_operand(left)
            test = native_when(first)
            right_value = lambda: self.expr(right)  # noqa: E731
        else:
            steps = [self.step(left), self.step(right)]
            again, right_temp = (self.load(step.target.id) for step in steps)
            test = sequence(steps, native_when(again))
            right_value = lambda: right_temp  # noqa: E731
        native = py.BinOp(left=again, op=op(), right=right_value())
        return py.IfExp(test=test, body=native,
                        orelse=self.helper_call(helper, again, right_value()))

    def product(self, node: ast.Binary) -> py.expr:
        """`*` natively when both operands are small integers (or one is a float literal:
        a float times anything is what the helper would do itself); otherwise through the
        helper, which refuses sequences and integers beyond the size limits. An operand
        that is more than a name or a literal is evaluated once, in order, into a
        temporary, before either test."""
        left, right = node.left, node.right
        if any(type(side) is ast.Number and side.value.__class__ is float
               for side in (left, right)):
            return py.BinOp(left=self.expr(left), op=py.Mult(), right=self.expr(right))
        if any(type(side) is ast.Number and abs(side.value) >= SMALL_INT
               for side in (left, right)):
            return self.helper_call("mul", self.expr(left), self.expr(right))
        # Names are read where they are used unless the other operand must be evaluated
        # first into a temporary: then both are, so the left one is still read first.
        held = any(type(side) not in (ast.Number, ast.Name) for side in (left, right))
        literal = ast.Number in (type(left), type(right))
        steps: list[py.NamedExpr] = []
        tests: list[py.expr] = []
        values: list[py.expr] = []
        for side in (left, right):
            if type(side) is ast.Number:
                values.append(self.expr(side))
                continue
            if side is right and not held and type(left) is ast.Name \
                    and left.id == right.id:  # `x * x`: one test
                values.append(self.expr(side))
                continue
            if held:
                step = self.step(side)
                steps.append(step)
                value = lambda name=step.target.id: self.load(name)  # noqa: E731
            else:
                value = lambda side=side: self.expr(side)  # noqa: E731
            if not (type(side) is ast.Name and self.known(side) == "number"):
                tests.append(py.Compare(left=py.Attribute(value=value(), attr="__class__",
                                                          ctx=py.Load()),
                                        ops=[py.Is()], comparators=[self.helper("int")]))
            if literal:
                bound = py.Compare(left=py.Constant(-SMALL_INT), ops=[py.Lt(), py.Lt()],
                                   comparators=[value(), py.Constant(SMALL_INT)])
            else:
                bound = py.Compare(left=py.Constant(-COMPACT), ops=[py.LtE(), py.LtE()],
                                   comparators=[value(), py.Constant(COMPACT)])
            tests.append(bound)
            values.append(value())
        native = py.BinOp(left=values[0], op=py.Mult(), right=values[1])
        again = [py.Constant(side.value) if type(side) is ast.Number
                 else self.load(steps[index].target.id) if held
                 else self.expr(side)
                 for index, side in _numbered((left, right))]
        test = tests[0] if len(tests) == 1 else py.BoolOp(op=py.And(), values=tests)
        return py.IfExp(test=sequence(steps, test), body=native,
                        orelse=self.helper_call("mul", *again))

    def step(self, node: ast.Expr) -> py.NamedExpr:
        """``node`` evaluated into a new temporary (a step of a sequence)."""
        return py.NamedExpr(target=self.store(self.fresh("value")), value=self.expr(node))

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

        def not_text(value: py.expr) -> py.expr:
            return py.Compare(left=py.Attribute(value=value, attr="__class__", ctx=py.Load()),
                              ops=[py.IsNot()], comparators=[self.helper("S")])

        return self.dispatch(node, not_text, py.Mod, "mod")

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
        last = node
        for _ in range(CHAIN_STEP):
            last = last.otherwise if type(last) is ast.Ternary else last
        if type(last) is not ast.Ternary:
            return py.IfExp(test=self.expr(node.test), body=self.expr(node.then),
                            orelse=self.expr(node.otherwise))
        # A long chain `a ? x : b ? y : ... : z`, flat: `(x if a else None) or ... or [z]`
        # with each value in a list (which is true), then the value out of the list.
        choices: list[py.expr] = []
        while type(node) is ast.Ternary:
            value = py.List(elts=[self.expr(node.then)], ctx=py.Load())
            choices.append(self.at(node.span, py.IfExp(test=self.expr(node.test), body=value,
                                                       orelse=py.Constant(None))))
            node = node.otherwise
        choices.append(self.at(node.span, py.List(elts=[self.expr(node)], ctx=py.Load())))
        return py.Subscript(value=py.BoolOp(op=py.Or(), values=choices), slice=py.Constant(0),
                            ctx=py.Load())

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

    def numeric(self, node: ast.Expr, depth: int = 8, strict: bool = False) -> bool:
        """Whether ``node`` can only be a number (or fail): a number literal, a local known
        to hold numbers, or arithmetic that can yield nothing else. Looks ``depth`` levels
        deep at most (a long chain is simply not proven numeric).

        ``strict`` leaves out what only holds for ML's own values: `a - b` of unknown
        operands is a number or an error unless one of them is a host object whose class
        defines the operator. Strictly, arithmetic is numeric only when its operands are
        (a number is a number whatever the other operand of `+` is for ``addition``, which
        asks about each side). A call of a function that returns numbers when given numbers
        (see NumericFunctions) is numeric when its arguments strictly are."""
        kind = type(node)
        if kind is ast.Number:
            return True
        if kind is ast.Name:
            return self.known(node) == "number" or (
                node.id in self.assumed_numbers
                and self.scope.owner_of(node.id) is self.scope)
        if depth == 0:
            return False
        if kind is ast.Call:
            return self.numeric_functions.numeric_call(
                node, lambda arg: self.numeric(arg, depth - 1, True))
        if kind is ast.Unary:
            return node.op == "-" and self.numeric(node.operand, depth - 1, strict)
        if kind is not ast.Binary:
            return False
        both = self.numeric(node.left, depth - 1, strict) and \
            self.numeric(node.right, depth - 1, strict)
        if strict:
            return both and not (node.op == "+" and could_be_string(node))
        if node.op in ("-", "/", "//"):  # never text or arrays
            return True
        if node.op == "+":  # a number plus anything but text is a number or an error
            return not could_be_string(node) and (
                self.numeric(node.left, depth - 1) or self.numeric(node.right, depth - 1))
        return both

    def is_module(self, node: ast.Expr) -> bool:
        return id(node) in self.analysis.module_refs

    def proven_module(self, node: ast.Expr) -> bool:
        return id(node) in self.analysis.proven_modules

    def still_imported(self, name: ast.Name, fast: py.expr, slow: py.expr) -> py.expr | None:
        """``fast`` if the name still holds the Python module its import bound, else ``slow``
        (None when the name is not such a module name of a session)."""
        if id(name) not in self.analysis.tested_modules:
            return None
        return py.IfExp(test=self.holds_import(name, self.expr(name)), body=fast, orelse=slow)

    def holds_import(self, name: ast.Name, value: py.expr) -> py.expr:
        """Whether ``value`` (what ``name`` holds) is the module its import bound."""
        bound = self.load(module_var(self.analysis.module_refs[id(name)]))
        return py.Compare(left=value, ops=[py.Is()], comparators=[bound])

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
        if type(target) is not ast.Name:
            return self.helper_call("method", self.expr(target), py.Constant(name), *args)
        tested = id(target) in self.analysis.tested_modules
        kind = "L" if name in LIST_FAST else "S" if name in STRING_FAST else None
        if (self.is_module(target) and not tested) or (not tested and kind is None):
            return self.helper_call("method", self.expr(target), py.Constant(name), *args)
        if not tested and {"L": "array", "S": "string"}[kind] == self.known(target):
            func = py.Attribute(value=self.expr(target), attr=name, ctx=py.Load())
            return py.Call(func=func, args=args, keywords=[])
        # Both branches pass the arguments: unless they are repeatable, the receiver and the
        # arguments are evaluated once, in order, into temporaries.
        steps: list[py.NamedExpr] = []
        receiver = lambda: self.expr(target)  # noqa: E731
        if not all(repeatable(arg) for arg in call.args):
            steps = [py.NamedExpr(target=self.store(self.fresh("value")), value=value)
                     for value in (self.expr(target), *args)]
            held, *args = (self.load(step.target.id) for step in steps)
            receiver = lambda: held  # noqa: E731
        func = self.at(member.span, py.Attribute(value=receiver(), attr=name, ctx=py.Load()))
        slow = self.helper_call("method", receiver(), py.Constant(name), *args)
        if tested:  # a session's module: natively while the name holds what its import bound
            fast = self.module_call(target, name, call.args, args, func)
            test = self.holds_import(target, receiver())
        else:
            fast = py.Call(func=func, args=args, keywords=[])
            test = py.Compare(left=py.Attribute(value=receiver(), attr="__class__",
                                                ctx=py.Load()),
                              ops=[py.Is()], comparators=[self.helper(kind)])
        return py.IfExp(test=sequence(steps, test), body=fast, orelse=slow)

    # ------------------------------------------------------------------ functions

    def expr_Arrow(self, node: ast.Arrow) -> py.expr:
        return self.arrow(node)


