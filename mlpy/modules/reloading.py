"""Hot reload: loading a module again from its file while programs keep running.

A bridge or standard-library module is re-described (a bridge's file must still declare the
same name), executed afresh under a new private key ``mlpy._ext.<dir>.<stem>__g<n>``,
instantiated and offered its predecessor (``__ml_reload__(self, previous)``); only then is
the new module object swapped in, so readers see the old object or the new one, never a
partial one. An ML module is recompiled from its source, and the cached ML modules importing
a reloaded module are recompiled against it, dependencies first. A failure never replaces
the version in use: it comes back as a :class:`ReloadResult` with ``ok=False`` and the file
and line. ``refresh`` rescans the extension directories and reloads what changed.

:class:`~mlpy.modules.registry.ModuleRegistry` calls these functions for its ``reload``,
``reload_all`` and ``refresh``; they work on the registry's loading and ML-unit state and on
its index. The module is imported on the first reload, so ``import mlpy`` never pays for it.
"""

from __future__ import annotations

import itertools
import sys
import time
import tracemalloc
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from mlpy.errors import MLError, ModuleLoadError
from mlpy.modules.discovery import BridgeInfo, Problem, _Unusable, describe
from mlpy.modules.loading import STDLIB, ModuleNotFound, _drop_private, _stash_helpers
from mlpy.modules.sources import ImportProblem, content_hash, locate, read_source
from mlpy.runtime.values import ModuleObject

if TYPE_CHECKING:
    from mlpy.modules.registry import ModuleRegistry
    from mlpy.program import Program

# Reloaded Python modules run under ``<key>__g<n>``; one counter for the process, so two
# registries reloading the same file never share a key.
_GENERATIONS = itertools.count(1)


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


def reload(registry: "ModuleRegistry", name: str, *, dependents: bool = True) -> ReloadResult:
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
    kind = registry.kind(name)
    if kind is None:
        raise registry._not_found(name)
    if kind == "ml":
        result = _reload_ml(registry, name)
    else:
        result = _reload_python(registry, name, kind)
    if result.ok and dependents:
        result.dependents = _recompile_dependents(registry, name)
    return result


def reload_all(registry: "ModuleRegistry") -> list[ReloadResult]:
    """Reload every loaded standard-library and extension module (ML modules run per
    execution; a REPL session reloads the ones it ran)."""
    return [reload(registry, name, dependents=False) for name in registry.loaded_names()]


def refresh(registry: "ModuleRegistry",
            ml_loaded: Mapping[str, "Program"] | None = None) -> RefreshReport:
    """Rescan the extension directories and reload the loaded modules whose content
    hash changed (unchanged modules are left alone). ``ml_loaded`` are the ML modules a
    caller runs (name -> the unit it runs); they are recompiled when their source
    changed."""
    start = time.perf_counter_ns()
    before = set(registry._index())
    with registry._lock:
        registry._extensions = None
        registry._problems = []
    index = registry._index()
    changed: list[str] = []
    reloads: list[ReloadResult] = []
    for name in sorted(registry._loaded):
        version = registry._versions.get(name)
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
            reloads.append(reload(registry, name))
    for name, unit in (ml_loaded or {}).items():
        try:
            found = locate(name, registry._ml_roots)
            current = read_source(name, *found).content_hash if found else None
        except (ImportProblem, OSError):
            continue
        if current is not None and current != registry._unit_hashes.get(unit):
            changed.append(name)
            reloads.append(reload(registry, name))
    return RefreshReport(_since(start), len(registry._paths) + len(registry._ml_roots),
                         len(registry.available()), sorted(set(index) - before),
                         sorted(before - set(index)), changed, reloads,
                         registry.problems())


def _reload_python(registry: "ModuleRegistry", name: str, kind: str) -> ReloadResult:
    with registry._load_lock(name):
        start = time.perf_counter_ns()
        old, old_version = registry._loaded.get(name), registry._versions.get(name)
        info, data = None, None
        if kind == "extension":
            path = registry._index()[name].path
            try:
                data = path.read_bytes()
                text = data.decode("utf-8")
            except (OSError, UnicodeDecodeError) as error:
                return _reload_failed(registry, name, kind, start, f"cannot read {path}: "
                                           f"{error}", path, None, old is not None)
            try:
                info = describe(path, text)
            except _Unusable as error:
                label = "SyntaxError" if error.code == "E_DISCOVERY_SYNTAX" else error.code
                return _reload_failed(registry, 
                    name, kind, start, f"{label} at {path.name}:{error.line}: {error}",
                    path, error.line, old is not None)
            if info.name != name:
                return _reload_failed(registry, 
                    name, kind, start, f"the file now declares '{info.name}' instead of "
                    f"'{name}'; use .refresh", path, None, old is not None)
        if old is None:  # not loaded: its description is refreshed, it loads on use
            if info is not None:
                _swap_index(registry, name, info)
            registry._failed.pop(name, None)
            return ReloadResult(name, kind, True, _since(start), loaded=False)
        stashed = _stash_helpers(old_version)
        traced = tracemalloc.is_tracing()
        version = None
        try:
            built, version = registry._build(name, next(_GENERATIONS), data)
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
            return _reload_failed(registry, name, kind, start, message, file, line, True)
        # The swap: readers get the old object or the new one, never a partial one.
        registry._versions[name] = version
        registry._loaded[name] = built
        if info is not None:
            _swap_index(registry, name, info)
        registry._failed.pop(name, None)
        if old_version is not None and old_version.key != version.key:
            _drop_private(old_version.key, old_version.python)
        elapsed = _since(start)
        entry = registry._measure.reloaded(name, kind, elapsed)
        entry.loaded_at, entry.traced = time.time(), traced
        registry._measure.emit("reloaded", name, {"seconds": elapsed, "kind": kind})
        return ReloadResult(name, kind, True, elapsed, module=built, previous=old,
                            previous_python=old_version.python if old_version else None)


def _reload_ml(registry: "ModuleRegistry", name: str) -> ReloadResult:
    start = time.perf_counter_ns()
    try:
        found = locate(name, registry._ml_roots)
        if found is None:
            raise registry._not_found(name)
        source = read_source(name, *found)
    except ImportProblem as error:
        return _reload_failed(registry, name, "ml", start, f"{error.code}: {error.message}",
                                   None, None, True)
    chain = registry._chain()
    chain.append(name)
    try:
        unit = registry._compile_unit(source)
    except (MLError, ImportProblem) as error:
        if name in registry._units:  # keep compiling importers against the old version
            registry._pinned[name] = source.content_hash
        if isinstance(error, MLError):
            line = error.span.line if error.span else None
            where = Path(error.file or str(source.path)).name + (f":{line}" if line else "")
            message = f"{type(error).__name__} at {where}: {error.message}"
            return _reload_failed(registry, name, "ml", start, message,
                                       Path(error.file or source.path), line, True)
        return _reload_failed(registry, name, "ml", start, f"{error.code}: {error.message}",
                                   source.path, None, True)
    finally:
        chain.pop()
    registry._keep_unit(name, source, unit)
    elapsed = _since(start)
    registry._measure.reloaded(name, "ml", elapsed)
    registry._measure.emit("reloaded", name, {"seconds": elapsed, "kind": "ml"})
    return ReloadResult(name, "ml", True, elapsed, unit=unit)


def _reload_failed(registry: "ModuleRegistry", name: str, kind: str, start: int, message: str,
                   file: Path | str | None, line: int | None,
                   loaded: bool) -> ReloadResult:
    registry.note_reload_failure(name, kind, message)
    registry._measure.emit("reload_failed", name, {"error": message})
    return ReloadResult(name, kind, False, _since(start), error=message,
                        file=str(file) if file else None, line=line, loaded=loaded)


def _recompile_dependents(registry: "ModuleRegistry", name: str) -> list[str]:
    """Recompile the cached ML modules that import ``name``, directly or through other
    modules, dependencies first; the names that compiled."""
    with registry._lock:
        units = {n: entry[2] for n, entry in registry._units.items() if n != name}
    affected = {n for n, unit in units.items()
                if any(name in u.imports or name == un
                       for un, u in [(n, unit), *unit.modules.items()])}
    done = []
    for dependent in _topological(affected, units):
        try:
            located = locate(dependent, registry._ml_roots)
            if located is None:
                continue
            source = read_source(dependent, *located)
            unit = registry._compile_unit(source)
        except (MLError, ImportProblem, OSError):
            continue  # it keeps its old version; importing it reports the problem
        registry._keep_unit(dependent, source, unit, unpin=False)
        done.append(dependent)
    return done


def _swap_index(registry: "ModuleRegistry", name: str, info: BridgeInfo) -> None:
    with registry._lock:
        index = dict(registry._index())
        index[name] = info
        registry._extensions = index


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
