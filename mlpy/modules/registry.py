"""Which modules ML code can import, and how an imported module becomes a value.

A :class:`ModuleRegistry` maps ML module names to the Python classes that implement them and
loads each lazily, once, on first import. The standard library is found by name under
``mlpy.stdlib``; an Engine owns its registry, so nothing here is process-global state that
users can feel.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Iterable

from mlpy.modules.decorators import ModuleMetadata, get_module_metadata
from mlpy.modules.discovery import BridgeInfo, Problem, load_bridge, scan
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.values import ModuleObject

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


def extension_paths_from_environment(environ: Any = None) -> list[str]:
    """``MLPY_EXTENSION_PATHS``, split on the path separator, empty parts dropped."""
    value = (os.environ if environ is None else environ).get("MLPY_EXTENSION_PATHS", "")
    return [part.strip() for part in value.split(os.pathsep) if part.strip()]


class ModuleRegistry:
    """The modules one Engine's programs can import: the standard library, then the bridges
    found on ``extension_paths`` (earlier directories win name clashes; a bridge cannot
    replace a standard-library module). Directories are scanned on the first query; a bridge
    runs only when a program that imports it runs."""

    def __init__(self, extension_paths: Iterable[str | os.PathLike[str]] = ()) -> None:
        self._lock = threading.RLock()
        self._loaded: dict[str, ModuleObject] = {}
        self._paths = _unique_dirs(extension_paths)
        self._extensions: dict[str, BridgeInfo] | None = None
        self._problems: list[Problem] = []

    @property
    def extension_paths(self) -> list[Path]:
        return list(self._paths)

    def problems(self) -> list[Problem]:
        """What discovery found wrong in bridge files (the other modules keep working)."""
        self._index()
        return list(self._problems)

    def available(self, kind: str | None = None) -> list[str]:
        kinds = ("stdlib", "extension", "ml", "builtin")
        if kind is not None and kind not in kinds:
            raise ValueError(f"unknown module kind {kind!r}: use one of {', '.join(kinds)}")
        if kind == "builtin":
            return ["builtin"]
        if kind == "ml":
            return []  # .ml modules are not supported yet
        if kind == "extension":
            return sorted(self._index())
        if kind == "stdlib":
            return sorted(STDLIB)
        return sorted(set(STDLIB) | set(self._index()))

    def has(self, name: str) -> bool:
        return name in STDLIB or name in self._index()

    def members(self, name: str) -> frozenset[str] | None:
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
        if not self._paths:
            return ("searched the standard library; extension modules are found in "
                    "directories given with extension_paths=, -E or MLPY_EXTENSION_PATHS")
        count = len(self._paths)
        return (f"searched the standard library and {count} extension "
                f"director{'y' if count == 1 else 'ies'}: {', '.join(map(str, self._paths))}")

    def origin(self, name: str) -> str | None:
        """Where a module comes from: its bridge file, or the standard library."""
        if name in STDLIB:
            return "mlpy.stdlib"
        bridge = self._index().get(name)
        return str(bridge.path) if bridge is not None else None

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
                        f"module '{bridge.name}' is a standard-library module; the bridge "
                        "is ignored"), "warning"))
                elif bridge.name in found:
                    self._problems.append(Problem(bridge.path, 1, (
                        f"module '{bridge.name}' is already defined in "
                        f"{found[bridge.name].path}; this one is ignored"), "warning"))
                else:
                    found[bridge.name] = bridge
        for problem in self._problems:
            _logger.warning("%s", problem)
        return found

    def loaded_names(self) -> list[str]:
        return sorted(self._loaded)

    def load(self, name: str) -> ModuleObject:
        module = self._loaded.get(name)
        if module is not None:
            return module
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._build(name)
        return self._loaded[name]

    def info(self, name: str) -> dict[str, Any] | None:
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
            raise ModuleNotFound(
                f"{name}: the module class needs arguments; define `{name} = {cls.__name__}"
                f"(...)` in the bridge file, or give the class a constructor without "
                f"arguments ({error})") from None


def _unique_dirs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    seen: dict[Path, None] = {}
    for entry in paths:
        path = Path(os.fspath(entry)).expanduser().resolve()
        seen.setdefault(path, None)
    return list(seen)
