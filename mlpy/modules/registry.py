"""Which modules ML code can import, and how an imported module becomes a value.

A :class:`ModuleRegistry` knows three kinds of module: the standard library (found by name
under ``mlpy.stdlib``), extension modules (``*_bridge.py`` files in the extension
directories) and ML source modules (``a/b.ml`` under the ML module roots). Python modules are
loaded lazily, once, on first import; ML modules are compiled when a program importing them
is compiled, kept in memory (never written to disk) and recompiled when their file changes.
An Engine owns its registry, so nothing here is process-global state that users can feel.

A name resolves to, in order: the standard library, an extension module (single names only),
then the first ML module root holding the file.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from mlpy.errors import MLError, ModuleLoadError
from mlpy.modules.decorators import ModuleMetadata, get_module_metadata
from mlpy.modules.discovery import BridgeInfo, Problem, load_bridge, scan
from mlpy.modules.sources import (
    ImportProblem, SourceFile, leading_comment, list_sources, locate, read_source, valid_name,
)
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.values import ModuleObject

if TYPE_CHECKING:
    from mlpy.program import Program

def _stdlib_modules() -> dict[str, str]:
    """The standard library: every ``mlpy/stdlib/<name>_bridge.py`` is the ML module
    ``<name>`` (found by file name, without importing anything)."""
    folder = Path(__file__).resolve().parent.parent / "stdlib"
    return {path.stem[:-len("_bridge")]: f"mlpy.stdlib.{path.stem}"
            for path in sorted(folder.glob("*_bridge.py"))}


STDLIB = _stdlib_modules()
_logger = logging.getLogger("mlpy.modules")


class ModuleNotFound(LookupError):
    pass


def paths_from_environment(variable: str, environ: Any = None) -> list[str]:
    """An environment path list (``MLPY_EXTENSION_PATHS``, ``MLPY_ML_MODULE_PATHS``), split
    on the path separator, empty parts dropped."""
    value = (os.environ if environ is None else environ).get(variable, "")
    return [part.strip() for part in value.split(os.pathsep) if part.strip()]


class ModuleRegistry:
    """The modules one Engine's programs can import: the standard library, then the bridges
    found on ``extension_paths`` (earlier directories win name clashes; a bridge cannot
    replace a standard-library module), then the ``.ml`` files under ``ml_module_paths``.
    Directories are scanned on the first query; a bridge runs only when a program that
    imports it runs."""

    def __init__(self, extension_paths: Iterable[str | os.PathLike[str]] = (),
                 ml_module_paths: Iterable[str | os.PathLike[str]] = ()) -> None:
        self._lock = threading.RLock()
        self._loaded: dict[str, ModuleObject] = {}
        self._load_locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, tuple[tuple | None, str, str]] = {}  # name -> (file, why, code)
        self._paths = _unique_dirs(extension_paths)
        self._ml_roots = _unique_dirs(ml_module_paths)
        self._extensions: dict[str, BridgeInfo] | None = None
        self._problems: list[Problem] = []
        # name -> (file stat, content hash, compiled unit)
        self._units: dict[str, tuple[tuple, str, "Program"]] = {}
        self._compiling = threading.local()  # the chain of ML modules being compiled

    @property
    def extension_paths(self) -> list[Path]:
        return list(self._paths)

    @property
    def ml_module_paths(self) -> list[Path]:
        return list(self._ml_roots)

    def add_extension_paths(self, paths: Iterable[str | os.PathLike[str]]) -> list[str]:
        """Search more extension directories (after the others); the names newly available.
        Loaded modules are kept; only the index is rebuilt."""
        before = set(self._index())
        with self._lock:
            self._paths = _unique_dirs([*self._paths, *paths])
            self._extensions = None
            self._problems = []
        return sorted(set(self._index()) - before)

    def add_ml_module_paths(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Search more ML module roots (after the others)."""
        with self._lock:
            self._ml_roots = _unique_dirs([*self._ml_roots, *paths])

    def problems(self) -> list[Problem]:
        """What discovery found wrong in bridge files, and ``.ml`` files no import can reach
        (the other modules keep working)."""
        self._index()
        return list(self._problems) + self._ml_shadowed()

    def _ml_shadowed(self) -> list[Problem]:
        found, first = [], {}
        for root in self._ml_roots:
            for name in list_sources([root]):
                path = (root / Path(*name.split("."))).with_suffix(".ml")
                if name in STDLIB or name in self._index():
                    owner = "standard-library" if name in STDLIB else "extension"
                    message = (f"'{name}' is shadowed by the {owner} module '{name}'; this "
                               "file is never imported")
                elif name in first:
                    message = (f"'{name}' is shadowed by {first[name]} (an earlier ML module "
                               "root); this file is never imported")
                else:
                    first[name] = path
                    continue
                found.append(Problem(path, 1, message, "warning", "W_MODULE_SHADOWED"))
        return found

    def available(self, kind: str | None = None) -> list[str]:
        kinds = ("stdlib", "extension", "ml", "builtin")
        if kind is not None and kind not in kinds:
            raise ValueError(f"unknown module kind {kind!r}: use one of {', '.join(kinds)}")
        if kind == "builtin":
            return ["builtin"]
        if kind == "ml":
            return [name for name in list_sources(self._ml_roots) if self.kind(name) == "ml"]
        if kind == "extension":
            return sorted(self._index())
        if kind == "stdlib":
            return sorted(STDLIB)
        return sorted(set(STDLIB) | set(self._index()) | set(list_sources(self._ml_roots)))

    def has(self, name: str) -> bool:
        return self.kind(name) is not None

    def kind(self, name: str) -> str | None:
        """"stdlib", "extension" or "ml" -- what an import of ``name`` finds -- or None."""
        if name in STDLIB:
            return "stdlib"
        if name in self._index():
            return "extension"
        if valid_name(name) and any(
                (root / Path(*name.split("."))).with_suffix(".ml").is_file()
                for root in self._ml_roots):
            return "ml"
        return None

    def resolve(self, name: str) -> str:
        """The kind of module an import of ``name`` loads; an ML module is compiled now.
        Raise ImportProblem when it cannot be imported."""
        kind = self.kind(name)
        if kind is None:
            raise self._not_found(name)
        if kind == "ml":
            self.ml_unit(name)
        return kind

    def _not_found(self, name: str) -> ImportProblem:
        close = difflib.get_close_matches(name, self.available(), 3)
        hints = [f"did you mean: {', '.join(close)}?"] if close else []
        return ImportProblem("E_MODULE_NOT_FOUND", f"module '{name}' not found",
                             [*hints, self.searched()])

    def ml_unit(self, name: str) -> "Program":
        """The compiled ML module ``name``: from memory while its file is unchanged,
        recompiled otherwise. Raise ImportProblem for a missing file or an import cycle, and
        the module's own MLError when it does not compile."""
        chain: list[str] = self._compiling.__dict__.setdefault("chain", [])
        if name in chain:
            cycle = " -> ".join([*chain[chain.index(name):], name])
            raise ImportProblem("E_IMPORT_CYCLE", f"import cycle: {cycle}",
                                ["move what both modules need into a third module"])
        unit = self._cached(name)
        if unit is not None and self.units_current(unit.modules):
            return unit
        found = locate(name, self._ml_roots)
        if found is None:
            raise self._not_found(name)
        source = read_source(name, *found)
        chain.append(name)
        try:
            unit = self._compile_unit(source)
        finally:
            chain.pop()
        with self._lock:
            self._units[name] = (_file_state(source.path), source.content_hash, unit)
        return unit

    def units_current(self, units: "Mapping[str, Program]") -> bool:
        """Whether each of these compiled modules is what its file holds now (``units`` is
        a program's ``modules``: every module it imports, directly or not)."""
        return all(self._cached(name) is unit for name, unit in units.items())

    def _cached(self, name: str) -> "Program | None":
        """The compiled module ``name`` if its file has not changed since, else None. The
        file's modules are not looked at (``units_current`` does that)."""
        cached = self._units.get(name)
        if cached is None:
            return None
        try:
            found = locate(name, self._ml_roots)
            if found is None:
                return None
            state = _file_state(found[0])
            # An unchanged stat is trusted only for files not written in the last two
            # seconds (a same-size edit within the timestamp granularity looks unchanged).
            if state == cached[0] and time.time_ns() - state[1] > 2_000_000_000:
                return cached[2]
            if read_source(name, *found).content_hash != cached[1]:
                return None
        except (ImportProblem, OSError):
            return None
        with self._lock:
            self._units[name] = (state, cached[1], cached[2])
        return cached[2]

    def _compile_unit(self, source: SourceFile) -> "Program":
        from mlpy.program import compile_program  # the compiler builds on the registry

        return compile_program(source.text, str(source.path), self, module_name=source.name,
                               description=leading_comment(source.text))

    def members(self, name: str) -> frozenset[str] | None:
        if self.kind(name) == "ml":
            return frozenset(self.ml_unit(name).exports)
        bridge = self._index().get(name) if name not in STDLIB else None
        if bridge is not None:
            return bridge.members
        try:
            meta: ModuleMetadata = self._class_for(name)._ml_module
        except ModuleNotFound:
            return None
        return frozenset(meta.functions) | frozenset(meta.constants)

    def requirements(self, name: str, member: str) -> tuple[str, ...]:
        """The capabilities calling ``name.member`` needs (the module's and the function's)."""
        bridge = self._index().get(name) if name not in STDLIB else None
        if bridge is not None:
            return bridge.requirements(member)
        try:
            meta: ModuleMetadata = self._class_for(name)._ml_module
        except ModuleNotFound:
            return ()
        function = meta.functions.get(member)
        if function is None:
            return ()
        return tuple(dict.fromkeys(meta.capabilities + function.capabilities))

    def searched(self) -> str:
        """Where modules were looked for, for the hint of a failed import."""
        parts = ["the standard library"]
        for paths, one, many in ((self._paths, "extension directory", "extension directories"),
                                 (self._ml_roots, "ML module root", "ML module roots")):
            if paths:
                parts.append(f"{len(paths)} {one if len(paths) == 1 else many} "
                             f"({', '.join(map(str, paths))})")
        text = "searched " + ", ".join(parts)
        if not self._paths and not self._ml_roots:
            text += ("; extension modules are found in directories given with -E, "
                     "extension_paths= or MLPY_EXTENSION_PATHS, ML modules under roots given "
                     "with -M, ml_module_paths= or MLPY_ML_MODULE_PATHS")
        return text

    def origin(self, name: str) -> str | None:
        """Where a module comes from: its bridge or ``.ml`` file, or the standard library."""
        if name in STDLIB:
            return "mlpy.stdlib"
        bridge = self._index().get(name)
        if bridge is not None:
            return str(bridge.path)
        if self.kind(name) == "ml":
            try:
                found = locate(name, self._ml_roots)
            except ImportProblem:
                return None
            return str(found[0]) if found is not None else None
        return None

    def _index(self) -> dict[str, BridgeInfo]:
        if self._extensions is None:
            with self._lock:
                if self._extensions is None:
                    self._extensions = self._scan()
        return self._extensions

    def _scan(self) -> dict[str, BridgeInfo]:
        found: dict[str, BridgeInfo] = {}
        for directory in self._paths:
            bridges, problems = scan(directory)
            self._problems.extend(problems)
            for bridge in bridges:
                if bridge.name in STDLIB:
                    self._problems.append(Problem(bridge.path, 1, (
                        f"'{bridge.name}' is shadowed by the standard-library module "
                        f"'{bridge.name}'; the bridge is ignored"), "warning",
                        "W_MODULE_SHADOWED"))
                elif bridge.name in found:
                    self._problems.append(Problem(bridge.path, 1, (
                        f"'{bridge.name}' is shadowed by {found[bridge.name].path} (an "
                        "earlier extension directory); this one is ignored"), "warning",
                        "W_MODULE_SHADOWED"))
                else:
                    found[bridge.name] = bridge
        for problem in self._problems:
            _logger.warning("%s", problem)
        return found

    def loaded_names(self) -> list[str]:
        return sorted(self._loaded)

    def load(self, name: str) -> ModuleObject:
        """The module object of a standard-library or extension module: built on first use,
        once, even when threads race for it. A bridge that fails to load raises
        ModuleLoadError, and the failure is remembered until its file changes."""
        module = self._loaded.get(name)
        if module is not None:
            return module
        with self._lock:
            lock = self._load_locks.setdefault(name, threading.Lock())
        with lock:  # one module loading does not hold up the others
            if name not in self._loaded:
                state = self._bridge_state(name)
                failed = self._failed.get(name)
                if failed is not None and failed[0] == state:
                    raise ModuleLoadError(failed[1], module=name, code=failed[2])
                try:
                    self._loaded[name] = self._build(name)
                except ModuleLoadError as error:
                    self._failed[name] = (state, error.message, error.code)
                    raise
                except Exception as error:  # noqa: BLE001 - whatever the bridge raised
                    message = f"loading '{name}' failed: {_where(error)}"
                    self._failed[name] = (state, message, "E_MODULE_LOAD")
                    raise ModuleLoadError(message, module=name) from error
        return self._loaded[name]

    def _bridge_state(self, name: str) -> tuple | None:
        bridge = self._index().get(name) if name not in STDLIB else None
        if bridge is None:
            return None
        try:
            stat = bridge.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def info(self, name: str) -> dict[str, Any] | None:
        """A module's static description (never its file path: ML code may ask for it)."""
        if name not in STDLIB and name not in self._index() and self.kind(name) == "ml":
            return self._ml_info(name)
        bridge = self._index().get(name) if name not in STDLIB else None
        if bridge is not None:
            return {"name": bridge.name, "description": bridge.description,
                    "version": bridge.version, "capabilities": list(bridge.capabilities),
                    "functions": sorted(bridge.functions), "constants": sorted(bridge.constants),
                    "kind": "extension", "loaded": name in self._loaded}
        if name not in STDLIB:
            return None
        meta = self._class_for(name)._ml_module
        data = meta.to_dict()
        data["kind"] = "stdlib"
        data["loaded"] = name in self._loaded
        return data

    def summary(self, name: str) -> str:
        """A module's one-line description, without compiling an ML module."""
        if self.kind(name) == "ml":
            try:
                found = locate(name, self._ml_roots)
                return leading_comment(found[0].read_text(encoding="utf-8")) if found else ""
            except (ImportProblem, OSError, UnicodeDecodeError):
                return ""
        return (self.info(name) or {}).get("description", "")

    def _ml_info(self, name: str) -> dict[str, Any]:
        try:
            unit = self.ml_unit(name)
        except (MLError, ImportProblem) as error:
            # ML code may ask for this: a compile error's message names no host path, the
            # messages of resolution problems do, so those are given by code only.
            why = error.message if isinstance(error, MLError) else error.code
            return {"name": name, "kind": "ml", "description": f"(cannot be imported: {why})",
                    "version": None, "capabilities": [], "functions": [], "classes": [],
                    "constants": [], "loaded": False, "error": why}
        functions = set(unit.functions)
        return {"name": name, "description": unit.description, "version": None,
                "capabilities": sorted({str(r) for r in unit.requests}),
                "functions": sorted(n for n in unit.exports if n in functions),
                "classes": [],
                "constants": sorted(n for n in unit.exports if n not in functions),
                "kind": "ml", "loaded": False}  # ML modules load per execution

    def _class_for(self, name: str) -> type:
        if name in STDLIB:
            python_module = importlib.import_module(STDLIB[name])
        elif name in self._index():
            python_module = load_bridge(self._index()[name])
        else:
            raise ModuleNotFound(name)
        for value in vars(python_module).values():
            meta = get_module_metadata(value)
            if isinstance(value, type) and meta is not None and meta.name == name:
                return value
        raise ModuleNotFound(name)

    def _build(self, name: str) -> ModuleObject:
        cls = self._class_for(name)
        meta: ModuleMetadata = cls._ml_module
        instance = self._instance(cls, name)
        members: dict[str, Any] = {}
        for fmeta in meta.functions.values():
            bound = getattr(instance, fmeta.py_name)
            required = tuple(dict.fromkeys(meta.capabilities + fmeta.capabilities))
            if required:
                members[fmeta.name] = GuardedFunction(
                    bound, fmeta.name, f"{name}.{fmeta.name}", required, fmeta.description
                )
            else:
                members[fmeta.name] = bound
        for cname in meta.constants:
            members[cname] = getattr(cls, cname)
        return ModuleObject(name, members, meta.description)

    @staticmethod
    def _instance(cls: type, name: str) -> Any:
        """The module object: the file's own instance named like the module, else a new one."""
        existing = vars(sys.modules.get(cls.__module__, object())).get(name)
        if isinstance(existing, cls):
            return existing
        try:
            return cls()
        except TypeError as error:
            file = Path(sys.modules[cls.__module__].__file__ or "").name
            raise ModuleLoadError(
                f"{file}: define '{name} = {cls.__name__}(...)' or give {cls.__name__} a "
                f"constructor without arguments ({error})", module=name,
                code="E_MODULE_NO_INSTANCE") from None


def _file_state(path: Path) -> tuple:
    stat = path.stat()
    return (path, stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _where(error: BaseException) -> str:
    """``ImportError: No module named 'stripe' (payments_bridge.py:3)``: the error and the
    innermost line of a bridge file it came from."""
    text = f"{type(error).__name__}: {error}"
    tb, place = error.__traceback__, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith("_bridge.py"):
            place = f"{Path(filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return f"{text} ({place})" if place else text


def _unique_dirs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    seen: dict[Path, None] = {}
    for entry in paths:
        path = Path(os.fspath(entry)).expanduser().resolve()
        seen.setdefault(path, None)
    return list(seen)
