"""When a REPL input is complete, decided by the ML parser rather than by counting characters.

An input is complete when it parses. It is incomplete when the parser runs out of input while
a construct is still open -- a bracket, a block, an operator waiting for its operand, a string
-- so braces inside strings and comments never count. A complete input that only lacks its
final ``;`` is completed with one (decided by where the parser failed, not by guessing from
the text).
"""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from mlpy.language.parser import get_parser
from mlpy.language.transform import TreeError


def _runs_out(text: str) -> bool | None:
    """True when parsing ``text`` fails at its end (more input could fix it), False when it
    fails before, None when it parses."""
    try:
        get_parser().parse(text)
    except UnexpectedEOF:
        return True
    except UnexpectedToken as error:
        return error.token.type == "$END"
    except UnexpectedCharacters as error:
        # A string left open: the lexer stops at its quote, and a closing quote may follow.
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        return char in "\"'" and text.count(char, error.pos_in_stream) % 2 == 1
    except (UnexpectedInput, TreeError):
        return False
    return None


def with_semicolon(text: str) -> str:
    """``text``, or ``text + ";"`` when that is what it lacks to parse."""
    if _runs_out(text) and _runs_out(text.rstrip() + ";") is None:
        return text.rstrip() + ";"
    return text


def is_complete(text: str) -> bool:
    """Whether ``text`` can run as it is (or with a final ``;``), or fails anyway: only an
    input the parser could still finish asks for another line."""
    if not text.strip():
        return True
    if _runs_out(text) is not True:
        return True
    return _runs_out(text.rstrip() + ";") is None  # all it lacks is the final ";"
