"""Size limits on the values ML operations create.

A script must not be able to exhaust the host's memory or stall it inside one operation:
repeating a sequence (``"a" * n``, ``[0] * n``), building a range, or multiplying integers
whose result has millions of digits. The operations that can do so check the size of what
they would create *before* creating it and raise :class:`~mlpy.errors.MLResourceError`
(resource ``memory``), which ML code cannot catch.
"""

from __future__ import annotations

import re
from typing import Any

from mlpy.errors import MLResourceError
from mlpy.integers import MAX_INT_BITS
from mlpy.runtime.state import current_state
from mlpy.runtime.values import display

# Values at least this large are charged to the memory budget as they are created.
LARGE = 1 << 16

MAX_SEQUENCE_LENGTH = 1 << 24  # items of an array, characters of a string


def too_large(what: str, size: int, limit: int, unit: str) -> MLResourceError:
    """The size-limit error, recorded as the running execution's trip: a limit ends the
    execution, whatever ``finally`` blocks do with it."""
    # a size computed from a huge integer operand is not worth writing out in full
    amount = f"{size:,}" if size < 1 << 64 else f"more than {1 << 64:,}"
    error = MLResourceError(
        f"size limit reached: {what} of {amount} {unit} is over the limit of {limit:,} {unit}",
        resource="memory", limit=limit,
        hints=["work on smaller pieces of data"],
    )
    state = current_state()
    if state is not None:
        state.trip(error)
    return error


def check_length(length: int, item_bytes: int = 8) -> None:
    """Refuse a sequence of ``length`` items before it is created; charge a large one to
    the execution's memory budget (``item_bytes`` per item)."""
    if length > MAX_SEQUENCE_LENGTH:
        if item_bytes == 1:
            raise too_large("a string", length, MAX_SEQUENCE_LENGTH, "characters")
        raise too_large("a sequence", length, MAX_SEQUENCE_LENGTH, "items")
    if length >= LARGE:
        state = current_state()
        if state is not None and state.max_memory is not None:
            state.charge(length * item_bytes)


def check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise too_large("an integer", bits, MAX_INT_BITS, "bits")


def ml_mul(left: Any, right: Any) -> Any:
    """``left * right``, refusing sequences and integers beyond the size limits."""
    lc, rc = left.__class__, right.__class__
    if lc is float or rc is float:
        return left * right
    if (lc is int or lc is bool) and (rc is int or rc is bool):
        check_bits(left.bit_length() + right.bit_length())
        return left * right
    if lc is int and rc in (str, list):
        check_length(len(right) * max(left, 0), 1 if rc is str else 8)
    elif rc is int and lc in (str, list):
        check_length(len(left) * max(right, 0), 1 if lc is str else 8)
    return left * right


def ml_add(left: Any, right: Any) -> Any:
    """``left + right`` where a sequence may be involved: checks the result's length."""
    if left.__class__ in (str, list) and right.__class__ is left.__class__:
        check_length(len(left) + len(right), 1 if left.__class__ is str else 8)
    return left + right


def ml_concat(*parts: Any) -> str:
    """A concatenation of several values next to string literals (D3 display)."""
    texts = [part if part.__class__ is str else display(part) for part in parts]
    check_length(sum(map(len, texts)), 1)
    return "".join(texts)


# ----------------------------------------------------------------------------- formatting
# A width or precision in a format is a size too: "%.200000000f" builds 200 million digits.

_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\d+)?(?:\.(\d+))?")
_NUMBER = re.compile(r"\d+")


def check_percent_format(text: str) -> None:
    """Refuse a printf-style format whose widths or precisions exceed the string limit."""
    for match in _PERCENT_SPEC.finditer(text):
        for number in match.groups():
            if number is not None and len(number) > 3:
                check_length(int(number), 1)


_MAPPING_KEY = re.compile(r"%\(([^)]*)\)")


def check_percent_result(text: str, values: Any) -> None:
    """Refuse a printf-style formatting whose result would exceed the string limit: a
    format that names one key many times repeats that value as often."""
    if values.__class__ is dict:
        keys = _MAPPING_KEY.findall(text)
        if len(keys) < 2:
            return
        size = len(text) + sum(_shown_length(values.get(key, "")) for key in keys)
    else:
        if len(values) != 1 or text.count("%") < 2:
            return
        size = len(text) + text.count("%") * _shown_length(values[0])
    check_length(size, 1)


def _shown_length(value: Any) -> int:
    if value.__class__ is str:
        return len(value)
    text = getattr(value, "value", value)  # a value wrapped for %s display
    if text.__class__ is int:
        return max(text.bit_length() * 3 // 10, 32)  # about its digits
    return len(text) if text.__class__ is str else 32


def check_format_spec(spec: str) -> None:
    """Refuse a ``format()`` specification whose width or precision exceeds the limit."""
    for number in _NUMBER.findall(spec):
        if len(number) > 3:
            check_length(int(number), 1)


# ----------------------------------------------------------------------------- growing methods
# String and array methods whose result can be much larger than their receiver are checked
# like the operators above before they run.


def _pad(method: Any) -> Any:
    def padded(text: str, width: Any, *fill: Any) -> str:
        if width.__class__ is int:
            check_length(width, 1)
        return method(text, width, *fill)
    padded.__name__ = method.__name__
    return padded


def str_replace(text: str, old: Any, new: Any, *count: Any) -> str:
    if old.__class__ is str and new.__class__ is str and len(new) > len(old):
        times = text.count(old) if old else len(text) + 1
        if count and count[0].__class__ is int and count[0] >= 0:
            times = min(times, count[0])
        check_length(len(text) + times * (len(new) - len(old)), 1)
    return text.replace(old, new, *count)


def str_join(separator: str, items: Any) -> str:
    if items.__class__ in (list, tuple):
        size = sum(len(item) for item in items if item.__class__ is str)
        check_length(size + len(separator) * max(len(items) - 1, 0), 1)
    elif items.__class__ is str:
        check_length(len(items) * (len(separator) + 1), 1)
    return separator.join(items)


def list_extend(array: list, items: Any) -> None:
    if items.__class__ in (list, tuple, str, dict):
        check_length(len(array) + len(items))
    array.extend(items)


def list_copy(array: list) -> list:
    check_length(len(array))
    return array.copy()


def _named(fn: Any, name: str) -> Any:
    fn.__name__ = name  # the method name, so an extracted method is recognised as allowed
    return fn


CHECKED_METHODS = {
    str: {"center": _pad(str.center), "ljust": _pad(str.ljust), "rjust": _pad(str.rjust),
          "replace": _named(str_replace, "replace"), "join": _named(str_join, "join")},
    list: {"extend": _named(list_extend, "extend"), "copy": _named(list_copy, "copy")},
}
