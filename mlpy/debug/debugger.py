"""The ML debugger: breakpoints, stepping, ML-level stack and variables, for embedders.

``Debugger(engine).run(target, on_pause=callback)`` runs one execution under the debugger on
the calling thread. Whenever it pauses -- a breakpoint, a finished step, an uncaught ML
error -- it calls ``on_pause`` *on that thread* with a :class:`PausedFrame` and resumes as the
returned :class:`StepAction` says. A host with a user interface on another thread (the DAP
server, a GUI) blocks in ``on_pause`` on a queue of its own.

How it observes the execution
-----------------------------
Nothing is installed until ``run`` starts, and everything is removed when it ends: a
debugger that is not running costs nothing. While it runs:

* on Python 3.12+ it uses ``sys.monitoring`` with a tool id of its own. It learns about
  compiled ML code objects (filenames starting with ``mlpy://``) as they start, asks for line
  events on those only, and turns off each line location that holds no breakpoint the first
  time it is reached -- so an attached debugger that hits nothing costs little. Events of
  other threads running the same code are ignored.
* on Python 3.11 a program it is given (source, a Program, a path) runs as a debug variant
  whose compiled line checks call the debugger on breakpoint lines only (all lines while
  stepping): no tracer slows the run (:mod:`mlpy.debug.hooks`). ``sys.settrace`` is
  installed on the executing thread only (never ``threading.settrace``) while exception
  breakpoints are on (without line events), and to run a callable, whose programs it cannot
  see beforehand: then it traces only ML frames that hold a breakpoint, or all ML frames
  while stepping.

It never patches imports: ML modules are learnt when their code first runs.

What it never changes
---------------------
The observed execution gets the same result with or without the debugger. Conditions,
watches and ``evaluate`` run as executions of their own (empty capability set, their own
step and time limits, in a copy of the frame's names), so they take no step from the
execution. Time spent paused does not count towards the execution's ``timeout``: its
deadline moves by the length of each pause (a paused execution is never killed by its
timeout; ``Engine.cancel`` still stops it when it resumes).

On an AsyncEngine
-----------------
``AsyncEngine.execute(source, debug=debugger)`` runs that one execution under the debugger
on the worker thread that takes it (:meth:`Debugger.run_job`): the tracer is installed on
that thread when the execution starts and removed when it ends, whatever the outcome, and
``on_pause`` (the one given to ``Debugger(engine, on_pause=...)``) is called on the worker
thread. The worker pool's watchdog does not count a pause towards the timeout either.
Cancelling the execution while it is paused sets :attr:`PausedFrame.cancelled`; an
``on_pause`` that waits for a person should wait for that event too, and the execution then
ends with MLCancelledError whatever ``on_pause`` returns.
"""

from __future__ import annotations

import enum
import itertools
import logging
import re
import sys
import threading
import weakref
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from os import PathLike, fspath
from types import CodeType, FrameType
from typing import Any, Callable, Iterable, Iterator

from mlpy.debug.backends import Backend, make_backend
from mlpy.debug.hooks import Unit, Variant, make_variant
from mlpy.debug.positions import (
    executable_lines,
    file_key,
    is_ml_code,
    ml_column,
    ml_depth,
    ml_file,
    ml_line,
    program_of,
    stops,
)
from mlpy.errors import MLCancelledError, MLError, MLLimitError
from mlpy.language.parser import parse
from mlpy.program import Program, _frame_name, translate_error, user_names
from mlpy.runtime import state as runtime_state
from mlpy.runtime.state import CURRENT, HostEntry
from mlpy.runtime.values import quoted

_logger = logging.getLogger("mlpy.debug")

# Limits of the executions that evaluate conditions, watches and expressions.
EVALUATION_TIMEOUT = 2.0
EVALUATION_STEPS = 100_000
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class DebuggerError(MLError):
    """The debugger was used wrongly (a bad line, a sandboxed engine, two runs at once)."""

    code = "MLD001"


class StepAction(str, enum.Enum):
    """What a paused execution does next."""

    CONTINUE = "continue"
    NEXT = "next"  # the next line in this function (or its caller), stepping over calls
    STEP_IN = "step_in"  # the next line anywhere, into calls
    STEP_OUT = "step_out"  # the next line after this function returns
    STOP = "stop"  # end the execution (it fails with MLCancelledError)


@dataclass
class Breakpoint:
    """A breakpoint on an ML line. ``verified``: the line holds code of a loaded program;
    until then it is pending (``message`` says why it is not verified)."""

    id: int
    file: str
    line: int
    condition: str | None = None
    hit_count: int | None = None  # pause from the hit_count-th hit on
    log_message: str | None = None  # a logpoint: log this ({expr} interpolated), never pause
    enabled: bool = True
    verified: bool = False
    message: str = "pending: no program from this file has been loaded yet"
    hits: int = 0  # times the line was reached with the condition true

    @property
    def key(self) -> str:
        return file_key(self.file)


@dataclass
class StackFrame:
    """One ML frame of a paused execution (valid while it is paused)."""

    level: int  # 0 is the innermost
    file: str
    line: int
    column: int  # 1-based
    function: str
    _frame: FrameType = field(repr=False)

    def locals(self) -> dict[str, Any]:
        """The frame's ML variables (for the top level, the program's names)."""
        if self._frame.f_code.co_name == "<module>":
            return user_names(dict(self._frame.f_globals))
        return user_names(dict(self._frame.f_locals))

    def globals(self) -> dict[str, Any]:
        return user_names(dict(self._frame.f_globals))

    def scope(self) -> dict[str, Any]:
        """The names an expression evaluated here sees: the globals, then the locals."""
        return {**self.globals(), **self.locals()}

    def source_line(self) -> str:
        program = program_of(self._frame.f_code)
        if program is None:
            return ""
        lines = program.source.splitlines()
        return lines[self.line - 1] if 0 < self.line <= len(lines) else ""


@dataclass
class PausedFrame:
    """What ``on_pause`` is shown: where the execution stopped and why.

    ``reason`` is ``"entry"``, ``"breakpoint"``, ``"step"`` or ``"exception"``; ``stack`` is
    innermost first; ``locals`` are the innermost frame's ML variables; ``watches`` maps each
    watch expression to its value as text (or the error it raised).
    """

    reason: str
    stack: list[StackFrame]
    breakpoint: Breakpoint | None = None
    exception: MLError | None = None
    watches: dict[str, str] = field(default_factory=dict)
    condition_error: str | None = None
    _debugger: "Debugger | None" = field(default=None, repr=False)
    # Set when the execution is told to stop while paused here (an AsyncEngine's cancel): an
    # on_pause waiting for a person should stop waiting; the execution then ends.
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def file(self) -> str:
        return self.stack[0].file

    @property
    def line(self) -> int:
        return self.stack[0].line

    @property
    def column(self) -> int:
        return self.stack[0].column

    @property
    def function(self) -> str:
        return self.stack[0].function

    @property
    def locals(self) -> dict[str, Any]:
        return self.stack[0].locals()

    @property
    def globals(self) -> dict[str, Any]:
        return self.stack[0].globals()

    @property
    def source_line(self) -> str:
        return self.stack[0].source_line()

    def evaluate(self, expression: str, level: int = 0) -> Any:
        """The value of an ML expression in frame ``level`` of the stack; raises the
        MLError it fails with."""
        assert self._debugger is not None
        return self._debugger.evaluate(expression, self.stack[level])


def show(value: Any) -> str:
    """A value as the debugger shows it (strings quoted, long values cut)."""
    return quoted(value, limit=200)


class Debugger:
    """Debugs executions of ``engine`` (see the module docstring).

    ``engine`` is an :class:`~mlpy.Engine` or an :class:`~mlpy.aio.AsyncEngine` (its
    engine is the one used). ``on_pause(frame)`` is the pause handler of runs that give none,
    and of ``AsyncEngine.execute(..., debug=debugger)`` (default: continue).
    ``on_log(text, breakpoint)`` receives the messages of logpoints (default: the
    ``mlpy.debug`` logger at INFO).
    """

    def __init__(self, engine: Any, *, on_pause: Callable[[PausedFrame], Any] | None = None,
                 on_log: Callable[[str, Breakpoint], Any] | None = None):
        from mlpy.aio.engine import AsyncEngine  # noqa: PLC0415 - aio builds on the engine

        self.engine = engine.engine if isinstance(engine, AsyncEngine) else engine
        self.on_pause = on_pause or _continue
        self.on_log = on_log or (lambda text, bp: _logger.info("%s", text))
        self._ids = itertools.count(1)
        self._breakpoints: dict[int, Breakpoint] = {}
        self._by_line: dict[tuple[str, int], list[Breakpoint]] = {}
        self._watches: list[str] = []
        self._exceptions: tuple[frozenset[str] | None, bool] | None = None
        self._programs: dict[str, list[Program]] = {}  # file key -> programs seen
        self._keys: dict[str, str] = {}  # code filename -> file key
        self._lock = threading.Lock()
        self._running = False
        self._thread: int | None = None
        self._on_pause: Callable[[PausedFrame], Any] = _continue
        self._pausing: Callable[[], AbstractContextManager[threading.Event]] = _pause_alone
        self._step: StepAction | None = None
        self._step_depth = 0
        self._evaluating = False
        self._entry = False  # the next pause is the one break_on_entry asked for
        self._stopping = False
        self._seen_exception: BaseException | None = None
        self._unwinding: BaseException | None = None
        self._unwound: list[tuple[FrameType, int]] = []
        self._backend: Backend | None = None
        self._expressions: dict[tuple[str, tuple[str, ...]], Program] = {}
        self._empty: Any = None  # the engine's empty capability set, with its denies
        # code -> whether it holds a breakpoint line (cleared when breakpoints change)
        self._wanted: "weakref.WeakKeyDictionary[CodeType, bool]" = weakref.WeakKeyDictionary()
        # (3.11) program -> its debug variant, which this debugger runs instead
        self._variants: "weakref.WeakKeyDictionary[Program, Variant]" = \
            weakref.WeakKeyDictionary()

    # ------------------------------------------------------------------ breakpoints

    def set_breakpoint(self, file: str | PathLike[str], line: int, condition: str | None = None,
                       hit_count: int | None = None,
                       log_message: str | None = None) -> Breakpoint:
        """A breakpoint on ML ``line`` of ``file``; verified at once when a program of that
        file is known (else pending). A bad condition is a syntax error here."""
        if not isinstance(line, int) or isinstance(line, bool) or line < 1:
            raise DebuggerError(f"a breakpoint line is a positive integer, not {line!r}")
        if hit_count is not None and (not isinstance(hit_count, int) or hit_count < 1):
            raise DebuggerError(f"hit_count is a positive integer, not {hit_count!r}")
        if not isinstance(file, (str, PathLike)):
            raise DebuggerError(f"a breakpoint's file is a path, not {file!r}")
        if condition is not None:
            _check_expression(condition)
        if log_message is not None and not isinstance(log_message, str):
            raise DebuggerError(f"a log message is text, not {log_message!r}")
        for part in _PLACEHOLDER.findall(log_message or ""):
            _check_expression(part)
        breakpoint = Breakpoint(next(self._ids), fspath(file), line, condition, hit_count,
                                log_message)
        with self._lock:
            self._breakpoints[breakpoint.id] = breakpoint
            self._by_line.setdefault((breakpoint.key, line), []).append(breakpoint)
            self._wanted.clear()
            self._verify(breakpoint)
        self._refresh()
        return breakpoint

    def remove(self, breakpoint: Breakpoint | int) -> None:
        bp = self._find(breakpoint)
        with self._lock:
            self._breakpoints.pop(bp.id, None)
            at = self._by_line.get((bp.key, bp.line), [])
            if bp in at:
                at.remove(bp)
            if not at:
                self._by_line.pop((bp.key, bp.line), None)
            self._wanted.clear()
        self._refresh()

    def clear(self, file: str | PathLike[str] | None = None) -> None:
        """Remove every breakpoint (of ``file`` only, when given)."""
        for bp in list(self._breakpoints.values()):
            if file is None or bp.key == file_key(fspath(file)):
                self.remove(bp)

    def enable(self, breakpoint: Breakpoint | int) -> None:
        self._find(breakpoint).enabled = True
        self._refresh()

    def disable(self, breakpoint: Breakpoint | int) -> None:
        self._find(breakpoint).enabled = False
        self._refresh()

    @property
    def breakpoints(self) -> list[Breakpoint]:
        return list(self._breakpoints.values())

    def _find(self, breakpoint: Breakpoint | int) -> Breakpoint:
        key = breakpoint.id if isinstance(breakpoint, Breakpoint) else breakpoint
        try:
            return self._breakpoints[key]
        except KeyError:
            raise DebuggerError(f"there is no breakpoint {key!r}") from None

    def watch(self, expression: str) -> str:
        """Show ``expression``'s value at every pause (in ``PausedFrame.watches``)."""
        _check_expression(expression)
        if expression not in self._watches:
            self._watches.append(expression)
        return expression

    def unwatch(self, expression: str) -> None:
        if expression in self._watches:
            self._watches.remove(expression)

    @property
    def watches(self) -> list[str]:
        return list(self._watches)

    def break_on_exceptions(self, types: Iterable[str] | None = None,
                            uncaught_only: bool = True) -> None:
        """Pause when an ML error is raised (``uncaught_only``: only when it leaves the ML
        code). ``types`` filters by error class name (``"MLRuntimeError"``) or kind
        (``"division_by_zero"``, ``"thrown"``); limits (timeouts, steps, cancels) never
        pause."""
        self._exceptions = (None if types is None else frozenset(types), uncaught_only)
        self._refresh()

    def no_exception_breaks(self) -> None:
        self._exceptions = None
        self._refresh()

    # ------------------------------------------------------------------ programs

    def add_program(self, program: Program) -> None:
        """Make ``program`` (and the ML modules it imports) known, so that breakpoints in its
        files are verified before it runs (running it does the same)."""
        for unit in (program, *program.modules.values()):
            self._learn(unit)

    def _learn(self, program: Program) -> None:
        key = file_key(program.filename)
        with self._lock:
            known = self._programs.setdefault(key, [])
            if any(p is program for p in known):
                return
            known.append(program)
            del known[:-4]  # the latest compiles of a file are enough to verify against
            for bp in self._breakpoints.values():
                if bp.key == key:
                    self._verify(bp)

    def _verify(self, bp: Breakpoint) -> None:
        programs = self._programs.get(bp.key)
        if not programs:
            return
        if any(bp.line in executable_lines(p) for p in programs):
            bp.verified, bp.message = True, ""
        else:
            bp.verified = False
            bp.message = f"line {bp.line} of {bp.file} holds no code"

    def code_started(self, code: CodeType) -> None:
        """(backends) ML code began to run: learn its program."""
        key = self._keys.get(code.co_filename)
        if key is None:
            self._keys[code.co_filename] = key = file_key(ml_file(code))
            program = program_of(code)
            if program is not None:
                self._learn(program)

    def wants_code(self, code: CodeType) -> bool:
        """(backends) Whether a frame of ``code`` must be traced line by line now."""
        if self._step is not None:
            return True
        wanted = self._wanted.get(code)
        if wanted is None:
            key = self._keys.get(code.co_filename) or file_key(ml_file(code))
            lines = {line for _, _, line in code.co_lines()}
            wanted = self._wanted[code] = any(  # (a copy: the UI thread may add some)
                k == key and line in lines for k, line in list(self._by_line))
        return wanted

    # ------------------------------------------------------------------ running

    def run(self, target: Any, /, *args: Any, on_pause: Callable[[PausedFrame], Any] | None = None,
            break_on_entry: bool = False, **kwargs: Any) -> Any:
        """Run ``target`` under the debugger on this thread and return what it returns.

        ``target`` is ML source, a Program or a ``.ml`` path (run with
        ``engine.execute(target, *args, **kwargs)``), or any callable that runs ML code of
        this thread -- ``session.exec``, an ``MLFunction`` -- called with ``*args,
        **kwargs``. ``on_pause(frame)`` returns a :class:`StepAction` (or its value, such as
        ``"next"``); None continues. ``break_on_entry`` pauses at the first ML line.
        """
        call, units = self._call_of(target, args, kwargs)
        return self._debug(call, on_pause or self.on_pause, break_on_entry, _pause_alone, units)

    def run_job(self, call: Callable[[], Any],
                pausing: Callable[[], AbstractContextManager[threading.Event]]) -> Any:
        """(AsyncEngine) Run ``call`` -- one execution, on this worker thread -- under the
        debugger with :attr:`on_pause`. ``pausing()`` wraps every pause: it tells the worker
        pool the execution is paused and yields the event its cancellation sets."""
        return self._debug(call, self.on_pause, False, pausing)

    def _debug(self, call: Callable[[], Any], on_pause: Callable[[PausedFrame], Any],
               break_on_entry: bool,
               pausing: Callable[[], AbstractContextManager[threading.Event]],
               units: list[Unit] | None = None) -> Any:
        with self._lock:
            if self._running:
                raise DebuggerError("this debugger is already running an execution")
            self._running = True
        self._on_pause, self._pausing = on_pause, pausing
        self._step = StepAction.STEP_IN if break_on_entry else None
        self._step_depth = 0
        self._entry = break_on_entry
        self._stopping = False
        self._seen_exception = None
        self._thread = threading.get_ident()
        backend = self._backend = make_backend(self, units)
        try:
            backend.start()
            return call()
        finally:
            backend.stop()
            self._backend = None
            self._thread = None
            self._unwinding, self._unwound = None, []  # no frame outlives the run here
            with self._lock:
                self._running = False

    def _call_of(self, target: Any, args: tuple, kwargs: dict
                 ) -> tuple[Callable[[], Any], list[Unit] | None]:
        """How to run ``target``, and (3.11) the units of the debug variant it runs as."""
        if isinstance(target, PathLike):
            try:
                target = self.engine.compile(target)
            except MLError as error:
                from mlpy.engine import ExecutionResult

                failed = ExecutionResult(False, error=error)  # (`error` ends with the block)
                return (lambda: failed), None
        if isinstance(target, (str, Program)):
            mode = kwargs.get("isolation") or getattr(self.engine, "isolation", "inprocess")
            if mode != "inprocess":
                raise DebuggerError(
                    "a sandboxed execution runs in another process and cannot be debugged",
                    hints=["run it with isolation='inprocess' to debug it"])
            if sys.version_info < (3, 12):
                return self._variant_call(target, args, kwargs)
            if isinstance(target, Program):
                self.add_program(target)
            return (lambda: self.engine.execute(target, *args, **kwargs)), None
        if callable(target):
            return (lambda: target(*args, **kwargs)), None
        raise DebuggerError(f"cannot debug a {type(target).__name__}: give ML source, a "
                            "Program, a path or a callable")

    def _variant_call(self, target: str | Program, args: tuple, kwargs: dict
                      ) -> tuple[Callable[[], Any], list[Unit] | None]:
        """(3.11) Run ``target`` as its debug variant (mlpy.debug.hooks): compiled here as
        ``engine.execute`` would compile it; source that does not compile runs as it is,
        so that the execution reports the error as it always does."""
        program = target
        if isinstance(target, str):
            variables = args[0] if args else kwargs.get("variables")
            try:
                program = self.engine._program(target, kwargs.get("filename"),
                                               dict(variables or {}))[0]
            except MLError:
                return (lambda: self.engine.execute(target, *args, **kwargs)), None
        assert isinstance(program, Program)
        self.add_program(program)
        variant = self._variants.get(program)
        if variant is None:
            try:
                variant = self._variants[program] = make_variant(program, self._line_check)
            except RecursionError:  # nested too deeply to compile again here: traced instead
                return (lambda: self.engine.execute(program, *args, **kwargs)), None

        def call() -> Any:
            assert program is not None  # (held while it runs: positions resolve through it)
            return self.engine.execute(variant.program, *args, **kwargs)

        return call, variant.units

    def _line_check(self, line: int) -> None:
        """The hook the line checks of debug variants call (see mlpy.debug.hooks)."""
        backend = self._backend
        if backend is not None:
            backend.hit(sys._getframe(1))

    def _refresh(self) -> None:
        backend = self._backend
        if backend is None:
            return
        if threading.get_ident() == self._thread:
            backend.refresh()
        else:
            backend.refresh_elsewhere()

    # ------------------------------------------------------------------ events

    def on_line(self, frame: FrameType) -> bool:
        """(backends) ``frame`` reached a new ML line; pause if something says so. Whether
        this line location must keep reporting (False: no breakpoint, not stepping)."""
        if self._evaluating or self._stopping:
            return True
        line = ml_line(frame)
        code = frame.f_code
        where = stops(code)
        if line not in where.lines or frame.f_lasti in where.returns:
            return False  # inside a statement: it paused (if at all) where it started
        if line == code.co_firstlineno and _has_prologue(code):
            return True  # the entry line of a function: its body's first line comes next
        key = self._keys.get(code.co_filename)
        if key is None:
            self.code_started(code)
            key = self._keys[code.co_filename]
        candidates = self._by_line.get((key, line))
        if self._step is not None and self._step_reached(frame):
            self._pause(frame, "entry" if self._entry else "step")
            return True
        if not candidates:
            return self._step is not None
        for bp in list(candidates):
            if not bp.enabled or not bp.verified:
                continue
            failure = None
            if bp.condition is not None:
                try:
                    if not self.evaluate(bp.condition, _frame_at(frame)):
                        continue
                except MLError as error:
                    failure = f"the condition {bp.condition!r} failed: {error.message}"
            bp.hits += 1
            if bp.hit_count is not None and bp.hits < bp.hit_count:
                continue
            if bp.log_message is not None and failure is None:
                self.on_log(self._interpolate(bp.log_message, frame), bp)
                continue
            self._pause(frame, "breakpoint", breakpoint=bp, condition_error=failure)
            break
        return True

    def _step_reached(self, frame: FrameType) -> bool:
        if self._step is StepAction.STEP_IN:
            return True
        depth = ml_depth(frame)
        if self._step is StepAction.NEXT:
            return depth <= self._step_depth
        return depth < self._step_depth  # STEP_OUT

    def on_exception(self, frame: FrameType, exc: BaseException, leaving: bool) -> None:
        """(backends) ``exc`` passes through ML ``frame``; ``leaving``: it leaves the
        frame, and no ML frame is above it (the ML code did not catch it)."""
        if self._evaluating or self._stopping or self._exceptions is None:
            return
        if exc is not self._unwinding:  # the frames it passed, innermost first
            self._unwinding, self._unwound = exc, []
        if not any(seen is frame for seen, _ in self._unwound):
            self._unwound.append((frame, _line_passed(frame, exc)))
        types, uncaught_only = self._exceptions
        if uncaught_only and not leaving or exc is self._seen_exception:
            return
        if not isinstance(exc, Exception) or isinstance(exc, (MLLimitError, HostEntry)):
            return
        error = exc if isinstance(exc, MLError) else translate_error(exc)
        if types is not None and type(error).__name__ not in types \
                and getattr(error, "kind", None) not in types:
            return
        self._seen_exception = exc
        self._pause(frame, "exception", exception=error, below=list(self._unwound))

    # ------------------------------------------------------------------ pausing

    def _pause(self, frame: FrameType, reason: str, *, breakpoint: Breakpoint | None = None,
               exception: MLError | None = None,
               below: list[tuple[FrameType, int]] | None = None,
               condition_error: str | None = None) -> None:
        self._entry = False
        stack = _stack(frame, below or [])
        paused = PausedFrame(reason, stack, breakpoint, exception, {}, condition_error, self)
        for expression in self._watches:
            try:
                paused.watches[expression] = show(self.evaluate(expression, stack[0]))
            except MLError as error:
                paused.watches[expression] = f"<error: {error.message}>"
        with self._pausing() as cancelled:
            paused.cancelled = cancelled
            started = runtime_state.clock()
            try:
                action = self._on_pause(paused)
                action = StepAction(action) if action is not None else StepAction.CONTINUE
            except Exception as error:  # noqa: BLE001 - a failing host callback stops the run
                _logger.error("on_pause failed, stopping the execution: %r", error)
                action = StepAction.STOP
            finally:
                _extend_deadlines(runtime_state.clock() - started)
        why = "the debugger stopped the execution"
        if cancelled.is_set():  # whatever on_pause said
            action, why = StepAction.STOP, "the execution was cancelled while paused"
        self._resume(frame, action, why)

    def _resume(self, frame: FrameType, action: StepAction, why: str) -> None:
        if action is StepAction.STOP:
            self._stopping = True
            self._step = None
            error = MLCancelledError(why)
            execution = CURRENT.get()
            if hasattr(execution, "trip"):
                execution.trip(error)  # so ML code cannot catch it
            raise error
        self._step = None if action is StepAction.CONTINUE else action
        self._step_depth = ml_depth(frame)
        if self._backend is not None:
            self._backend.refresh()

    # ------------------------------------------------------------------ evaluating

    def evaluate(self, expression: str, frame: StackFrame) -> Any:
        """The value of an ML expression in ``frame``'s scope: compiled and checked by the
        normal compiler against the names there, run with no capabilities under limits of
        its own, in a copy of the frame's names. Raises the MLError it fails with."""
        text = expression.strip().rstrip(";")
        if not text:
            raise DebuggerError("an empty expression has no value")
        from mlpy.engine import RESERVED  # the engine builds on this package's users

        variables = {name: value for name, value in frame.scope().items()
                     if name.isidentifier() and not name.startswith(("__", "_mlpy"))
                     and name not in RESERVED}
        was, self._evaluating = self._evaluating, True
        try:
            result = self.engine._execute(
                self._compiled(text, variables), variables, capabilities=self._no_grants(),
                timeout=EVALUATION_TIMEOUT, max_steps=EVALUATION_STEPS, allow_shadow=True,
                capture_output=True, isolation="inprocess")
        finally:
            self._evaluating = was
        if result.error is not None:
            raise result.error
        return result.value

    def _compiled(self, text: str, variables: dict[str, Any]) -> Program:
        """The program of an expression over these names (a condition evaluated at every
        pass compiles once)."""
        key = (text, tuple(sorted(variables)))
        program = self._expressions.get(key)
        if program is None:
            program = self.engine.compile(text + ";\n", filename="<debugger>", inputs=key[1])
            if len(self._expressions) >= 256:
                self._expressions.clear()
            self._expressions[key] = program
        return program

    def _no_grants(self) -> Any:
        if self._empty is None:
            self._empty = self.engine.resolve_capabilities(())
        return self._empty

    def _interpolate(self, message: str, frame: FrameType) -> str:
        where = _frame_at(frame)

        def value(match: re.Match) -> str:
            try:
                found = self.evaluate(match.group(1), where)
            except MLError as error:
                return f"<error: {error.message}>"
            return found if isinstance(found, str) else show(found)

        return _PLACEHOLDER.sub(value, message)


MLDebugger = Debugger  # the 2.0 name (its constructor took a file and a map; this one an engine)


def _continue(frame: PausedFrame) -> StepAction:
    return StepAction.CONTINUE


@contextmanager
def _pause_alone() -> Iterator[threading.Event]:
    """A pause of a run no worker pool watches: nothing cancels it from outside."""
    yield threading.Event()


def _check_expression(expression: str) -> None:
    """Raise MLSyntaxError unless ``expression`` is one ML expression statement."""
    if not isinstance(expression, str) or not expression.strip():
        raise DebuggerError(f"an expression is ML text, not {expression!r}")
    parse(expression.strip().rstrip(";") + ";\n", "<debugger>")


def _frame_at(frame: FrameType) -> StackFrame:
    code = frame.f_code
    program = program_of(code)
    name = _frame_name(code.co_name, program) if program is not None else code.co_name
    return StackFrame(0, ml_file(code), ml_line(frame), ml_column(frame), name, frame)


def _has_prologue(code: CodeType) -> bool:
    """Whether ``code`` is a function whose first line only runs the prologue the code
    generator adds (its body starts on a later line)."""
    found = _PROLOGUES.get(code)
    if found is None:
        found = _PROLOGUES[code] = code.co_name != "<module>" and any(
            line is not None and line != code.co_firstlineno for _, _, line in code.co_lines())
    return found


_PROLOGUES: "weakref.WeakKeyDictionary[CodeType, bool]" = weakref.WeakKeyDictionary()


def _line_passed(frame: FrameType, exc: BaseException) -> int:
    """The line at which ``exc`` passed ``frame``: its traceback's when it has the frame
    (while a frame unwinds its own line may already point elsewhere), else the frame's."""
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame is frame:
            return traceback.tb_lineno
        traceback = traceback.tb_next
    return ml_line(frame)


def _stack(frame: FrameType, below: list[tuple[FrameType, int]]) -> list[StackFrame]:
    """The ML frames, innermost first: those an error left on its way to ``frame`` (with
    the line it passed them at), then ``frame`` and its callers."""
    entries = list(below)
    current: FrameType | None = frame
    if entries and entries[-1][0] is frame:  # the error passed it: its line as it did
        current = frame.f_back
    while current is not None:
        if is_ml_code(current.f_code):
            entries.append((current, ml_line(current)))
        current = current.f_back
    stack = []
    for level, (each, line) in enumerate(entries):
        top = _frame_at(each)
        top.level, top.line = level, line
        stack.append(top)
    return stack


def _extend_deadlines(paused: float) -> None:
    """Time spent paused does not count towards the execution's time limit."""
    execution = CURRENT.get()
    while isinstance(execution, runtime_state.ExecutionState):
        if execution.deadline is not None:
            execution.deadline += paused
            execution.started += paused
        if execution.last_refill is not None:
            execution.last_refill += paused
        execution = execution.parent
