"""The command-line debugger's command loop, shared by ``mlpy debug FILE`` and the REPL's
``.debug``: at every pause of a :class:`~mlpy.debug.debugger.Debugger` run it shows where the
execution is and reads commands (``help`` lists them) until one resumes it.

:class:`Console` only reads and writes lines through the callables it is given, so the CLI
feeds it stdin and ``click.echo``, the REPL its own line reader and output.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

HELP = """\
Commands (abbreviations in brackets):
  continue [c]        run until the next breakpoint
  next [n]            the next line here, stepping over calls
  step [s]            the next line, into calls
  out [o]             run until this function returns
  break [b] [FILE:]LINE [if COND]   add a breakpoint; `break` alone lists them
  delete [d] N        remove breakpoint N
  print [p] EXPR      the value of an ML expression here
  locals / globals    the variables of this frame / of the program
  where [bt]          the ML call stack
  up / down           move to the calling / called frame (print and locals follow)
  watch EXPR / unwatch EXPR    show EXPR at every pause
  list [l]            the source around the current line
  quit [q]            stop the execution
An empty line repeats the last continue/next/step/out."""

_ACTIONS = {"c": "continue", "continue": "continue", "n": "next", "next": "next",
            "s": "step_in", "step": "step_in", "o": "step_out", "out": "step_out",
            "finish": "step_out", "q": "stop", "quit": "stop", "exit": "stop"}


def location(spec: str, default_file: str) -> tuple[str, int | None]:
    where, _, line = spec.rpartition(":")
    try:
        return where or default_file, int(line)
    except ValueError:
        return where or default_file, None


def show(value: Any) -> str:
    from mlpy.debug.debugger import show as shown

    return shown(value)


def announce(bp: Any) -> str:
    """How a new breakpoint is reported."""
    state = "" if bp.verified else f" (unverified: {bp.message})"
    return f"breakpoint {bp.id} at {bp.file}:{bp.line}{state}"


class Console:
    """The command loop run at each pause; ``read`` gives a line ('' at the end of input),
    ``write(text, nl=True)`` prints one (as ``click.echo`` does)."""

    def __init__(self, debugger: Any, read: Callable[[], str], write: Callable[..., Any],
                 prompt: str = "(mldb) "):
        self.debugger = debugger
        self.read = read
        self.write = write
        self.prompt = prompt  # written before each read ('' when ``read`` shows its own)
        self.last = "next"
        self.level = 0
        self.frame: Any = None

    def pause(self, frame: Any) -> str:
        self.frame, self.level = frame, 0
        if frame.reason == "exception":
            self.write(f"uncaught {type(frame.exception).__name__}: "
                       f"{frame.exception.message}")
        if frame.condition_error:
            self.write(frame.condition_error)
        self._where_line()
        for expression, value in frame.watches.items():
            self.write(f"  watch {expression} = {value}")
        while True:
            if self.prompt:
                self.write(self.prompt, nl=False)
            text = self.read()
            if text == "":
                self.write("[end of input: stopping]")
                return "stop"
            text = text.strip() or self.last
            action = self.command(text)
            if action is not None:
                if action != "stop":
                    self.last = text
                return action

    def command(self, text: str) -> str | None:
        """Run one command; the step action when it resumes the execution."""
        from mlpy.errors import MLError

        name, _, rest = text.partition(" ")
        rest = rest.strip()
        if name in _ACTIONS:
            return _ACTIONS[name]
        try:
            handler = getattr(self, "do_" + _COMMANDS.get(name, "unknown"))
            handler(rest, name)
        except MLError as error:
            self.write(f"error: {error.message}")
        return None

    def _current(self) -> Any:
        return self.frame.stack[self.level]

    def _where_line(self) -> None:
        entry = self._current()
        self.write(f"> {entry.file}:{entry.line} in {entry.function}")
        self.write(f"  {entry.line:4d}  {entry.source_line().strip()}")

    def do_break(self, rest: str, name: str) -> None:
        if not rest:
            for bp in self.debugger.breakpoints:
                flags = "" if bp.enabled else " disabled"
                extra = f" if {bp.condition}" if bp.condition else ""
                self.write(f"  {bp.id}: {bp.file}:{bp.line}{extra} (hits {bp.hits})"
                           f"{flags}{'' if bp.verified else ' unverified'}")
            return
        spec, _, condition = rest.partition(" if ")
        where, line = location(spec.strip(), self.frame.file)
        if line is None:
            self.write("usage: break [FILE:]LINE [if CONDITION]")
            return
        bp = self.debugger.set_breakpoint(where, line, condition=condition.strip() or None)
        self.write(announce(bp))

    def do_delete(self, rest: str, name: str) -> None:
        if not rest.isdigit():
            self.write("usage: delete N")
            return
        self.debugger.remove(int(rest))
        self.write(f"deleted breakpoint {rest}")

    def do_print(self, rest: str, name: str) -> None:
        if not rest:
            self.write("usage: print EXPR")
            return
        self.write(show(self.frame.evaluate(rest, self.level)))

    def do_locals(self, rest: str, name: str) -> None:
        self._variables(self._current().locals())

    def do_globals(self, rest: str, name: str) -> None:
        self._variables(self._current().globals())

    def _variables(self, names: dict[str, Any]) -> None:
        if not names:
            self.write("  (none)")
        for key, value in names.items():
            self.write(f"  {key} = {show(value)}")

    def do_where(self, rest: str, name: str) -> None:
        for entry in self.frame.stack:
            marker = ">" if entry.level == self.level else " "
            self.write(f"{marker} #{entry.level} {entry.function} at {entry.file}:{entry.line}")

    def do_up(self, rest: str, name: str) -> None:
        if self.level + 1 >= len(self.frame.stack):
            self.write("already at the outermost frame")
            return
        self.level += 1
        self._where_line()

    def do_down(self, rest: str, name: str) -> None:
        if self.level == 0:
            self.write("already at the innermost frame")
            return
        self.level -= 1
        self._where_line()

    def do_watch(self, rest: str, name: str) -> None:
        self.debugger.watch(rest)
        self.write(f"watching {rest}")

    def do_unwatch(self, rest: str, name: str) -> None:
        self.debugger.unwatch(rest)

    def do_list(self, rest: str, name: str) -> None:
        entry = self._current()
        from mlpy.debug.positions import program_of

        program = program_of(entry._frame.f_code)
        lines = program.source.splitlines() if program is not None else []
        for number in range(max(1, entry.line - 4), min(len(lines), entry.line + 4) + 1):
            marker = "->" if number == entry.line else "  "
            self.write(f"{marker}{number:4d}  {lines[number - 1]}")

    def do_help(self, rest: str, name: str) -> None:
        self.write(HELP)

    def do_unknown(self, rest: str, name: str) -> None:
        self.write(f"unknown command {name!r}; `help` lists the commands")


_COMMANDS = {"b": "break", "break": "break", "d": "delete", "delete": "delete",
             "clear": "delete", "p": "print", "print": "print", "locals": "locals",
             "globals": "globals", "where": "where", "bt": "where", "w": "where",
             "up": "up", "down": "down", "watch": "watch", "unwatch": "unwatch",
             "l": "list", "list": "list", "h": "help", "help": "help", "?": "help"}




def set_breakpoints(debugger: Any, specs: Iterable[str], default_file: str,
                    write: Callable[..., Any]) -> None:
    """Set the breakpoints ``[FILE:]LINE`` of ``specs`` (FILE defaults to ``default_file``),
    reporting each; ValueError names a spec without a line number."""
    for spec in specs:
        where, line = location(spec, default_file)
        if line is None:
            raise ValueError(f"--break {spec}: give a line number, or FILE:LINE")
        write(announce(debugger.set_breakpoint(where, line)))
