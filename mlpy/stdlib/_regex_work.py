"""How much work one regex call can take, estimated before it runs.

Python's ``re`` is a backtracking matcher, and one call is one native operation that the
time limit cannot interrupt. On some patterns its worst case grows much faster than the
text: ``(a+)+$`` tries every way to split a run of ``a`` into groups (2^n), ``a*a*b``
every way to split it between two repeats (n^2 per attempt), and a search tries again at
every position of the text. This module reads a pattern's shape once (from Python's own
parse of it) and gives the *degree* of its worst case; :func:`check` refuses a call whose
estimate for the text at hand is over :data:`~mlpy.runtime.work.WORK_LIMIT`.

The estimate is ``size * n ** degree`` for a text of ``n`` characters and a pattern of
``size`` parsed items, or ``size * n * 2 ** n`` for an exponential pattern. The degree is
found on character sets, tested on a few probe characters (those the pattern names, and
one of each common kind):

* A *repeat* (``*``, ``+``, ``{m,}``, a count over 64, or a varying count of a part with
  such a repeat inside) starts a chain; a fixed count of such a part reads as its copies. The next repeat
  whose characters overlap the chain's continues it (``a*a*``, ``.*=.*``): the text can be
  split between them in n ways more. An item the chain's characters cannot match ends it:
  ``\\d+\\.\\d+`` has two chains of one.
* A chain costs only if something after it can fail (a character, an anchor, a
  lookaround); ``\\d+`` alone succeeds at once. The degree is the longest such chain.
* A repeat of a part that can itself match a stretch of text in more than one way is
  exponential: a repeat inside it with no mandatory character outside its own set
  (``(a+)+``, ``(\\w+\\s?)*``), or alternatives that can start alike (``(\\d|\\w)+``).
* A search (and findall, sub, split, count) adds one to the degree, unless the pattern is
  anchored at the start (``^`` without MULTILINE, ``\\A``), starts with a character none of
  its repeats can match (``"[^"]*"``), or with ``\\b`` before a repeat of word characters.
* Possessive repeats and atomic groups (``a++``, ``(?>...)``) give nothing back: they
  still read their stretch of text on each attempt, but do not multiply the splits.
"""

from __future__ import annotations

import functools
import re
from re import _constants as c  # the parser's own vocabulary
from re import _parser
from typing import Any

from mlpy.runtime.quiet import quietly
from mlpy.runtime.work import WORK_LIMIT, too_much_work

_EXPONENTIAL = 1 << 30  # the degree of a pattern whose work grows like 2^n
_STEP_UNITS = 2  # units of work of one step of the matcher (measured against sorting)
_LOOP = 64  # a repeat that may run more times than this counts as unbounded
_BASE_PROBES = ("a", "Z", "0", "_", " ", "\t", "\n", "-", ".", ",", "!", "\"", "'", "/",
                "\\", "@", "é", "\u00a0", "中", "٣", "\x00", "\u2028")
_REPEATS = (c.MAX_REPEAT, c.MIN_REPEAT)
_ZERO_WIDTH = (c.AT, c.ASSERT, c.ASSERT_NOT)


def check(compiled: re.Pattern, length: int, mode: str) -> None:
    """Refuse a ``mode`` call ("search", "match" or "fullmatch") of ``compiled`` on a text
    of ``length`` characters whose worst case is over the work limit."""
    size, degree = shape(compiled.pattern, compiled.flags, mode)
    if degree >= _EXPONENTIAL:
        # each of the 2^n ways to split the text takes up to n steps to try
        steps = size * length * 2 ** min(length, 128) * (length if mode == "search" else 1)
        growth = "2^n"
    else:
        steps = size * max(length, 1) ** max(degree, 1)
        growth = f"n^{degree}" if degree > 1 else "n"
    work = steps * _STEP_UNITS
    if work > WORK_LIMIT:
        raise too_much_work(
            f"matching this pattern against {length:,} characters (its worst case grows "
            f"like {growth} with the text's length)", work,
            "anchor the pattern (^, \\b), make its repeats possessive (a++) or atomic "
            "((?>...)), avoid a repeat of a part that repeats, or match smaller pieces of "
            "text")


@functools.lru_cache(maxsize=256)
def shape(pattern: str | bytes, flags: int, mode: str) -> tuple[int, int]:
    """(size, degree) of a compiled pattern's worst case in ``mode``."""
    parsed, _ = quietly(_parser.parse, pattern, flags)  # its warnings: told at compile time
    reader = _Reader(parsed, parsed.state.flags)
    chains, degree = reader.sequence(list(parsed), [])
    if mode == "fullmatch":  # the end of the text must follow: anything before can fail
        degree = max(degree, *(length for _, length in chains), 0)
    if mode == "search" and not reader.anchored(list(parsed)):
        degree += 1
    return reader.size, degree


class _Reader:
    """The character sets and chains of one parsed pattern."""

    def __init__(self, parsed: Any, flags: int):
        self.flags = flags
        self.size = 0
        self.probes = set(_BASE_PROBES) | {chr(code) for code in _named(list(parsed))}
        if flags & re.IGNORECASE:
            self.probes |= {form for probe in self.probes
                            for form in (probe.lower(), probe.upper()) if len(form) == 1}
        self.everything = frozenset(self.probes)

    # ------------------------------------------------------------------ chains

    def sequence(self, items: list, chains: list) -> tuple[list, int]:
        """Read ``items`` after the open ``chains`` ((characters, length) pairs): the chains
        open after them, and the longest chain that something after it can make fail."""
        degree = 0
        for op, av in items:
            self.size += 1
            if op is c.SUBPATTERN:
                chains, inner = self.sequence(list(av[3]), chains)
            elif op is c.BRANCH or op is c.GROUPREF_EXISTS:
                chains, inner = self.alternatives(_children(op, av), chains)
            elif op in _REPEATS and (av[1] > _LOOP or av[1] > av[0] and _long(av[2])):
                chains, inner = self.loop(av, chains)
            elif op in _REPEATS and _long(av[2]):  # a few copies of a part with a repeat
                inner = 0
                for _ in range(min(av[1], 4)):
                    chains, copy = self.sequence(list(av[2]), chains)
                    inner = max(inner, copy)
            elif op in _ZERO_WIDTH:  # it can fail: every open chain costs
                inner = max(self.inside(op, av), _longest(chains))
            else:
                chars, nullable, inner = self.item(op, av)
                if not nullable:  # it can fail, and it ends the chains that cannot read it
                    inner = max(inner, _longest(chains))
                    chains = [(cs, n) for cs, n in chains if cs & chars]
                if self.reads_a_stretch(op, av):  # a chain of one that nothing continues
                    chains = chains + [(frozenset(), 1)]
            degree = max(degree, inner)
        return chains, degree

    def reads_a_stretch(self, op: Any, av: Any) -> bool:
        """A possessive repeat or an atomic group with a repeat inside gives nothing back,
        but it still reads its stretch of text on each attempt."""
        if op is c.POSSESSIVE_REPEAT:
            return av[1] > _LOOP or self.has_loop(av[2])
        return op is c.ATOMIC_GROUP and self.has_loop(av)

    def alternatives(self, branches: list, chains: list) -> tuple[list, int]:
        merged: list = []
        degree = 0
        for branch in branches:
            after, inner = self.sequence(list(branch), list(chains))
            merged.extend(after)
            degree = max(degree, inner)
        return merged, degree

    def loop(self, av: Any, chains: list) -> tuple[list, int]:
        low, _, body = av
        body = list(body)
        chars = self.chars(body)
        inner = self.inside(c.MAX_REPEAT, av)
        if self.ambiguous(body):
            length = _EXPONENTIAL
        else:
            length = 1 + max((n for cs, n in chains if cs & chars), default=0)
        if low > 0 and not self.nullable(body):  # it must read: it ends the other chains
            chains = [(cs, n) for cs, n in chains if cs & chars]
        return chains + [(chars, length)], inner

    def inside(self, op: Any, av: Any) -> int:
        """The degree of the parts of an item, read on their own."""
        return max((self.sequence(list(part), [])[1] for part in _children(op, av)),
                   default=0)

    def item(self, op: Any, av: Any) -> tuple[frozenset, bool, int]:
        """(characters, nullable, degree inside) of an item that continues no chain: a
        character, a back-reference, a short repeat, a possessive repeat, an atomic group."""
        return self.chars([(op, av)]), self.nullable([(op, av)]), self.inside(op, av)

    # ------------------------------------------------------------------ ambiguity

    def ambiguous(self, body: list) -> bool:
        """Whether one stretch of text can be read by repeats of ``body`` in many ways: a
        repeat inside it with nothing mandatory beside it that it cannot read, or
        alternatives inside it that can start alike."""
        flat = _flattened(body)
        for position, (op, av) in enumerate(flat):
            inner = self.loops_in(op, av)
            if inner and not any(self.fences(item, inner) for index, item in enumerate(flat)
                                 if index != position):
                return True
        return any(self.overlapping(av[1]) for op, av in _walk(body) if op is c.BRANCH)

    def loops_in(self, op: Any, av: Any) -> list[frozenset]:
        """The character sets of the repeats of varying count in an item (atomic parts and
        possessive repeats give nothing back: none counts there)."""
        if op is c.POSSESSIVE_REPEAT or op is c.ATOMIC_GROUP:
            return []
        found = []
        if op in _REPEATS and av[1] > max(av[0], 1):
            found.append(self.chars(list(av[2])))
        for part in _children(op, av) if op not in _ZERO_WIDTH else ():
            for o, a in part:
                found.extend(self.loops_in(o, a))
        return found

    def has_loop(self, items: Any) -> bool:
        return any(self.loops_in(op, av) for op, av in items)

    def fences(self, item: tuple, loops: list[frozenset]) -> bool:
        """Whether ``item`` must read a character that none of ``loops`` can read."""
        if item[0] in _ZERO_WIDTH or self.nullable([item]):
            return False
        chars = self.chars([item])
        return all(not chars & cs for cs in loops)

    def overlapping(self, branches: list) -> bool:
        seen: frozenset = frozenset()
        for branch in branches:
            first = self.first(list(branch))
            if seen & first or self.nullable(list(branch)):
                return True
            seen |= first
        return False

    # ------------------------------------------------------------------ anchors

    def anchored(self, items: list) -> bool:
        """Whether a search tries the pattern at few positions (see the module docstring)."""
        flat = _flattened(items)
        if not flat:
            return True
        op, av = flat[0]
        if op is c.AT and (av is c.AT_BEGINNING_STRING
                           or av is c.AT_BEGINNING and not self.flags & re.MULTILINE):
            return True
        if op is c.AT and av is c.AT_BOUNDARY and len(flat) > 1:
            words = frozenset(p for p in self.probes if p.isalnum() or p == "_")
            start = self.loops_in(*flat[1]) or [self.chars([flat[1]])]
            return bool(start[0]) and start[0] <= words
        repeats = [self.chars(list(a[2])) for o, a in _walk(items)
                   if (o in _REPEATS or o is c.POSSESSIVE_REPEAT) and a[1] > max(a[0], 1)]
        return self.fences(flat[0], repeats)

    # ------------------------------------------------------------------ character sets

    def chars(self, items: list) -> frozenset:
        """The characters a match of ``items`` can read."""
        found: frozenset = frozenset()
        for op, av in items:
            if op is c.GROUPREF:
                return self.everything
            if op in _ZERO_WIDTH:
                continue
            parts = _children(op, av)
            if parts:
                for part in parts:
                    found |= self.chars(list(part))
            else:
                found |= self.matched(op, av)
        return found

    def first(self, items: list) -> frozenset:
        """The characters a match of ``items`` can start with."""
        found: frozenset = frozenset()
        for op, av in items:
            if op is c.GROUPREF or op is c.GROUPREF_EXISTS:
                return self.everything
            if op not in _ZERO_WIDTH:
                parts = _children(op, av)
                if parts:
                    for part in parts:
                        found |= self.first(list(part))
                else:
                    found |= self.matched(op, av)
            if not self.nullable([(op, av)]):
                break
        return found

    def nullable(self, items: list) -> bool:
        """Whether ``items`` can match the empty text."""
        for op, av in items:
            if op in _ZERO_WIDTH or op is c.GROUPREF:
                continue
            if op in _REPEATS or op is c.POSSESSIVE_REPEAT:
                empty = av[0] == 0 or self.nullable(list(av[2]))
            elif op is c.BRANCH or op is c.GROUPREF_EXISTS:
                empty = any(self.nullable(list(part)) for part in _children(op, av))
            elif op is c.SUBPATTERN or op is c.ATOMIC_GROUP:
                empty = self.nullable(list(_children(op, av)[0]))
            else:
                empty = False
            if not empty:
                return False
        return True

    def matched(self, op: Any, av: Any) -> frozenset:
        """The probe characters one character-matching item accepts."""
        if op is c.ANY:
            return self.everything if self.flags & re.DOTALL else self.everything - {"\n"}
        if op is c.LITERAL or op is c.NOT_LITERAL:
            same = frozenset(p for p in self.probes if self.same_letter(p, chr(av)))
            return same if op is c.LITERAL else self.everything - same
        if op is c.IN:
            negate = bool(av) and av[0][0] is c.NEGATE
            items = av[1:] if negate else av
            inside = frozenset(p for p in self.probes if self.in_set(p, items))
            return self.everything - inside if negate else inside
        return self.everything

    def same_letter(self, probe: str, char: str) -> bool:
        if not self.flags & re.IGNORECASE:
            return probe == char
        return probe.lower() == char.lower() or probe.upper() == char.upper()

    def in_set(self, probe: str, items: list) -> bool:
        forms = {probe, probe.lower(), probe.upper()} if self.flags & re.IGNORECASE \
            else {probe}
        for op, av in items:
            if op is c.LITERAL and self.same_letter(probe, chr(av)):
                return True
            if op is c.RANGE and any(len(f) == 1 and av[0] <= ord(f) <= av[1] for f in forms):
                return True
            if op is c.CATEGORY and _in_category(probe, av, self.flags):
                return True
        return False


def _children(op: Any, av: Any) -> list:
    """The item sequences inside an item."""
    if op is c.SUBPATTERN:
        return [av[3]]
    if op is c.BRANCH:
        return list(av[1])
    if op is c.GROUPREF_EXISTS:
        return [av[1], av[2] or []]
    if op in _REPEATS or op is c.POSSESSIVE_REPEAT:
        return [av[2]]
    if op is c.ATOMIC_GROUP:
        return [av]
    if op is c.ASSERT or op is c.ASSERT_NOT:
        return [av[1]]
    return []


def _long(items: Any) -> bool:
    """Whether ``items`` hold a repeat that can read a stretch of any length."""
    return any((op in _REPEATS or op is c.POSSESSIVE_REPEAT) and av[1] > _LOOP
               for op, av in _walk(items))


def _flattened(items: list) -> list:
    """``items`` with the groups in it read in line."""
    out = []
    for op, av in items:
        if op is c.SUBPATTERN:
            out.extend(_flattened(list(av[3])))
        else:
            out.append((op, av))
    return out


def _walk(items: Any) -> Any:
    for op, av in items:
        yield op, av
        for part in _children(op, av):
            yield from _walk(part)


def _named(items: list) -> Any:
    """The code points a pattern names: its characters and the ends of its ranges."""
    for op, av in _walk(items):
        if op is c.LITERAL or op is c.NOT_LITERAL:
            yield av
        elif op is c.IN:
            for inner, value in av:
                if inner is c.LITERAL:
                    yield value
                elif inner is c.RANGE:
                    yield from (value[0], value[1], min(value[0] + 1, value[1]))


def _longest(chains: list) -> int:
    return max((length for _, length in chains), default=0)


def _in_category(probe: str, category: Any, flags: int) -> bool:
    name = str(category).removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_")
    negated = name.startswith("NOT_")
    name = name.removeprefix("NOT_")
    if flags & re.ASCII and not probe.isascii():
        found = False
    elif name == "DIGIT":
        found = probe.isdecimal()
    elif name == "SPACE":
        found = probe.isspace()
    elif name == "WORD":
        found = probe.isalnum() or probe == "_"
    else:  # LINEBREAK
        found = probe == "\n"
    return found != negated
