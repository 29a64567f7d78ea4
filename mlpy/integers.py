"""Integers of any size ML allows, as decimal text and back.

Python refuses to convert an integer of more than 4,300 digits to decimal text or back
(``sys.set_int_max_str_digits``): its conversion takes time quadratic in the length, so an
unbounded one would let a long number stall the process. ML integers are bounded instead, to
:data:`MAX_INT_BITS` bits (about 315,000 digits), and a program that holds a long one must
still print it, send it as JSON and read it back.

So the conversions here never hand Python a text or a number past its limit. Text becomes a
number half by half -- ``high * 10**k + low`` -- until each half is short enough for
``int()``. A number becomes text through :class:`decimal.Decimal`, which converts from
binary without that limit: half by half again, ``high * 2**k + low``, with the powers of two
computed once, so the work stays well below quadratic (about 0.15 s for the largest ML
integer). The host's own setting is read, never changed.

This module imports nothing from the rest of mlpy.
"""

from __future__ import annotations

import decimal
import math
import re
import sys

MAX_INT_BITS = 1 << 20  # the largest ML integer, about 315,000 decimal digits
# The most decimal digits an integer of MAX_INT_BITS bits can have.
MAX_INT_DIGITS = math.floor(MAX_INT_BITS * math.log10(2)) + 1

# Numbers and texts this short convert directly under any limit Python allows (at least 640
# digits where the limit is on).
_SHORT_BITS = 2000
_SHORT_DIGITS = 600

_DIGITS = re.compile(r"[+-]?[0-9]+\Z")
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def fits_text(number: int) -> bool:
    """Whether ``str(number)`` works under the interpreter's digit limit."""
    if number.bit_length() <= _SHORT_BITS:
        return True
    limit = sys.get_int_max_str_digits()
    if limit == 0:
        return True
    # b bits hold at most floor(b * log10(2)) + 1 digits; close to the limit, ask Python.
    if number.bit_length() * math.log10(2) + 1 <= limit:
        return True
    try:
        str(number)
    except ValueError:
        return False
    return True


def int_text(number: int) -> str:
    """The decimal text of ``number``, however long."""
    if number.bit_length() <= _SHORT_BITS or fits_text(number):  # the first test is the fast path
        return str(number)
    sign = "-" if number < 0 else ""
    return sign + str(_to_decimal(abs(number)))


def _to_decimal(number: int) -> decimal.Decimal:
    powers: dict[int, decimal.Decimal] = {}

    def convert(value: int, bits: int) -> decimal.Decimal:
        if bits <= _SHORT_BITS:
            return decimal.Decimal(value)
        half = bits // 2
        high, low = value >> half, value & ((1 << half) - 1)
        if half not in powers:
            powers[half] = _EXACT.power(decimal.Decimal(2), half)
        return _EXACT.add(_EXACT.multiply(convert(high, bits - half), powers[half]),
                          convert(low, half))

    return convert(number, number.bit_length())


def digits_value(text: str) -> int:
    """The integer written in decimal ``text`` (an optional sign, then ASCII digits), however
    long up to MAX_INT_BITS bits; ValueError for a longer one (refused before converting it
    when the text alone shows it) and for text that is not an integer."""
    if len(text) <= _SHORT_DIGITS:
        return int(text)
    if _DIGITS.match(text) is None:
        raise ValueError(f"invalid literal for an integer: {text[:40]!r}...")
    sign, digits = (-1, text[1:]) if text[0] == "-" else (1, text.lstrip("+"))
    digits = digits.lstrip("0") or "0"
    if len(digits) > MAX_INT_DIGITS:
        raise ValueError(too_long(len(digits)))
    value = _from_digits(digits)
    if value.bit_length() > MAX_INT_BITS:
        raise ValueError(too_long(len(digits)))
    return sign * value


def too_long(digits: int) -> str:
    """What refusing an integer of ``digits`` decimal digits over MAX_INT_BITS says."""
    return (f"an integer of {digits:,} digits is over the limit of {MAX_INT_BITS:,} bits "
            f"(about {MAX_INT_DIGITS:,} digits)")


def _from_digits(digits: str) -> int:
    powers: dict[int, int] = {}

    def convert(part: str) -> int:
        if len(part) <= _SHORT_DIGITS:
            return int(part)
        half = len(part) // 2
        if half not in powers:
            powers[half] = 10 ** half
        return convert(part[:-half]) * powers[half] + convert(part[-half:])

    return convert(digits)
