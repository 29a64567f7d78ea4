"""The work one native operation may do.

Some operations run as one native call whose cost grows faster than the values they return:
finding a value in an array compares it with every element, and each comparison walks both
values; sorting makes n log n comparisons; summing integers adds every digit. The size
limits bound the values, not that work. An array can hold sixteen million references to two
long strings that differ only in their last character, and an array built as ``a = [a, a]``
sixty times over is small but takes 2^60 steps to compare with a copy of itself.

So the builtins and methods that compare or add elements

* refuse a comparison that could walk more of a value than the display limit (a value that
  shares its parts exponentially) before it runs, as showing such a value is refused;
* run in slices when their work could be long, and look at the execution's deadline and
  cancel flag between two slices. Slices start small and grow while they are fast, like
  the step batches of :mod:`mlpy.runtime.state`, so a short operation is one native call;
* and refuse a sort, which cannot be sliced, whose worst case is over :data:`WORK_LIMIT`.

Work is counted in *units*: one element visited, or 64 characters (or 64 bits) compared.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from typing import Any, Callable, Iterator

from mlpy.errors import MLResourceError
from mlpy.runtime.limits import check_length, check_time
from mlpy.runtime.state import current_state
from mlpy.runtime.values import MAX_DISPLAY, expanded_size, show_nested

# The most units one native call may do without looking at the clock, and the most a
# sort may do at all (about a second of comparisons).
SLICE_WORK = 1 << 16
WORK_LIMIT = 1 << 30
_SLICE_SECONDS = 0.02  # a slice after the first takes about this long
_SHORT = 4096  # numbers whose comparisons need not be measured
_SHORT_SUM = 1024  # numbers whose sum need not be measured (1,024 huge integers: ~30 ms)
_NUMBERS = frozenset({int, float, bool, type(None)})
_CONTAINERS = (list, tuple, dict)


def comparison_cost(value: Any) -> int:
    """The units comparing ``value`` with another value can take at most (a comparison
    stops at the end of the smaller value); refuses a value too large to compare."""
    cls = value.__class__
    if cls is str:
        return len(value) // 64 + 1
    if cls is int:
        return value.bit_length() // 64 + 1
    if not isinstance(value, _CONTAINERS):
        return 1
    size = expanded_size(value, MAX_DISPLAY)
    if size > MAX_DISPLAY:
        raise _too_much("comparing this value", size, MAX_DISPLAY, "items",
                        "a value that holds the same array many times over is compared "
                        "copy by copy; compare a part of it")
    return size


def _too_much(what: str, size: int, limit: int, unit: str, hint: str) -> MLResourceError:
    return _tripped(MLResourceError(
        f"size limit reached: {what} would take about {size:,} {unit}, over the limit of "
        f"{limit:,}", resource="memory", limit=limit, hints=[hint]))


def too_much_work(what: str, work: int, hint: str) -> MLResourceError:
    """The error for one operation that would do more than WORK_LIMIT units of work,
    recorded as the running execution's trip."""
    return _tripped(MLResourceError(
        f"operation limit reached: {what} could take about {work:,} units of work, more "
        f"than one operation may do ({WORK_LIMIT:,})", resource="operation",
        limit=WORK_LIMIT, hints=[hint]))


def _tripped(error: MLResourceError) -> MLResourceError:
    state = current_state()
    if state is not None:
        state.trip(error)
    return error


def slices(length: int, unit_cost: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` ranges covering ``range(length)``, for elements that cost about
    ``unit_cost`` units each: one range when that is cheap, else ranges timed to take about
    20 ms each after the first, with the deadline and the cancel flag checked between."""
    size = max(1, SLICE_WORK // max(unit_cost, 1))
    if size >= length:
        yield 0, length
        return
    start = 0
    while start < length:
        began = time.monotonic()
        stop = min(length, start + size)
        yield start, stop
        start = stop
        check_time()
        taken = time.monotonic() - began
        size = max(1, min(size * 4, int(size * _SLICE_SECONDS / taken) if taken else size * 4))


# ----------------------------------------------------------------------------- scans


def index(array: list, value: Any, start: int = 0, stop: int | None = None) -> int:
    """``array.index(value, start, stop)``, in slices when it could take long."""
    cost = comparison_cost(value)
    if len(array) * cost <= SLICE_WORK:
        try:
            return array.index(value, start, sys.maxsize if stop is None else stop)
        except ValueError:
            raise ValueError(f"{_shown(value)} is not in the array") from None
    first, last, _ = slice(start, stop).indices(len(array))
    for low, high in slices(max(last - first, 0), cost):
        try:
            return array.index(value, first + low, first + high)
        except ValueError:
            continue
    raise ValueError(f"{_shown(value)} is not in the array")


def count(array: list, value: Any) -> int:
    """``array.count(value)``, in slices when it could take long."""
    cost = comparison_cost(value)
    if len(array) * cost <= SLICE_WORK:
        return array.count(value)
    return sum(array[low:high].count(value) for low, high in slices(len(array), cost))


def contains(array: Any, value: Any) -> bool:
    """Whether an element of ``array`` equals ``value``, in slices when it could take long."""
    cost = comparison_cost(value)
    if len(array) * cost <= SLICE_WORK:
        return value in array
    return any(value in array[low:high] for low, high in slices(len(array), cost))


def unique(items: Any) -> list:
    """The first occurrence of every element, in order; arrays and objects compare by
    value, in measured scans."""
    seen: set = set()
    result: list = []
    for position, item in enumerate(items):
        if position % 4096 == 4095:
            check_time()
        try:
            if item in seen:
                continue
            seen.add(item)
        except TypeError:  # unhashable (an array or object): compare by value
            if contains(result, item):
                continue
        result.append(item)
    return result


def remove(array: list, value: Any) -> None:
    """``array.remove(value)``: the first element equal to ``value`` goes."""
    try:
        position = index(array, value)
    except ValueError:
        raise ValueError(f"{_shown(value)} is not in the array") from None
    del array[position]


def _shown(value: Any) -> str:
    text = show_nested(value)
    return text if len(text) <= 60 else text[:57] + "..."


def element_cost(items: Any) -> int:
    """The units one comparison of two elements of ``items`` can take at most; refuses
    elements too large to compare. An array of integers, of strings or of floats is
    measured by one native pass, a mixed one by a pass over its elements; a short array of
    numbers is not measured (its comparisons cannot add up to much)."""
    if len(items) <= _SHORT and _NUMBERS.issuperset(map(type, items)):
        return 1
    for measure in (int.bit_length, str.__len__):
        try:
            return max(map(measure, items), default=0) // 64 + 1
        except TypeError:  # not all integers (or strings)
            pass
    try:
        deque(map(float.__float__, items), 0)
        return 1
    except TypeError:
        pass
    cost = 1
    for position, item in enumerate(items):
        cost = max(cost, comparison_cost(item))
        if position % 4096 == 4095:
            check_time()
    return cost


def extreme(pick: Callable[..., Any], items: list) -> Any:
    """``pick(items)`` (min or max: the first of equal elements), in slices when it could
    take long."""
    cost = element_cost(items)
    if len(items) * cost <= SLICE_WORK:
        return pick(items)
    best = None
    for low, high in slices(len(items), cost):
        found = pick(items[low:high])
        best = found if low == 0 else pick(best, found)
    return best


def check_sort(items: Any) -> None:
    """Refuse to sort ``items`` when the comparisons could do more than WORK_LIMIT units."""
    length = len(items)
    if length < 2:
        return
    cost = element_cost(items)
    work = int(length * math.log2(length)) * cost
    if work > WORK_LIMIT:
        raise too_much_work(f"sorting {length:,} elements", work,
                            "sort fewer or shorter values, or sort by a short key "
                            "(collections.sortBy)")


def total(items: Any, start: Any) -> Any:
    """``sum(items, start)``: arrays are joined in one pass (no quadratic copying) within
    the size limit, and integers are added in slices when they are long."""
    if start.__class__ is list and all(isinstance(item, list) for item in items):
        check_length(len(start) + sum(map(len, items)))
        joined = list(start)
        for item in items:
            joined.extend(item)
        return joined
    if start.__class__ is not int or len(items) <= _SHORT_SUM:
        return sum(items, start)  # a short sum, or Python's error: what cannot add up
    cost = max(comparison_cost(start), element_cost(items))
    if cost == 1:
        return sum(items, start)  # small numbers
    result = start
    for low, high in slices(len(items), cost):
        result = sum(items[low:high], result)
    return result


def sort(array: list, *args: Any) -> None:
    """``array.sort()``, refused when its worst case is too much work."""
    check_sort(array)
    array.sort(*args)


# The array methods that compare elements, in their measured form (ML names).
COMPARING_METHODS = {"index": index, "count": count, "remove": remove, "sort": sort}
