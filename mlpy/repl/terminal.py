"""The REPL's terminal loop: reads inputs, hands them to :class:`MLREPLSession`, prints results.

Three UI modes (spec B1):

- **fancy** -- prompt_toolkit on a terminal: highlighting with the ML Pygments lexer, Tab
  completion (:mod:`mlpy.repl.completion`), a persistent history file (created ``0600``),
  Ctrl+R history search and suggestions from the history. The whole multi-line input is one
  editable buffer: Enter submits it once it is complete, a blank line submits it as it is.
- **basic** -- plain ``input()``; with ``--basic``, when prompt_toolkit is missing or cannot
  start, or when stdout is not a terminal.
- **non-interactive** -- stdin is not a terminal: no banner, prompts, colours, pager or
  confirmation questions; the lines are grouped into inputs by the same rules and the output
  is otherwise what a person would see, so transcripts are stable.

Everything the session does is in :mod:`mlpy.repl.session`; this module only does terminal I/O.
Reloads queued by ``.watch`` are applied on the main thread: before each input, and in fancy
mode also while the prompt waits, printed above it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

import mlpy
from mlpy.repl.session import CommandResult, MLREPLSession, REPLResult

PAGE_LINES = 50  # longer output goes through a pager in a terminal
IDLE_POLL = 0.2  # seconds between checks for queued reloads while the prompt waits
CONTINUATION = "... "

_RED, _DIM, _RESET = "\x1b[31m", "\x1b[2m", "\x1b[0m"


def run_repl(*, security: bool = True, extension_paths: Iterable[str] = (),
             ml_module_paths: Iterable[str] = (), capabilities: Iterable[str] = (),
             dev_mode: bool | None = None, basic: bool = False, history: bool = True,
             history_file: str | os.PathLike[str] | None = None, pager: bool = True,
             color: bool | None = None, exit_on_error: bool = False, debug: bool = False,
             path_origins: dict[str, str] | None = None, config_file: str | None = None,
             registry: Any = None, session: MLREPLSession | None = None,
             stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run the REPL until ``.exit``, Ctrl+D or the end of input; return the exit status.

    ``dev_mode=None`` follows ``MLPY_DEV_MODE``; ``color=None`` means colour on a terminal
    unless ``NO_COLOR`` is set; ``exit_on_error`` (non-interactive mode) stops at the first
    input that fails, with status 1. A ready ``session`` may be passed instead of the
    session options.
    """
    loop = Terminal(stdin=stdin or sys.stdin, stdout=stdout or sys.stdout, basic=basic,
                    history=history, history_file=history_file, pager=pager, color=color,
                    exit_on_error=exit_on_error, debug=debug)
    if session is None:
        session = MLREPLSession(
            security=security, extension_paths=extension_paths,
            ml_module_paths=ml_module_paths, capabilities=capabilities,
            dev_mode=env_flag_on("MLPY_DEV_MODE") if dev_mode is None else dev_mode,
            registry=registry, output=loop.write_program_output,
            interactive=loop.mode != "non-interactive", path_origins=path_origins,
            config_file=config_file, confirm=loop.ask, read_line=loop.read_line)
    else:
        session.output = loop.write_program_output
        session.interactive = loop.mode != "non-interactive"
        session._confirm = loop.ask
        session.read_line = loop.read_line
    return loop.run(session)


def env_flag_on(name: str) -> bool:
    """``1``, ``true``, ``yes`` or ``on`` (any case) in the environment variable ``name``."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def edit_in_editor(text: str) -> str | None:
    """Let the user edit ``text`` in ``$VISUAL`` / ``$EDITOR`` (``vi`` by default); return
    the saved text, or None when it was emptied. The temporary ``.ml`` file is always
    removed. Raises :class:`~mlpy.repl.commands.CommandError` when there is no editor or it
    fails."""
    from mlpy.repl.commands import CommandError

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        argv = shlex.split(editor)
    except ValueError:
        argv = []
    if not argv or shutil.which(argv[0]) is None:
        name = argv[0] if argv else editor
        raise CommandError(f"editor '{name}' not found; set $VISUAL or $EDITOR")
    fd, path = tempfile.mkstemp(prefix="mlpy-edit-", suffix=".ml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        try:
            status = subprocess.call([*argv, path])
        except OSError as error:
            raise CommandError(f"cannot run editor '{argv[0]}': {error.strerror}") from None
        if status != 0:
            raise CommandError(f"editor '{argv[0]}' exited with status {status}; "
                               "nothing was run")
        with open(path, encoding="utf-8", errors="replace") as handle:
            edited = handle.read()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return edited.rstrip("\n") if edited.strip() else None


def history_path(history_file: str | os.PathLike[str] | None = None) -> Path:
    """Where the persistent history lives: the argument, ``MLPY_HISTORY_FILE`` or
    ``~/.mlpy_history``."""
    chosen = history_file or os.environ.get("MLPY_HISTORY_FILE") or "~/.mlpy_history"
    return Path(chosen).expanduser()


def prepare_history_file(path: Path) -> Path:
    """Create ``path`` readable by its owner only (``0600``); a history file that others can
    read is narrowed to ``0600`` as well, since inputs may hold secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    os.close(fd)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return path


def prompt_text(session: MLREPLSession) -> str:
    flags = "secure" if session.security else "unsafe"
    return f"ml[{flags}{',dev' if session.dev_mode else ''}]> "


def banner(session: MLREPLSession) -> list[str]:
    """The lines shown when an interactive REPL starts (B1)."""
    flags = "secure" if session.security else "unsafe"
    lines = [(f"mlpy {mlpy.__version__} REPL [{flags}] — .help for commands, "
              ".exit or Ctrl+D to leave")]
    registry = session.registry
    for title, paths in (("extension paths", registry.extension_paths),
                         ("ml module roots", registry.ml_module_paths)):
        if paths:
            lines.append(f"{title}: " + ", ".join(
                f"{path} ({_provenance(session.path_origins.get(str(path), 'api'))})"
                for path in paths))
    if not session.security:
        lines.append("Warning: security is off: capability checks are disabled (every "
                     "capability the modules declare is granted).")
    if session.dev_mode:
        lines.append("Development mode: load and reload notices, [slow] warnings, memory "
                     "tracing and verbose diagnostics are on (.devmode to switch off).")
    return lines


def _provenance(origin: str) -> str:
    kind, _, detail = origin.partition(":")
    if kind == "config" and detail:
        return Path(detail).name
    if kind == "env" and detail:
        return detail
    return origin


class InputGrouper:
    """Groups lines into inputs by the rules of B2: a dot-command is one line given at the
    primary prompt; ML text continues until it is complete, or a blank line submits it."""

    def __init__(self, is_complete: Callable[[str], bool]):
        self.is_complete = is_complete
        self.lines: list[str] = []

    @property
    def pending(self) -> bool:
        return bool(self.lines)

    def feed(self, line: str) -> tuple[str, str] | None:
        """Add one line; return ``("command", text)`` or ``("code", text)`` when an input is
        ready, None when more lines are needed (or the line was blank)."""
        if not self.lines:
            if not line.strip():
                return None
            if line.lstrip().startswith("."):
                return "command", line.strip()
        elif not line.strip():
            return "code", self.take()
        self.lines.append(line)
        text = "\n".join(self.lines)
        if self.is_complete(text):
            self.lines = []
            return "code", text
        return None

    def take(self) -> str:
        text, self.lines = "\n".join(self.lines), []
        return text


class Terminal:
    """One run of the loop: the UI mode, the output helpers and the three loops."""

    def __init__(self, *, stdin: TextIO, stdout: TextIO, basic: bool, history: bool,
                 history_file: Any, pager: bool, color: bool | None, exit_on_error: bool,
                 debug: bool):
        self.stdin, self.stdout = stdin, stdout
        self.history, self.history_file = history, history_file
        self.exit_on_error, self.debug = exit_on_error, debug
        self.notices: list[str] = []  # said once, before the banner
        self.mode = self._choose_mode(basic)
        interactive = self.mode != "non-interactive"
        if color is None:
            color = not os.environ.get("NO_COLOR")
        self.color = bool(color) and interactive and _isatty(stdout)
        self.paging = pager and interactive and _isatty(stdout)
        self.session: MLREPLSession | None = None
        self._captured: list[str] | None = None  # program output while applying reloads
        self._prompt_session = None

    # ------------------------------------------------------------------ mode

    def _choose_mode(self, basic: bool) -> str:
        if not _isatty(self.stdin):
            return "non-interactive"
        if basic:
            return "basic"
        if not _isatty(self.stdout):
            return "basic"
        try:
            import prompt_toolkit  # noqa: F401
        except ImportError:
            self.notices.append("prompt_toolkit is not installed: using the basic line "
                                "editor (pip install 'mlpy[cli]' for highlighting, "
                                "completion and history).")
            return "basic"
        return "fancy"

    # ------------------------------------------------------------------ output

    def write(self, text: str) -> None:
        self.stdout.write(text if text.endswith("\n") else text + "\n")
        self.stdout.flush()

    def write_program_output(self, text: str) -> None:
        """What ML code prints, as it prints it."""
        if self._captured is not None:
            self._captured.append(text)
            return
        self.stdout.write(text)
        if self.mode != "non-interactive":
            self.stdout.flush()

    def dim(self, text: str) -> str:
        return f"{_DIM}{text}{_RESET}" if self.color else text

    def show_error_text(self, text: str) -> None:
        if self.color and text.startswith("Error:"):
            first, _, rest = text.partition("\n")
            text = f"{_RED}{first}{_RESET}" + (f"\n{rest}" if rest else "")
        self.write(text)

    def show_long(self, text: str) -> None:
        """``text``, through a pager when it is longer than a screenful in a terminal."""
        lines = text.split("\n")
        if not self.paging or len(lines) <= PAGE_LINES:
            self.write(text)
            return
        if self._page(text):
            return
        self.write("\n".join(lines[:PAGE_LINES]))
        self.write(f"... ({len(lines) - PAGE_LINES} more lines)")

    def _page(self, text: str) -> bool:
        for argv in (["less", "-R", "-X", "-F"], ["more"]):
            if shutil.which(argv[0]) is None:
                continue
            try:
                self.stdout.flush()
                subprocess.run(argv, input=text.encode("utf-8", "replace"), check=False)
                return True
            except (OSError, KeyboardInterrupt):
                continue
        return False

    def show_result(self, result: REPLResult) -> None:
        if result.ok:
            if result.display is not None:
                self.show_long(f"=> {result.display}")
            return
        self.show_error_text(result.error.format())
        if self.debug and result.error.error is not None:
            self.write("".join(traceback.format_exception(result.error.error)).rstrip())

    def show_command(self, result: CommandResult) -> None:
        if not result.text:
            return
        if result.text.startswith("Error:"):
            self.show_error_text(result.text)
        else:
            self.show_long(result.text)

    def internal_error(self, error: BaseException) -> None:
        self.show_error_text(f"Error: internal error: {type(error).__name__}: {error}\n"
                             "This is a bug in mlpy"
                             + ("." if self.debug else "; run with --debug to see details."))
        if self.debug:
            self.write("".join(traceback.format_exception(error)).rstrip())

    def ask(self, question: str) -> bool:
        """A yes/no question for commands that need confirmation."""
        if self.mode == "non-interactive":
            return False
        try:
            if self.mode == "fancy":
                from prompt_toolkit import prompt

                answer = prompt(question)
            else:
                answer = input(question)
        except (EOFError, KeyboardInterrupt):
            self.write("")
            return False
        return answer.strip().lower() in ("y", "yes")

    def read_line(self, prompt: str) -> str:
        """One line for a command that reads its own input (``.debug``), as ``readline``
        gives it: with its line end, '' only at the end of the input. Non-interactive: the
        next line of the input, with no prompt shown (as for every input)."""
        try:
            if self.mode == "non-interactive":
                return self.stdin.readline()
            if self.mode == "fancy":
                from prompt_toolkit import prompt as ask

                return ask(prompt) + "\n"
            return input(prompt) + "\n"
        except (EOFError, KeyboardInterrupt):
            self.write("")
            return ""

    # ------------------------------------------------------------------ running

    def apply_reloads(self) -> list[str]:
        """Apply the reloads ``.watch`` queued; return the lines to show (what the session
        returned and what reloaded code printed)."""
        session = self.session
        apply = getattr(session, "apply_pending_reloads", None)
        if apply is None:
            return []
        self._captured = []
        try:
            outcome = apply()
        except Exception as error:  # noqa: BLE001 - never a traceback at the prompt
            outcome = [f"[watch] reload failed: {type(error).__name__}: {error}"]
        finally:
            printed, self._captured = "".join(self._captured), None
        lines = [line for line in printed.splitlines()]
        if isinstance(outcome, str):
            lines += outcome.splitlines()
        elif outcome:
            lines += [str(item) for item in outcome]
        return lines

    def show_reloads(self) -> None:
        for line in self.apply_reloads():
            self.write(line)

    def execute(self, text: str) -> bool:
        """Run one ML input and show its outcome; False when it failed."""
        self.show_reloads()
        try:
            result = self.session.execute(text)
        except KeyboardInterrupt:
            self.write("Interrupted.")
            return False
        except Exception as error:  # noqa: BLE001 - a bug in mlpy, shown without traceback
            self.internal_error(error)
            return False
        try:
            self.show_result(result)
        except KeyboardInterrupt:
            self.write("Interrupted.")
        return result.ok

    def command(self, line: str) -> CommandResult:
        self.show_reloads()
        try:
            result = self.session.run_command(line)
        except KeyboardInterrupt:
            self.write("Interrupted.")
            return CommandResult(False, "")
        except Exception as error:  # noqa: BLE001
            self.internal_error(error)
            return CommandResult(False, "")
        self.show_command(result)
        return result

    def run(self, session: MLREPLSession) -> int:
        self.session = session
        try:
            if self.mode == "non-interactive":
                return self._run_script()
            for notice in self.notices:
                self.write(notice)
            if self.mode == "fancy":
                try:
                    prompt_session = self._fancy_prompt()
                except Exception as error:  # noqa: BLE001 - e.g. an unusable terminal
                    self.write(f"The full-screen line editor cannot start ({error}); "
                               "using the basic one.")
                    self.mode = "basic"
                else:
                    self._banner()
                    return self._run_fancy(prompt_session)
            self._banner()
            return self._run_basic()
        except KeyboardInterrupt:
            return 130
        finally:
            session.close()

    def _banner(self) -> None:
        lines = banner(self.session)
        self.write(lines[0])
        for line in lines[1:]:
            self.write(self.dim(line))

    # ------------------------------------------------------------------ non-interactive

    def _run_script(self) -> int:
        grouper = InputGrouper(self.session.is_complete)
        for raw in self.stdin:
            ready = grouper.feed(raw.rstrip("\r\n"))
            if ready is None:
                continue
            kind, text = ready
            if kind == "command":
                result = self.command(text)
                if result.exit_requested:
                    return 0
                if not result.ok and self.exit_on_error:
                    return 1
            elif not self.execute(text) and self.exit_on_error:
                return 1
        if grouper.pending and not self.execute(grouper.take()) and self.exit_on_error:
            return 1
        return 0

    # ------------------------------------------------------------------ basic

    def _run_basic(self) -> int:
        try:
            import readline  # noqa: F401 - line editing for input(), when available
        except ImportError:
            pass
        grouper = InputGrouper(self.session.is_complete)
        while True:
            if not grouper.pending:
                self.show_reloads()
            try:
                line = input(CONTINUATION if grouper.pending else prompt_text(self.session))
            except EOFError:
                self.write("")
                self.write("Bye.")
                return 0
            except KeyboardInterrupt:
                self.write("")
                grouper.take()
                continue
            ready = grouper.feed(line)
            if ready is None:
                continue
            kind, text = ready
            if kind == "command":
                if self.command(text).exit_requested:
                    return 0
            else:
                self.execute(text)

    # ------------------------------------------------------------------ fancy

    def _fancy_prompt(self):
        from prompt_toolkit import PromptSession
        from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
        from prompt_toolkit.history import FileHistory, InMemoryHistory
        from prompt_toolkit.output import ColorDepth

        history = InMemoryHistory()
        if self.history:
            try:
                history = FileHistory(str(prepare_history_file(history_path(
                    self.history_file))))
            except OSError as error:
                self.notices.append(f"History is not saved: cannot use "
                                    f"{history_path(self.history_file)} ({error.strerror}).")
                self.write(self.notices[-1])
        lexer = _lexer() if self.color else None
        return PromptSession(
            history=history, lexer=lexer, completer=_completer(self),
            complete_while_typing=False, auto_suggest=AutoSuggestFromHistory(),
            key_bindings=_key_bindings(self), multiline=True,
            prompt_continuation=lambda width, line_number, soft_wrap: CONTINUATION,
            enable_history_search=False, enable_open_in_editor=True,
            color_depth=None if self.color else ColorDepth.DEPTH_1_BIT,
            include_default_pygments_style=self.color)

    def _run_fancy(self, prompt_session) -> int:
        from prompt_toolkit.patch_stdout import patch_stdout

        while True:
            self.show_reloads()
            try:
                with patch_stdout(raw=True):
                    text = prompt_session.prompt(self._prompt_message(),
                                                 pre_run=self._start_idle_task)
            except EOFError:
                self.write("Bye.")
                return 0
            except KeyboardInterrupt:
                continue  # the buffer is discarded; a fresh primary prompt follows
            text = _strip_blank_tail(text)
            if not text.strip():
                continue
            if "\n" not in text and text.lstrip().startswith("."):
                if self.command(text.strip()).exit_requested:
                    return 0
            else:
                self.execute(text)

    def _prompt_message(self):
        text = prompt_text(self.session)
        if not self.color:
            return text
        from prompt_toolkit.formatted_text import FormattedText

        return FormattedText([("ansigreen" if self.session.security else "ansired",
                               text)])

    def _start_idle_task(self) -> None:
        """While the prompt waits, apply queued reloads and print their lines above it."""
        if getattr(self.session, "apply_pending_reloads", None) is None:
            return
        from prompt_toolkit.application import get_app

        get_app().create_background_task(self._idle())

    async def _idle(self) -> None:
        import asyncio

        from prompt_toolkit.application import run_in_terminal

        while True:
            await asyncio.sleep(IDLE_POLL)
            lines = self.apply_reloads()
            if lines:
                await run_in_terminal(lambda shown=lines: [self.write(line) for line in shown])

    def should_submit(self, text: str) -> bool:
        """Whether Enter on ``text`` submits it (fancy mode): a dot-command line, an empty
        buffer, a blank last line after a continuation, or complete ML text."""
        if "\n" not in text and (not text.strip() or text.lstrip().startswith(".")):
            return True
        if "\n" in text and not text.rsplit("\n", 1)[1].strip():
            return True
        return self.session.is_complete(text)


def _strip_blank_tail(text: str) -> str:
    lines = text.split("\n")
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _lexer():
    """The ML Pygments lexer for ML text; a dot-command line is left plain."""
    from prompt_toolkit.lexers import Lexer, PygmentsLexer

    from mlpy.integration.pygments_lexer import MLLexer

    class REPLLexer(Lexer):
        def __init__(self):
            self.ml = PygmentsLexer(MLLexer)

        def lex_document(self, document):
            if document.text.lstrip().startswith(".") and "\n" not in document.text:
                return lambda number: [("", document.lines[number])]
            return self.ml.lex_document(document)

        def invalidation_hash(self):
            return self.ml.invalidation_hash()

    return REPLLexer()


def _completer(terminal: Terminal):
    from prompt_toolkit.completion import Completer, Completion

    from mlpy.repl.completion import candidates

    class MLCompleter(Completer):
        def get_completions(self, document, complete_event):
            cursor = document.cursor_position
            for candidate in candidates(terminal.session, document.text, cursor):
                yield Completion(candidate.text, start_position=candidate.start - cursor,
                                 display_meta=candidate.meta)

    return MLCompleter()


def _key_bindings(terminal: Terminal):
    from prompt_toolkit.filters import Condition
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event):
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        if terminal.should_submit(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _newline(event):  # Alt+Enter: a new line even when the input is complete
        event.current_buffer.insert_text("\n")

    @Condition
    def _at_indent() -> bool:
        from prompt_toolkit.application import get_app

        document = get_app().current_buffer.document
        return not document.current_line_before_cursor.strip() and "\n" in document.text

    @bindings.add("tab", filter=_at_indent)
    def _indent(event):
        event.current_buffer.insert_text("    ")

    return bindings


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
