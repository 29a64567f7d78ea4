"""A small LALR(1) parser that runs the tables lark made for the ML grammar, without lark.

The tables (see :mod:`mlpy.language.tables`) hold lark's own decisions: the parse actions,
the terminals each state's contextual lexer tries and in which order, and which children of
each rule reach the :class:`~mlpy.language.transform.ToAST` method. This module only runs
them, the way lark's LALR parser and contextual lexer do, in one loop: no parse tree, no
per-token objects but the tokens themselves, and nothing to build at start-up but the
regular expressions of the lexer states a program reaches.

Whatever this parser cannot take -- a syntax error above all -- raises :class:`Reject`, and
the caller parses the text again with lark, which says what is wrong in lark's terms (the
error messages are built from lark's exceptions). Up to the point where it stops, this parser
made exactly the moves lark makes, so an error the tree builder raises (a
:class:`~mlpy.language.transform.TreeError`) is the one lark would have reached first.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


_BLOCK_WORDS = frozenset({"WHILE", "FOR", "TRY"})


class Reject(Exception):
    """The text is not in the language as the tables read it: let lark say why."""


class Token(NamedTuple):
    """A terminal of the input, with lark's position fields (1-based lines and columns; the
    end column is the one after the token's last character). A tuple: made in C."""

    type: str
    value: str
    start_pos: int
    line: int
    column: int
    end_line: int
    end_column: int


_token = tuple.__new__  # Token's fields in order, without NamedTuple's Python __new__


class _Inline:
    """The value of a rule whose name starts with ``_``: its children, spliced into the
    rule that contains it (lark's inlining)."""

    __slots__ = ("children",)

    def __init__(self, children: list):
        self.children = children


class Parser:
    """The parser of one table set, building values with ``builder``'s methods (one per rule
    or alias, called with the rule's kept children as arguments). Safe to share between
    threads: parsing keeps its state in locals; the lexers compiled on first use are
    stored whole (a race compiles one twice)."""

    def __init__(self, tables: dict[str, Any], builder: Any):
        self._actions: list[dict[str, int]] = tables["actions"]
        self._lexer_of_state: tuple[int, ...] = tables["lexer_of_state"]
        self._lexer_specs = tables["lexers"]
        self._lexers: list[Any] = [None] * len(self._lexer_specs)
        self._ignore = frozenset(tables["ignore"])
        self._start: int = tables["start"]
        self._end: int = tables["end"]
        # The ignored terminal of blanks as lark writes it into each lexer's expression;
        # each lexer lets a token's match take the blanks before it (see parse).
        blanks = [name for name in self._ignore if name.startswith("__IGNORE")]
        self._blanks = f"(?P<{blanks[0]}>[ \t\x0c\r\n]+)" if len(blanks) == 1 else ""
        rules = []
        for origin, size, callback, expand1, include, append in tables["rules"]:
            # None: an inlined `_rule`, or a `?rule` whose alternatives each keep one child
            method = getattr(builder, callback, None)
            # A rule of one child that passes it on (`?expression: binary`, say): the value
            # stays where it is, only the state changes.
            unit = size == 1 and expand1 and include is None
            rules.append((origin, size, method, expand1, include, append, unit))
        self._rules = rules

    def _lexer(self, index: int) -> tuple[Any, dict[str, str] | None, str | None]:
        patterns, keywords = self._lexer_specs[index]
        if len(patterns) != 1:  # lark splits only beyond 100 terminals; this grammar has 40
            raise Reject("a lexer state with several expressions")
        keywords = dict(keywords)
        terminal = keywords.pop("\0terminal", None)
        pattern = patterns[0]
        if self._blanks and self._blanks in pattern:  # skip blanks in the same match
            pattern = f"[ \\t\\f\\r\\n]*(?:{pattern})"
        lexer = (re.compile(pattern).match, keywords or None, terminal)
        self._lexers[index] = lexer
        return lexer

    def parse(self, text: str) -> Any:
        return self.parse_counting(text)[0]

    def parse_counting(self, text: str) -> tuple[Any, int, int]:
        """The value of ``text``, how many tokens it has, and how many of them start a loop
        or a ``try`` (the caller's nesting check can skip a small program by them)."""
        actions, lexer_of_state, lexers = self._actions, self._lexer_of_state, self._lexers
        rules, ignore, end_state = self._rules, self._ignore, self._end
        state = self._start
        states = [state]
        values: list[Any] = []
        pos, line, line_start, length = 0, 1, 0, len(text)
        last: Token | None = None
        count = blocks = 0
        while True:
            # ---- the next token, lexed as the current state's lexer would
            token = None
            while pos < length:
                lexer = lexers[lexer_of_state[state]] or self._lexer(lexer_of_state[state])
                match = lexer[0](text, pos)
                if match is None:
                    if text[pos:].strip(" \t\f\r\n"):
                        raise Reject("no terminal matches here")
                    break  # only blanks are left
                kind = match.lastgroup
                start = match.start(kind)
                if start != pos:  # the blanks before the token
                    newlines = text.count("\n", pos, start)
                    if newlines:
                        line += newlines
                        line_start = text.rindex("\n", pos, start) + 1
                value = match.group(kind)
                start_line, column = line, start - line_start + 1
                pos = match.end()
                newlines = value.count("\n")
                if newlines:
                    line += newlines
                    line_start = start + value.rindex("\n") + 1
                if kind in ignore:
                    continue
                if kind == lexer[2] and value in lexer[1]:
                    kind = lexer[1][value]
                    if kind in _BLOCK_WORDS:
                        blocks += 1
                count += 1
                token = last = _token(Token, (kind, value, start, start_line, column, line,
                                              pos - line_start + 1))
                break
            if token is None:
                kind = "$END"
                token = last if last is not None else Token("$END", "", 0, 1, 1, 1, 1)
            # ---- shift it, after the reductions it completes
            row = actions[state]
            while True:
                action = row.get(kind)
                if action is None:
                    raise Reject(f"unexpected {kind}")
                if action >= 0:
                    state = action
                    states.append(state)
                    values.append(token)
                    break
                origin, size, method, expand1, include, append, unit = rules[-1 - action]
                if unit:
                    del states[-1]
                    state = actions[states[-1]][origin]
                    states.append(state)
                    if kind == "$END" and state == end_state:
                        return values[-1], count, blocks
                    row = actions[state]
                    continue
                if size:
                    children = values[-size:]
                    del values[-size:]
                    del states[-size:]
                else:
                    children = []
                if include is not None:
                    kept: list[Any] = []
                    for index, expand, nones in include:
                        if nones:
                            kept += [None] * nones
                        if expand:
                            if kept:
                                kept += children[index].children
                            else:  # a repetition grows at its end: no copy (as lark does)
                                kept = children[index].children
                        else:
                            kept.append(children[index])
                    if append:
                        kept += [None] * append
                    children = kept
                if expand1 and len(children) == 1:
                    value = children[0]
                elif method is None:
                    value = _Inline(children)
                else:
                    value = method(*children)
                state = actions[states[-1]][origin]
                states.append(state)
                values.append(value)
                if kind == "$END" and state == end_state:
                    return values[-1], count, blocks
                row = actions[state]
