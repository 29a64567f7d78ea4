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
import itertools
import logging
import os
import sys
import threading
import time
import tracemalloc
import types
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from mlpy.errors import MLError, ModuleLoadError
from mlpy.modules.decorators import ModuleMetadata, get_module_metadata
from mlpy.modules.discovery import (
    BridgeInfo, Problem, _package_for, _Unusable, describe, execute_file, load_bridge, scan,
)
from mlpy.modules.sources import (
    ImportProblem, SourceFile, content_hash, leading_comment, list_sources, locate,
    read_source, valid_name,
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
_STDLIB_DIR = Path(__file__).resolve().parent.parent / "stdlib"
_logger = logging.getLogger("mlpy.modules")
# Reloaded Python modules run under ``<key>__g<n>``; one counter for the process, so two
# registries reloading the same file never share a key.
_GENERATIONS = itertools.count(1)
_PRIVATE = ("mlpy._ext.", "mlpy._ml.")


@dataclass
class ModuleStats:
    """What the registry measured about one module (all durations in seconds)."""

    name: str
    kind: str
    describe: float | None = None  # static description of its file (bridges)
    load: float | None = None  # execution + instantiation + metadata, measured in the loader
    compile: float | None = None  # ML modules: the last transpile
    reloads: int = 0
    reload_total: float = 0.0
    reload_last: float | None = None
    last_failure: str | None = None
    loaded_at: float | None = None  # wall-clock time of the load in use
    traced: bool = False  # tracemalloc was tracing when the version in use loaded

    @property
    def reload_avg(self) -> float | None:
        return self.reload_total / self.reloads if self.reloads else None


@dataclass
class RegistryStats:
    """Discovery counters and per-module timings (``.perfmon``)."""

    scans: int = 0
    scan_total: float = 0.0
    scan_last: float | None = None
    files: int = 0  # files examined by the last scan
    files_cached: int = 0  # of those, described from the cache
    describes: int = 0  # descriptions computed (all scans)
    describe_total: float = 0.0
    reload_failures: int = 0
    modules: dict[str, ModuleStats] = field(default_factory=dict)

    @property
    def scan_avg(self) -> float | None:
        return self.scan_total / self.scans if self.scans else None


@dataclass
class ReloadResult:
    """The outcome of reloading one module. On failure the previous version stays in use
    and ``error`` says why (with ``file`` and ``line`` when known)."""

    name: str
    kind: str
    ok: bool
    seconds: float = 0.0
    error: str | None = None
    file: str | None = None
    line: int | None = None
    loaded: bool = True  # False: it was not loaded; only its description was refreshed
    module: ModuleObject | None = None  # the new version (bridges)
    previous: ModuleObject | None = None  # the version it replaced (bridges)
    previous_python: types.ModuleType | None = None  # the replaced bridge's Python module
    unit: "Program | None" = None  # the new compiled unit (ML modules)
    dependents: list[str] = field(default_factory=list)  # ML units recompiled after it


@dataclass
class RefreshReport:
    seconds: float
    paths: int
    modules: int
    new: list[str]
    removed: list[str]
    changed: list[str]  # loaded modules whose content hash changed
    reloads: list[ReloadResult]
    problems: list[Problem]


@dataclass
class _Version:
    """The Python side of a loaded standard-library or extension module."""

    python: types.ModuleType
    key: str  # its sys.modules key
    instance: Any
    content_hash: str
    files: tuple[str, ...]  # its file and the sibling helpers it imported
    helpers: dict[str, types.ModuleType]  # sys.modules key -> helper module


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
        self._versions: dict[str, _Version] = {}  # loaded Python modules (reload, memory)
        self._unit_hashes: "weakref.WeakKeyDictionary[Program, str]" = \
            weakref.WeakKeyDictionary()  # compiled unit -> content hash of its source
        self._pinned: dict[str, str] = {}  # ML module -> hash of a source that failed reload
        self._scan_cache: dict[Path, tuple] = {}
        self._stats = RegistryStats()
        self._subscribers: list[Callable[[str, str, dict], Any]] = []

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
            self._pinned.pop(name, None)
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
            current = read_source(name, *found).content_hash
            if current != cached[1]:
                if self._pinned.get(name) == current:
                    return cached[2]  # a reload of this text failed: keep the old version
                return None
        except (ImportProblem, OSError):
            return None
        with self._lock:
            self._units[name] = (state, cached[1], cached[2])
        return cached[2]

    def _compile_unit(self, source: SourceFile) -> "Program":
        from mlpy.program import compile_program  # the compiler builds on the registry

        start = time.perf_counter_ns()
        unit = compile_program(source.text, str(source.path), self, module_name=source.name,
                               description=leading_comment(source.text))
        elapsed = (time.perf_counter_ns() - start) / 1e9
        self._unit_hashes[unit] = source.content_hash
        self._module_stats(source.name, "ml").compile = elapsed
        return unit

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
                self._emit("scanned", "", {"seconds": self._stats.scan_last,
                                           "files": self._stats.files})
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
        stats = self._stats
        stats.scans += 1
        stats.scan_total += elapsed
        stats.scan_last = elapsed
        stats.files = int(counters.get("files", 0))
        stats.files_cached = int(counters.get("cached", 0))
        stats.describes += int(counters.get("described", 0))
        stats.describe_total += counters.get("describe_ns", 0) / 1e9
        per_file = counters.get("per_file", {})
        for name, bridge in found.items():
            if bridge.path in per_file:
                self._module_stats(name, "extension").describe = per_file[bridge.path] / 1e9
        return found

    def loaded_names(self) -> list[str]:
        return sorted(self._loaded)

    def load(self, name: str) -> ModuleObject:
        """The module object of a standard-library or extension module: built on first use,
        once, even when threads race for it. A bridge that fails to load raises
        ModuleLoadError, and the failure is remembered until its file changes. The time the
        loader takes -- executing the file, instantiating the module, reading its metadata --
        is recorded in :meth:`stats`."""
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
                kind = "stdlib" if name in STDLIB else "extension"
                traced = tracemalloc.is_tracing()
                start = time.perf_counter_ns()
                try:
                    built, version = self._build(name)
                except ModuleLoadError as error:
                    self._failed[name] = (state, error.message, error.code)
                    self._module_stats(name, kind).last_failure = error.message
                    raise
                except Exception as error:  # noqa: BLE001 - whatever the bridge raised
                    message = f"loading '{name}' failed: {_where(error)}"
                    self._failed[name] = (state, message, "E_MODULE_LOAD")
                    self._module_stats(name, kind).last_failure = message
                    raise ModuleLoadError(message, module=name) from error
                elapsed = (time.perf_counter_ns() - start) / 1e9
                self._versions[name] = version
                self._loaded[name] = built
                entry = self._module_stats(name, kind)
                entry.load, entry.loaded_at, entry.traced = elapsed, time.time(), traced
                self._emit("loaded", name, {"seconds": elapsed, "kind": kind})
        return self._loaded[name]

    # ------------------------------------------------------------------ reloading

    def reload(self, name: str, *, dependents: bool = True) -> ReloadResult:
        """Load module ``name`` again from its file and swap it in atomically.

        A bridge is re-described (its file must still declare ``name``), executed afresh
        under a new private key ``mlpy._ext.<dir>.<stem>__g<n>``, instantiated, and given
        the chance to migrate state (``__ml_reload__(self, previous)`` on the new instance);
        then the registry hands out the new object and drops only the old private
        ``sys.modules`` entry. An ML module is recompiled from its source (running its top
        level again is up to whoever ran it: each execution or session has its own). With
        ``dependents``, cached ML modules importing ``name`` are recompiled against the new
        version. A failure keeps the previous version and is returned (``ok=False``) with
        the file and line. Raise ImportProblem for an unknown name, ModuleLoadError for
        ``builtin``."""
        if name == "builtin":
            raise ModuleLoadError("builtin cannot be reloaded", module=name,
                                  code="E_MODULE_RELOAD")
        kind = self.kind(name)
        if kind is None:
            raise self._not_found(name)
        if kind == "ml":
            result = self._reload_ml(name)
        else:
            result = self._reload_python(name, kind)
        if result.ok and dependents:
            result.dependents = self._recompile_dependents(name)
        return result

    def reload_all(self) -> list[ReloadResult]:
        """Reload every loaded standard-library and extension module (ML modules run per
        execution; a REPL session reloads the ones it ran)."""
        return [self.reload(name, dependents=False) for name in self.loaded_names()]

    def _reload_python(self, name: str, kind: str) -> ReloadResult:
        with self._lock:
            lock = self._load_locks.setdefault(name, threading.Lock())
        with lock:
            start = time.perf_counter_ns()
            old, old_version = self._loaded.get(name), self._versions.get(name)
            info, data = None, None
            if kind == "extension":
                path = self._index()[name].path
                try:
                    data = path.read_bytes()
                    text = data.decode("utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    return self._reload_failed(name, kind, start, f"cannot read {path}: "
                                               f"{error}", path, None, old is not None)
                try:
                    info = describe(path, text)
                except _Unusable as error:
                    label = "SyntaxError" if error.code == "E_DISCOVERY_SYNTAX" else error.code
                    return self._reload_failed(
                        name, kind, start, f"{label} at {path.name}:{error.line}: {error}",
                        path, error.line, old is not None)
                if info.name != name:
                    return self._reload_failed(
                        name, kind, start, f"the file now declares '{info.name}' instead of "
                        f"'{name}'; use .refresh", path, None, old is not None)
            if old is None:  # not loaded: its description is refreshed, it loads on use
                if info is not None:
                    self._swap_index(name, info)
                self._failed.pop(name, None)
                return ReloadResult(name, kind, True, _since(start), loaded=False)
            stashed = self._stash_helpers(old_version)
            traced = tracemalloc.is_tracing()
            version = None
            try:
                built, version = self._build(name, next(_GENERATIONS), data)
                migrate = getattr(type(version.instance), "__ml_reload__", None)
                if migrate is not None:
                    migrate(version.instance, old_version.instance if old_version else None)
            except Exception as error:  # noqa: BLE001 - the old version stays in use
                if version is not None:
                    _drop_private(version.key, version.python)
                    for key, helper in version.helpers.items():
                        _drop_private(key, helper)
                sys.modules.update(stashed)
                message, file, line = _failure(error)
                return self._reload_failed(name, kind, start, message, file, line, True)
            # The swap: readers get the old object or the new one, never a partial one.
            self._versions[name] = version
            self._loaded[name] = built
            if info is not None:
                self._swap_index(name, info)
            self._failed.pop(name, None)
            if old_version is not None and old_version.key != version.key:
                _drop_private(old_version.key, old_version.python)
            elapsed = _since(start)
            entry = self._module_stats(name, kind)
            entry.reloads += 1
            entry.reload_total += elapsed
            entry.reload_last = elapsed
            entry.loaded_at, entry.traced = time.time(), traced
            self._emit("reloaded", name, {"seconds": elapsed, "kind": kind})
            return ReloadResult(name, kind, True, elapsed, module=built, previous=old,
                                previous_python=old_version.python if old_version else None)

    def _reload_ml(self, name: str) -> ReloadResult:
        start = time.perf_counter_ns()
        try:
            found = locate(name, self._ml_roots)
            if found is None:
                raise self._not_found(name)
            source = read_source(name, *found)
        except ImportProblem as error:
            return self._reload_failed(name, "ml", start, f"{error.code}: {error.message}",
                                       None, None, True)
        chain: list[str] = self._compiling.__dict__.setdefault("chain", [])
        chain.append(name)
        try:
            unit = self._compile_unit(source)
        except (MLError, ImportProblem) as error:
            if name in self._units:  # keep compiling importers against the old version
                self._pinned[name] = source.content_hash
            if isinstance(error, MLError):
                line = error.span.line if error.span else None
                where = Path(error.file or str(source.path)).name + (f":{line}" if line else "")
                message = f"{type(error).__name__} at {where}: {error.message}"
                return self._reload_failed(name, "ml", start, message,
                                           Path(error.file or source.path), line, True)
            return self._reload_failed(name, "ml", start, f"{error.code}: {error.message}",
                                       source.path, None, True)
        finally:
            chain.pop()
        with self._lock:
            self._units[name] = (_file_state(source.path), source.content_hash, unit)
            self._pinned.pop(name, None)
        elapsed = _since(start)
        entry = self._module_stats(name, "ml")
        entry.reloads += 1
        entry.reload_total += elapsed
        entry.reload_last = elapsed
        self._emit("reloaded", name, {"seconds": elapsed, "kind": "ml"})
        return ReloadResult(name, "ml", True, elapsed, unit=unit)

    def note_ml_run(self, name: str, seconds: float, *, reload: bool = False,
                    traced: bool = False) -> None:
        """Record how long running ML module ``name``'s top level took (the load time of an
        ML module; after a reload, added to that reload's time)."""
        entry = self._module_stats(name, "ml")
        if reload and entry.reloads:
            entry.reload_total += seconds
            entry.reload_last = (entry.reload_last or 0.0) + seconds
        else:
            entry.load = seconds
        entry.loaded_at, entry.traced = time.time(), traced
        if not reload:
            self._emit("loaded", name, {"seconds": seconds, "kind": "ml"})

    def note_dependent_reload(self, name: str, seconds: float, *,
                              traced: bool = False) -> None:
        """Record that ML module ``name`` ran again because a module it imports was
        reloaded."""
        entry = self._module_stats(name, "ml")
        entry.reloads += 1
        entry.reload_total += seconds
        entry.reload_last = seconds
        entry.loaded_at, entry.traced = time.time(), traced
        self._emit("reloaded", name, {"seconds": seconds, "kind": "ml"})

    def note_reload_failure(self, name: str, kind: str, message: str) -> None:
        """Record a reload that failed after the registry's part (running an ML module)."""
        self._module_stats(name, kind).last_failure = message
        self._stats.reload_failures += 1

    def _reload_failed(self, name: str, kind: str, start: int, message: str,
                       file: Path | str | None, line: int | None,
                       loaded: bool) -> ReloadResult:
        self.note_reload_failure(name, kind, message)
        self._emit("reload_failed", name, {"error": message})
        return ReloadResult(name, kind, False, _since(start), error=message,
                            file=str(file) if file else None, line=line, loaded=loaded)

    def _recompile_dependents(self, name: str) -> list[str]:
        """Recompile the cached ML modules that import ``name``, directly or through other
        modules, dependencies first; the names that compiled."""
        with self._lock:
            units = {n: entry[2] for n, entry in self._units.items() if n != name}
        affected = {n for n, unit in units.items()
                    if any(name in u.imports or name == un
                           for un, u in [(n, unit), *unit.modules.items()])}
        done = []
        for dependent in _topological(affected, units):
            try:
                located = locate(dependent, self._ml_roots)
                if located is None:
                    continue
                source = read_source(dependent, *located)
                unit = self._compile_unit(source)
            except (MLError, ImportProblem, OSError):
                continue  # it keeps its old version; importing it reports the problem
            with self._lock:
                self._units[dependent] = (_file_state(source.path), source.content_hash, unit)
            done.append(dependent)
        return done

    def refresh(self, ml_loaded: Mapping[str, "Program"] | None = None) -> RefreshReport:
        """Rescan the extension directories and reload the loaded modules whose content
        hash changed (unchanged modules are left alone). ``ml_loaded`` are the ML modules a
        caller runs (name -> the unit it runs); they are recompiled when their source
        changed."""
        start = time.perf_counter_ns()
        before = set(self._index())
        with self._lock:
            self._extensions = None
            self._problems = []
        index = self._index()
        changed: list[str] = []
        reloads: list[ReloadResult] = []
        for name in sorted(self._loaded):
            version = self._versions.get(name)
            if version is None or (name not in STDLIB and name not in index):
                continue  # the file is gone: the loaded version stays
            path = Path(version.python.__file__ or "")
            if name not in STDLIB and index[name].path != path:
                moved = True
            else:
                try:
                    moved = content_hash(path.read_bytes()) != version.content_hash
                except OSError:
                    continue
            if moved:
                changed.append(name)
                reloads.append(self.reload(name))
        for name, unit in (ml_loaded or {}).items():
            try:
                found = locate(name, self._ml_roots)
                current = read_source(name, *found).content_hash if found else None
            except (ImportProblem, OSError):
                continue
            if current is not None and current != self._unit_hashes.get(unit):
                changed.append(name)
                reloads.append(self.reload(name))
        return RefreshReport(_since(start), len(self._paths) + len(self._ml_roots),
                             len(self.available()), sorted(set(index) - before),
                             sorted(before - set(index)), changed, reloads,
                             self.problems())

    def content_hash_of(self, name: str) -> str | None:
        """The content hash of the version of ``name`` in use (a bridge or stdlib module
        that is loaded, or the compiled ML unit)."""
        version = self._versions.get(name)
        if version is not None:
            return version.content_hash
        cached = self._units.get(name)
        return cached[1] if cached else None

    def unit_hash(self, unit: "Program") -> str | None:
        return self._unit_hashes.get(unit)

    def files_of(self, name: str) -> list[str]:
        """The files module ``name`` runs from: a loaded bridge's file and the sibling
        helpers it imported, an ML module's source, else the file it would load."""
        version = self._versions.get(name)
        if version is not None:
            return list(version.files)
        origin = self.origin(name)
        if origin == "mlpy.stdlib":
            return [str(_STDLIB_DIR / f"{STDLIB[name].rsplit('.', 1)[1]}.py")]
        return [origin] if origin else []

    def version_of(self, name: str) -> _Version | None:
        return self._versions.get(name)

    def _stash_helpers(self, version: _Version | None) -> dict[str, types.ModuleType]:
        """Take the sibling helpers a bridge imported out of ``sys.modules`` (so a reload
        runs their current code); the caller puts them back if the reload fails."""
        stashed = {}
        for key, helper in (version.helpers if version else {}).items():
            if sys.modules.get(key) is helper and key.startswith(_PRIVATE):
                stashed[key] = sys.modules.pop(key)
        return stashed

    def _swap_index(self, name: str, info: BridgeInfo) -> None:
        with self._lock:
            index = dict(self._index())
            index[name] = info
            self._extensions = index

    # ------------------------------------------------------------------ measurements

    def stats(self) -> RegistryStats:
        """A copy of the discovery counters and per-module timings."""
        with self._lock:
            copy = RegistryStats(**{k: v for k, v in vars(self._stats).items()
                                    if k != "modules"})
            copy.modules = {n: ModuleStats(**vars(m)) for n, m in self._stats.modules.items()}
        return copy

    def reset_stats(self) -> None:
        """Clear the counters (``.perfmon reset``)."""
        with self._lock:
            self._stats = RegistryStats()

    def _module_stats(self, name: str, kind: str) -> ModuleStats:
        entry = self._stats.modules.get(name)
        if entry is None:
            entry = self._stats.modules[name] = ModuleStats(name, kind)
        return entry

    def memory_report(self, top: int = 10, extra: Iterable[Any] = ()) -> Any:
        """Memory of the loaded modules (see :mod:`mlpy.modules.memory`); ``extra`` are
        more footprints (a session's ML modules). Never loads a module."""
        from mlpy.modules.memory import Footprint, build_report

        footprints = []
        for name in self.loaded_names():
            version = self._versions.get(name)
            if version is None:
                continue
            entry = self._stats.modules.get(name)
            footprints.append(Footprint(
                name, "stdlib" if name in STDLIB else "extension",
                roots=(self._loaded[name], version.instance, version.python.__dict__,
                       *(vars(h) for h in version.helpers.values())),
                files=version.files, traced=bool(entry and entry.traced),
                own_modules=(version.python.__name__, *version.helpers)))
        return build_report([*footprints, *extra], top)

    def subscribe(self, callback: Callable[[str, str, dict], Any]) -> Callable[[], None]:
        """Call ``callback(event, name, data)`` on ``loaded``, ``reloaded``,
        ``reload_failed`` and ``scanned``; returns the function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)
        return unsubscribe

    def _emit(self, event: str, name: str, data: dict) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event, name, data)
            except Exception:  # noqa: BLE001 - a listener never breaks loading
                _logger.exception("module event listener failed")

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
        version = self._versions.get(name)
        if version is not None:
            python_module = version.python
        elif name in STDLIB:
            python_module = importlib.import_module(STDLIB[name])
        elif name in self._index():
            python_module = load_bridge(self._index()[name])
        else:
            raise ModuleNotFound(name)
        return _module_class(python_module, name)

    def _build(self, name: str, generation: int = 0,
               data: bytes | None = None) -> tuple[ModuleObject, _Version]:
        """Execute module ``name``'s file (a reload: afresh, under generation
        ``generation``), instantiate it and build its module object."""
        python, key, digest, helpers = self._execute(name, generation, data)
        try:
            cls = _module_class(python, name)
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
        except BaseException:
            if generation:
                _drop_private(key, python)
                for helper_key, helper in helpers.items():
                    _drop_private(helper_key, helper)
            raise
        files = (str(python.__file__), *(str(h.__file__) for h in helpers.values()
                                         if getattr(h, "__file__", None)))
        version = _Version(python, key, instance, digest, files, helpers)
        return ModuleObject(name, members, meta.description), version

    def _execute(self, name: str, generation: int, data: bytes | None
                 ) -> tuple[types.ModuleType, str, str, dict[str, types.ModuleType]]:
        """Run a module's Python file: (module, sys.modules key, content hash, helpers)."""
        if name in STDLIB:
            if not generation:
                python = importlib.import_module(STDLIB[name])
                path = Path(python.__file__ or "")
                return python, STDLIB[name], content_hash(path.read_bytes()), {}
            path = _STDLIB_DIR / f"{STDLIB[name].rsplit('.', 1)[1]}.py"
            package = _package_for(_STDLIB_DIR, "mlpy._ext.stdlib")
        elif name in self._index():
            path = self._index()[name].path
            package = _package_for(path.parent.resolve())
        else:
            raise ModuleNotFound(name)
        if data is None:
            data = path.read_bytes()
        prefix = package + "."
        before = {k for k in list(sys.modules) if k.startswith(prefix)}
        python = execute_file(path, package, generation=generation,
                              source=data.decode("utf-8"))
        helpers = {k: m for k, m in list(sys.modules.items())
                   if k.startswith(prefix) and k not in before and m is not python}
        return python, python.__name__, content_hash(data), helpers

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


def _module_class(python_module: types.ModuleType, name: str) -> type:
    for value in vars(python_module).values():
        meta = get_module_metadata(value)
        if isinstance(value, type) and meta is not None and meta.name == name:
            return value
    raise ModuleNotFound(name)


def _drop_private(key: str, module: Any) -> None:
    """Remove ``key`` from sys.modules if it is mlpy's private key holding ``module``
    (nothing else in sys.modules is ever touched)."""
    if key.startswith(_PRIVATE) and sys.modules.get(key) is module:
        del sys.modules[key]


def _since(start_ns: int) -> float:
    return (time.perf_counter_ns() - start_ns) / 1e9


def _failure(error: BaseException) -> tuple[str, str | None, int | None]:
    """``SyntaxError at x_bridge.py:42: invalid syntax``: a reload failure, with the file
    and line of the innermost frame of a module file (or of the syntax error)."""
    if isinstance(error, SyntaxError) and error.filename:
        return (f"SyntaxError at {Path(error.filename).name}:{error.lineno}: {error.msg}",
                error.filename, error.lineno)
    if isinstance(error, ModuleLoadError):
        return error.message, None, None
    tb, file, line, preferred = error.__traceback__, None, None, None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<") and "/mlpy/modules/" not in filename:
            file, line = filename, tb.tb_lineno
            if filename.endswith("_bridge.py"):
                preferred = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if preferred is not None:
        file, line = preferred
    where = f" at {Path(file).name}:{line}" if file else ""
    text = str(error) if not isinstance(error, ModuleNotFound) else \
        f"the file declares no @ml_module class named '{error}'"
    return f"{type(error).__name__}{where}: {text}", file, line


def _topological(names: set[str], units: Mapping[str, "Program"]) -> list[str]:
    """``names`` ordered so that a module comes after the modules it imports."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        unit = units.get(name)
        for dependency in (unit.modules if unit is not None else ()):
            if dependency in names:
                visit(dependency)
        order.append(name)
    for name in sorted(names):
        visit(name)
    return order


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
