"""Compiling ML source into a :class:`Program`, and mapping run-time failures back to ML.

``compile_program`` runs the pipeline -- parse, check, generate, ``compile()`` -- and returns an
immutable Program whose code object carries ML line and column numbers. Programs are shared
freely between threads: each execution gets its own namespace.

Run-time failures are Python exceptions raised inside that code. :func:`translate_error`
turns one into an :class:`~mlpy.errors.MLError` whose position comes from the innermost ML
frame of the traceback (the code object's position table *is* the source map), with the
Python wording replaced by ML's where they differ.
"""

from __future__ import annotations

import ast as py
import copy
import hashlib
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from types import CodeType, FrameType, MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from mlpy._version import __version__
from mlpy.errors import (
    Diagnostic, MLCompileError, MLError, MLFrame, MLImportError, MLResourceError,
    MLRuntimeError, MLSecurityError, MLSyntaxError, Span, source_line,
)
from mlpy.integers import fits_text
from mlpy.language import ast
from mlpy.language.checks import Analysis, ModuleResolver, analyze, configure_builtins
from mlpy.language.codegen import HELPERS, KEYWORD_PREFIX, generate, ml_name, py_name
from mlpy.language.parser import GRAMMAR_VERSION, parse
from mlpy.runtime import imports, limits, ops
from mlpy.runtime.builtins import BUILTINS, loop_range
from mlpy.runtime.messages import describe
from mlpy.runtime.quiet import quietly
from mlpy.runtime.state import CURRENT
from mlpy.runtime.values import ModuleObject, display

if TYPE_CHECKING:
    from mlpy.debug.sourcemap import SourceMap

configure_builtins(BUILTINS)

CODE_SCHEME = "mlpy://"


@dataclass(frozen=True, eq=False)
class Program:
    """A compiled ML program: immutable, thread-safe, executable many times."""

    filename: str
    source: str
    code: CodeType = field(repr=False)
    fingerprint: str
    diagnostics: tuple[Diagnostic, ...]
    functions: tuple[str, ...]  # top-level ML functions, in source order
    globals_defined: tuple[str, ...]  # top-level names the program binds
    imports: tuple[str, ...]
    inputs: tuple[str, ...]  # host-provided names the program was checked against
    def_only: frozenset[str] = field(repr=False)
    # What the program's `capability` blocks (and those of the ML modules it imports) say it
    # needs: checked before it runs, never granted by them.
    requests: tuple["CapabilityRequest", ...] = ()
    # The ML source modules the program imports, directly or through other modules, compiled
    # when it was: name -> unit. Each execution runs a module's top level once.
    modules: Mapping[str, "Program"] = field(default_factory=dict, repr=False)
    # For a program compiled as an ML module: its dotted name, its description (the comment it
    # starts with) and its exports (top-level names not starting with `_` that are not
    # imports: ML name -> key in its namespace).
    module_name: str | None = None
    description: str = ""
    statements: int = 0  # top-level statements
    # What the program's imports bind, in order: (name, module, whether the name holds a
    # package) -- `import a.b;` binds "a" to a package, `import a.b as c;` binds "c".
    import_bindings: tuple[tuple[str, str, bool], ...] = ()
    exports: Mapping[str, str] = field(default_factory=dict, repr=False)
    timings: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    _tree: py.Module = field(default=None, repr=False, compare=False)
    # The program registered for positions under the same code filename (see _register).
    _twin: "Program | None" = field(default=None, repr=False, compare=False)

    @property
    def python_code(self) -> str:
        """The generated Python, as ``mlpy transpile`` shows it."""
        return python_text(self._tree)

    @cached_property
    def source_map(self) -> "SourceMap | None":
        """The Source Map v3 between ``python_code`` and the ML source (see mlpy.debug);
        None when the generated Python is too deeply nested to be shown as text."""
        from mlpy.debug.sourcemap import build_source_map

        try:
            code = self.python_code
        except RecursionError:
            return None
        return build_source_map(self._tree, code, source_file=self.filename,
                                source=self.source, fingerprint=self.fingerprint)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


class _HexLiteral(int):
    def __repr__(self) -> str:
        return hex(self)


def python_text(tree: py.Module) -> str:
    """``ast.unparse(tree)``, with integers too long for decimal text (Python reads no literal
    of more than 4,300 digits either) written in hexadecimal, which has no such limit."""
    if not any(map(_long_int, py.walk(tree))):
        return py.unparse(tree)
    tree = copy.deepcopy(tree)  # the program's own tree is shared between threads
    for node in filter(_long_int, py.walk(tree)):
        node.value = _HexLiteral(node.value)
    return py.unparse(tree)


def _long_int(node: py.AST) -> bool:
    return isinstance(node, py.Constant) and node.value.__class__ is int \
        and not fits_text(node.value)


@dataclass(frozen=True)
class CapabilityRequest:
    """One need a `capability` block declares: ``allow read "data/*.csv";`` in block
    ``Reports`` is ``file.read`` on ``data/*.csv``."""

    capability: str  # area.action
    scope: str | None
    declaration: str
    span: Span
    file: str = ""  # the file that declares it (a program's, or an imported module's)

    def __str__(self) -> str:
        return self.capability if self.scope is None else f"{self.capability}:{self.scope}"


# What each permission word of a `capability` block asks for.
PERMISSION_CAPABILITIES = {
    "read": "file.read", "write": "file.write", "network": "network.http",
    "execute": "process.execute", "system": "system.admin",
}


def declared_requests(body: list[ast.Stmt], filename: str) -> tuple[CapabilityRequest, ...]:
    requests = []
    for stmt in body:
        if type(stmt) is not ast.CapabilityDecl:
            continue
        scopes = [r.value.strip("'\"") for r in stmt.resources] or [None]
        for permission, target, span in stmt.allows:
            capability = PERMISSION_CAPABILITIES[permission]
            for scope in [target.value.strip("'\"")] if target is not None else scopes:
                requests.append(CapabilityRequest(capability, scope, stmt.name, span,
                                                  filename))
    return tuple(requests)


@dataclass
class TranspileResult:
    """The outcome of :func:`mlpy.transpile`: Python code or the diagnostics saying why not."""

    ok: bool
    python_code: str | None
    diagnostics: list[Diagnostic]
    # Also a mapping Python line -> ML line, as it was before it was a Source Map.
    source_map: "SourceMap | None"
    timings: dict[str, float]
    # The Python code of each ML module the program imports (directly or not), by name.
    modules: dict[str, str] = field(default_factory=dict)

    def __iter__(self):  # (python_code, diagnostics, source_map), as older callers expect
        lines = dict(self.source_map) if self.source_map is not None else None
        return iter((self.python_code, self.diagnostics, lines))


# ----------------------------------------------------------------------------- compiling

_SOURCES: "weakref.WeakValueDictionary[str, Program]" = weakref.WeakValueDictionary()
_SOURCES_LOCK = threading.Lock()


def fingerprint(source: str, filename: str, options: Iterable[Any]) -> str:
    digest = hashlib.sha256()
    for part in (__version__, GRAMMAR_VERSION, filename, source, *map(repr, options)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def check_source(
    source: str,
    filename: str,
    modules: ModuleResolver,
    inputs: Iterable[str] = (),
    prior_def_only: Iterable[str] = (),
    timings: dict[str, float] | None = None,
    session: bool = False,
    prior_imports: Iterable[tuple[str, str, bool]] = (),
) -> Analysis:
    """Parse and check; raise MLSyntaxError/MLSecurityError/MLCompileError on any error."""
    timings = timings if timings is not None else {}
    start = time.perf_counter()
    tree = parse(source, filename)
    timings["parse"] = time.perf_counter() - start
    start = time.perf_counter()
    analysis = analyze(tree, filename, modules, inputs, prior_def_only, session, prior_imports)
    timings["analyze"] = time.perf_counter() - start
    errors = analysis.errors
    if errors:
        first = errors[0]
        kind = {"security": MLSecurityError, "syntax": MLSyntaxError,
                "import": MLImportError}.get(first.category, MLCompileError)
        raise kind(first.message, diagnostics=analysis.diagnostics, file=filename,
                   span=first.span, source=source, hints=first.suggestions, code=first.code)
    return analysis


def compile_program(
    source: str,
    filename: str,
    modules: ModuleResolver,
    *,
    inputs: Iterable[str] = (),
    prior_def_only: Iterable[str] = (),
    ticks: bool = True,
    key: str | None = None,
    session: bool = False,
    module_name: str | None = None,
    description: str = "",
    prior_imports: Iterable[tuple[str, str, bool]] = (),
) -> Program:
    if key is None:  # (a caller with a key -- an engine, a session -- made inputs canonical)
        inputs = tuple(sorted(set(inputs)))
        key = fingerprint(source, filename, (inputs, sorted(set(prior_def_only)), ticks,
                                             sorted(prior_imports)))
    prior_def_only = frozenset(prior_def_only)
    timings: dict[str, float] = {}
    code_filename = f"{CODE_SCHEME}{key[:16]}/{filename}"
    try:
        analysis = check_source(source, filename, modules, inputs, prior_def_only, timings,
                                session, prior_imports)
        start = time.perf_counter()
        tree = generate(analysis, ticks=ticks, unit=key[:12])
        timings["generate"] = time.perf_counter() - start
        start = time.perf_counter()
        # Python's SyntaxWarnings about the generated code (such as a subscript of a number
        # after constant folding) stay out of the host's stderr: running that code reports
        # the same problem as an ML error.
        code, _ = quietly(compile, tree, code_filename, "exec", dont_inherit=True)
        timings["compile"] = time.perf_counter() - start
    except (RecursionError, SyntaxError) as exc:
        # Rare: the parser's nesting limits keep within Python's (a deep host stack, a limit
        # of Python's that the checks do not model); never a bare Python error.
        if isinstance(exc, MLError):
            raise
        message = "the program is nested too deeply to compile here"
        raise MLSyntaxError(message, file=filename, source=source, diagnostics=[
            Diagnostic("MLS002", message, "error", "syntax", filename)]) from None
    body = analysis.program.body
    modules_used: dict[str, Program] = {}
    for name in analysis.ml_imports:
        unit = modules.ml_unit(name)
        modules_used.update(unit.modules)
        modules_used[name] = unit
    requests = declared_requests(body, filename) + tuple(
        request for unit in modules_used.values() for request in unit.requests)
    program = Program(
        filename=filename,
        source=source,
        code=code,
        fingerprint=key,
        diagnostics=tuple(analysis.diagnostics),
        functions=tuple(s.name for s in body if isinstance(s, ast.FunctionDef)),
        globals_defined=tuple(analysis.root.bindings),  # in source order,
        imports=tuple(s.module for s in body if isinstance(s, ast.Import)),
        inputs=tuple(inputs),
        def_only=frozenset(analysis.def_only_globals),
        requests=tuple(dict.fromkeys(requests)),
        modules=MappingProxyType(modules_used),
        module_name=module_name,
        description=description,
        statements=len(body),
        import_bindings=tuple((s.bound_name, s.module, s.alias is None and len(s.path) > 1)
                              for s in body if isinstance(s, ast.Import)),
        exports=MappingProxyType(_exports(analysis) if module_name else {}),
        timings=timings,
        _tree=tree,
    )
    _register(code_filename, program)
    return program


def _exports(analysis: Analysis) -> dict[str, str]:
    return {name: py_name(name) for name, kinds in sorted(analysis.root.bindings.items())
            if not name.startswith("_") and kinds != {"import"}}


def transpile_source(source: str, filename: str, modules: ModuleResolver,
                     inputs: Iterable[str] = ()) -> TranspileResult:
    try:
        program = compile_program(source, filename, modules, inputs=inputs)
    except MLCompileError as error:
        return TranspileResult(False, None, error.diagnostics, None, {})
    try:  # ast.unparse recurses: deep (but allowed) nesting can be too much for it
        code = program.python_code
        modules_code = {name: unit.python_code for name, unit in program.modules.items()}
    except RecursionError:
        message = "the program is nested too deeply to be shown as Python"
        return TranspileResult(False, None, [Diagnostic("MLS002", message, "error", "syntax",
                                                        filename)], None, dict(program.timings))
    return TranspileResult(True, code, list(program.diagnostics), program.source_map,
                           dict(program.timings), modules_code)


# ----------------------------------------------------------------------------- namespaces


def runtime_builtins(load_module, builtin_module: ModuleObject, enter) -> dict[str, Any]:
    """The ``__builtins__`` of ML namespaces: the ML builtins and the codegen helpers
    (``enter`` runs an ML function the host called directly as an execution of its own).

    Python's own builtins are absent, so compiled code cannot reach ``open``, ``__import__``
    or anything else the program was not given.
    """
    table: dict[str, Any] = dict(BUILTINS)
    helpers = {
        "get": ops.ml_get, "method": ops.ml_method, "call": ops.ml_call, "str": display, "mod": ops.ml_mod, "mul": limits.ml_mul, "value": ops.identity, "add": limits.ml_add,
        "concat": limits.ml_concat, "range": loop_range, "set_slice": limits.set_slice, "int": int, "float": float,
        "throw": ops.ml_throw, "catch": ops.ml_catch, "unwinding": ops.ml_unwinding, "guard": ops.guard_callable,
        "import": load_module, "import_ml": imports.import_ml,
        "import_package": imports.import_package, "exit": ops.ProgramExit, "Exception": Exception, "BaseException": BaseException,
        "compress": compress, "next": next, "len": len, "S": str, "L": list, "D": dict,
        "builtin": builtin_module, "ticker": CURRENT.get, "enter": enter,
    }
    assert helpers.keys() == HELPERS.keys()
    for key, value in helpers.items():
        table[HELPERS[key]] = value
    table["builtin"] = builtin_module  # also a value: `b = builtin; b.len(x)`
    return table


def new_namespace(builtins: dict[str, Any], home: Any = None) -> dict[str, Any]:
    """A namespace for ML code; ``home`` is what its functions run under when the host calls
    them (a :class:`~mlpy.runtime.state.Home`; the engine sets an execution's own)."""
    return {"__builtins__": builtins, "__ml_ns__": True, "__name__": "__ml__",
            "__ml_home__": home, "__ml_units__": {}, "__ml_loaded__": {}}


def user_names(namespace: dict[str, Any]) -> dict[str, Any]:
    """The ML-visible top-level names of a namespace (no internals, no modules)."""
    return {
        ml_name(k): v for k, v in namespace.items()
        if (not k.startswith("__") or k.startswith(KEYWORD_PREFIX))
        and v.__class__ is not ModuleObject
    }


# ----------------------------------------------------------------------------- errors

_KINDS = [
    (ZeroDivisionError, "division_by_zero"), (KeyError, "key_error"),
    (IndexError, "index_error"), (TypeError, "type_error"), (ValueError, "value_error"),
    (NameError, "name_error"), (AttributeError, "attribute_error"),
]


def _register(code_filename: str, program: Program) -> None:
    """Make ``program``'s code positions findable from its code filename. Equal compiles (same
    source, filename and options) share that filename: the first one stays registered, and
    each later one holds it, so positions resolve as long as any of them is alive -- even
    after the one registered first is dropped."""
    with _SOURCES_LOCK:
        registered = _SOURCES.get(code_filename)
        if registered is None:
            _SOURCES[code_filename] = program
        else:
            object.__setattr__(program, "_twin", registered)


def ml_position(tb: TracebackType | None) -> tuple[Program | None, Span | None, list[MLFrame]]:
    """The innermost ML frame of a traceback: its program, its span, and the ML call stack.

    Where ML code called the host and the host called ML code back, the stack holds a
    ``<host name>`` frame (file "", line 0) for the host's part; one also ends the stack when
    the traceback ends in host code (an ML function called by a host function).
    """
    found: tuple[Program | None, Span | None] = (None, None)
    stack: list[MLFrame] = []
    host: list[FrameType] = []  # frames since the last ML frame
    while tb is not None:
        frame = tb.tb_frame
        code = frame.f_code
        if code.co_filename.startswith(CODE_SCHEME):
            program = _SOURCES.get(code.co_filename)
            positions = list(code.co_positions())
            index = tb.tb_lasti // 2
            if program is not None and 0 <= index < len(positions):
                line, end_line, col, end_col = positions[index]
                if line is not None:
                    span = Span(line, (col or 0) + 1, end_line or line,
                                max(end_col or 0, (col or 0) + 1))
                    found = (program, span)
                    if stack and host:
                        stack.append(_host_frame(_host_name(host)))
                    host = []
                    stack.append(MLFrame(program.filename, line, span.column,
                                         _frame_name(code.co_name, program),
                                         source_line(program.source, line)))
        elif stack:
            host.append(frame)
        tb = tb.tb_next
    if stack and host and _host_name(host, strict=True):
        stack.append(_host_frame(_host_name(host)))
    return found[0], found[1], stack


def _host_frame(name: str) -> MLFrame:
    return MLFrame("", 0, 0, f"<host {name}>")


def _frame_name(name: str, program: Program) -> str:
    if name == "<module>":
        return f"<module {program.module_name}>" if program.module_name else "<program>"
    if name.startswith("__ml_arrow") or name == "<lambda>":
        return "anonymous function"
    return ml_name(name)


_MLPY_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _host_name(frames: list[FrameType], strict: bool = False) -> str | None:
    """How a call stack names the host code in ``frames`` (ML called it, it called ML): the
    ML name of the host or module function, else the first function outside mlpy.
    ``strict``: None unless such a function is among the frames (only runtime helpers)."""
    from mlpy.host import HostFunction  # the host layer builds on this module
    from mlpy.runtime.gate import GuardedFunction

    for frame in frames:
        owner = frame.f_locals.get("self") if frame.f_code.co_name == "__call__" else None
        if isinstance(owner, HostFunction):
            return owner.__name__
        if isinstance(owner, GuardedFunction):
            return owner._qualified
        meta = getattr(type(frame.f_locals.get("self")), "_ml_module", None)
        if meta is not None:
            python = frame.f_code.co_name
            member = next((f.name for f in meta.functions.values() if f.py_name == python),
                          python)
            return f"{meta.name}.{member}"
    for frame in frames:
        if not frame.f_code.co_filename.startswith(_MLPY_DIR):
            return frame.f_code.co_name
    return None if strict else "function"


def thrown_message(payload: Any) -> str:
    """The message of an uncaught ``throw``: a thrown string itself, the ``message`` of a
    thrown object when it is a string, else how ML displays the value."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return payload["message"]
    return display(payload)


def thrown_hint(payload: Any) -> str:
    """The hint that says the error is a value the program threw (and its ``code``, when
    the thrown object has a string one): the message alone no longer says so."""
    code = payload.get("code") if isinstance(payload, dict) else None
    return f"uncaught throw (code {code})" if isinstance(code, str) else "uncaught throw"


def translate_error(exc: BaseException, execution_id: str | None = None) -> MLError:
    """The MLError for an exception raised while ML code ran, positioned at the ML source."""
    origin = exc.__cause__ if isinstance(exc.__cause__, RecursionError) else exc
    program, span, stack = ml_position(origin.__traceback__)
    where: dict[str, Any] = {}
    if program is not None:
        where = {"file": program.filename, "span": span, "source": program.source}
    if isinstance(exc, MLError):
        error = exc
        if error.span is None and where:
            error.file, error.span, error.source = where["file"], where["span"], where["source"]
    elif isinstance(exc, MemoryError):
        error = MLResourceError("memory limit reached: the host ran out of memory",
                                resource="memory", **where)
    elif isinstance(exc, RecursionError):
        error = ops.recursion_error()
        error.file, error.span, error.source = (where.get("file"), where.get("span"),
                                                where.get("source"))
    elif isinstance(exc, ops.MLThrown):
        error = MLRuntimeError(thrown_message(exc.payload), kind="thrown",
                               payload=exc.payload, hints=[thrown_hint(exc.payload)], **where)
    else:
        kind = next((k for cls, k in _KINDS if isinstance(exc, cls)), "error")
        message, hints = describe(exc)
        error = MLRuntimeError(message, kind=kind, hints=hints, **where)
        error.__cause__ = exc
    if hasattr(error, "execution_id") and execution_id and not error.execution_id:
        error.execution_id = execution_id
    if hasattr(error, "ml_traceback") and stack:
        # An error that left a call into ML (see mlpy.function) carries the frames of that
        # call; the frames here lead to it.
        error.ml_traceback = stack + (getattr(error, "callee_frames", None) or [])
    return error


