"""Which modules ML code can import, and how an imported module becomes a value.

A :class:`ModuleRegistry` maps ML module names to the Python classes that implement them and
loads each lazily, once, on first import. The standard library is found by name under
``mlpy.stdlib``; an Engine owns its registry, so nothing here is process-global state that
users can feel.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any

from mlpy.modules.decorators import ModuleMetadata, get_module_metadata
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.values import ModuleObject

def _stdlib_modules() -> dict[str, str]:
    """The standard library: every ``mlpy/stdlib/<name>_bridge.py`` is the ML module
    ``<name>`` (found by file name, without importing anything)."""
    folder = Path(__file__).resolve().parent.parent / "stdlib"
    return {path.stem[:-len("_bridge")]: f"mlpy.stdlib.{path.stem}"
            for path in sorted(folder.glob("*_bridge.py"))}


STDLIB = _stdlib_modules()


class ModuleNotFound(LookupError):
    pass


class ModuleRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, ModuleObject] = {}
        self._metadata: dict[str, ModuleMetadata] = {}

    def available(self, kind: str | None = None) -> list[str]:
        kinds = ("stdlib", "extension", "ml", "builtin")
        if kind is not None and kind not in kinds:
            raise ValueError(f"unknown module kind {kind!r}: use one of {', '.join(kinds)}")
        if kind == "builtin":
            return ["builtin"]
        if kind in ("extension", "ml"):
            return []  # extension and .ml modules are found on search paths (none configured)
        return sorted(STDLIB)

    def has(self, name: str) -> bool:
        return name in STDLIB

    def members(self, name: str) -> frozenset[str] | None:
        try:
            meta: ModuleMetadata = self._class_for(name)._ml_module
        except ModuleNotFound:
            return None
        return frozenset(meta.functions) | frozenset(meta.constants)

    def requirements(self, name: str, member: str) -> tuple[str, ...]:
        """The capabilities calling ``name.member`` needs (the module's and the function's)."""
        try:
            meta: ModuleMetadata = self._class_for(name)._ml_module
        except ModuleNotFound:
            return ()
        function = meta.functions.get(member)
        if function is None:
            return ()
        return tuple(dict.fromkeys(meta.capabilities + function.capabilities))

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
        if name not in STDLIB:
            return None
        meta = self._class_for(name)._ml_module
        data = meta.to_dict()
        data["kind"] = "stdlib"
        data["loaded"] = name in self._loaded
        return data

    def _class_for(self, name: str) -> type:
        try:
            path = STDLIB[name]
        except KeyError:
            raise ModuleNotFound(name) from None
        python_module = importlib.import_module(path)
        for value in vars(python_module).values():
            meta = get_module_metadata(value)
            if isinstance(value, type) and meta is not None and meta.name == name:
                return value
        raise ModuleNotFound(name)

    def _build(self, name: str) -> ModuleObject:
        cls = self._class_for(name)
        meta: ModuleMetadata = cls._ml_module
        instance = cls()
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
