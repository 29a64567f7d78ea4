"""Finding extension modules on search paths without running them, and loading one on use.

An extension directory holds bridge files, ``<name>_bridge.py``, each declaring one module
with ``@ml_module("name", ...)``. Discovery reads the files as text and describes them from
their syntax tree -- module name, description, version, capabilities, functions and
constants -- so that listing modules and compiling ``import name;`` execute nothing. A bridge
runs only when a program that imports it runs: it is executed from source (no ``.pyc`` is
written next to it) as a submodule of a private package ``mlpy._ext.d<hash>`` whose
``__path__`` is its directory, so bridges may import sibling helpers relatively and two
directories never collide in ``sys.modules``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BridgeInfo:
    """A bridge file's static description (what its decorators say)."""

    name: str
    path: Path
    description: str = ""
    version: str = "1.0.0"
    capabilities: tuple[str, ...] = ()
    functions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> capabilities
    constants: frozenset[str] = frozenset()
    # name -> (parameter names, description), for tools that show a module
    signatures: dict[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)

    @property
    def members(self) -> frozenset[str]:
        return frozenset(self.functions) | self.constants

    def requirements(self, member: str) -> tuple[str, ...]:
        if member not in self.functions:
            return ()
        return tuple(dict.fromkeys(self.capabilities + self.functions[member]))


@dataclass(frozen=True)
class Problem:
    """Something wrong with a bridge file, with where it is and a stable ``code``. An
    ``error`` means the file declares no usable module (``mlpy modules check`` fails); a
    ``warning`` that its module is ignored for another."""

    path: Path
    line: int
    message: str
    severity: str = "error"
    code: str = "E_DISCOVERY"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message} [{self.code}]"


def scan(directory: Path, cache: dict[Path, tuple] | None = None,
         counters: dict[str, Any] | None = None) -> tuple[list[BridgeInfo], list[Problem]]:
    """Describe every ``*_bridge.py`` directly inside ``directory``; never raises for a bad
    file (it becomes a :class:`Problem` and the others keep working).

    ``cache`` (path -> ((size, mtime_ns, inode), result)) lets a rescan reuse the description
    of a file whose stat is unchanged; ``counters`` receives ``files``, ``cached``,
    ``described``, ``describe_ns`` (how long the descriptions took) and ``per_file`` (path ->
    nanoseconds its description took)."""
    found, problems = [], []
    counts = counters if counters is not None else {}
    for path in sorted(directory.glob("*_bridge.py")):
        counts["files"] = counts.get("files", 0) + 1
        key = None
        if cache is not None:
            try:
                stat = path.stat()
                key = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
            except OSError:
                key = None
            hit = cache.get(path)
            if key is not None and hit is not None and hit[0] == key:
                counts["cached"] = counts.get("cached", 0) + 1
                if isinstance(hit[1], BridgeInfo):
                    found.append(hit[1])
                elif isinstance(hit[1], Problem):
                    problems.append(hit[1])
                continue
        result: BridgeInfo | Problem | None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(path, 1, f"cannot read the file: {error}",
                                    code="E_DISCOVERY_READ"))
            continue
        if "ml_module" not in text:
            result = None
        else:
            start = time.perf_counter_ns()
            try:
                result = describe(path, text)
                found.append(result)
            except _Unusable as error:
                result = Problem(path, error.line, str(error), code=error.code)
                problems.append(result)
            elapsed = time.perf_counter_ns() - start
            counts["described"] = counts.get("described", 0) + 1
            counts["describe_ns"] = counts.get("describe_ns", 0) + elapsed
            counts.setdefault("per_file", {})[path] = elapsed
        if cache is not None and key is not None:
            cache[path] = (key, result)
    return found, problems


class _Unusable(ValueError):
    def __init__(self, message: str, line: int = 1, code: str = "E_DISCOVERY"):
        super().__init__(message)
        self.line = line
        self.code = code


def describe(path: Path, text: str) -> BridgeInfo:
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise _Unusable(f"the bridge is not valid Python: {error.msg}", error.lineno or 1,
                        "E_DISCOVERY_SYNTAX")
    modules = [(node, call) for node in tree.body if isinstance(node, ast.ClassDef)
               for call in node.decorator_list if _decorator_name(call) == "ml_module"]
    if not modules:
        raise _Unusable("the file mentions ml_module but declares no module class",
                        code="E_DISCOVERY_NO_MODULE")
    if len(modules) > 1:
        raise _Unusable("a bridge file declares one module; this one declares "
                        f"{len(modules)}", modules[1][0].lineno, "E_DISCOVERY_MULTIPLE")
    cls, call = modules[0]
    name = _literal_arg(call, 0, "name")
    if not isinstance(name, str) or not name.isidentifier():
        raise _Unusable("@ml_module needs the module's name as a literal string", cls.lineno,
                        "E_DISCOVERY_NO_NAME")
    functions, constants, signatures = {}, set(), {}
    for item in cls.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in item.decorator_list:
                if _decorator_name(deco) == "ml_function":
                    ml_name = _literal_arg(deco, None, "name") or item.name
                    functions[ml_name] = _strings(_literal_arg(deco, None, "capabilities"))
                    signatures[ml_name] = (_parameters(item.args), _literal_arg(
                        deco, 0, "description") or ast.get_docstring(item) or "")
        elif isinstance(item, ast.Assign) and isinstance(item.value, ast.Call) \
                and _decorator_name(item.value) == "ml_constant":
            constants.update(t.id for t in item.targets if isinstance(t, ast.Name))
    return BridgeInfo(
        name=name, path=path,
        description=_literal_arg(call, 1, "description") or ast.get_docstring(cls) or "",
        version=_literal_arg(call, None, "version") or "1.0.0",
        capabilities=_strings(_literal_arg(call, None, "capabilities")),
        functions=functions, constants=frozenset(constants), signatures=signatures)


def _parameters(arguments: ast.arguments) -> tuple[str, ...]:
    """A method's parameters as ML passes them (``self`` left out, ``*rest`` as ``...rest``)."""
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]][1:]
    if arguments.vararg is not None:
        names.append("..." + arguments.vararg.arg)
    return tuple(names)


def _decorator_name(node: ast.expr) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def _literal_arg(call: ast.expr, position: int | None, keyword: str) -> Any:
    if not isinstance(call, ast.Call):
        return None
    for item in call.keywords:
        if item.arg == keyword:
            return _literal(item.value)
    if position is not None and len(call.args) > position:
        return _literal(call.args[position])
    return None


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def load_bridge(info: BridgeInfo, *, generation: int = 0,
                source: str | None = None) -> types.ModuleType:
    """Execute a bridge file as ``mlpy._ext.d<hash>.<stem>`` (from source, no bytecode
    written) and return the Python module. A reload executes it afresh under a key of its
    own, ``<stem>__g<generation>`` (the version in use stays untouched until it is swapped);
    ``source`` is the text to execute when the caller has read the file already."""
    return execute_file(info.path, _package_for(info.path.parent.resolve()),
                        generation=generation, source=source)


def execute_file(path: Path, package: str, *, generation: int = 0,
                 source: str | None = None) -> types.ModuleType:
    """Execute a Python file as a submodule of the private ``package`` (see load_bridge)."""
    qualified = f"{package}.{path.stem}" + (f"__g{generation}" if generation else "")
    module = types.ModuleType(qualified)
    module.__file__ = str(path)
    module.__package__ = package
    if source is None:
        source = path.read_text(encoding="utf-8")
    code = compile(source, str(path), "exec", dont_inherit=True)
    sys.modules[qualified] = module
    try:
        exec(code, module.__dict__)
    except BaseException:
        sys.modules.pop(qualified, None)
        raise
    return module


def _package_for(directory: Path, name: str | None = None) -> str:
    """The private package a directory's bridges live in (created once)."""
    digest = hashlib.sha256(os.fsencode(directory)).hexdigest()[:8]
    root = sys.modules.get("mlpy._ext")
    if root is None:
        root = types.ModuleType("mlpy._ext")
        root.__path__ = []
        sys.modules["mlpy._ext"] = root
    name = name or f"mlpy._ext.d{digest}"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(directory)]
        package.__package__ = name
        sys.modules[name] = package
    return name
