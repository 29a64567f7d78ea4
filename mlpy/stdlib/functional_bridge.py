"""ML module ``functional``: higher-order functions, function first; pure, so it needs no
capability.

Sequences are arrays (a string counts as the array of its characters). Functions passed in
are called through the runtime's call gate, so only what ML may call can be passed; a
callback that throws ends the call with its error, and a limit it trips ends the execution.
Functions built here (``compose``, ``curry``, ``memoize``, ...) are ordinary ML function
values: they can be stored, passed and called through variables, and expose no members.
"""

from __future__ import annotations

import inspect
from types import FunctionType
from typing import Any, Callable

from mlpy.ext import ml_function, ml_module
from mlpy.runtime import work
from mlpy.runtime.limits import check_length
from mlpy.runtime.ops import ml_call
from mlpy.runtime.values import typeof

MEMO_LIMIT = 100_000  # entries a memoized function keeps; later results are not cached


class Composed:
    """A function value built by this module; ML can call it and nothing else."""

    _ml_callable = True
    __slots__ = ("_call", "_name")

    def __init__(self, call: Callable[..., Any], name: str):
        self._call = call
        self._name = name

    def __call__(self, *args: Any) -> Any:
        return self._call(*args)

    def _ml_display(self) -> str:
        return f"<function functional.{self._name}>"

    def _ml_held(self) -> tuple[Any, ...]:
        """What the function keeps alive (its functions, arguments, a memoized cache), for
        the memory budget."""
        return (self._call,)


def _seq(value: Any, name: str, what: str = "the sequence") -> list | tuple | str:
    if not isinstance(value, (list, tuple, str)):
        raise TypeError(f"functional.{name}: {what} must be an array, not {typeof(value)}")
    return value


def _fn(value: Any, name: str, what: str = "the function") -> Any:
    if not callable(value):
        raise TypeError(f"functional.{name}: {what} must be a function, not {typeof(value)}")
    return value


def _fns(values: Any, name: str) -> list:
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"functional.{name}: expected an array of functions, "
                        f"not {typeof(values)}")
    return [_fn(f, name, f"element {i}") for i, f in enumerate(values)]


def _int(value: Any, name: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"functional.{name}: {what} must be an integer, not {typeof(value)}")
    return value


def _arity(fn: Any) -> int:
    """The number of declared parameters of an ML function, or of required parameters of a
    builtin or module function; a function taking any number of arguments has none."""
    if isinstance(fn, FunctionType):
        code = fn.__code__
        if not code.co_flags & inspect.CO_VARARGS:
            return code.co_argcount
    else:
        try:
            parameters = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            parameters = None
        if parameters is not None and all(p.kind != p.VAR_POSITIONAL for p in parameters):
            return sum(1 for p in parameters  # a builtin's optional parameters do not count
                       if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                       and p.default is p.empty)
    raise TypeError("functional.curry: the function takes any number of arguments; pass "
                    "the arity: curry(f, n)")


def _compose(fns: list, name: str) -> Composed:
    """``x -> fns[-1](...fns[0](x))``: apply the functions left to right."""
    def call(x: Any) -> Any:
        for f in fns:
            x = ml_call(f, x)
        return x
    return Composed(call, name)


def _curried(fn: Any, arity: int, collected: tuple) -> Composed:
    def call(*args: Any) -> Any:
        have = collected + args
        if len(have) >= arity:
            return ml_call(fn, *have[:arity])
        return _curried(fn, arity, have)
    return Composed(call, "curry")


@ml_module("functional", "Functional programming composition and higher-order functions")
class Functional:
    @ml_function("Array of f(e) for every element", name="map")
    def map_(self, f, seq):
        f, seq = _fn(f, "map"), _seq(seq, "map")
        return [ml_call(f, item) for item in seq]

    @ml_function("Array of the elements for which pred(e) is truthy", name="filter")
    def filter_(self, pred, seq):
        pred, seq = _fn(pred, "filter"), _seq(seq, "filter")
        return [item for item in seq if ml_call(pred, item)]

    @ml_function("Left fold with f(acc, e), from initial when it is not null, else from the "
                 "first element (an empty sequence is then a TypeError)")
    def reduce(self, f, seq, initial=None):
        f, seq = _fn(f, "reduce"), _seq(seq, "reduce")
        items = iter(seq)
        if initial is None:
            try:
                acc = next(items)
            except StopIteration:
                raise TypeError("functional.reduce: empty sequence and no initial value") \
                    from None
        else:
            acc = initial
        for item in items:
            acc = ml_call(f, acc, item)
        return acc

    @ml_function("Call f(e) for every element; returns null", name="forEach")
    def for_each(self, f, seq):
        f, seq = _fn(f, "forEach"), _seq(seq, "forEach")
        for item in seq:
            ml_call(f, item)
        return None

    @ml_function("Call f(e) for every element (alias of forEach)", name="for_each")
    def for_each_alias(self, f, seq):
        return self.for_each(f, seq)

    @ml_function("First element for which pred(e) is truthy, or null")
    def find(self, pred, seq):
        pred, seq = _fn(pred, "find"), _seq(seq, "find")
        for item in seq:
            if ml_call(pred, item):
                return item
        return None

    @ml_function("Whether pred(e) is truthy for some element")
    def some(self, pred, seq):
        pred, seq = _fn(pred, "some"), _seq(seq, "some")
        return any(ml_call(pred, item) for item in seq)

    @ml_function("Whether pred(e) is truthy for every element")
    def every(self, pred, seq):
        pred, seq = _fn(pred, "every"), _seq(seq, "every")
        return all(ml_call(pred, item) for item in seq)

    @ml_function("Array of arrays [a[i], b[i], ...], as long as the shortest argument")
    def zip(self, *seqs):
        seqs = [_seq(s, "zip", f"argument {i + 1}") for i, s in enumerate(seqs)]
        return [list(items) for items in zip(*seqs)]

    @ml_function("Array of f(a[i], b[i]), as long as the shorter array", name="zipWith")
    def zip_with(self, f, a, b):
        f = _fn(f, "zipWith")
        a, b = _seq(a, "zipWith", "the first array"), _seq(b, "zipWith", "the second array")
        return [ml_call(f, x, y) for x, y in zip(a, b)]

    @ml_function("Array of the first n elements")
    def take(self, n, seq):
        n, seq = _int(n, "take", "n"), _seq(seq, "take")
        return list(seq[:max(n, 0)])

    @ml_function("Array of all but the first n elements")
    def drop(self, n, seq):
        n, seq = _int(n, "drop", "n"), _seq(seq, "drop")
        return list(seq[max(n, 0):])

    @ml_function("Leading elements while pred(e) is truthy", name="takeWhile")
    def take_while(self, pred, seq):
        pred, seq = _fn(pred, "takeWhile"), _seq(seq, "takeWhile")
        result = []
        for item in seq:
            if not ml_call(pred, item):
                break
            result.append(item)
        return result

    @ml_function("Array with array elements spliced in one level; others kept")
    def flatten(self, nested):
        nested = _seq(nested, "flatten")
        check_length(sum(len(x) if isinstance(x, (list, tuple)) else 1 for x in nested))
        result: list = []
        for item in nested:
            if isinstance(item, (list, tuple)):
                result.extend(item)
            else:
                result.append(item)
        return result

    @ml_function("Array of consecutive groups of size elements (the last may be shorter); "
                 "size < 1 is a ValueError")
    def chunk(self, size, seq):
        size, seq = _int(size, "chunk", "size"), _seq(seq, "chunk")
        if size <= 0:
            raise ValueError("functional.chunk: size must be positive")
        return [list(seq[i:i + size]) for i in range(0, len(seq), size)]

    @ml_function("Object mapping keyFn(e) to the array of its elements, keys in first-seen "
                 "order; a number key stays a number (read it with g[1] and keys(g))",
                 name="groupBy")
    def group_by(self, keyFn, seq):
        key_fn, seq = _fn(keyFn, "groupBy"), _seq(seq, "groupBy")
        groups: dict = {}
        for item in seq:
            key = ml_call(key_fn, item)
            try:
                groups.setdefault(key, []).append(item)
            except TypeError:
                raise TypeError(f"functional.groupBy: a key must be a string, number, boolean "
                                f"or null, not {typeof(key)}") from None
        return groups

    @ml_function("Object mapping keyFn(e) to the array of its elements (alias of groupBy)",
                 name="group_by")
    def group_by_alias(self, keyFn, seq):
        return self.group_by(keyFn, seq)

    @ml_function("[passing, failing]: the elements split by pred(e)")
    def partition(self, pred, seq):
        pred, seq = _fn(pred, "partition"), _seq(seq, "partition")
        passing, failing = [], []
        for item in seq:
            (passing if ml_call(pred, item) else failing).append(item)
        return [passing, failing]

    @ml_function("Array of the first occurrence of every element, in order")
    def unique(self, seq):
        return work.unique(_seq(seq, "unique"))

    @ml_function("Array of the elements in reverse order")
    def reverse(self, seq):
        return list(reversed(_seq(seq, "reverse")))

    @ml_function("[f(0), f(1), ..., f(n-1)]")
    def times(self, n, f):
        n, f = _int(n, "times", "n"), _fn(f, "times")
        check_length(max(n, 0))
        return [ml_call(f, i) for i in range(n)]

    @ml_function("Array of integers like the builtin range (start..end by step; range(n) "
                 "when end is null)", name="range")
    def range_(self, start, end=None, step=1):
        if end is None:
            start, end = 0, start
        start = _int(start, "range", "start")
        end = _int(end, "range", "end")
        step = _int(step, "range", "step")
        if step == 0:
            raise ValueError("functional.range: step must not be zero")
        values = range(start, end, step)
        check_length(len(values))
        return list(values)

    @ml_function("Array of n times the same value")
    def repeat(self, value, n):
        n = _int(n, "repeat", "n")
        check_length(max(n, 0))
        return [value] * max(n, 0)

    @ml_function("Returns its argument")
    def identity(self, x):
        return x

    @ml_function("Function x -> f(g(...(x))): applies the functions right to left")
    def compose(self, *fns):
        return _compose(list(reversed(_fns(list(fns), "compose"))), "compose")

    @ml_function("compose over an array of functions", name="composeAll")
    def compose_all(self, fnArray):
        return _compose(list(reversed(_fns(fnArray, "composeAll"))), "composeAll")

    @ml_function("Function x -> ...g(f(x)): applies the functions left to right")
    def pipe(self, *fns):
        return _compose(_fns(list(fns), "pipe"), "pipe")

    @ml_function("pipe over an array of functions", name="pipeAll")
    def pipe_all(self, fnArray):
        return _compose(_fns(fnArray, "pipeAll"), "pipeAll")

    @ml_function("Curried f: collects arguments over calls until arity are given (default: "
                 "the parameters of an ML function f, or the required parameters of a builtin "
                 "or module function), then calls f with exactly that many")
    def curry(self, f, arity=None):
        f = _fn(f, "curry")
        arity = _arity(f) if arity is None else _int(arity, "curry", "arity")
        return _curried(f, arity, ())

    @ml_function("Function a -> (b -> f(a, b))")
    def curry2(self, f):
        f = _fn(f, "curry2")
        return Composed(lambda a: Composed(lambda b: ml_call(f, a, b), "curry2"), "curry2")

    @ml_function("Function with the leading arguments fixed")
    def partial(self, f, *args):
        f = _fn(f, "partial")
        return Composed(lambda *more: ml_call(f, *args, *more), "partial")

    @ml_function("Function with the leading arguments fixed (alias of partial)",
                 name="partial_apply")
    def partial_apply(self, f, *args):
        return self.partial(f, *args)

    @ml_function("Function returning v, whatever its arguments")
    def constant(self, v):
        return Composed(lambda *args: v, "constant")

    @ml_function("f with its results cached by argument (strings, numbers, booleans, null)")
    def memoize(self, f):
        f = _fn(f, "memoize")
        cache: dict = {}

        def call(*args: Any) -> Any:
            try:
                return cache[args]
            except KeyError:
                pass
            except TypeError:
                raise TypeError("functional.memoize: the arguments of a memoized function "
                                "must be strings, numbers, booleans or null") from None
            result = ml_call(f, *args)
            if len(cache) < MEMO_LIMIT:
                cache[args] = result
            return result
        return Composed(call, "memoize")

    @ml_function("Function x -> pred(x) ? fThen(x) : fElse(x)", name="ifElse")
    def if_else(self, pred, fThen, fElse):
        pred, f_then, f_else = (_fn(pred, "ifElse"), _fn(fThen, "ifElse"),
                                _fn(fElse, "ifElse"))
        return Composed(lambda x: ml_call(f_then if ml_call(pred, x) else f_else, x), "ifElse")

    @ml_function("Function applying the fn of the first [pred, fn] pair whose pred is truthy; "
                 "null when none is")
    def cond(self, pairs):
        if not isinstance(pairs, (list, tuple)):
            raise TypeError(f"functional.cond: expected an array of [pred, fn] pairs, "
                            f"not {typeof(pairs)}")
        checked = []
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise TypeError(f"functional.cond: pair {i} is not an array [pred, fn]")
            checked.append((_fn(pair[0], "cond", f"pair {i}'s predicate"),
                            _fn(pair[1], "cond", f"pair {i}'s function")))

        def call(x: Any) -> Any:
            for pred, fn in checked:
                if ml_call(pred, x):
                    return ml_call(fn, x)
            return None
        return Composed(call, "cond")

    @ml_function("Function x -> [f1(x), f2(x), ...]")
    def juxt(self, fnArray):
        fns = _fns(fnArray, "juxt")
        return Composed(lambda x: [ml_call(f, x) for f in fns], "juxt")
