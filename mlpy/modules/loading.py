"""How a standard-library or extension module becomes a module object.

Both kinds are Python files declaring an ``@ml_module`` class: the standard library is every
``mlpy/stdlib/<name>_bridge.py`` (imported normally), an extension module a ``*_bridge.py``
file found by discovery (executed under a private ``mlpy._ext.`` key). Loading runs the file,
takes the instance named like the module (or makes one), and wraps each exposed function in
a :class:`~mlpy.runtime.gate.GuardedFunction` when it needs capabilities.

:class:`_Loading` is the part of :class:`~mlpy.modules.registry.ModuleRegistry` that does
this: each module loads once, under its own lock, and a failure is remembered until the
bridge file changes. It uses the registry's ``_lock``, ``_loaded``, ``_load_locks``,
``_failed``, ``_versions``, ``_measure`` and ``_index()``.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
import tracemalloc
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from mlpy.errors import ModuleLoadError
from mlpy.modules.decorators import ModuleMetadata, get_module_metadata
from mlpy.modules.discovery import _package_for, execute_file, load_bridge
from mlpy.modules.sources import content_hash
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.values import ModuleObject

if TYPE_CHECKING:
    from mlpy.modules.discovery import BridgeInfo
    from mlpy.modules.stats import Measurements

_STDLIB_DIR = Path(__file__).resolve().parent.parent / "stdlib"
# sys.modules keys of mlpy's own copies of module files: the only entries ever removed.
_PRIVATE = ("mlpy._ext.", "mlpy._ml.")


def _stdlib_modules() -> dict[str, str]:
    """The standard library: every ``mlpy/stdlib/<name>_bridge.py`` is the ML module
    ``<name>`` (found by file name, without importing anything)."""
    return {path.stem[:-len("_bridge")]: f"mlpy.stdlib.{path.stem}"
            for path in sorted(_STDLIB_DIR.glob("*_bridge.py"))}


STDLIB = _stdlib_modules()


class ModuleNotFound(LookupError):
    pass


@dataclass
class _Version:
    """The Python side of a loaded standard-library or extension module."""

    python: types.ModuleType
    key: str  # its sys.modules key
    instance: Any
    content_hash: str
    files: tuple[str, ...]  # its file and the sibling helpers it imported
    helpers: dict[str, types.ModuleType]  # sys.modules key -> helper module


class _Loading:
    """Loading standard-library and extension modules (a part of ModuleRegistry)."""

    _lock: threading.RLock
    _loaded: dict[str, ModuleObject]
    _load_locks: dict[str, threading.Lock]
    _failed: dict[str, tuple[tuple | None, str, str]]  # name -> (file state, why, code)
    _versions: dict[str, _Version]
    _measure: "Measurements"
    _index: "Callable[[], dict[str, BridgeInfo]]"  # the extension modules found

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
        with self._load_lock(name):  # one module loading does not hold up the others
            if name not in self._loaded:
                self._load_now(name)
        return self._loaded[name]

    def _load_lock(self, name: str) -> threading.Lock:
        with self._lock:
            return self._load_locks.setdefault(name, threading.Lock())

    def _load_now(self, name: str) -> None:
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
            self._measure.module(name, kind).last_failure = error.message
            raise
        except Exception as error:  # noqa: BLE001 - whatever the bridge raised
            message = f"loading '{name}' failed: {_where(error)}"
            self._failed[name] = (state, message, "E_MODULE_LOAD")
            self._measure.module(name, kind).last_failure = message
            raise ModuleLoadError(message, module=name) from error
        elapsed = (time.perf_counter_ns() - start) / 1e9
        self._versions[name] = version
        self._loaded[name] = built
        entry = self._measure.module(name, kind)
        entry.load, entry.loaded_at, entry.traced = elapsed, time.time(), traced
        self._measure.emit("loaded", name, {"seconds": elapsed, "kind": kind})

    def _bridge_state(self, name: str) -> tuple | None:
        bridge = self._index().get(name) if name not in STDLIB else None
        if bridge is None:
            return None
        try:
            stat = bridge.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def version_of(self, name: str) -> _Version | None:
        return self._versions.get(name)

    def memory_report(self, top: int = 10, extra: Iterable[Any] = ()) -> Any:
        """Memory of the loaded modules (see :mod:`mlpy.modules.memory`); ``extra`` are
        more footprints (a session's ML modules). Never loads a module."""
        from mlpy.modules.memory import Footprint, build_report

        footprints = []
        for name in self.loaded_names():
            version = self._versions.get(name)
            if version is None:
                continue
            entry = self._measure.get(name)
            footprints.append(Footprint(
                name, "stdlib" if name in STDLIB else "extension",
                roots=(self._loaded[name], version.instance, version.python.__dict__,
                       *(vars(h) for h in version.helpers.values())),
                files=version.files, traced=bool(entry and entry.traced),
                own_modules=(version.python.__name__, *version.helpers)))
        return build_report([*footprints, *extra], top)

    def _class_for(self, name: str) -> type:
        """The ``@ml_module`` class of a standard-library or extension module (its file is
        imported if it is not loaded; nothing is instantiated)."""
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
            instance = _instance(cls, name)
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
            path = _stdlib_file(name)
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


def _stdlib_file(name: str) -> Path:
    """The file of standard-library module ``name``."""
    return _STDLIB_DIR / f"{STDLIB[name].rsplit('.', 1)[1]}.py"


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


def _stash_helpers(version: _Version | None) -> dict[str, types.ModuleType]:
    """Take the sibling helpers a bridge imported out of ``sys.modules`` (so a reload
    runs their current code); the caller puts them back if the reload fails."""
    stashed = {}
    for key, helper in (version.helpers if version else {}).items():
        if sys.modules.get(key) is helper and key.startswith(_PRIVATE):
            stashed[key] = sys.modules.pop(key)
    return stashed


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
