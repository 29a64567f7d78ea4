"""Debugging ML code: source maps between ML and the generated Python, and the debugger.

``SourceMap`` is the map of one compiled program (``program.source_map``); ``MLPosition`` is a
place in ML source. ``SourceMapIndex`` keeps the line-level interface of mlpy 2.0.
``Debugger`` pauses executions of an engine at breakpoints (``Breakpoint``) and steps through them
(:mod:`mlpy.debug.debugger`); :mod:`mlpy.debug.dap` serves it to editors over the Debug
Adapter Protocol.
"""

from __future__ import annotations

from mlpy.debug.compat import SourceMapIndex
from mlpy.debug.debugger import (
    Breakpoint, Debugger, DebuggerError, MLDebugger, PausedFrame, StackFrame, StepAction,
)
from mlpy.debug.sourcemap import (
    FunctionRange, MLPosition, SourceMap, SourceMapError, build_source_map,
)

__all__ = ["Breakpoint", "Debugger", "DebuggerError", "FunctionRange", "MLDebugger",
           "MLPosition", "PausedFrame", "SourceMap", "SourceMapError", "SourceMapIndex",
           "StackFrame", "StepAction", "build_source_map"]
