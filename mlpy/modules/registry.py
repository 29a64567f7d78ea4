"""Which modules ML code can import, and how an imported module becomes a value.

A :class:`ModuleRegistry` knows three kinds of module: the standard library (found by name
under ``mlpy.stdlib``), extension modules (``*_bridge.py`` files in the extension
directories) and ML source modules (``a/b.ml`` under the ML module roots). Python modules are
loaded lazily, once, on first import; ML modules are compiled when a program importing them
is compiled, kept in memory (never written to disk) and recompiled when their file changes.
An Engine owns its registry, so nothing here is process-global state that users can feel.

A name resolves to, in order: the standard library, an extension module (single names only),
then the first ML module root holding the file.

This module is the registry's face: its paths, the index of extension modules, and the
questions about a name (``kind``, ``resolve``, ``has``, ``available``, ``info``,
``members``, ``requirements``, ``origin``, ``problems``). The rest of the registry lives in

- :mod:`mlpy.modules.loading`: building standard-library and extension module objects
  (``load``, ``memory_report``);
- :mod:`mlpy.modules.ml_units`: compiling and caching ML source modules (``ml_unit``,
  ``units_current``);
- :mod:`mlpy.modules.reloading`: ``reload``, ``reload_all`` and ``refresh`` (imported on the
  first reload, so ``import mlpy`` does not pay for it);
- :mod:`mlpy.modules.stats`: timings, counters and ``subscribe``.

``STDLIB``, ``ModuleNotFound``, ``ModuleStats`` and ``RegistryStats`` are importable from
here too; ``ReloadResult`` and ``RefreshReport`` from :mod:`mlpy.modules.reloading`.
"""

from __future__ import annotations

import difflib
import logging
import os
import threading
import time
import weakref
import inspect
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, Callable, Iterable

from mlpy.errors import MLError
from mlpy.modules.decorators import ModuleMetadata
from mlpy.modules.discovery import BridgeInfo, Problem, scan
from mlpy.modules.loading import STDLIB, ModuleNotFound, _Loading, _stdlib_file, _Version
from mlpy.modules.ml_units import _MLUnits
from mlpy.modules.sources import ImportProblem, leading_comment, list_sources, locate, valid_name
from mlpy.modules.stats import Measurements, ModuleStats, RegistryStats
from mlpy.runtime.values import ModuleObject

if TYPE_CHECKING:
    from mlpy.program import Program

__all__ = [
    "STDLIB", "ModuleNotFound", "ModuleRegistry", "ModuleStats", "RegistryStats",
    "paths_from_environment",
]

_logger = logging.getLogger("mlpy.modules")


def paths_from_environment(variable: str, environ: Any = None) -> list[str]:
    """An environment path list (``MLPY_EXTENSION_PATHS``, ``MLPY_ML_MODULE_PATHS``), split
    on the path separator, empty parts dropped."""
    value = (os.environ if environ is None else environ).get(variable, "")
    return [part.strip() for part in value.split(os.pathsep) if part.strip()]


class ModuleRegistry(_Loading, _MLUnits):
    """The modules one Engine's programs can import: the standard library, then the bridges
    found on ``extension_paths`` (earlier directories win name clashes; a bridge cannot
    replace a standard-library module), then the ``.ml`` files under ``ml_module_paths``.
    Directories are scanned on the first query; a bridge runs only when a program that
    imports it runs."""

    def __init__(self, extension_paths: Iterable[str | os.PathLike[str]] = (),
                 ml_module_paths: Iterable[str | os.PathLike[str]] = ()) -> None:
        self._lock = threading.RLock()
        self._measure = Measurements(self._lock)  # timings, counters, event listeners
        # where modules are found, and the extension modules found there (this module)
        self._paths = _unique_dirs(extension_paths)
        self._ml_roots = _unique_dirs(ml_module_paths)
        self._extensions: dict[str, BridgeInfo] | None = None
        self._problems: list[Problem] = []
        self._scan_cache: dict[Path, tuple] = {}
        # loaded standard-library and extension modules (loading.py)
        self._loaded: dict[str, ModuleObject] = {}
        self._load_locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, tuple[tuple | None, str, str]] = {}  # name -> (file, why, code)
        self._versions: dict[str, _Version] = {}  # loaded Python modules (reload, memory)
        # compiled ML modules (ml_units.py): name -> (file stat, content hash, compiled unit)
        self._units: dict[str, tuple[tuple, str, "Program"]] = {}
        self._compiling = threading.local()  # the chain of ML modules being compiled
        self._unit_hashes: "weakref.WeakKeyDictionary[Program, str]" = \
            weakref.WeakKeyDictionary()  # compiled unit -> content hash of its source
        self._pinned: dict[str, str] = {}  # ML module -> hash of a source that failed reload

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

    # ------------------------------------------------------------------ reloading
    # (mlpy/modules/reloading.py, imported on first use: a program never reloads)

    def reload(self, name: str, *, dependents: bool = True) -> Any:
        """Load ``name`` again from its file; see :func:`mlpy.modules.reloading.reload`."""
        from mlpy.modules import reloading

        return reloading.reload(self, name, dependents=dependents)

    def reload_all(self) -> list[Any]:
        """Reload every loaded standard-library and extension module."""
        from mlpy.modules import reloading

        return reloading.reload_all(self)

    def refresh(self, ml_loaded: Any = None) -> Any:
        """Rescan and reload what changed; see :func:`mlpy.modules.reloading.refresh`."""
        from mlpy.modules import reloading

        return reloading.refresh(self, ml_loaded)

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

    def signatures(self, name: str) -> dict[str, tuple[tuple[str, ...], str]]:
        """Each function of a module with its parameters and description, for tools that
        show a module (no bridge file runs; an ML module is compiled)."""
        kind = self.kind(name)
        if kind == "extension":
            return dict(self._index()[name].signatures)
        if kind == "stdlib":
            cls = self._class_for(name)
            meta: ModuleMetadata = cls._ml_module
            return {f: (_parameters(getattr(cls, m.py_name)), m.description)
                    for f, m in meta.functions.items()}
        if kind == "ml":
            unit = self.ml_unit(name)
            codes = {c.co_name: c for c in unit.code.co_consts if isinstance(c, CodeType)}
            return {f: (_parameters(codes[key]) if (key := unit.exports[f]) in codes else (),
                        "") for f in unit.functions if f in unit.exports}
        return {}

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
        index = self._extensions
        if index is None:
            scanned = False
            with self._lock:
                if self._extensions is None:
                    self._extensions = self._scan()
                    scanned = True
                index = self._extensions
            if scanned:  # listeners see the finished index
                self._measure.emit("scanned", "", self._measure.last_scan)
        return index

    def _scan(self) -> dict[str, BridgeInfo]:
        start = time.perf_counter_ns()
        counters: dict[str, Any] = {}
        found: dict[str, BridgeInfo] = {}
        for directory in self._paths:
            bridges, problems = scan(directory, self._scan_cache, counters)
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
        elapsed = (time.perf_counter_ns() - start) / 1e9
        self._measure.scanned(elapsed, counters,
                              {name: bridge.path for name, bridge in found.items()})
        return found

    def files_of(self, name: str) -> list[str]:
        """The files module ``name`` runs from: a loaded bridge's file and the sibling
        helpers it imported, an ML module's source, else the file it would load."""
        version = self._versions.get(name)
        if version is not None:
            return list(version.files)
        origin = self.origin(name)
        if origin == "mlpy.stdlib":
            return [str(_stdlib_file(name))]
        return [origin] if origin else []

    def content_hash_of(self, name: str) -> str | None:
        """The content hash of the version of ``name`` in use (a bridge or stdlib module
        that is loaded, or the compiled ML unit)."""
        version = self._versions.get(name)
        if version is not None:
            return version.content_hash
        cached = self._units.get(name)
        return cached[1] if cached else None

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

    # ------------------------------------------------------------------ measurements

    def stats(self) -> RegistryStats:
        """A copy of the discovery counters and per-module timings."""
        return self._measure.snapshot()

    def reset_stats(self) -> None:
        """Clear the counters (``.perfmon reset``)."""
        self._measure.reset()

    def subscribe(self, callback: Callable[[str, str, dict], Any]) -> Callable[[], None]:
        """Call ``callback(event, name, data)`` on ``loaded``, ``reloaded``,
        ``reload_failed`` and ``scanned``; returns the function that unsubscribes."""
        return self._measure.subscribe(callback)

    def note_ml_run(self, name: str, seconds: float, *, reload: bool = False,
                    traced: bool = False) -> None:
        """Record how long running ML module ``name``'s top level took (the load time of an
        ML module; after a reload, added to that reload's time)."""
        self._measure.ml_run(name, seconds, reload, traced)

    def note_dependent_reload(self, name: str, seconds: float, *,
                              traced: bool = False) -> None:
        """Record that ML module ``name`` ran again because a module it imports was
        reloaded."""
        self._measure.dependent_reload(name, seconds, traced)

    def note_reload_failure(self, name: str, kind: str, message: str) -> None:
        """Record a reload that failed after the registry's part (running an ML module)."""
        self._measure.reload_failure(name, kind, message)


def _unique_dirs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    seen: dict[Path, None] = {}
    for entry in paths:
        path = Path(os.fspath(entry)).expanduser().resolve()
        seen.setdefault(path, None)
    return list(seen)


def _parameters(function: Any) -> tuple[str, ...]:
    """Parameter names as ML passes them: ``self`` left out, ``*rest`` as ``...rest``, ML
    names for keyword-renamed parameters."""
    if isinstance(function, CodeType):
        count = function.co_argcount + function.co_kwonlyargcount
        names = list(function.co_varnames[:count])
    else:
        params = list(inspect.signature(function).parameters.values())
        names = ["..." + p.name if p.kind is p.VAR_POSITIONAL else p.name
                 for p in params[1:] if p.kind is not p.VAR_KEYWORD]
    return tuple(n[len("__mlkw_"):] if n.startswith("__mlkw_") else n for n in names)
