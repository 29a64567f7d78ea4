"""The REPL's ``.debug``: the command-line debugger of ``mlpy debug``, inside the session.

``.debug FILE`` runs an ML file as ``mlpy debug FILE`` does -- a program of its own, in a
namespace of its own, under the session's grants and with its module paths -- and
``.debug CALL`` runs one ML expression (a call of a function the session defined,
typically) against the session's names. At every pause the same command loop
(:class:`mlpy.debug.console.Console`) reads debugger commands, at the ``ml[debug]>``
prompt, through :attr:`MLREPLSession.read_line`; the end of the input stops the execution.
What the code prints is shown as it prints.

Flags come after the target: ``--break [FILE:]LINE`` (``-b``, repeatable) and
``--break-on-entry``. FILE defaults to the file debugged, or for a CALL to the input that
defined the function it calls. A CALL without breakpoints pauses on entry, at the call
itself (``step`` goes into the function).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpy.debug.console import Console, set_breakpoints, show
from mlpy.errors import MLCancelledError, MLError
from mlpy.language.codegen import py_name
from mlpy.repl.commands import CommandError, CommandFailed, command
from mlpy.repl.inputs import with_semicolon

if TYPE_CHECKING:
    from mlpy.engine import ExecutionResult
    from mlpy.program import Program
    from mlpy.repl.session import MLREPLSession

DEBUG_SOURCE = "<debug>"
PROMPT = "ml[debug]> "
_FLAG = re.compile(r"\s+(?:(?:--break|-b)\s+(\S+)|(--break-on-entry))\s*$")
_CALLEE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\(|$)")


@command("debug", "Development", ".debug FILE|CALL [--break [FILE:]LINE] [--break-on-entry]",
         "Debug a file or a call step by step",
         "Runs FILE (a program of its own, under the session's grants) or CALL (an ML "
         "expression such as add(2, 3), against the session's names) under the debugger "
         "of `mlpy debug`, pausing at each --break [FILE:]LINE (repeatable; FILE defaults "
         "to the file, or to the input that defined the called function) and, with "
         "--break-on-entry, at the first line. A CALL without breakpoints pauses at the "
         "call. At a pause, type debugger commands (`help` lists them); the end of the "
         "input stops the execution.", ".debug add(2, 3) --break 2", min_args=1, raw=True)
def debug_command(repl: MLREPLSession, args: list[str]) -> str:
    target, breaks, on_entry = split_flags(args[0])
    if not target:
        raise CommandError("nothing to debug (.debug FILE|CALL [--break LINE])")
    if repl.read_line is None:
        raise CommandError("the debugger reads its commands from the terminal, and this "
                           "session has none (set MLREPLSession.read_line)")
    from mlpy.debug.debugger import Debugger

    def write(text: str, nl: bool = True) -> None:
        repl.output(text + "\n" if nl else text)

    debugger = Debugger(repl.engine, on_log=lambda text, bp: write(f"[log] {text}"))
    path = Path(target).expanduser()
    if target.endswith(".ml") or path.is_file():
        run, default_file, source = _file_run(repl, debugger, path)
    else:
        run, default_file, source = _call_run(repl, debugger, target)
        on_entry = on_entry or not breaks
    try:
        set_breakpoints(debugger, breaks, default_file, write)
    except ValueError as problem:
        raise CommandError(str(problem)) from None
    console = Console(debugger, lambda: repl.read_line(PROMPT), write, prompt="")
    result = run(debugger, console, on_entry)
    return _outcome(repl, result, source, default_file)


def split_flags(text: str) -> tuple[str, list[str], bool]:
    """``(target, break specs, break on entry)`` of ``.debug``'s text: the flags are at its
    end, so that the target -- ML code -- is taken as it was typed."""
    breaks: list[str] = []
    on_entry = False
    text = " " + text
    while (flag := _FLAG.search(text)) is not None:
        if flag.group(2):
            on_entry = True
        else:
            breaks.insert(0, flag.group(1))
        text = text[:flag.start()]
    return text.strip(), breaks, on_entry


def _file_run(repl: MLREPLSession, debugger: Any, path: Path) -> tuple[Any, str, str]:
    """Run the file in a session of its own, as ``mlpy debug`` runs it."""
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    name = str(path)
    try:
        program = repl.engine.compile(path, filename=name)
    except MLError as error:
        raise CommandFailed(repl._error(error, path.read_text(encoding="utf-8"),
                                        name).format()) from None
    debugger.add_program(program)
    own = repl.engine.session(capabilities=repl.session.capabilities)

    def run(debugger: Any, console: Console, on_entry: bool) -> ExecutionResult:
        try:
            return debugger.run(own.exec, program, output=repl.output,
                                on_pause=console.pause, break_on_entry=on_entry)
        finally:
            own.close()

    return run, name, program.source


def _call_run(repl: MLREPLSession, debugger: Any, code: str) -> tuple[Any, str, str]:
    """Run ``code`` against the session's names; breakpoints default to the input that
    defined the function it calls. The inputs that defined the session's functions are made
    known to the debugger, so that breakpoints in them are verified at once."""
    for value in list(repl.session._namespace.values()):
        program = _program_of(value)
        if program is not None:
            debugger.add_program(program)
    source = with_semicolon(code)
    repl._sources[DEBUG_SOURCE] = source
    default_file = DEBUG_SOURCE
    callee = _CALLEE.match(code)
    if callee is not None:
        found = _program_of(repl.session._namespace.get(py_name(callee.group(1))))
        if found is not None:
            default_file = found.filename
            if callee.group(2) == "":  # a bare function name: call it
                source = with_semicolon(f"{code.strip()}()")
                repl._sources[DEBUG_SOURCE] = source

    def run(debugger: Any, console: Console, on_entry: bool) -> ExecutionResult:
        return debugger.run(repl.session.exec, source, filename=DEBUG_SOURCE,
                            result_name=None, output=repl.output, on_pause=console.pause,
                            break_on_entry=on_entry)

    return run, default_file, source


def _program_of(value: Any) -> Program | None:
    """The program (the session's input) that defined ``value``, when it is an ML
    function."""
    from mlpy.debug.positions import is_ml_code, program_of
    from mlpy.function import is_ml_function

    code = getattr(value, "__code__", None)
    if is_ml_function(value) and code is not None and is_ml_code(code):
        return program_of(code)
    return None


def _outcome(repl: MLREPLSession, result: ExecutionResult, source: str, file: str) -> str:
    if result.error is None:
        return f"[finished: {show(result.value)}]"
    if isinstance(result.error, MLCancelledError):
        raise CommandFailed(f"[stopped: {result.error.message}]")
    raise CommandFailed(repl._error(result.error, source, file).format())
