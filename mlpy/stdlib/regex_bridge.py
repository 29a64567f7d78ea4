"""ML module ``regex``: regular expressions (Python ``re`` syntax); pure, so it needs no
capability.

Python ``re`` objects never reach ML: a compiled pattern is a :class:`Pattern` and a match a
:class:`Match`, each exposing only its documented members. Every result is made of ML values
(arrays, never tuples: D6).

Python's warnings about a pattern (``FutureWarning: Possible nested set``) go to the
execution's error output, like anything else the script causes, never to the host's stderr.

A single match is one native operation that the cooperative time limit cannot interrupt, so
patterns longer than :data:`MAX_PATTERN_LENGTH` characters are refused, and each call first
estimates its worst case from the pattern's shape and the text's length
(:mod:`mlpy.stdlib._regex_work`): a call that could backtrack for too long is refused before
it runs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterator
from typing import Any

from mlpy.ext import ml_class, ml_constant, ml_function, ml_module, ml_property
from mlpy.runtime.limits import check_length, check_time
from mlpy.runtime.ops import ml_call
from mlpy.runtime.quiet import quietly
from mlpy.runtime.state import write_output
from mlpy.runtime.values import typeof
from mlpy.stdlib import _regex_work

MAX_PATTERN_LENGTH = 4096
_FLAG_NAMES = {re.IGNORECASE: "IGNORECASE", re.MULTILINE: "MULTILINE", re.DOTALL: "DOTALL",
               re.VERBOSE: "VERBOSE"}
_ALLOWED_FLAGS = int(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.ASCII
                     | re.UNICODE)
_GROUP_REFERENCE = re.compile(r"\\(?:g<([^>]*)>|.)", re.S)  # \g<name>, or another escape


def _text(value: Any, what: str = "text") -> str:
    if not isinstance(value, str):
        raise TypeError(f"regex: {what} must be a string, not {typeof(value)}")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"regex: {what} must be an integer, not {typeof(value)}")
    return value


def _compile(pattern: Any, flags: Any = 0) -> re.Pattern:
    _text(pattern, "the pattern")
    flags = _int(flags, "flags")
    if flags & ~_ALLOWED_FLAGS:
        raise ValueError(f"regex: unknown flags {flags}")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"regex: the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        compiled, warned = _compiled(pattern, flags)
    except (re.error, ValueError, OverflowError, RecursionError) as error:
        raise ValueError(f"Invalid regex pattern '{pattern}': {error}") from None
    for message in warned:  # the script's warnings go to the script's error output
        write_output(f"warning: regex: {message} in the pattern {pattern!r}\n", error=True)
    return compiled


@lru_cache(maxsize=512)
def _compiled(pattern: str, flags: int) -> tuple[re.Pattern, tuple[str, ...]]:
    """A compiled pattern and the warnings Python's ``re`` gave about it (kept, so that every
    compilation of the pattern reports them, not only the first in the process)."""
    compiled, warned = quietly(re.compile, pattern, flags)
    return compiled, tuple(warned)


def _check_template(replacement: str, what: str = "replacement") -> None:
    """Group references in a replacement name a group by number or identifier: Python 3.12
    refuses other names, and 3.11 takes them with a DeprecationWarning."""
    for reference in _GROUP_REFERENCE.finditer(replacement):
        name = reference[1]
        if name is not None and not (name.isidentifier() or (name.isascii()
                                                              and name.isdigit())):
            raise ValueError(f"regex: invalid {what} '{replacement}': bad character in "
                             f"group name {name!r}")


def _span(pos: Any, endpos: Any, text: str) -> tuple[int, int]:
    pos = _int(pos, "pos")
    end = len(text) if endpos is None else _int(endpos, "endpos")
    return pos, end


def _measured(compiled: re.Pattern, text: str, mode: str = "search",
              span: tuple[int, int] | None = None) -> str:
    """``text``, once a ``mode`` call of ``compiled`` on it (or on ``text[pos:endpos]``)
    is known not to backtrack for too long."""
    start, end = span if span is not None else (0, len(text))
    start, end, _ = slice(start, end).indices(len(text))
    _regex_work.check(compiled, max(end - start, 0), mode)
    return text


# A text can hold millions of matches (an empty pattern matches between every two
# characters), and Python walks them without looking at the execution's limits: every
# CHECK_EVERY matches the deadline and cancel flag are looked at, and matches that are kept
# (as Match objects) count against the size limit and, about MATCH_BYTES each, the memory
# budget.
CHECK_EVERY = 4096
MATCH_BYTES = 200


def _walk(matches: Iterator[re.Match], kept: bool = False) -> Iterator[re.Match]:
    """``matches``, within the execution's time, size and (if ``kept``) memory limits."""
    count = 0
    for m in matches:
        count += 1
        if count % CHECK_EVERY == 0:
            check_time()
            if kept:
                check_length(count, MATCH_BYTES)
        yield m


def _finditer(compiled: re.Pattern, text: str, *span: int) -> list:
    return [Match(m) for m in _walk(compiled.finditer(text, *span), kept=True)]


def _count(compiled: re.Pattern, text: str) -> int:
    return sum(1 for _ in _walk(compiled.finditer(_measured(compiled, text))))


def _match(m: re.Match | None) -> Match | None:
    return None if m is None else Match(m)


def _findall(compiled: re.Pattern, text: str, pos: int = 0, endpos: int | None = None) -> list:
    end = len(text) if endpos is None else endpos
    found = compiled.findall(text, pos, end)
    if compiled.groups > 1:
        return [list(item) for item in found]
    return found


def _sub(compiled: re.Pattern, replacement: Any, text: str, count: Any) -> list:
    """``[result, number of replacements]``, refusing a result beyond the string limit before
    it is built."""
    text = _text(text)
    count = _int(count, "count")
    if count < 0:
        raise ValueError("regex: count must not be negative")
    if not isinstance(replacement, str) and not callable(replacement):
        raise TypeError(f"regex: the replacement must be a string or a function, "
                        f"not {typeof(replacement)}")
    if isinstance(replacement, str):
        _check_template(replacement)
    _measured(compiled, text)
    # A template without a backslash is its own expansion: no need to expand it per match.
    literal = replacement if isinstance(replacement, str) and "\\" not in replacement else None
    parts: list[str] = []
    size = 0
    last = 0
    done = 0
    for m in _walk(compiled.finditer(text)):
        if count and done >= count:
            break
        if literal is not None:
            piece = literal
        elif isinstance(replacement, str):
            try:
                piece = m.expand(replacement)
            except (re.error, IndexError) as error:
                raise ValueError(f"regex: invalid replacement '{replacement}': {error}") from None
        else:
            piece = ml_call(replacement, Match(m))
            if not isinstance(piece, str):
                raise TypeError(f"regex: the replacement function must return a string, "
                                f"not {typeof(piece)}")
        gap = text[last:m.start()]
        size += len(gap) + len(piece)
        check_length(size, 1)
        parts.append(gap)
        parts.append(piece)
        last = m.end()
        done += 1
    rest = text[last:]
    check_length(size + len(rest), 1)
    parts.append(rest)
    return ["".join(parts), done]


@ml_class("Match", "The result of a successful regex match")
class Match:
    __slots__ = ("_m",)

    def __init__(self, m: re.Match):
        self._m = m

    def _ml_held(self) -> tuple[str]:
        """The text the match was found in, kept alive with it (for the memory budget)."""
        return (self._m.string,)

    def _group_index(self, group: Any) -> Any:
        if isinstance(group, bool) or not isinstance(group, (int, str)):
            raise TypeError(f"Match: a group is a number or a name, not {typeof(group)}")
        return group

    @ml_function("The text of a group (number or name; 0 is the whole match); null when the "
                 "group does not exist or did not take part")
    def group(self, id=0):
        try:
            return self._m.group(self._group_index(id))
        except IndexError:
            return None

    @ml_function("Array of the texts of all groups; null for a group that did not take part")
    def groups(self):
        return list(self._m.groups())

    @ml_function("Object of the named groups")
    def groupDict(self, default=None):
        return self._m.groupdict(default)

    @ml_function("Start index of a group; -1 when it does not exist or did not take part")
    def start(self, group=0):
        try:
            return self._m.start(self._group_index(group))
        except IndexError:
            return -1

    @ml_function("End index of a group; -1 when it does not exist or did not take part")
    def end(self, group=0):
        try:
            return self._m.end(self._group_index(group))
        except IndexError:
            return -1

    @ml_function("[start, end] of a group; [-1, -1] when it does not exist")
    def span(self, group=0):
        try:
            return list(self._m.span(self._group_index(group)))
        except IndexError:
            return [-1, -1]

    @ml_function("The text of the whole match")
    def value(self):
        return self._m.group(0)

    @ml_function("Name of the last group that matched, or null")
    def lastGroup(self):
        return self._m.lastgroup

    @ml_function("Number of groups in the pattern")
    def groupCount(self):
        return self._m.re.groups

    @ml_function("The template with \\1 and \\g<name> replaced by the groups")
    def expand(self, template):
        _check_template(_text(template, "the template"), "template")
        try:
            result = self._m.expand(template)
        except (re.error, IndexError) as error:
            raise ValueError(f"regex: invalid template '{template}': {error}") from None
        check_length(len(result), 1)
        return result

    @ml_function("Match(value='...', span=[start, end])")
    def toString(self):
        return self._ml_display()

    def _ml_display(self) -> str:
        start, end = self._m.span()
        return f"Match(value={self._m.group(0)!r}, span=[{start}, {end}])"


@ml_class("Pattern", "A compiled regular expression")
class Pattern:
    __slots__ = ("_re", "_flags")

    def __init__(self, compiled: re.Pattern, flags: int = 0):
        self._re = compiled
        self._flags = flags

    @ml_property("The source text of the pattern")
    def pattern(self):
        return self._re.pattern

    @ml_property("The flags the pattern was compiled with")
    def flags(self):
        return self._flags

    @ml_function("Whether the pattern matches anywhere in text")
    def test(self, text):
        return self._re.search(_measured(self._re, _text(text))) is not None

    @ml_function("First match anywhere in text[pos:endpos], or null")
    def search(self, text, pos=0, endpos=None):
        span = _span(pos, endpos, _text(text))
        return _match(self._re.search(_measured(self._re, text, "search", span), *span))

    @ml_function("Match at the start of text[pos:endpos], or null")
    def match(self, text, pos=0, endpos=None):
        span = _span(pos, endpos, _text(text))
        return _match(self._re.match(_measured(self._re, text, "match", span), *span))

    @ml_function("Match of the whole of text[pos:endpos], or null")
    def fullmatch(self, text, pos=0, endpos=None):
        span = _span(pos, endpos, _text(text))
        return _match(self._re.fullmatch(_measured(self._re, text, "fullmatch", span),
                                         *span))

    @ml_function("Array of all matches (group texts when the pattern has groups)")
    def findall(self, text, pos=0, endpos=None):
        span = _span(pos, endpos, _text(text))
        return _findall(self._re, _measured(self._re, text, "search", span), *span)

    @ml_function("Array of Match objects for all matches")
    def finditer(self, text, pos=0, endpos=None):
        span = _span(pos, endpos, _text(text))
        return _finditer(self._re, _measured(self._re, text, "search", span), *span)

    @ml_function("Split text at the matches (captured groups included)")
    def split(self, text, maxsplit=0):
        return self._re.split(_measured(self._re, _text(text)), _int(maxsplit, "maxsplit"))

    @ml_function("Replace matches (all, or the first count) with the replacement")
    def sub(self, replacement, text, count=0):
        return _sub(self._re, replacement, text, count)[0]

    @ml_function("{result, count}: the replaced text and the number of replacements")
    def subn(self, replacement, text, count=0):
        result, done = _sub(self._re, replacement, text, count)
        return {"result": result, "count": done}

    @ml_function("Number of non-overlapping matches")
    def count(self, text):
        return _count(self._re, _text(text))

    @ml_function("The source text of the pattern")
    def getPattern(self):
        return self._re.pattern

    @ml_function("The flags the pattern was compiled with")
    def getFlags(self):
        return self.flags

    @ml_function("Pattern('...') with its flags")
    def toString(self):
        return self._ml_display()

    def _ml_display(self) -> str:
        names = [name for flag, name in _FLAG_NAMES.items() if self._re.flags & flag]
        shown = f", flags={' | '.join(names)}" if names else ""
        return f"Pattern({self._re.pattern!r}{shown})"


@ml_module("regex", "Regular expression pattern matching with full Python re module support")
class Regex:
    MAX_PATTERN_LENGTH = ml_constant(MAX_PATTERN_LENGTH,
                                     "The longest pattern, in characters, that is accepted")

    @ml_function("Flag: case-insensitive matching (2)", name="IGNORECASE")
    def ignorecase(self):
        return int(re.IGNORECASE)

    @ml_function("Flag: ^ and $ match at every line (8)", name="MULTILINE")
    def multiline(self):
        return int(re.MULTILINE)

    @ml_function("Flag: . matches a newline too (16)", name="DOTALL")
    def dotall(self):
        return int(re.DOTALL)

    @ml_function("Flag: whitespace and # comments in the pattern are ignored (64)",
                 name="VERBOSE")
    def verbose(self):
        return int(re.VERBOSE)

    @ml_function("Flag: \\w, \\d, \\s and \\b match ASCII only (256)", name="ASCII")
    def ascii(self):
        return int(re.ASCII)

    @ml_function("Flag: Unicode matching, the default (32)", name="UNICODE")
    def unicode(self):
        return int(re.UNICODE)

    @ml_function("Compile a pattern into a Pattern object")
    def compile(self, pattern, flags=0):
        return Pattern(_compile(pattern, flags), flags)

    @ml_function("Whether the pattern matches anywhere in text")
    def test(self, pattern, text, flags=0):
        compiled = _compile(pattern, flags)
        return compiled.search(_measured(compiled, _text(text))) is not None

    @ml_function("First match anywhere in text, as a Match, or null")
    def search(self, pattern, text, flags=0):
        compiled = _compile(pattern, flags)
        return _match(compiled.search(_measured(compiled, _text(text))))

    @ml_function("Match at the start of text, or null")
    def match(self, pattern, text, flags=0):
        compiled = _compile(pattern, flags)
        return _match(compiled.match(_measured(compiled, _text(text), "match")))

    @ml_function("Match of the whole text, or null")
    def fullmatch(self, pattern, text, flags=0):
        compiled = _compile(pattern, flags)
        return _match(compiled.fullmatch(_measured(compiled, _text(text), "fullmatch")))

    @ml_function("Array of all matches (group texts; arrays of them with several groups)")
    def findall(self, pattern, text, flags=0):
        compiled = _compile(pattern, flags)
        return _findall(compiled, _measured(compiled, _text(text)))

    @ml_function("Array of Match objects for all matches")
    def finditer(self, pattern, text, flags=0):
        compiled = _compile(pattern, flags)
        return _finditer(compiled, _measured(compiled, _text(text)))

    @ml_function("Split text at the matches (captured groups included)")
    def split(self, pattern, text, maxsplit=0, flags=0):
        compiled = _compile(pattern, flags)
        return compiled.split(_measured(compiled, _text(text)), _int(maxsplit, "maxsplit"))

    @ml_function("Replace the matches (all, or the first count) with the replacement (string "
                 "with \\1, \\g<name>, or a function of the Match)")
    def sub(self, pattern, replacement, text, count=0, flags=0):
        return _sub(_compile(pattern, flags), replacement, text, count)[0]

    @ml_function("{result, count}: the replaced text and the number of replacements")
    def subn(self, pattern, replacement, text, count=0, flags=0):
        result, done = _sub(_compile(pattern, flags), replacement, text, count)
        return {"result": result, "count": done}

    @ml_function("Number of non-overlapping matches")
    def count(self, pattern, text, flags=0):
        return _count(_compile(pattern, flags), _text(text))

    @ml_function("The text with every regex special character escaped")
    def escape(self, text):
        return re.escape(_text(text))

    @ml_function("Whether the pattern compiles", name="isValid")
    def is_valid(self, pattern):
        try:
            _compile(pattern)
        except (ValueError, TypeError):
            return False
        return True
