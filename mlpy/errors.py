"""The error hierarchy rooted at :class:`MLError`, and how errors point at ML source.

Every error that mlpy reports to a host or a terminal is an ``MLError``. Errors that concern a
place in an ML program carry the file name, the 1-based line and column, the source line and a
caret, so the message reads the same from the API, the CLI and the REPL::

    rules.ml:3:11: error: division by zero
      3 | total = a / b;
        |         ^^^^^
    hint: check the divisor before dividing

This module imports nothing from the rest of mlpy.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A region of ML source: 1-based line and column of its first and last character."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> "Span":
        return cls(line, column, line, column)


@dataclass(frozen=True, slots=True)
class MLFrame:
    """One frame of an ML call stack: where the function ``function`` of ``file`` was
    (1-based ``line`` and ``column``) when the error passed through it, and that line's
    text. Host code that ML called and that called ML back is one frame named
    ``<host name>``, with no file (``""``) and line 0."""

    file: str
    line: int
    column: int
    function: str
    source_line: str = ""

    @property
    def is_host(self) -> bool:
        return self.line == 0

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "function": self.function, "source_line": self.source_line}

    @classmethod
    def from_data(cls, data: Any) -> "MLFrame":
        """A frame from its :meth:`to_dict` form (or the older ``[file, line, name]``)."""
        if isinstance(data, dict):
            return cls(str(data.get("file") or ""), int(data.get("line") or 0),
                       int(data.get("column") or 0), str(data.get("function") or ""),
                       str(data.get("source_line") or ""))
        file, line, name = data
        return cls(str(file), int(line), 0, str(name))


# ----------------------------------------------------------------------------- excerpts

# An excerpt shows this many characters of a long line at most: the part around the marked
# columns, with "..." where the line goes on (a 1 MB line must not make a 1 MB report).
EXCERPT_WIDTH = 100
_CUT = "..."


def excerpt(source: str | None, span: Span | None, *, color: bool = False) -> str:
    """The source line of ``span`` with a caret line under the marked columns."""
    if not source or span is None:
        return ""
    lines = _source_lines(source)  # the parser counts lines at "\n" only
    if not 1 <= span.line <= len(lines):
        return ""
    text = lines[span.line - 1].rstrip("\r").expandtabs(1)
    start = max(span.column, 1)
    if span.end_line == span.line:
        end = max(span.end_column, start)
    else:
        end = max(len(text), start)
    shown, column, end = clip_line(text, start, end)
    width = len(str(span.line))
    caret = " " * (column - 1) + "^" * (end - column + 1)
    if color:
        caret = f"\x1b[1;31m{caret}\x1b[0m"
    return f"  {span.line:>{width}} | {shown}\n  {'':>{width}} | {caret}"


def clip_line(text: str, start: int, end: int | None = None) -> tuple[str, int, int]:
    """The part of a source line to show for the (1-based) columns ``start`` to ``end``:
    the whole line when it is short, else EXCERPT_WIDTH characters around them, with "..."
    where it is cut; and where those columns are in the text shown."""
    end = start if end is None else max(end, start)
    if len(text) <= EXCERPT_WIDTH:
        return text, start, end
    before = max(10, (EXCERPT_WIDTH - (end - start + 1)) // 2)  # context left of the mark
    first = max(1, start - before)
    last = min(len(text), first + EXCERPT_WIDTH - 1)
    first = max(1, min(first, last - EXCERPT_WIDTH + 1))
    head = _CUT if first > 1 else ""
    tail = _CUT if last < len(text) else ""
    shift = len(head) - (first - 1)
    end = max(min(end, last), start)
    return head + text[first - 1:last] + tail, start + shift, end + shift


def clip_text(text: str, width: int = 1000) -> str:
    """``text``, or its start and end around "..." when it is longer than ``width``: a
    message quoting a huge token or name stays readable."""
    if len(text) <= width:
        return text
    keep = width - len(_CUT)
    return text[:keep - keep // 4] + _CUT + text[len(text) - keep // 4:]


def source_line(source: str | None, line: int) -> str:
    """The text of 1-based ``line`` of ``source`` ("" when there is none)."""
    lines = _source_lines(source) if source else ()
    return lines[line - 1].rstrip("\r") if 1 <= line <= len(lines) else ""


@functools.lru_cache(maxsize=4)
def _source_lines(source: str) -> tuple[str, ...]:
    """The lines of a source, split once however many errors point into it."""
    return tuple(source.split("\n"))


# ----------------------------------------------------------------------------- diagnostics


@dataclass(slots=True)
class Diagnostic:
    """One finding of the compiler: an error, a warning or a note, with its place."""

    code: str
    message: str
    severity: str = "error"  # error | warning | info
    category: str = "syntax"  # syntax | security | import | codegen | name
    file: str = "<string>"
    span: Span | None = None
    suggestions: list[str] = field(default_factory=list)
    cwe: int | None = None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    @property
    def end_line(self) -> int | None:
        return self.span.end_line if self.span else None

    @property
    def end_column(self) -> int | None:
        return self.span.end_column if self.span else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "category": self.category,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "suggestions": list(self.suggestions),
            "cwe": self.cwe,
        }

    def format(self, source: str | None = None, *, color: bool | None = None) -> str:
        return format_report(
            self.file, self.span, self.severity, self.message, self.code, source,
            self.suggestions, color=bool(color),
        )


def format_report(
    file: str | None,
    span: Span | None,
    severity: str,
    message: str,
    code: str | None,
    source: str | None,
    hints: list[str],
    *,
    color: bool = False,
) -> str:
    where = file or ("<string>" if span is not None else "")
    if span is not None:
        where += f":{span.line}:{span.column}"
    label = f"\x1b[1;31m{severity}\x1b[0m" if color and severity == "error" else severity
    if color and severity == "warning":
        label = f"\x1b[1;33m{severity}\x1b[0m"
    message = clip_text(message)
    head = f"{where}: {label}: {message}" if where else f"{label}: {message}"
    if code:
        head += f" [{code}]"
    parts = [head]
    shown = excerpt(source, span, color=color)
    if shown:
        parts.append(shown)
    parts.extend(f"hint: {clip_text(hint)}" for hint in hints)
    return "\n".join(parts)


# ----------------------------------------------------------------------------- the hierarchy


class MLError(Exception):
    """Base of every error mlpy reports. ``str(error)`` is the full report with the caret."""

    code = "ML000"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        span: Span | None = None,
        source: str | None = None,
        hints: list[str] | None = None,
        code: str | None = None,
        cwe: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.span = span
        self.source = source
        self.suggestions = list(hints or [])
        if code:
            self.code = code
        self.cwe = cwe

    # The names the embedding spec uses for the innermost ML position.
    @property
    def ml_file(self) -> str | None:
        return self.file

    @property
    def ml_line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def ml_column(self) -> int | None:
        return self.span.column if self.span else None

    @property
    def hints(self) -> list[str]:
        return self.suggestions

    def report(self, color: bool | None = None, python_frames: bool = False) -> str:
        """The compiler-style report every mlpy tool prints (CLI, REPL, test helpers):
        ``file:line:col: error: message [code]``, the source line with a caret, the hints;
        with ``python_frames``, the Python traceback after it (for debugging mlpy or a host
        function, never needed to find an ML mistake). ``str(error)`` is this report."""
        report = format_report(
            self.file, self.span, "error", self.message, self.code, self.source,
            self.suggestions, color=bool(color),
        )
        return report + self._python_frames() if python_frames else report

    def format(self, color: bool | None = None, python_frames: bool = False) -> str:
        """The traceback form of the embedding spec: ``MLRuntimeError: message``, then
        where it happened as ``  at fn (file.ml:12:5)`` lines (innermost last), each with
        its source line and a caret, then the hints; the Python traceback after it only
        with ``python_frames``."""
        lines = [self._headline(bool(color)), *self._where_lines(bool(color))]
        lines.extend(f"hint: {clip_text(hint)}" for hint in self.suggestions)
        text = "\n".join(lines)
        return text + self._python_frames() if python_frames else text

    def _headline(self, color: bool) -> str:
        name = _red(type(self).__name__) if color else type(self).__name__
        return f"{name}: {clip_text(self.message)}"

    def _where_lines(self, color: bool) -> list[str]:
        """Where the error points: its file and position, the line and a caret."""
        if self.span is None:
            return [f"  at {self.file}"] if self.file else []
        where = f"{self.file or '<string>'}:{self.span.line}:{self.span.column}"
        return [f"  at {where}", *_caret_lines(
            source_line(self.source, self.span.line), self.span.column, self.span, color)]

    def _python_frames(self) -> str:
        import traceback

        origin = self.__cause__ or self
        lines = traceback.format_exception(type(origin), origin, origin.__traceback__)
        return "\nPython frames (innermost last):\n" + "".join(lines).rstrip("\n")

    def __str__(self) -> str:
        return self.report(color=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "ml_file": self.file,
            "ml_line": self.ml_line,
            "ml_column": self.ml_column,
            "suggestions": list(self.suggestions),
            **{name: getattr(self, name) for name in _DETAILS
               if getattr(self, name, None) is not None},
            **({"ml_traceback": [frame.to_dict() for frame in self.ml_traceback]}
               if getattr(self, "ml_traceback", None) else {}),
        }


# Fields of particular errors that to_dict() reports when set (see the classes below).
_DETAILS = ("execution_id", "required", "resource", "limit", "elapsed", "path")


class MLCompileError(MLError):
    """The program was rejected before running; ``diagnostics`` lists every finding."""

    code = "MLC000"

    def __init__(self, message: str, *, diagnostics: list[Diagnostic] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.diagnostics = list(diagnostics or [])

    def report(self, color: bool | None = None, python_frames: bool = False) -> str:
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if len(errors) <= 1:
            return super().report(color, python_frames)
        return "\n\n".join(d.format(self.source, color=color) for d in errors)

    def _where_lines(self, color: bool) -> list[str]:
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if len(errors) <= 1:
            return super()._where_lines(color)
        lines = []
        for diagnostic in errors:  # every error the compiler found, with its place
            span = diagnostic.span
            if span is None:
                lines.append(f"  at {diagnostic.file}: {clip_text(diagnostic.message)}")
                continue
            lines.append(f"  at {diagnostic.file}:{span.line}:{span.column}: "
                         f"{clip_text(diagnostic.message)} [{diagnostic.code}]")
            lines += _caret_lines(source_line(self.source, span.line), span.column, span, color)
        return lines

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["diagnostics"] = [d.to_dict() for d in self.diagnostics]
        return data


class MLSyntaxError(MLCompileError):
    code = "MLS001"


class MLSecurityError(MLCompileError):
    """Static analysis refused the program (a dunder name, a dangerous import, ...)."""

    code = "MLSEC001"


class MLImportError(MLCompileError):
    """An ``import`` cannot be used: the module is missing, a member is unknown or private,
    modules import each other in a cycle (the ``code`` says which, see the module-system
    page)."""

    code = "E_MODULE_NOT_FOUND"


class MLExecutionError(MLError):
    """A failure while ML code ran."""

    code = "MLR000"

    def __init__(self, message: str, *, execution_id: str | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.execution_id = execution_id
        # The ML call stack, innermost last.
        self.ml_traceback: list[MLFrame] = []

    def report(self, color: bool | None = None, python_frames: bool = False) -> str:
        """The report, and how the program got there when ML functions were called::

            rules.ml:2:12: error: division by zero [MLR001]
              2 |     return sum / count;
                |            ^^^^^^^^^^^
            hint: check the divisor before dividing
            ML traceback (innermost last):
              at <program> (rules.ml:7:10)
                result = total(order);
                         ^
              at total (rules.ml:2:12)
                return sum / count;
                       ^^^^^^^^^^^

        The first lines are those of every mlpy report (CLI, REPL, API alike); host code
        between ML frames is one ``at <host name>`` line. ``str(error)`` is the report with
        the calls on one line instead of the traceback."""
        report = MLError.report(self, color)
        if len(self.ml_traceback) > 1:
            report += "\nML traceback (innermost last):\n" + "\n".join(
                self._frame_lines(bool(color)))
        return report + self._python_frames() if python_frames else report

    def _frame_lines(self, color: bool) -> list[str]:
        innermost = max((i for i, f in enumerate(self.ml_traceback) if not f.is_host),
                        default=-1)
        lines = []
        for index, frame in enumerate(self.ml_traceback):
            span = self.span if index == innermost and self.span is not None \
                and self.span.line == frame.line else None
            lines.extend(_frame_report(frame, span, color))
        return lines

    def __str__(self) -> str:
        report = MLError.report(self, color=False)
        if len(self.ml_traceback) > 1:
            report += f"\ncalls: {_call_chain(self.ml_traceback)}"
        return report

    def _where_lines(self, color: bool) -> list[str]:
        if not self.ml_traceback:
            return super()._where_lines(color)
        return self._frame_lines(color)


def _frame_report(frame: MLFrame, span: Span | None, color: bool) -> list[str]:
    """``  at fn (file.ml:12:5)``, then the line and a caret under the frame's position
    (under the whole failing expression for the innermost frame)."""
    if frame.is_host:
        return [f"  at {frame.function}"]
    return [f"  at {frame.function} ({frame.file}:{frame.line}:{frame.column})",
            *_caret_lines(frame.source_line, frame.column, span, color)]


def _caret_lines(text: str, column: int, span: Span | None, color: bool) -> list[str]:
    """A source line without its indentation and a caret under ``column`` (under all of
    ``span`` when it is given), indented under an ``at`` line; none for an empty line."""
    text = text.expandtabs(1)
    indent = len(text) - len(text.lstrip())
    text = text.strip()
    if not text:
        return []
    start = max(column - indent, 1)
    end = start
    if span is not None:
        end = span.end_column - indent if span.end_line == span.line else len(text)
    shown, column, end = clip_line(text, start, end)
    caret = " " * (column - 1) + "^" * (end - column + 1)
    return [f"    {shown}", f"    {_red(caret) if color else caret}"]


def _red(text: str) -> str:
    return f"\x1b[1;31m{text}\x1b[0m"


def _call_chain(frames: list[MLFrame]) -> str:
    """``a (line 1) -> f (line 3) x 498 -> <host h> -> g (line 7)``: repeats (recursion)
    counted; when the calls cross files (ML modules) each line is named with its file; host
    code between ML frames (line 0) is named only."""
    parts: list[list[Any]] = []
    several_files = len({frame.file for frame in frames if frame.line}) > 1
    for frame in frames:
        line = frame.line
        where = f"{os.path.basename(frame.file)}:{line}" if several_files else f"line {line}"
        text = f"{frame.function} ({where})" if line else frame.function
        if parts and parts[-1][0] == text:
            parts[-1][1] += 1
        else:
            parts.append([text, 1])
    return " -> ".join(text if count == 1 else f"{text} x {count}" for text, count in parts)


class MLRuntimeError(MLExecutionError):
    """An ML exception: a failed operation (``kind`` says which) or an uncaught ``throw``.

    ``kind`` is one of ``division_by_zero``, ``key_error``, ``index_error``, ``type_error``,
    ``value_error``, ``name_error``, ``attribute_error``, ``thrown`` or ``error``; ``payload``
    holds the thrown value for ``throw``.
    """

    code = "MLR001"

    def __init__(self, message: str, *, kind: str = "error", payload: Any = None, **kw: Any):
        super().__init__(message, **kw)
        self.kind = kind
        self.payload = payload

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["kind"] = self.kind
        if self.payload is not None and _json_plain(self.payload):
            data["payload"] = self.payload  # what `throw` threw, when JSON can carry it
        return data


# About 3,900 decimal digits: below the 4,300 Python refuses to convert by default.
_JSON_INT_BITS = 13_000


def _json_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is JSON data as it is (a thrown function or host object is not, nor
    an integer too long for Python to write as decimal text)."""
    if value.__class__ is int:
        return value.bit_length() <= _JSON_INT_BITS
    if value is None or value.__class__ in (bool, float, str):
        return True
    if depth > 100:
        return False
    if value.__class__ is list:
        return all(_json_plain(item, depth + 1) for item in value)
    if value.__class__ is dict:
        return all(key.__class__ is str and _json_plain(item, depth + 1)
                   for key, item in value.items())
    return False


class SecurityError(MLExecutionError):
    """The runtime gate refused a call or a member access."""

    code = "MLSEC100"


class CapabilityError(MLExecutionError):
    """A guarded function was called without the capability it requires."""

    code = "MLCAP001"

    def __init__(self, message: str, *, required: str | None = None,
                 resource: str | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.required = required  # the area.action that was missing
        self.resource = resource  # the path, URL or name it was needed for (if known)


class ModuleLoadError(MLExecutionError):
    """An extension module could not be loaded when a program imported it: its bridge file
    raised (``E_MODULE_LOAD``) or its module class cannot be instantiated
    (``E_MODULE_NO_INSTANCE``). ``module`` is the module's name."""

    code = "E_MODULE_LOAD"

    def __init__(self, message: str, *, module: str | None = None, code: str | None = None,
                 **kw: Any):
        super().__init__(message, **kw)
        self.module = module
        if code is not None:
            self.code = code


class MLHostError(MLExecutionError):
    """A host function called from ML raised; ``__cause__`` is the original exception."""

    code = "MLH001"


class MLLimitError(MLExecutionError):
    """Base of the errors that end an execution and that ML code can never catch."""

    code = "MLL000"


class MLTimeoutError(MLLimitError):
    """The execution ran past its wall-time limit (``limit`` seconds)."""

    code = "MLL001"

    def __init__(self, message: str, *, limit: float | None = None, elapsed: float | None = None,
                 **kw: Any):
        super().__init__(message, **kw)
        self.limit = limit
        self.elapsed = elapsed


class MLCancelledError(MLLimitError):
    """The execution was cancelled from another thread."""

    code = "MLL002"


class MLResourceError(MLLimitError):
    """A resource limit was reached: ``resource`` is steps, recursion,
    memory, output, operation (one operation would do too much work) or cpu."""

    code = "MLL003"

    def __init__(self, message: str, *, resource: str, limit: Any = None, **kw: Any):
        super().__init__(message, **kw)
        self.resource = resource
        self.limit = limit


class MLSandboxError(MLExecutionError):
    code = "MLX001"


class MLCallError(MLError, TypeError):
    """A host called an ML function by a wrong name or with wrong arguments."""

    code = "MLCALL001"


class MLMarshalError(MLError, TypeError):
    """A value cannot cross the host/ML boundary; ``path`` says where it sits."""

    code = "MLM001"

    def __init__(self, message: str, *, path: str = "", **kw: Any):
        super().__init__(message, **kw)
        self.path = path


class MLConfigurationError(MLError):
    code = "MLCFG001"


class MLBackpressureError(MLError):
    """An executor turned work away: its queue was full, or the work waited longer than
    its ``queue_timeout`` for a worker. Nothing ran; retry later or shed the load."""

    code = "backpressure"


class BenchmarkError(MLError):
    """Every timed iteration of a benchmark failed, so there is nothing to report;
    ``first_error`` is the error of the first failing iteration."""

    code = "MLB001"

    def __init__(self, message: str, *, first_error: BaseException | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.first_error = first_error


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def error_from_dict(data: dict[str, Any]) -> MLError:
    """Rebuild an error from its :meth:`MLError.to_dict` form, e.g. one another process sent.

    Besides the keys ``to_dict`` writes it reads, when present: ``span`` (``[line, column,
    end_line, end_column]``, more precise than ``ml_line``/``ml_column``), ``source``,
    ``cwe``, ``execution_id``, ``ml_traceback`` (:meth:`MLFrame.to_dict` forms), ``payload``,
    ``required``, ``resource``, ``limit``, ``elapsed`` and ``path``. The class is looked up
    by name among this module's classes only, so data can never make another class; an
    unknown name gives a plain :class:`MLError` with the same code and message.
    """
    classes = {cls.__name__: cls for cls in _subclasses(MLError) if cls.__module__ == __name__}
    cls = classes.get(data.get("type"), MLError)
    span = _span_from(data.get("span")) or (
        Span.point(data["ml_line"], data.get("ml_column") or 1) if data.get("ml_line") else None)
    # Built without the class's own constructor (whose arguments differ from class to
    # class), then given every field the dict carries.
    error = cls.__new__(cls)
    MLError.__init__(error, str(data.get("message", "")), file=data.get("ml_file"), span=span,
                     source=data.get("source"), hints=data.get("suggestions"),
                     code=data.get("code"), cwe=data.get("cwe"))
    error.diagnostics = [_diagnostic_from(d) for d in data.get("diagnostics") or ()]
    error.ml_traceback = []
    for name in ("execution_id", "kind", "payload", "required", "resource", "limit",
                 "elapsed", "path"):
        setattr(error, name, data.get(name))
    if data.get("ml_traceback"):
        error.ml_traceback = [MLFrame.from_data(frame) for frame in data["ml_traceback"]]
    return error


def _subclasses(cls: type) -> list[type]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


def _span_from(value: Any) -> Span | None:
    if not value:
        return None
    line, column, end_line, end_column = (int(v) for v in value)
    return Span(line, column, end_line, end_column)


def _diagnostic_from(data: dict[str, Any]) -> Diagnostic:
    span = None
    if data.get("line"):
        span = Span(data["line"], data.get("column") or 1, data.get("end_line") or data["line"],
                    data.get("end_column") or data.get("column") or 1)
    return Diagnostic(
        code=data.get("code", ""), message=data.get("message", ""),
        severity=data.get("severity", "error"), category=data.get("category", "syntax"),
        file=data.get("file") or "<string>", span=span,
        suggestions=list(data.get("suggestions") or ()), cwe=data.get("cwe"))
