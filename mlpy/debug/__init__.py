"""Debugging ML code: source maps between ML and the generated Python.

``SourceMap`` is the map of one compiled program (``program.source_map``); ``MLPosition`` is a
place in ML source. ``SourceMapIndex`` keeps the line-level interface of mlpy 2.0.
"""

from __future__ import annotations

from mlpy.debug.compat import SourceMapIndex
from mlpy.debug.sourcemap import (
    FunctionRange, MLPosition, SourceMap, SourceMapError, build_source_map,
)

__all__ = ["FunctionRange", "MLPosition", "SourceMap", "SourceMapError", "SourceMapIndex",
           "build_source_map"]
