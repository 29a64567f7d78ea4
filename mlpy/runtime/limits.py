"""Size limits on the values ML operations create.

A script must not be able to exhaust the host's memory or stall it inside one operation:
repeating a sequence (``"a" * n``, ``[0] * n``), building a range, or multiplying integers
whose result has millions of digits. The operations that can do so check the size of what
they would create *before* creating it and raise :class:`~mlpy.errors.MLResourceError`
(resource ``memory``), which ML code cannot catch.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterator

from mlpy.errors import MLResourceError
from mlpy.integers import MAX_INT_BITS
from mlpy.runtime.state import current_state
from mlpy.runtime.values import display, expanded_size

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
# printf-style formatting builds its result from the format's text, its widths and precisions
# and the values it shows, so the result's size is bounded from those before it is built: a
# width is a size ("%200000000s"), and a format that names one key many times shows that
# value as often ("%(a)s%(a)s..." with a long string, a long array or a huge integer).

# One conversion, as Python reads it: "%", a mapping key, flags, width, precision, a length
# modifier (ignored) and the conversion type.
_CONVERSION = re.compile(r"%(?:\(([^()]*)\))?[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?(.?)", re.S)
# Digits per bit of an integer in each base, and what a float conversion can show at most
# besides its precision (1e308 in full).
_DIGITS_PER_BIT = {"d": 0.302, "i": 0.302, "u": 0.302, "x": 0.25, "X": 0.25, "o": 0.334}
_FLOAT_TYPES = frozenset("eEfFgG")
_FLOAT_DIGITS = 320
# Characters %r or %a may show for one character of a string ('\U000e0000').
_ESCAPED = 10
_PACE = 4096  # conversions read between two looks at the clock
_CACHED_FORMAT = 1000  # formats up to this length keep their conversions once read


def check_percent(text: str, argument: Any, mapping: bool) -> None:
    """Refuse ``text % argument`` (``mapping``: an object, read by ``%(key)``) when its
    result could be longer than the string limit.

    The size is the format's text, less each conversion, plus what each conversion writes:
    its width, or the length of the value it shows (within its precision), measured once
    per distinct conversion.
    """
    conversions, most = _format(text)
    if not mapping and most + _ESCAPED * _shown_length(argument) < LARGE:
        return  # a short format of one short value: nothing to add up
    size = len(text)
    written: dict[str, int] = {}  # what each distinct conversion writes
    taken = mapping  # a single argument: shown by the first conversion that takes one
    for spec, key, width, precision, conversion in conversions:
        length = written.get(spec)
        if length is None:
            if key is not None:
                value = argument.get(key, "") if mapping else ""
            elif not taken:
                value, taken = argument, conversion != "%"
            else:
                value = argument if mapping else ""
            length = max(width, _result_length(value, conversion, precision))
            if value is not argument or mapping:  # a single argument is shown only once
                written[spec] = length
        size += length - len(spec)
    check_length(size, 1)


def _format(text: str) -> tuple[Any, int]:
    """The conversions of a format (text, key, width, precision, type), and the most it
    can write besides the values it shows."""
    return _parsed(text) if len(text) <= _CACHED_FORMAT else _read(text)


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> tuple[Any, int]:
    return _read(text)


def _read(text: str) -> tuple[Any, int]:
    conversions = tuple(_parse(text))
    most = len(text) + sum(max(width, precision or 0) + _FLOAT_DIGITS + 6
                           for _, _, width, precision, _ in conversions)
    return conversions, most


def _parse(text: str) -> Iterator[tuple[Any, ...]]:
    """Each conversion of a format, as Python reads it; a width or precision given by "*"
    counts as 0 (it takes an argument, which ML's single argument cannot provide)."""
    for count, match in enumerate(_CONVERSION.finditer(text), 1):
        if count % _PACE == 0:  # a long format: reading it takes a while
            check_time()
        spec = match.group()
        key, width, precision, conversion = match.groups()
        if key is None and spec[1:2] == "(":
            raise ValueError("format: a mapping key cannot hold parentheses")
        yield (spec, key, _number(width), None if precision is None else _number(precision),
               conversion)


def _result_length(value: Any, conversion: str, limit: int | None) -> int:
    """The most characters one conversion of ``value`` writes (``limit``: its precision),
    its width aside."""
    if conversion in "sra":
        length = _shown_length(value)
        if conversion != "s":
            length = length * _ESCAPED + 2
        return length if limit is None else min(length, limit)
    if conversion in _FLOAT_TYPES:
        return _FLOAT_DIGITS + (6 if limit is None else limit)
    if conversion in _DIGITS_PER_BIT:
        bits = value.bit_length() if value.__class__ is int else 1024  # a float's digits
        return max(int(bits * _DIGITS_PER_BIT[conversion]) + 1, limit or 0) + 3
    return 1  # %c, %%, or a conversion Python refuses


def _shown_length(value: Any) -> int:
    cls = value.__class__
    if cls is str:
        return len(value)
    if cls is int:
        return int(value.bit_length() * 0.302) + 2
    if cls is float or cls is bool or value is None:
        return 25
    return expanded_size(value)  # a container's display, a name or a message


def _number(digits: str) -> int:
    """A width or precision; "*" and an empty one are 0, an absurdly long one is huge."""
    if not digits.isdigit():
        return 0
    return int(digits) if len(digits) <= 18 else 10 ** 18


def check_time() -> None:
    """Look at the running execution's deadline and cancel flag now: inside a long native
    operation, which takes no steps, and when one returns."""
    state = current_state()
    if state is not None:
        state.check_now()


_NUMBER = re.compile(r"\d+")


def check_format_spec(spec: str) -> None:
    """Refuse a ``format()`` specification whose width or precision exceeds the limit."""
    for number in _NUMBER.findall(spec):
        if len(number) > 3:
            check_length(_number(number), 1)


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
    if items.__class__ is str:
        check_length(len(items) * (len(separator) + 1), 1)
        return separator.join(items)
    items = _sized(items)
    try:
        size = sum(map(str.__len__, items))
    except TypeError:  # not all strings: join says which
        return separator.join(items)
    check_length(size + len(separator) * max(len(items) - 1, 0), 1)
    return separator.join(items)


def list_extend(array: list, items: Any) -> None:
    items = _sized(items)
    check_length(len(array) + len(items))
    array.extend(items)


def set_slice(target: Any, start: Any, stop: Any, step: Any, items: Any) -> None:
    """``target[start:stop:step] = items``: an array cannot grow past the size limit."""
    if target.__class__ is list:
        items = _sized(items)
        replaced = len(range(*slice(start, stop, step).indices(len(target))))
        check_length(len(target) - replaced + len(items))
    target[start:stop:step] = items


def _sized(items: Any) -> Any:
    """``items`` as something whose length is known: an iterator (or an object, or a string)
    is read into an array first, as Python would read it -- so an iterator over the very
    array it extends ends where that array ends now, instead of following it forever."""
    return items if items.__class__ in (list, tuple) else list(items)


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
