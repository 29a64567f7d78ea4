"""ML module ``collections``: array utilities, array first; pure, so it needs no capability.

No function changes its argument: every array returned is new (except ``removeAt`` with an
index out of range, which returns the array itself, as the reference does). Functions passed
in are called through the runtime's call gate, so only what ML may call can be passed; a
callback that throws ends the call with its error, and a limit it trips ends the execution.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from mlpy.ext import ml_function, ml_module
from mlpy.runtime import work
from mlpy.runtime.limits import check_length
from mlpy.runtime.ops import ml_call
from mlpy.runtime.values import typeof


def _array(value: Any, name: str, what: str = "the first argument") -> list:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"collections.{name}: {what} must be an array, not {typeof(value)}")
    return value


def _int(value: Any, name: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"collections.{name}: {what} must be an integer, not {typeof(value)}")
    return value


def _fn(value: Any, name: str) -> Any:
    if not callable(value):
        raise TypeError(f"collections.{name}: expected a function, not {typeof(value)}")
    return value


@ml_module("collections", "Functional list and array manipulation utilities")
class Collections:
    @ml_function("Number of elements")
    def length(self, lst):
        return len(_array(lst, "length"))

    @ml_function("New array with x added at the end")
    def append(self, lst, x):
        lst = _array(lst, "append")
        check_length(len(lst) + 1)
        return [*lst, x]

    @ml_function("New array with x added at the start")
    def prepend(self, lst, x):
        lst = _array(lst, "prepend")
        check_length(len(lst) + 1)
        return [x, *lst]

    @ml_function("New array: the elements of a, then those of b")
    def concat(self, a, b):
        a, b = _array(a, "concat"), _array(b, "concat", "the second argument")
        check_length(len(a) + len(b))
        return [*a, *b]

    @ml_function("Element at index i (negative counts from the end), or null when out of range")
    def get(self, lst, i):
        lst = _array(lst, "get")
        i = _int(i, "get", "the index")
        return lst[i] if -len(lst) <= i < len(lst) else None

    @ml_function("First element, or null when empty")
    def first(self, lst):
        lst = _array(lst, "first")
        return lst[0] if lst else None

    @ml_function("Last element, or null when empty")
    def last(self, lst):
        lst = _array(lst, "last")
        return lst[-1] if lst else None

    @ml_function("New array lst[start:end] (Python slicing; end null means to the end)",
                 name="slice")
    def slice_(self, lst, start, end=None):
        lst = _array(lst, "slice")
        start = _int(start, "slice", "start")
        end = None if end is None else _int(end, "slice", "end")
        return list(lst[start:end])

    @ml_function("New array in reverse order")
    def reverse(self, lst):
        return list(reversed(_array(lst, "reverse")))

    @ml_function("Whether an element equals x")
    def contains(self, lst, x):
        return work.contains(_array(lst, "contains"), x)

    @ml_function("Index of the first element equal to x, or -1", name="indexOf")
    def index_of(self, lst, x):
        lst = _array(lst, "indexOf")
        try:
            return work.index(lst, x)
        except ValueError:
            return -1

    @ml_function("Index of the first element equal to x, or -1 (alias of indexOf)",
                 name="index_of")
    def index_of_alias(self, lst, x):
        return self.index_of(lst, x)

    @ml_function("New array of the elements for which pred(e) is truthy", name="filter")
    def filter_(self, lst, pred):
        lst, pred = _array(lst, "filter"), _fn(pred, "filter")
        return [item for item in lst if ml_call(pred, item)]

    @ml_function("New array of f(e) for every element", name="map")
    def map_(self, lst, f):
        lst, f = _array(lst, "map"), _fn(f, "map")
        return [ml_call(f, item) for item in lst]

    @ml_function("First element for which pred(e) is truthy, or null")
    def find(self, lst, pred):
        lst, pred = _array(lst, "find"), _fn(pred, "find")
        for item in lst:
            if ml_call(pred, item):
                return item
        return None

    @ml_function("Left fold: f(acc, e) for every element, starting with initial")
    def reduce(self, lst, f, initial):
        lst, f = _array(lst, "reduce"), _fn(f, "reduce")
        acc = initial
        for item in lst:
            acc = ml_call(f, acc, item)
        return acc

    @ml_function("New array without the element at index i; the array itself when i is out "
                 "of range or negative", name="removeAt")
    def remove_at(self, lst, i):
        lst = _array(lst, "removeAt")
        i = _int(i, "removeAt", "the index")
        if not 0 <= i < len(lst):
            return lst
        return [*lst[:i], *lst[i + 1:]]

    @ml_function("New array without the element at index i (alias of removeAt)",
                 name="remove_at")
    def remove_at_alias(self, lst, i):
        return self.remove_at(lst, i)

    @ml_function("Whether the array has no elements", name="isEmpty")
    def is_empty(self, lst):
        return len(_array(lst, "isEmpty")) == 0

    @ml_function("Whether the array has no elements (alias of isEmpty)", name="is_empty")
    def is_empty_alias(self, lst):
        return self.is_empty(lst)

    @ml_function("New array of the first n elements")
    def take(self, lst, n):
        lst = _array(lst, "take")
        n = _int(n, "take", "n")
        return list(lst[:max(n, 0)])

    @ml_function("New array without the first n elements")
    def drop(self, lst, n):
        lst = _array(lst, "drop")
        n = _int(n, "drop", "n")
        return list(lst[max(n, 0):])

    @ml_function("New array of the first occurrence of every element, in order (arrays and "
                 "objects compare by value)")
    def unique(self, lst):
        return work.unique(_array(lst, "unique"))

    @ml_function("New array with array elements spliced in one level; others kept")
    def flatten(self, lst):
        lst = _array(lst, "flatten")
        check_length(sum(len(item) if isinstance(item, (list, tuple)) else 1 for item in lst))
        result: list = []
        for item in lst:
            if isinstance(item, (list, tuple)):
                result.extend(item)
            else:
                result.append(item)
        return result

    @ml_function("Array of [a[i], b[i]] pairs, as long as the shorter array")
    def zip(self, a, b):
        a, b = _array(a, "zip"), _array(b, "zip", "the second argument")
        return [[x, y] for x, y in zip(a, b)]

    @ml_function("New array sorted ascending (descending with reverse=true); the elements must "
                 "be comparable")
    def sort(self, lst, reverse=False):
        lst = _array(lst, "sort")
        work.check_sort(lst)
        try:
            return sorted(lst, reverse=bool(reverse))
        except TypeError as error:
            raise TypeError(f"collections.sort: the elements cannot be compared: {error}") \
                from None

    @ml_function("New array sorted by keyFn(e), called once per element (stable; descending "
                 "with reverse=true)",
                 name="sortBy")
    def sort_by(self, lst, keyFn, reverse=False):
        lst, key_fn = _array(lst, "sortBy"), _fn(keyFn, "sortBy")
        keyed = [(ml_call(key_fn, item), index) for index, item in enumerate(lst)]
        work.check_sort([key for key, _ in keyed])
        try:
            keyed.sort(key=itemgetter(0), reverse=bool(reverse))
        except TypeError as error:
            raise TypeError(f"collections.sortBy: the keys cannot be compared: {error}") \
                from None
        return [lst[index] for _, index in keyed]

    @ml_function("Array of consecutive slices of length size (the last may be shorter); [] "
                 "when size <= 0")
    def chunk(self, lst, size):
        lst = _array(lst, "chunk")
        size = _int(size, "chunk", "size")
        if size <= 0:
            return []
        return [list(lst[i:i + size]) for i in range(0, len(lst), size)]

    @ml_function("Whether pred(e) is truthy for every element")
    def every(self, lst, pred):
        lst, pred = _array(lst, "every"), _fn(pred, "every")
        return all(ml_call(pred, item) for item in lst)

    @ml_function("Whether pred(e) is truthy for some element")
    def some(self, lst, pred):
        lst, pred = _array(lst, "some"), _fn(pred, "some")
        return any(ml_call(pred, item) for item in lst)
