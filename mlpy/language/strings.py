"""Decoding of ML string literals (DESIGN D1).

The escapes ``\\n \\t \\r \\\\ \\" \\' \\0 \\xHH \\uHHHH`` are processed. Any other backslash
pair is kept as written, so regular expressions such as ``"\\d+"`` keep working.
"""

from __future__ import annotations

import re

_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{0,2}|u[0-9A-Fa-f]{0,4}|.)", re.S)


class EscapeError(ValueError):
    """A malformed ``\\x`` or ``\\u`` escape; ``offset`` is its index in the literal body."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def decode(body: str) -> str:
    """The value of a literal whose text between the quotes is ``body``."""
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        head = escape[0]
        if head in _SIMPLE and len(escape) == 1:
            return _SIMPLE[head]
        if head == "x":
            if len(escape) != 3:
                raise EscapeError("\\x must be followed by two hex digits", match.start())
            return chr(int(escape[1:], 16))
        if head == "u":
            if len(escape) != 5:
                raise EscapeError("\\u must be followed by four hex digits", match.start())
            return chr(int(escape[1:], 16))
        return match.group(0)

    return _ESCAPE.sub(replace, body)
