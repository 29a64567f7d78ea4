"""Debug variants of compiled ML, for Python 3.11: line checks compiled into the code.

On 3.11 a tracer slows every instruction of the thread that has one (``sys.settrace``
switches the interpreter to its tracing dispatch), so an attached debugger that only waits
for a breakpoint would cost more than twice the run. Instead the debugger runs a *variant*
of the program: the same generated Python, compiled under the same code filename, where
every place a line event would pause carries a check::

    if 12 in LINES: HOOK(12)

``LINES`` is a set of the unit's lines that must call ``HOOK`` now (the breakpoint lines; all
of its lines while stepping); both are constants of the code objects, put there after
``compile`` (the set is mutable, so a breakpoint set while the program runs, from any
thread, takes effect at its next check). A check that does not call costs a few
instructions; nothing else of the program changes.

Where the checks go follows where a line event would report a new line: before a statement
that starts on another line than the code before it -- always before the first statement
of a function body and of an ``except`` clause, which are entered from elsewhere -- and, for
loops, whose header line is reported again before each pass, at the end of the body and
before each ``continue``. The prologue that the code generator puts around each function
body (its hidden handler for calls from the host) gets none. So the debugger pauses once
where each statement starts, also where the tracer would report no line (a statement over
several lines whose first instruction is on a later one, a constant folded away).
"""

from __future__ import annotations

import ast as py
import copy
import dataclasses
import dis
import warnings
from dataclasses import dataclass
from types import CodeType, MappingProxyType
from typing import Callable

from mlpy.debug.positions import CHECK_COLUMNS, executable_lines, file_key
from mlpy.language.codegen import HELPERS
from mlpy.program import Program

_PROLOGUE_TYPE = HELPERS["Exception"]
_LINES = "\x00mlpy-debug-lines"  # placeholders, replaced in the compiled constants
_HOOK = "\x00mlpy-debug-hook"


class LineSet(set):
    """The lines of one unit that call the hook. Hashed by identity: code objects hash
    their constants, and the debugger keys caches by code object."""

    __hash__ = object.__hash__  # type: ignore[assignment]


@dataclass
class Unit:
    """One compiled program or ML module of a debug variant."""

    key: str  # the ML file's key (positions.file_key)
    lines: LineSet  # the lines that call the hook now
    executable: frozenset[int]  # every line where it can pause


@dataclass
class Variant:
    program: Program  # what the debugger runs instead of the original
    units: list[Unit]


def make_variant(program: Program, hook: Callable[[int], None]) -> Variant:
    """The debug variant of ``program`` and of the ML modules it imports."""
    units: list[Unit] = []

    def instrumented(unit: Program) -> Program:
        lines = LineSet()
        units.append(Unit(file_key(unit.filename), lines, executable_lines(unit)))
        code = _compile(unit, lines, hook)
        return dataclasses.replace(unit, code=code)

    modules = {name: instrumented(unit) for name, unit in program.modules.items()}
    top = dataclasses.replace(instrumented(program), modules=MappingProxyType(modules))
    return Variant(top, units)


def _compile(unit: Program, lines: LineSet, hook: Callable[[int], None]) -> CodeType:
    tree = copy.deepcopy(unit._tree)
    tree.body = _block(tree.body, None, None)
    with warnings.catch_warnings():  # "'str' object is not callable": the placeholder
        warnings.simplefilter("ignore")
        code = compile(tree, unit.code.co_filename, "exec", dont_inherit=True)
    return _bind(code, lines, hook)


def _bind(code: CodeType, lines: LineSet, hook: Callable[[int], None]) -> CodeType:
    def constant(value: object) -> object:
        if isinstance(value, CodeType):
            return _bind(value, lines, hook)
        if type(value) is str and value == _LINES:
            return lines
        if type(value) is str and value == _HOOK:
            return hook
        return value

    bound = code.replace(co_consts=tuple(map(constant, code.co_consts)))
    CHECK_COLUMNS[bound] = _check_columns(bound, lines)
    return bound


def _check_columns(code: CodeType, lines: LineSet) -> dict[int, int]:
    """Bytecode offset -> 0-based ML column, for the instructions of the line checks: the
    column of the code the check stands before (where the tracer would report the line)."""
    instructions = list(dis.get_instructions(code))
    at = {instruction.offset: instruction for instruction in instructions}
    columns: dict[int, int] = {}
    for index, instruction in enumerate(instructions[2:-1], start=2):
        if instruction.opname != "CONTAINS_OP" or instructions[index - 1].argval is not lines:
            continue
        check, target = instructions[index - 2], instructions[index + 1].argval
        after = at.get(target)
        if after is not None and after.opname == "JUMP_BACKWARD":  # a loop's next pass
            after = at.get(after.argval, after)
        # (code that starts on a later line -- a literal over several lines -- has the
        # statement's own column instead)
        where = after.positions if after is not None and after.positions is not None \
            and after.positions.lineno == check.positions.lineno else check.positions
        if where.col_offset is not None:
            columns.update(dict.fromkeys(range(check.offset, target, 2), where.col_offset))
    return columns


# ----------------------------------------------------------------------------- placing checks


def _check(line: int, col: int) -> py.stmt:
    """``if line in LINES: HOOK(line)``, all of it at ``line``."""
    node = py.If(
        test=py.Compare(py.Constant(line), [py.In()], [py.Constant(_LINES)]),
        body=[py.Expr(py.Call(py.Constant(_HOOK), [py.Constant(line)], []))], orelse=[])
    for each in py.walk(node):
        if "lineno" in each._attributes:
            each.lineno = each.end_lineno = line
            each.col_offset = each.end_col_offset = col
    return node


def _block(body: list[py.stmt], entry: int | None, loop: py.stmt | None) -> list[py.stmt]:
    """``body`` with checks; ``entry`` is the line the code runs on just before it (None:
    unknown), ``loop`` the loop whose ``continue`` statements these are."""
    out: list[py.stmt] = []
    current = entry
    for statement in body:
        if isinstance(statement, (py.Global, py.Nonlocal)):  # no code of their own
            out.append(statement)
            continue
        if statement.lineno != current:
            out.append(_check(statement.lineno, statement.col_offset))
        if isinstance(statement, py.Continue) and loop is not None:
            out.append(_check(loop.lineno, loop.col_offset))
        out.append(_inside(statement, loop))
        current = _exit_line(statement)
    return out


def _exit_line(statement: py.stmt) -> int:
    """The line the code is on when ``statement`` is done (a compound statement's last line:
    the tracer reports a statement after it only when it starts on another line)."""
    if isinstance(statement, (py.FunctionDef, py.AsyncFunctionDef, py.ClassDef, py.For,
                              py.While)):
        return statement.lineno
    return statement.end_lineno or statement.lineno


def _inside(statement: py.stmt, loop: py.stmt | None) -> py.stmt:
    line = statement.lineno
    if isinstance(statement, (py.FunctionDef, py.AsyncFunctionDef)):
        # A call reports the first line of its body even when it is the ``def`` line (the
        # debugger skips it there when the body goes on below, as for the tracer).
        body = statement.body
        if len(body) == 1 and _is_prologue(body[0]):
            body[0].body = _block(body[0].body, None, None)  # (its handler stays as it is)
        else:
            statement.body = _block(body, None, None)
    elif isinstance(statement, (py.For, py.AsyncFor, py.While)):
        statement.body = _block(statement.body, line, statement) + [
            _check(line, statement.col_offset)]  # the header, before the next iteration
        statement.orelse = _block(statement.orelse, line, loop)
    elif isinstance(statement, py.If):
        statement.body = _block(statement.body, line, loop)
        statement.orelse = _block(statement.orelse, line, loop)
    elif isinstance(statement, (py.With, py.AsyncWith)):
        statement.body = _block(statement.body, line, loop)
    elif isinstance(statement, py.Try):
        statement.body = _block(statement.body, line, loop)
        for handler in statement.handlers:  # (an error arriving is a new line event)
            handler.body = _block(handler.body, None, loop)
        statement.orelse = _block(statement.orelse, None, loop)
        statement.finalbody = _block(statement.finalbody, line, loop)
    return statement


def _is_prologue(statement: py.stmt) -> bool:
    return isinstance(statement, py.Try) and any(
        handler.name is None and isinstance(handler.type, py.Name)
        and handler.type.id == _PROLOGUE_TYPE for handler in statement.handlers)
