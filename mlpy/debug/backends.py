"""How the debugger hears about ML code running: ``sys.monitoring`` on Python 3.12+ (line
events of ML code objects only). On 3.11 a program it runs is a debug variant with line
checks compiled in (:mod:`mlpy.debug.hooks`), plus a tracer on the executing thread only
while exception breakpoints are on; any other callable it runs is traced on that thread.
Nothing here patches imports or traces threads that do not run the debugged execution."""

from __future__ import annotations

import sys
import threading
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

from mlpy.debug.positions import is_ml_code, ml_depth
from mlpy.program import CODE_SCHEME

if TYPE_CHECKING:
    from mlpy.debug.debugger import Debugger
    from mlpy.debug.hooks import Unit

class Backend:
    dirty = False

    def __init__(self, debugger: Debugger):
        self.debugger = debugger

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        """Breakpoints or the step mode changed: report the lines that now matter."""

    def hit(self, frame: FrameType) -> None:
        """(the line checks of a debug variant) ``frame`` reached a line that can pause.
        Only :class:`Hooked` runs variants; a function of one that outlived its run is left
        to the backend of this run."""

    def refresh_elsewhere(self) -> None:
        """:meth:`refresh`, asked by another thread than the executing one (a debugger UI
        setting a breakpoint while the program runs)."""
        self.dirty = True  # the executing thread looks at it at its next traced line


def make_backend(debugger: Debugger, units: list[Unit] | None = None) -> Backend:
    """``units``: the program runs as a debug variant with these units (3.11)."""
    if sys.version_info >= (3, 12):
        return Monitoring(debugger)
    if units is not None:
        return Hooked(debugger, units)
    return Settrace(debugger)


class Monitoring(Backend):
    """``sys.monitoring``: line events of ML code objects only, each line location turned
    off the first time it is reached when nothing there can pause."""

    def start(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined]
        events = monitoring.events
        for tool in (monitoring.DEBUGGER_ID, 3, 4):
            if monitoring.get_tool(tool) is None:
                monitoring.use_tool_id(tool, "mlpy debugger")
                break
        else:
            from mlpy.debug.debugger import DebuggerError  # the API module imports this one

            raise DebuggerError("another debugger holds every sys.monitoring tool id")
        self.tool = tool
        self.codes: set[CodeType] = set()
        self.thread = threading.get_ident()
        monitoring.register_callback(tool, events.PY_START, self._started)
        monitoring.register_callback(tool, events.LINE, self._line)
        monitoring.register_callback(tool, events.PY_UNWIND, self._unwind)
        monitoring.register_callback(tool, events.RAISE, self._raise)
        self.refresh()

    def _global_events(self) -> int:
        events = sys.monitoring.events  # type: ignore[attr-defined]
        wanted = events.PY_START
        if self.debugger._exceptions is not None:
            uncaught = self.debugger._exceptions[1]
            wanted |= events.PY_UNWIND if uncaught else events.RAISE
        return wanted

    def stop(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined]
        tool = self.tool
        monitoring.set_events(tool, 0)
        for code in self.codes:
            monitoring.set_local_events(tool, code, 0)
        for event in (monitoring.events.PY_START, monitoring.events.LINE,
                      monitoring.events.PY_UNWIND, monitoring.events.RAISE):
            monitoring.register_callback(tool, event, None)
        monitoring.free_tool_id(tool)

    def refresh(self) -> None:
        monitoring = sys.monitoring  # type: ignore[attr-defined]
        monitoring.set_events(self.tool, self._global_events())
        monitoring.restart_events()

    refresh_elsewhere = refresh  # (sys.monitoring is the interpreter's, not a thread's)

    def _started(self, code: CodeType, offset: int) -> Any:
        monitoring = sys.monitoring  # type: ignore[attr-defined]
        if is_ml_code(code) and not self.debugger._evaluating:
            self.codes.add(code)
            monitoring.set_local_events(self.tool, code, monitoring.events.LINE)
            if threading.get_ident() == self.thread:
                self.debugger.code_started(code)
        return monitoring.DISABLE  # each code object is looked at once

    def _line(self, code: CodeType, line: int) -> Any:
        if threading.get_ident() != self.thread:
            return None
        if self.dirty:
            self.dirty = False
            self.refresh()
        if self.debugger.on_line(sys._getframe(1)):
            return None
        return sys.monitoring.DISABLE  # type: ignore[attr-defined]

    def _unwind(self, code: CodeType, offset: int, exc: BaseException) -> None:
        if is_ml_code(code) and threading.get_ident() == self.thread:
            frame = sys._getframe(1)
            self.debugger.on_exception(frame, exc, leaving=ml_depth(frame.f_back) == 0)

    def _raise(self, code: CodeType, offset: int, exc: BaseException) -> None:
        if is_ml_code(code) and threading.get_ident() == self.thread:
            self.debugger.on_exception(sys._getframe(1), exc, leaving=False)


class Settrace(Backend):
    """``sys.settrace`` on the executing thread only; ML frames that can pause are traced
    line by line, all others not at all."""

    def start(self) -> None:
        self.previous = sys.gettrace()
        self.pending: dict[int, BaseException] = {}  # frame id -> error passing through it
        sys.settrace(self._call)

    def stop(self) -> None:
        sys.settrace(self.previous)

    def refresh(self) -> None:
        """Trace the ML frames already on the stack that can now pause (stepping out of or
        over them, a breakpoint added in them)."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if is_ml_code(frame.f_code) and frame.f_trace is None \
                    and self.debugger.wants_code(frame.f_code):
                frame.f_trace = self._local
            frame = frame.f_back

    # The two functions below run for every call and every traced line: kept to a few
    # dictionary lookups on their common paths.

    def _call(self, frame: FrameType, event: str, arg: Any) -> Any:
        code = frame.f_code
        if not code.co_filename.startswith(CODE_SCHEME) or self.debugger._evaluating:
            return None
        debugger = self.debugger
        if code.co_filename not in debugger._keys:
            debugger.code_started(code)
        if debugger._exceptions is not None or debugger.wants_code(code):
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        debugger = self.debugger
        if event == "line":
            if self.pending:
                self.pending.pop(id(frame), None)
            if self.dirty:
                self.dirty = False
                self.refresh()
            if debugger._step is None and (debugger._keys.get(frame.f_code.co_filename),
                                           frame.f_lineno) not in debugger._by_line:
                return self._local  # no breakpoint here, not stepping
            debugger.on_line(frame)
        elif event == "exception":
            exc = arg[1]
            debugger.on_exception(frame, exc, leaving=False)
            if ml_depth(frame.f_back) == 0:
                self.pending[id(frame)] = exc
        elif event == "return":
            exc = self.pending.pop(id(frame), None)
            if exc is not None and arg is None:
                debugger.on_exception(frame, exc, leaving=True)
        return self._local


class Hooked(Settrace):
    """3.11, running a debug variant: its compiled line checks call :meth:`hit` on the lines
    that can pause now -- breakpoint lines, every line while stepping -- so no tracer slows
    the run. The tracer of :class:`Settrace` is installed (on the executing thread, with
    line events off) only while exception breakpoints are on."""

    def __init__(self, debugger: Debugger, units: list[Unit]):
        super().__init__(debugger)
        self.units = units
        self.tracing = False
        self.pending: dict[int, BaseException] = {}

    def start(self) -> None:
        self.refresh()

    def stop(self) -> None:
        if self.tracing:
            sys.settrace(self.previous)
            self.tracing = False
        for unit in self.units:  # functions of the run that outlive it check, never call
            unit.lines.clear()

    def refresh(self) -> None:
        self._mark_lines()
        wanted = self.debugger._exceptions is not None
        if wanted and not self.tracing:
            self.previous = sys.gettrace()
            self.pending = {}
            sys.settrace(self._call)
            frame: FrameType | None = sys._getframe(1)
            while frame is not None:  # the ML frames already running
                if is_ml_code(frame.f_code):
                    frame.f_trace_lines = False
                    frame.f_trace = self._local
                frame = frame.f_back
        elif not wanted and self.tracing:
            sys.settrace(self.previous)
        self.tracing = wanted

    def refresh_elsewhere(self) -> None:
        self._mark_lines()
        if (self.debugger._exceptions is not None) != self.tracing:
            self.dirty = True  # the executing thread installs or removes the tracer ...
            for unit in self.units:  # ... at its next line check, which calls now
                unit.lines.update(unit.executable)

    def _mark_lines(self) -> None:
        """Make each unit's checks call on its breakpoint lines (all lines when stepping):
        lines are added before others are taken away, so a check running meanwhile on
        another thread never misses a line that stays."""
        debugger = self.debugger
        stepping = debugger._step is not None
        marked = list(debugger._by_line)  # (a copy: another thread may add some)
        for unit in self.units:
            wanted = unit.executable if stepping else {
                line for key, line in marked if key == unit.key} & unit.executable
            unit.lines.update(wanted)
            unit.lines.intersection_update(wanted)

    def hit(self, frame: FrameType) -> None:
        """(compiled line checks) ML ``frame`` reached a line that can pause now."""
        debugger = self.debugger
        if threading.get_ident() != debugger._thread:
            return
        if self.dirty:
            self.dirty = False
            self.refresh()
        debugger.on_line(frame)

    def _call(self, frame: FrameType, event: str, arg: Any) -> Any:
        """The tracer, for exception breakpoints only: the line checks do the rest."""
        code = frame.f_code
        if not code.co_filename.startswith(CODE_SCHEME) or self.debugger._evaluating:
            return None
        if code.co_filename not in self.debugger._keys:
            self.debugger.code_started(code)
        frame.f_trace_lines = False
        return self._local
