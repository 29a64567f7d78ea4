"""Measuring the memory an execution's data holds, for the ``max_memory`` budget.

In process there is no exact per-execution accounting, so the budget is enforced by
measuring: the values reachable from the program's namespace and from the variables of the
ML frames on the stack are walked and their sizes summed -- through arrays, objects,
closures, iterators, bound methods and the values other objects hold. A measurement runs when an
operation creates a large value, when the process's peak memory has grown by an eighth of
the budget, and periodically. Hard limits come from ``isolation="subprocess"``.
"""

from __future__ import annotations

import gc
import sys
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, Iterable

from mlpy.errors import MLResourceError

try:
    import resource
except ImportError:  # Windows: only the other triggers apply there
    resource = None  # type: ignore[assignment]

_CONTAINERS = (list, dict, tuple, set, frozenset)
# The iterators ML code can hold (iter() of an array, a string, an object): each keeps its
# sequence alive.
_ITERATORS = frozenset(type(iter(empty)) for empty in (
    [], (), "", "\u0100", b"", {}, {}.values(), {}.items())) | {type(reversed([]))}


def _frame_locals_type() -> type:
    return type(sys._getframe().f_locals)


# What ``frame.f_locals`` of a function is: a dict before Python 3.13, a live view of the
# frame's variables (``FrameLocalsProxy``, PEP 667) since. Both are walked like a dict.
_FRAME_LOCALS = _frame_locals_type()


def live_bytes(roots: Iterable[Any], limit: int) -> tuple[int, int]:
    """The bytes held by the values reachable from ``roots``, and how many were visited.

    Strings, numbers, arrays and objects count with their own size (``sys.getsizeof``);
    shared values count once. The walk stops early once ``limit`` bytes are exceeded.
    """
    seen: set[int] = set()
    stack = list(roots)
    total = visited = 0
    while stack:
        value = stack.pop()
        key = id(value)
        if key in seen:
            continue
        seen.add(key)
        visited += 1
        total += sys.getsizeof(value)
        if total > limit:
            break
        cls = value.__class__
        if cls is dict or cls is _FRAME_LOCALS:
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, dict):  # a frozen object
            stack.extend(value.keys())
            stack.extend(value.values())
        elif cls in _CONTAINERS or isinstance(value, _CONTAINERS):
            stack.extend(value)
        else:
            stack.extend(_held(value, cls))
    return total, visited


def _held(value: Any, cls: type) -> Iterable[Any]:
    """What an ML value other than an array or object keeps alive: a function's closure, a
    method's receiver, an iterator's sequence, and what an object says it holds
    (``_ml_held``: an error's message and payload, a memoized function's cache, the text
    of a regex match)."""
    if cls is FunctionType:
        return [cell.cell_contents for cell in value.__closure__ or () if _has_contents(cell)]
    if cls in _ITERATORS:
        return gc.get_referents(value)
    if cls is MethodType or cls is BuiltinFunctionType:
        owner = getattr(value, "__self__", None)
        return (owner,) if isinstance(owner, (str, *_CONTAINERS)) else ()
    held = getattr(cls, "_ml_held", None)
    return held(value) if held is not None else ()


def _has_contents(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # a cell not yet assigned
        return False
    return True


def peak_rss() -> int:
    """The process's peak resident memory in bytes (0 where the OS does not say)."""
    if resource is None:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def memory_error(limit: int, used: int) -> MLResourceError:
    return MLResourceError(
        f"memory limit reached: the program's data takes more than {limit:,} bytes "
        f"(at least {used:,})",
        resource="memory", limit=limit,
        hints=["raise max_memory, or keep less data alive at once"],
    )
