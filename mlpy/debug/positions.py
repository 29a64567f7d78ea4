"""Where running ML code is, in ML terms: the one place the debugger asks.

Compiled ML code carries ML line and column numbers in its code objects (see
:mod:`mlpy.program`), so a frame's line *is* its ML line, and the statements of the generated
Python tree say which ML lines hold code. When :class:`mlpy.debug.sourcemap.SourceMap` is on
every program these functions read it instead; nothing else in the debugger needs to change.
"""

from __future__ import annotations

import ast as py
import os
import weakref
from dataclasses import dataclass
from types import CodeType, FrameType

from mlpy.language.codegen import HELPERS
from mlpy.program import _SOURCES, CODE_SCHEME, Program

_PROLOGUE_TYPE = HELPERS["Exception"]
_LINES: "weakref.WeakKeyDictionary[Program, dict[int, int]]" = weakref.WeakKeyDictionary()


def is_ml_code(code: CodeType) -> bool:
    return code.co_filename.startswith(CODE_SCHEME)


def program_of(code: CodeType) -> Program | None:
    """The program a code object of compiled ML belongs to (None once it is gone)."""
    return _SOURCES.get(code.co_filename)


def ml_file(code: CodeType) -> str:
    """The ML file name of compiled ML code: its code filename is ``mlpy://<key>/<file>``."""
    rest = code.co_filename[len(CODE_SCHEME):]
    return rest.split("/", 1)[1] if "/" in rest else rest


def ml_line(frame: FrameType) -> int:
    """The ML line a frame of compiled ML code is at."""
    return frame.f_lineno or frame.f_code.co_firstlineno


# Code objects of debug variants (mlpy.debug.hooks) -> the ML column each instruction of their
# line checks stands for.
CHECK_COLUMNS: "weakref.WeakKeyDictionary[CodeType, dict[int, int]]" = \
    weakref.WeakKeyDictionary()


def ml_column(frame: FrameType) -> int:
    """The 1-based ML column of the instruction a frame is at (1 when unknown)."""
    checked = CHECK_COLUMNS.get(frame.f_code)
    if checked and frame.f_lasti in checked:
        return checked[frame.f_lasti] + 1
    positions = list(frame.f_code.co_positions())
    index = frame.f_lasti // 2
    if 0 <= index < len(positions) and positions[index][2] is not None:
        return positions[index][2] + 1
    return 1


def executable_lines(program: Program) -> frozenset[int]:
    """The ML lines on which a statement starts: where a breakpoint can pause."""
    return frozenset(_statements(program))


def _statements(program: Program) -> dict[int, int]:
    """Statement start line -> the last line of its head (the whole statement for a simple
    one; up to the line before its body for ``if``, loops, functions, ``try``).

    The prologue the code generator puts at the top of every function (the hidden handler
    that turns a call from the host into an execution) is not ML code and does not count.
    """
    found = _LINES.get(program)
    if found is None:
        found = {}
        _collect(program._tree, found)
        _LINES[program] = found
    return found


def _collect(node: py.AST, found: dict[int, int]) -> None:
    if isinstance(node, py.ExceptHandler) and node.name is None \
            and isinstance(node.type, py.Name) and node.type.id == _PROLOGUE_TYPE:
        return
    if isinstance(node, py.stmt):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body:
            end = max(node.lineno, body[0].lineno - 1)
        else:
            end = node.end_lineno or node.lineno
        found[node.lineno] = max(found.get(node.lineno, end), end)
    for child in py.iter_child_nodes(node):
        _collect(child, found)


@dataclass(frozen=True)
class Stops:
    """Where line events of one code object can pause: the lines that start a statement,
    less the offsets where execution comes back to a statement's first line from its own
    continuation lines (``f(\n  a,\n  b)`` reports its first line again for the call)."""

    lines: frozenset[int]
    returns: frozenset[int]  # bytecode offsets


_STOPS: "weakref.WeakKeyDictionary[CodeType, Stops]" = weakref.WeakKeyDictionary()
_NOWHERE = Stops(frozenset(), frozenset())


def stops(code: CodeType) -> Stops:
    found = _STOPS.get(code)
    if found is None:
        program = program_of(code)
        found = _NOWHERE if program is None else _stops(code, _statements(program))
        _STOPS[code] = found
    return found


def _stops(code: CodeType, statements: dict[int, int]) -> Stops:
    lines, returns = set(), set()
    previous = None
    for start, end, line in code.co_lines():
        if line is None:
            continue
        if line in statements:
            lines.add(line)
            if previous is not None and line < previous <= statements[line]:
                returns.update(range(start, end, 2))
        previous = line
    return Stops(frozenset(lines), frozenset(returns))


def file_key(name: str) -> str:
    """What two names of the same ML file have in common (``<string>`` names stay as they
    are)."""
    if name.startswith("<"):
        return name
    return os.path.normcase(os.path.realpath(name))


def ml_depth(frame: FrameType | None) -> int:
    """How many ML frames are on the stack from ``frame`` down."""
    depth = 0
    while frame is not None:
        if is_ml_code(frame.f_code):
            depth += 1
        frame = frame.f_back
    return depth
