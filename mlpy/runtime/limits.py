"""Size limits on the values ML operations create.

A script must not be able to exhaust the host's memory or stall it inside one operation:
repeating a sequence (``"a" * n``, ``[0] * n``), building a range, or multiplying integers
whose result has millions of digits. The operations that can do so check the size of what
they would create *before* creating it and raise :class:`~mlpy.errors.MLResourceError`
(resource ``memory``), which ML code cannot catch.
"""

from __future__ import annotations

from typing import Any

from mlpy.errors import MLResourceError
from mlpy.runtime.values import display

MAX_SEQUENCE_LENGTH = 1 << 24  # items of an array, characters of a string
MAX_INT_BITS = 1 << 20  # about 315,000 decimal digits


def too_large(what: str, size: int, limit: int, unit: str) -> MLResourceError:
    return MLResourceError(
        f"size limit reached: {what} of {size:,} {unit} is over the limit of {limit:,} {unit}",
        resource="memory", limit=limit,
        hints=["work on smaller pieces of data"],
    )


def check_length(length: int) -> None:
    if length > MAX_SEQUENCE_LENGTH:
        raise too_large("a sequence", length, MAX_SEQUENCE_LENGTH, "items")


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
        check_length(len(right) * max(left, 0))
    elif rc is int and lc in (str, list):
        check_length(len(left) * max(right, 0))
    return left * right


def ml_add(left: Any, right: Any) -> Any:
    """``left + right`` where a sequence may be involved: checks the result's length."""
    if left.__class__ in (str, list) and right.__class__ is left.__class__:
        check_length(len(left) + len(right))
    return left + right


def ml_concat(*parts: Any) -> str:
    """A concatenation of several values next to string literals (D3 display)."""
    texts = [part if part.__class__ is str else display(part) for part in parts]
    check_length(sum(map(len, texts)))
    return "".join(texts)
