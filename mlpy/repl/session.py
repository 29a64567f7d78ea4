"""MLREPLSession: everything the REPL does, without a terminal.

A session owns an :class:`~mlpy.session.Session` (the namespace, whose internals ML code
cannot see), its own module registry and capability grants, the history of inputs, the
import table and the last failure. ``execute`` runs one input; ``run_command`` runs one
dot-command; the interactive loop (:mod:`mlpy.repl.terminal`) only reads lines and prints
what these return, so tests exercise exactly what users run.
"""

from __future__ import annotations

import fnmatch
import queue
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

import mlpy
from mlpy.errors import (
    CapabilityError, MLCompileError, MLError, MLImportError, MLLimitError, MLSecurityError,
    MLSyntaxError, ModuleLoadError, SecurityError, clip_line, clip_text,
)
from mlpy.modules.registry import ModuleRegistry
from mlpy.repl.display import ml_repr
from mlpy.repl.inputs import is_complete, with_semicolon
from mlpy.runtime.capabilities import CapabilitySet

MAX_HISTORY = 1000


@dataclass
class REPLError:
    """Why an input failed: ``kind`` is ParseError, SecurityError, CapabilityError,
    ImportError, CompileError, LimitError or RuntimeError; ``line`` and ``column`` count
    from the start of the input (or of ``file`` when the failure is in a module)."""

    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    tip: str | None = None
    file: str | None = None
    source_line: str | None = None
    error: MLError | None = field(default=None, repr=False)

    def format(self) -> str:
        lines = [f"Error: {self.kind}: {clip_text(self.message)}"]
        if self.line is not None and self.source_line is not None:
            where = f"  ({self.file}:{self.line})" if self.file else ""
            shown, column, _ = clip_line(self.source_line, max(self.column or 1, 1))
            lines.append(f"  {shown}{where}")
            lines.append("  " + " " * (column - 1) + "^")
        if self.tip:
            lines.append(f"Tip: {clip_text(self.tip)}")
        return "\n".join(lines)


@dataclass
class REPLResult:
    """The outcome of one input: ``display`` is the echo (``None`` when nothing is echoed)."""

    ok: bool
    value: Any = None
    display: str | None = None
    error: REPLError | None = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class CommandResult:
    ok: bool
    text: str
    exit_requested: bool = False


@dataclass
class HistoryEntry:
    index: int
    text: str
    ok: bool
    seconds: float


@dataclass
class Grant:
    capability: str
    origin: str  # "startup" or "granted HH:MM:SS"


class MLREPLSession:
    """One REPL session: independent namespace, registry, grants, history and dev mode."""

    def __init__(self, *, security: bool = True,
                 extension_paths: Iterable[str] = (), ml_module_paths: Iterable[str] = (),
                 capabilities: Iterable[str] = (), dev_mode: bool = False,
                 registry: ModuleRegistry | None = None, max_history: int = MAX_HISTORY,
                 output: Callable[[str], Any] | None = None, interactive: bool = False,
                 path_origins: dict[str, str] | None = None, config_file: str | None = None,
                 confirm: Callable[[str], bool] | None = None,
                 async_engine: Any = None, async_timeout: float = 30.0,
                 read_line: Callable[[str], str] | None = None):
        self.security = security
        self.registry = registry or ModuleRegistry(extension_paths, ml_module_paths)
        self.engine = mlpy.Engine(registry=self.registry)
        self.startup_grants = [str(c) for c in CapabilitySet.parse(list(capabilities))]
        self.dev_mode = dev_mode
        self.interactive = interactive
        self.max_history = max_history
        self.history: list[HistoryEntry] = []
        self.last_failure: HistoryEntry | None = None
        self.audit: list[tuple[str, str, datetime]] = []  # (action, capability, when)
        self.path_origins = dict(path_origins or {})  # path -> where it came from
        self.config_file = config_file
        self._confirm = confirm
        # How .debug reads its commands: read_line(prompt) -> a line as readline gives it
        # ('' at the end of the input); the terminal sets it (None: no input to read from).
        self.read_line = read_line
        self.output = output or sys.stdout.write
        self.started = time.time()
        self._inputs = 0
        self._sources: dict[str, str] = {}  # input name -> its text, for error lines
        self._closers: list[Callable[[], Any]] = []  # run by close() (watchers, ...)
        self._dev: Any = None  # the development tools' state (mlpy.repl.dev), made on use
        self.statements: deque[dict[str, Any]] = deque(maxlen=1000)  # timings, for .perfmon
        self.watch_requests: queue.Queue = queue.Queue()  # reloads .watch asks for
        self.force_polling = False  # .watch polls files even when watchfiles is installed
        # .async runs on this AsyncEngine (made on first use when the host gives none) and
        # .async and .benchmark runs stop after async_timeout seconds.
        self._async_engine = async_engine
        self._owns_async_engine = async_engine is None
        self.async_timeout = async_timeout
        # The Python-side helper namespace: what .callback makes, for the host to call.
        self.python_namespace: dict[str, Any] = {}
        self._new_session()
        if dev_mode:  # development mode from the start: notices, and traced loads (B7)
            from mlpy.repl.dev import set_dev_mode

            set_dev_mode(self, True)

    # ------------------------------------------------------------------ state

    def _new_session(self) -> None:
        self._session = self.engine.session(capabilities=self._grant_spec(self.startup_grants))
        self.grants = [Grant(c, "startup") for c in self.startup_grants]
        self.symbols: dict[str, str] = {}  # name -> "variable" | "function", definition order
        self.imports: dict[str, str] = {}  # binding -> module
        self.last_failure = None

    def _grant_spec(self, grants: list[str]) -> Any:
        if not self.security:  # security off: every capability a module declares, unscoped
            return sorted(set(grants) | self._declared_capabilities())
        return grants

    def _declared_capabilities(self) -> set[str]:
        found: set[str] = set()
        for name in self.registry.available():
            if self.registry.kind(name) == "ml":
                continue
            for member in self.registry.members(name) or ():
                found.update(self.registry.requirements(name, member))
        return found

    @property
    def session(self) -> mlpy.Session:
        return self._session

    def reset(self) -> int:
        """Clear the namespace, the import table, the last failure and the callbacks;
        restore the startup grants. History, registry, paths, watches and dev mode stay.
        Returns how many bindings were removed."""
        removed = len(self.symbols) + len(self.imports)
        self._session.close()
        self._new_session()
        self.python_namespace.clear()  # their functions were in the namespace just cleared
        return removed

    @property
    def async_engine(self) -> Any:
        """The :class:`~mlpy.aio.AsyncEngine` ``.async`` runs on: the host's, or one worker
        of this session's own engine, made on first use and shut down by :meth:`close`."""
        if self._async_engine is None:
            from mlpy.aio import AsyncEngine

            self._async_engine = AsyncEngine(self.engine, max_workers=1,
                                             default_timeout=self.async_timeout,
                                             thread_name_prefix="mlpy-repl-async")
        return self._async_engine

    def close(self) -> None:
        if self._owns_async_engine and self._async_engine is not None:
            self._async_engine.shutdown(wait=False, cancel_pending=True)
        self._session.close()
        for closer in self._closers:
            closer()

    def on_close(self, callback: Callable[[], Any]) -> None:
        self._closers.append(callback)

    # ------------------------------------------------------------------ input

    def is_complete(self, text: str) -> bool:
        return is_complete(text)

    def completions(self, text: str, cursor: int | None = None) -> list[str]:
        """What Tab offers for ``text`` at ``cursor`` (default: its end), best first."""
        from mlpy.repl.completion import completions

        return completions(self, text, cursor)

    def execute(self, text: str, *, filename: str | None = None) -> REPLResult:
        """Run one input in the session; print what it prints through ``output``."""
        self._inputs += 1
        source = with_semicolon(text)
        name = filename or f"<input-{self._inputs}>"
        self._sources[name] = source
        start = time.perf_counter()
        try:
            result = self._session.exec(source, filename=name, result_name=None,
                                        output=self.output)
        except KeyboardInterrupt:  # Ctrl+C: the input failed, and .retry can run it again
            self.last_failure = self._remember(text, False, time.perf_counter() - start)
            raise
        seconds = time.perf_counter() - start
        entry = self._remember(text, result.ok, seconds)
        timings = dict(result.timings, total=seconds)
        self._record_timings(text, timings, result)
        if not result.ok:
            self.last_failure = entry
            return REPLResult(False, error=self._error(result.error, source), timings=timings)
        if self.last_failure is not None and self.last_failure.text == text:
            self.last_failure = None
        self._learn(source)
        value = result.value
        shown = None if value is None else ml_repr(value)
        return REPLResult(True, value, shown, timings=timings)

    def _remember(self, text: str, ok: bool, seconds: float) -> HistoryEntry:
        entry = HistoryEntry(self._inputs, text, ok, seconds)
        self.history.append(entry)
        for dropped in self.history[:-self.max_history]:  # an input leaving the history
            self._sources.pop(f"<input-{dropped.index}>", None)
        del self.history[:-self.max_history]
        return entry

    def _record_timings(self, text: str, timings: dict[str, Any], result: Any) -> None:
        """Keep the input's phase timings for ``.perfmon`` (and warn when slow in
        development mode)."""
        from mlpy.repl.dev import record_statement

        program = self._session.last_program if "run" in result.timings else None
        record_statement(self, text, timings, program)

    def apply_pending_reloads(self) -> list[str]:
        """Apply the reloads ``.watch`` queued since the last call (the interactive loop
        calls this when idle and before each input); the notification lines to show."""
        from mlpy.repl.dev import apply_pending_reloads

        return apply_pending_reloads(self)

    def _learn(self, source: str) -> None:
        """Record the names and imports a successful input defined."""
        program = self._session.last_program
        for name in program.globals_defined:
            if name not in self.imports:
                self.symbols[name] = "function" if name in program.functions else "variable"
        for bound, module, package in program.import_bindings:
            self.imports[bound] = bound if package else module
            self.symbols.pop(bound, None)

    def _error(self, error: MLError, source: str, current: str | None = None) -> REPLError:
        """``error`` as the REPL shows it; ``current`` names the text being run (default:
        the latest input), whose lines are shown without a file name."""
        current = current or f"<input-{self._inputs}>"
        kind = error_kind(error)
        tip = error.hints[0] if error.hints else None
        line = error.span.line if error.span else None
        column = error.span.column if error.span else None
        file = None
        text = source
        if error.file in self._sources and error.source is not None:
            # in this input, or in a function an earlier input defined
            text = self._sources[error.file]
            if error.file != current:
                file = f"input {error.file[len('<input-'):-1]}" \
                    if error.file.startswith("<input-") else error.file
        elif error.file and not error.file.startswith("<input-"):
            file, text = error.file, error.source or ""
        source_line = None
        if line is not None and text:
            lines = text.split("\n")  # as the parser counts lines
            if 0 < line <= len(lines):
                source_line = lines[line - 1]
        return REPLError(kind, error.message, line, column, tip, file, source_line, error)

    # ------------------------------------------------------------------ grants

    def grant(self, capability: str) -> str:
        """Grant ``capability`` to the code of this session, from the next input on; raise
        MLConfigurationError when it is not of the form ``area.action[:scope]``."""
        parsed = str(next(iter(CapabilitySet.parse([capability]))))
        if any(g.capability == parsed for g in self.grants):
            return f"Already granted: {parsed}."
        self._session.grant(parsed)
        self.grants.append(Grant(parsed, f"granted {datetime.now():%H:%M:%S}"))
        self.audit.append(("grant", parsed, datetime.now()))
        return f"Granted {parsed}."

    def revoke(self, capability: str) -> str:
        held = [g for g in self.grants if g.capability == capability
                or g.capability.split(":", 1)[0] == capability]
        if not held:
            raise KeyError(capability)
        self._session.revoke(capability)
        self.grants = [g for g in self.grants if g not in held]
        self.audit.append(("revoke", capability, datetime.now()))
        return f"Revoked {capability}."

    # ------------------------------------------------------------------ names

    def variables(self, pattern: str | None = None) -> list[tuple[str, Any]]:
        names = [n for n in self.symbols if pattern is None or fnmatch.fnmatchcase(n, pattern)]
        return [(name, self._session.get(name)) for name in names if name in self._session]

    def show(self, result: REPLResult) -> str:
        """What the REPL prints for a result: ``=> value``, the error, or nothing."""
        if not result.ok:
            return result.error.format()
        return "" if result.display is None else f"=> {result.display}"

    def confirm(self, question: str) -> bool:
        return bool(self._confirm and self._confirm(question))

    def loaded_modules(self) -> list[str]:
        """The modules loaded in this session: the engine's Python modules and the ML
        modules the session's code has run."""
        ml = self._session._namespace.get("__ml_loaded__", {})
        return sorted({"builtin", *self.registry.loaded_names(), *ml})

    def module_timings(self, name: str) -> str:
        """A line of load and reload timings for ``.modinfo`` (empty when unknown)."""
        from mlpy.repl.dev import module_timings

        return module_timings(self, name)

    def run_command(self, line: str) -> CommandResult:
        from mlpy.repl.commands import run_command

        return run_command(self, line)


def error_kind(error: MLError) -> str:
    """The kind an error is shown as: ParseError, ImportError, SecurityError, ..."""
    if isinstance(error, MLSyntaxError):
        return "ParseError"
    if isinstance(error, (MLImportError, ModuleLoadError)):
        return "ImportError"
    if isinstance(error, (MLSecurityError, SecurityError)):
        return "SecurityError"
    if isinstance(error, CapabilityError):
        return "CapabilityError"
    if isinstance(error, MLCompileError):
        return "CompileError"
    if isinstance(error, MLLimitError):
        return "LimitError"
    return "RuntimeError"
