"""Source maps between an ML program and the Python code generated for it.

A :class:`SourceMap` is a standard Source Map v3 (``version``, ``file``, ``sources``,
``sourcesContent``, ``names``, Base64-VLQ ``mappings``), so any source-map tool reads it, plus
the ``x_mlpy`` extension object that keeps the same mapping as plain numbers together with the
ranges of the ML functions::

    "x_mlpy": {"format": 1, "generator": "mlpy 1.2.0", "fingerprint": "...",
               "lines": [[py_line, ml_line, ml_col], ...],
               "functions": [{"name", "ml_start", "ml_end", "py_start", "py_end"}, ...]}

Lines are 1-based and columns 0-based everywhere in the map (the v3 convention). Every
generated line that starts code coming from ML has exactly one mapping segment: the ML
position of the first statement on that line.

The map of one program names one source. :func:`combine` joins the maps of code written one
after the other -- ``mlpy transpile`` appends the ML modules a program imports to its code --
into one map with a source for each: then an entry of ``lines`` whose code comes from a
source other than the first carries that source's index as a fourth number, ``[py_line,
ml_line, ml_col, source]``, and so does each of its ``functions`` (``"source": index``).

The map is built from the generated tree itself: every statement of it carries the ML
position it came from, and parsing the Python text back gives the Python position of each
statement; the statements of both trees walk in the same order.
"""

from __future__ import annotations

import ast as py
import bisect
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlpy._version import __version__
from mlpy.errors import MLError

FORMAT = 1  # of the x_mlpy extension
_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT = {c: i for i, c in enumerate(_BASE64)}


class SourceMapError(MLError):
    """A source map cannot be read: not JSON, not version 3, or its parts disagree."""

    code = "MLD001"


@dataclass(frozen=True, slots=True)
class MLPosition:
    """A place in ML source: 1-based ``line``, 0-based ``column`` (as in source maps), and
    the ML function that contains it (``None`` at the top level of the program)."""

    file: str
    line: int
    column: int
    function: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionRange:
    """An ML function and the Python lines generated for it (both ranges inclusive);
    ``source`` indexes the map's sources."""

    name: str
    ml_start: int
    ml_end: int
    py_start: int
    py_end: int
    source: int = 0

    def contains(self, py_line: int) -> bool:
        return self.py_start <= py_line <= self.py_end


@dataclass(frozen=True, slots=True)
class Segment:
    """The one mapping of a generated line: Python (line, column) -> ML (line, column) of
    the map's source number ``source``."""

    py_line: int
    py_column: int
    ml_line: int
    ml_column: int
    source: int = 0


class SourceMap(Mapping[int, int]):
    """The map of one compiled program. As a mapping it is ``{python line: ML line}``, which
    is what :class:`~mlpy.TranspileResult` ``.source_map`` was before it became a map.

    ``sources`` and ``contents`` list every source and its text when the map has more than
    one (see :func:`combine`); ``source_file`` and ``source`` are the first. The lookups by
    ML line take ``file=`` to name another source than the first.
    """

    def __init__(self, *, file: str, source_file: str, segments: list[Segment],
                 functions: list[FunctionRange], source: str | None = None,
                 fingerprint: str = "", generator: str = f"mlpy {__version__}",
                 sources: list[str] | None = None,
                 contents: list[str | None] | None = None):
        self.file = file
        self.source_file = source_file
        self.source = source
        self.sources = list(sources) if sources else [source_file]
        self.contents = list(contents) if contents else [source]
        if self.sources[0] != source_file or len(self.contents) != len(self.sources):
            raise SourceMapError("the sources of a source map disagree with its contents")
        self.fingerprint = fingerprint
        self.generator = generator
        self.segments = sorted(segments, key=lambda s: s.py_line)
        self.functions = list(functions)
        self._py_lines = [s.py_line for s in self.segments]
        self._by_py = {s.py_line: s for s in self.segments}
        self._by_ml: dict[tuple[int, int], list[int]] = {}
        for segment in self.segments:
            self._by_ml.setdefault((segment.source, segment.ml_line), []).append(
                segment.py_line)
        self._ml_lines = sorted(self._by_ml)
        self._owners = _owners(self.segments, self.functions)

    # ---------------------------------------------------------------- Mapping (compat)

    def __getitem__(self, py_line: int) -> int:
        return self._by_py[py_line].ml_line

    def __iter__(self) -> Iterator[int]:
        return iter(self._py_lines)

    def __len__(self) -> int:
        return len(self.segments)

    def __repr__(self) -> str:
        return f"<SourceMap {self.source_file!r} -> {self.file!r}, {len(self)} lines>"

    # ---------------------------------------------------------------- lookups

    def py_to_ml(self, py_line: int, py_col: int = 0) -> MLPosition | None:
        """The ML position of a Python line: its own mapping, else that of the nearest mapped
        line before it within the same function (a line of a function never resolves to a
        line of the code around it). ``py_col`` is accepted for symmetry: each line has
        one mapping."""
        function = self._function_at(py_line)
        index = bisect.bisect_right(self._py_lines, py_line) - 1
        while index >= 0:
            segment = self.segments[index]
            if function is not None and segment.py_line < function.py_start:
                return None  # the function starts on an unmapped line: nothing before it
            if self._owners[index] is function:
                return MLPosition(self.sources[segment.source], segment.ml_line,
                                  segment.ml_column, function.name if function else None)
            index -= 1  # a line of a function nested in this code: look further back
        return None

    def ml_to_py(self, ml_line: int, file: str | None = None) -> list[int]:
        """Every Python line generated from ML line ``ml_line`` (of ``file``, default the
        first source), in order."""
        return list(self._by_ml.get((self._source_index(file), ml_line), ()))

    def first_py_line(self, ml_line: int, file: str | None = None) -> int | None:
        """The first Python line generated for ML line ``ml_line`` (where a breakpoint on
        it stops), or None when no code comes from that line."""
        lines = self._by_ml.get((self._source_index(file), ml_line))
        return lines[0] if lines else None

    def executable_ml_lines(self, file: str | None = None) -> list[int]:
        """The ML lines that code was generated from, in order."""
        source = self._source_index(file)
        return [line for index, line in self._ml_lines if index == source]

    def next_executable_ml_line(self, line: int, file: str | None = None) -> int | None:
        """The first executable ML line after ``line``, or None."""
        key = (self._source_index(file), line)
        index = bisect.bisect_right(self._ml_lines, key)
        if index < len(self._ml_lines) and self._ml_lines[index][0] == key[0]:
            return self._ml_lines[index][1]
        return None

    def _source_index(self, file: str | None) -> int:
        if file is None:
            return 0
        try:
            return self.sources.index(file)
        except ValueError:
            raise SourceMapError(f"{file!r} is not a source of this map",
                                 hints=[f"its sources: {', '.join(self.sources)}"]) from None

    def _function_at(self, py_line: int) -> FunctionRange | None:
        """The innermost function whose Python lines include ``py_line`` (functions nest, so
        it is the one that starts last)."""
        found = None
        for function in self.functions:
            if function.contains(py_line) and (
                    found is None or function.py_start >= found.py_start):
                found = function
        return found

    # ---------------------------------------------------------------- JSON

    def to_dict(self, *, embed_sources: bool = True) -> dict[str, Any]:
        return {
            "version": 3,
            "file": self.file,
            "sources": list(self.sources),
            "sourcesContent": [text if embed_sources else None for text in self.contents],
            "names": [],
            "mappings": encode_mappings(self.segments),
            "x_mlpy": {
                "format": FORMAT,
                "generator": self.generator,
                "fingerprint": self.fingerprint,
                "lines": [[s.py_line, s.ml_line, s.ml_column] + ([s.source] if s.source else [])
                          for s in self.segments],
                "functions": [{"name": f.name, "ml_start": f.ml_start, "ml_end": f.ml_end,
                               "py_start": f.py_start, "py_end": f.py_end,
                               **({"source": f.source} if f.source else {})}
                              for f in self.functions],
            },
        }

    def to_json(self, *, embed_sources: bool = True, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(embed_sources=embed_sources), indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes | Mapping[str, Any]) -> "SourceMap":
        """Read a map that :meth:`to_json` wrote (or its dict form)."""
        try:
            data = text if isinstance(text, Mapping) else json.loads(text)
        except ValueError as exc:
            raise SourceMapError(f"not a source map: {exc}") from None
        if not isinstance(data, Mapping) or data.get("version") != 3:
            raise SourceMapError("not a version 3 source map",
                                 hints=["a source map is a JSON object with \"version\": 3"])
        sources = [str(name) for name in data.get("sources") or []]
        if not sources:
            raise SourceMapError("the source map names no source")
        extension = data.get("x_mlpy") or {}
        try:
            segments = decode_mappings(str(data.get("mappings", "")))
            functions = [FunctionRange(str(f["name"]), int(f["ml_start"]), int(f["ml_end"]),
                                       int(f["py_start"]), int(f["py_end"]),
                                       int(f.get("source", 0)))
                         for f in extension.get("functions", ())]
            lines = [tuple(int(v) for v in line) for line in extension.get("lines", ())]
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceMapError(f"the source map is malformed: {exc}") from None
        if extension and lines != [(s.py_line, s.ml_line, s.ml_column)
                                   + ((s.source,) if s.source else ()) for s in segments]:
            raise SourceMapError("the x_mlpy lines disagree with the mappings")
        if any(not 0 <= s.source < len(sources) for s in segments):
            raise SourceMapError("a mapping names a source the map does not list")
        contents = list(data.get("sourcesContent") or [])
        contents += [None] * (len(sources) - len(contents))
        return cls(file=str(data.get("file", "")), source_file=sources[0],
                   segments=segments, functions=functions, source=contents[0],
                   fingerprint=str(extension.get("fingerprint", "")),
                   generator=str(extension.get("generator", "")),
                   sources=sources, contents=contents[:len(sources)])


def combine(parts: list[tuple[SourceMap, int]], *, file: str) -> SourceMap:
    """One map for code made of pieces written one after the other: ``parts`` are the map
    of each piece and the number of lines before it; each piece's source becomes a source
    of the result, in order (the first piece's first)."""
    segments: list[Segment] = []
    functions: list[FunctionRange] = []
    sources: list[str] = []
    contents: list[str | None] = []
    for part, offset in parts:
        base = len(sources)
        sources += part.sources
        contents += part.contents
        segments += [Segment(s.py_line + offset, s.py_column, s.ml_line, s.ml_column,
                             base + s.source) for s in part.segments]
        functions += [FunctionRange(f.name, f.ml_start, f.ml_end, f.py_start + offset,
                                    f.py_end + offset, base + f.source)
                      for f in part.functions]
    first = parts[0][0]
    return SourceMap(file=file, source_file=sources[0], segments=segments,
                     functions=functions, source=contents[0], fingerprint=first.fingerprint,
                     generator=first.generator, sources=sources, contents=contents)


def _owners(segments: list[Segment], functions: list[FunctionRange]
            ) -> list[FunctionRange | None]:
    """The innermost function of each segment (sorted by line), in one sweep: functions
    nest, so the open ones form a stack."""
    ordered = sorted(functions, key=lambda f: (f.py_start, -f.py_end))
    owners: list[FunctionRange | None] = []
    stack: list[FunctionRange] = []
    index = 0
    for segment in segments:
        while index < len(ordered) and ordered[index].py_start <= segment.py_line:
            function = ordered[index]
            while stack and stack[-1].py_end < function.py_start:
                stack.pop()
            stack.append(function)
            index += 1
        while stack and stack[-1].py_end < segment.py_line:
            stack.pop()
        owners.append(stack[-1] if stack else None)
    return owners


# ----------------------------------------------------------------------------- building


def build_source_map(tree: py.Module, code: str, *, source_file: str, source: str | None,
                     fingerprint: str = "", file: str | None = None) -> SourceMap | None:
    """The map of ``code`` (``ast.unparse`` of the generated ``tree``) back to the ML source.

    None when Python cannot parse the text back (more than 100 levels of indentation, or of
    parentheses).
    """
    from mlpy.language.codegen import ml_name  # the compiler imports this module's users

    try:
        parsed = py.parse(code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    segments: dict[int, Segment] = {}
    functions: list[FunctionRange] = []
    for ours, theirs in zip(statements(tree), statements(parsed), strict=True):
        if type(ours) is not type(theirs):
            return None
        line = theirs.lineno
        if line not in segments:  # the first statement on a line: the outermost, leftmost
            segments[line] = Segment(line, theirs.col_offset, ours.lineno, ours.col_offset)
        if type(theirs) is py.FunctionDef:
            name = ("anonymous function" if ours.name.startswith("__ml_arrow")
                    else ml_name(ours.name))
            functions.append(FunctionRange(name, ours.lineno, ours.end_lineno or ours.lineno,
                                           theirs.lineno, theirs.end_lineno or theirs.lineno))
    if file is None:
        file = os.path.basename(source_file) + ".py"
    return SourceMap(file=file, source_file=source_file, segments=list(segments.values()),
                     functions=functions, source=source, fingerprint=fingerprint)


def statements(node: py.AST) -> Iterator[py.AST]:
    """The statements (and ``except`` clauses) of a tree, outer before inner, in source
    order. Only statements: the text of an expression may parse back as other nodes (``-1``
    is a negative constant in the generated tree, a negation of 1 in the text), but every
    generated line starts with a statement, and statements always read back as written."""
    for name in node._fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for child in value:
                if isinstance(child, (py.stmt, py.excepthandler)):
                    yield child
                    yield from statements(child)


# ----------------------------------------------------------------------------- Base64 VLQ


def _vlq(value: int) -> str:
    number = (-value << 1) | 1 if value < 0 else value << 1
    out = []
    while True:
        digit, number = number & 31, number >> 5
        out.append(_BASE64[digit | (32 if number else 0)])
        if not number:
            return "".join(out)


def encode_mappings(segments: list[Segment]) -> str:
    """The v3 ``mappings`` string: one group per generated line (``;`` between lines), a
    segment ``[column, source, ML line, ML column]``, each field relative to the previous
    segment's (the column to the start of its line)."""
    groups: list[str] = []
    # the source, 0-based ML line and column of the previous segment
    previous_source, previous_line, previous_column = 0, 0, 0
    by_line = {s.py_line: s for s in segments}
    last = max(by_line, default=0)
    for py_line in range(1, last + 1):
        segment = by_line.get(py_line)
        if segment is None:
            groups.append("")
            continue
        ml_line = segment.ml_line - 1
        groups.append(_vlq(segment.py_column) + _vlq(segment.source - previous_source)
                      + _vlq(ml_line - previous_line)
                      + _vlq(segment.ml_column - previous_column))
        previous_source, previous_line, previous_column = \
            segment.source, ml_line, segment.ml_column
    return ";".join(groups)


def _decode_values(text: str) -> list[int]:
    values, number, shift = [], 0, 0
    for char in text:
        digit = _DIGIT.get(char)
        if digit is None:
            raise ValueError(f"{char!r} is not a Base64 digit")
        number += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(number >> 1) if number & 1 else number >> 1)
        number, shift = 0, 0
    if shift:
        raise ValueError("a VLQ number is cut off")
    return values


def decode_mappings(mappings: str) -> list[Segment]:
    """The segments of a ``mappings`` string (the first segment of each line, the only one
    mlpy writes)."""
    segments = []
    source, ml_line, ml_column = 0, 0, 0
    for index, group in enumerate(mappings.split(";")):
        first = True
        for part in filter(None, group.split(",")):
            values = _decode_values(part)
            if len(values) == 1:
                continue  # a segment of generated code with no source
            if len(values) not in (4, 5):
                raise ValueError(f"a segment has {len(values)} fields")
            source += values[1]
            ml_line += values[2]
            ml_column += values[3]
            if first:
                segments.append(Segment(index + 1, values[0], ml_line + 1, ml_column, source))
                first = False
    return segments
