"""Running ML source modules when a program imports them.

An ML module's top level runs once per execution (once per session), at its first import, in
a namespace of its own, under the importing program's grants and limits. The compiled units a
program may import travel with it (``Program.modules``); the engine puts them in the
execution's namespace as ``__ml_units__`` beside ``__ml_loaded__``, the table of modules run
so far, which every module namespace of the execution shares.

Nothing is registered in ``sys.modules``: a user module called ``textwrap`` can never replace
Python's.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from typing import Any

from mlpy.language.codegen.names import py_name
from mlpy.runtime.state import current_state
from mlpy.runtime.values import ModuleObject


def import_ml(name: str) -> ModuleObject:
    """The module object of ML module ``name`` for the calling ML code's execution."""
    return _load(name, sys._getframe(1).f_globals)


def import_package(prefix: str, names: tuple[str, ...]) -> ModuleObject:
    """What ``import a.b.c;`` binds to ``a``: a read-only package whose members lead to
    each module imported under ``prefix`` (``a.b.c``, ``a.d``, ...). A package the name
    already holds -- from an earlier chunk of a session -- keeps its modules."""
    importer = sys._getframe(1).f_globals
    tree: dict[str, Any] = {}
    earlier = importer.get(py_name(prefix))
    if earlier.__class__ is ModuleObject and earlier._ml_package:
        names = (*earlier._ml_package, *names)
    for name in dict.fromkeys(names):
        parts = name.split(".")[1:]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _load(name, importer)
    return _package(prefix, tree, tuple(dict.fromkeys(names)))


def _package(name: str, tree: dict[str, Any], names: tuple[str, ...] = ()) -> ModuleObject:
    members = {key: _package(f"{name}.{key}", value) if isinstance(value, dict) else value
               for key, value in tree.items()}
    return ModuleObject(name, members, f"Modules under {name}", package=names)


def _load(name: str, importer: dict[str, Any]) -> ModuleObject:
    loaded: dict[str, ModuleObject] = importer["__ml_loaded__"]
    module = loaded.get(name)
    if module is not None:
        return module
    unit = importer["__ml_units__"][name]
    namespace = {
        "__builtins__": importer["__builtins__"], "__ml_ns__": True,
        "__name__": f"mlpy._ml.{name}", "__ml_home__": importer["__ml_home__"],
        "__ml_units__": importer["__ml_units__"], "__ml_loaded__": loaded,
    }
    traced = tracemalloc.is_tracing()
    start = time.perf_counter_ns()
    exec(unit.code, namespace)
    seconds = (time.perf_counter_ns() - start) / 1e9
    module = ModuleObject(name, {}, unit.description, live=namespace, exports=unit.exports)
    loaded[name] = module
    state = current_state()
    if state is not None and hasattr(state.registry, "note_ml_run"):  # for .perfmon
        state.registry.note_ml_run(name, seconds, traced=traced)
    return module
