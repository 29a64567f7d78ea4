"""How much memory loaded modules and session values hold (``.memreport``).

Two measures, best first:

* **traced** -- when ``tracemalloc`` was tracing while a module loaded, the live traced
  allocations whose innermost frame lies in the module's files (its bridge file, the sibling
  helpers it imported, or the generated code of an ML module), from a fresh snapshot;
* **estimated** -- otherwise, the deep size of what the module holds: the objects reachable
  from its instance and its own globals through ``gc.get_referents``, without crossing into
  other modules, classes or functions defined elsewhere, builtins, or objects already counted
  for another module. The walk stops after 200 000 objects or 100 ms; the figure is then a
  lower bound (``>= value``).

``sys.getsizeof`` on a module object alone measures a few hundred bytes of header and says
nothing, so it is never used on its own.
"""

from __future__ import annotations

import builtins
import gc
import os
import sys
import time
import tracemalloc
import types
from dataclasses import dataclass, field
from typing import Any, Iterable

MAX_OBJECTS = 200_000
MAX_SECONDS = 0.1

_SKIP_TYPES = (types.ModuleType, types.BuiltinFunctionType, types.BuiltinMethodType,
               types.WrapperDescriptorType, types.MethodDescriptorType, types.FrameType,
               type(len.__call__))


@dataclass
class Footprint:
    """What to measure for one module: the objects it holds, its files, whether its load
    was traced, and the Python modules that count as its own (their functions and
    classes are followed)."""

    name: str
    kind: str
    roots: tuple[Any, ...]
    files: tuple[str, ...] = ()
    traced: bool = False
    own_modules: tuple[str, ...] = ()
    exclude: tuple[Any, ...] = ()  # shared objects it reaches but does not own


@dataclass
class ModuleMemory:
    name: str
    kind: str
    size: int
    method: str  # "traced" | "estimated"
    complete: bool = True  # False: the walk hit its cap; size is a lower bound
    note: str = ""


@dataclass
class VariableMemory:
    name: str
    shape: str  # array[100000], object{512}, string[12], ...
    size: int
    complete: bool = True


@dataclass
class MemoryReport:
    rss: int | None  # process resident memory in bytes (None: unknown)
    tracing: bool
    tracing_since: float | None
    modules: list[ModuleMemory] = field(default_factory=list)
    variables: list[VariableMemory] = field(default_factory=list)
    total_modules: int = 0


def process_rss() -> int | None:
    """Resident memory of this process: /proc/self/statm, else psutil, else None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            resident = int(handle.read().split()[1])
        return resident * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import psutil  # type: ignore[import-not-found]
    except ImportError:
        return None
    return int(psutil.Process().memory_info().rss)


def traced_by_file() -> dict[str, int]:
    """Live traced bytes per file of the innermost allocating frame (needs tracing on)."""
    if not tracemalloc.is_tracing():
        return {}
    snapshot = tracemalloc.take_snapshot()
    return {stat.traceback[0].filename: stat.size
            for stat in snapshot.statistics("filename")}


def deep_size(roots: Iterable[Any], seen: set[int], own_modules: Iterable[str] = (), *,
              follow_all: bool = False, max_objects: int = MAX_OBJECTS,
              max_seconds: float = MAX_SECONDS) -> tuple[int, bool]:
    """The summed ``sys.getsizeof`` of the objects reachable from ``roots`` not yet in
    ``seen`` (which it extends): (bytes, whether the walk finished within its caps)."""
    own = set(own_modules)
    skip = {id(builtins.__dict__), id(builtins), id(sys.modules), id(sys.__dict__)}
    deadline = time.perf_counter() + max_seconds
    stack = list(roots)
    total = count = 0
    while stack:
        obj = stack.pop()
        key = id(obj)
        if key in seen or key in skip:
            continue
        if isinstance(obj, _SKIP_TYPES):
            continue
        descend = True
        if isinstance(obj, (type, types.FunctionType)):
            if follow_all:  # a value's function or class: itself, not its module's globals
                descend = False
            elif getattr(obj, "__module__", None) not in own:
                continue  # defined elsewhere: not this module's memory
        seen.add(key)
        try:
            total += sys.getsizeof(obj)
        except TypeError:
            pass
        count += 1
        if count >= max_objects or (count & 1023 == 0 and time.perf_counter() > deadline):
            return total, False
        if descend:
            stack.extend(gc.get_referents(obj))
    return total, True


def build_report(footprints: list[Footprint], top: int = 10,
                 variables: Iterable[tuple[str, Any]] = ()) -> MemoryReport:
    tracing = tracemalloc.is_tracing()
    by_file = traced_by_file() if tracing and any(f.traced for f in footprints) else {}
    seen: set[int] = set()
    # Objects every module reaches but none owns are not charged to any of them.
    for shared in (builtins, sys, types):
        seen.add(id(shared))
    modules = []
    for footprint in footprints:
        if footprint.traced and tracing:
            size = sum(by_file.get(f, 0) for f in footprint.files)
            modules.append(ModuleMemory(footprint.name, footprint.kind, size, "traced"))
            continue
        seen.update(id(obj) for obj in footprint.exclude)
        size, complete = deep_size(footprint.roots, seen, footprint.own_modules)
        note = "loaded before tracing" if tracing else ""
        modules.append(ModuleMemory(footprint.name, footprint.kind, size, "estimated",
                                    complete, note))
    modules.sort(key=lambda m: -m.size)
    found = []
    for name, value in variables:
        size, complete = deep_size([value], set(seen), follow_all=True)
        found.append(VariableMemory(name, shape(value), size, complete))
    found.sort(key=lambda v: -v.size)
    return MemoryReport(process_rss(), tracing, None, modules[:top], found[:5],
                        len(modules))


def shape(value: Any) -> str:
    """``array[3]``, ``object{2}``, ``string[5]``, ``number``, ... for the report."""
    if isinstance(value, (list, tuple)):
        return f"array[{len(value)}]"
    if isinstance(value, dict):
        return f"object{{{len(value)}}}"
    if isinstance(value, str):
        return f"string[{len(value)}]"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, types.FunctionType):
        return "function"
    return getattr(type(value), "_ml_type_name", None) or type(value).__name__


def human(size: int, complete: bool = True) -> str:
    """``12.4 MB``, ``310.0 KB``, ``512 B``; ``>= `` when the walk was cut short."""
    prefix = "" if complete else ">= "
    if size >= 1024 * 1024:
        return f"{prefix}{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{prefix}{size / 1024:.1f} KB"
    return f"{prefix}{size} B"
