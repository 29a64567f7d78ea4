"""Compiling ML source modules, and keeping them while their files are unchanged.

An ML module ``a/b.ml`` under an ML module root is compiled when a program importing it is
compiled (the compiler asks the registry for the unit), kept in memory -- never written to
disk -- and compiled again when its file changes. A stat that has not changed is trusted
only for files older than two seconds; otherwise the content hash decides. A reload whose
new text does not compile "pins" that text, so importers keep the previous version until the
file changes again. An import cycle is found by the chain of modules being compiled on this
thread.

:class:`_MLUnits` is this part of :class:`~mlpy.modules.registry.ModuleRegistry`. It uses
the registry's ``_lock``, ``_ml_roots``, ``_units``, ``_compiling``, ``_unit_hashes``,
``_pinned``, ``_measure`` and ``_not_found()``.
"""

from __future__ import annotations

import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from mlpy.modules.sources import ImportProblem, SourceFile, leading_comment, locate, read_source

if TYPE_CHECKING:
    from mlpy.modules.stats import Measurements
    from mlpy.program import Program


class _MLUnits:
    """Compiled ML source modules (a part of ModuleRegistry)."""

    _lock: threading.RLock
    _ml_roots: list[Path]
    _units: "dict[str, tuple[tuple, str, Program]]"  # name -> (file state, hash, unit)
    _compiling: threading.local  # .chain: the ML modules being compiled on this thread
    _unit_hashes: "weakref.WeakKeyDictionary[Program, str]"  # unit -> hash of its source
    _pinned: dict[str, str]  # ML module -> hash of a source that failed reload
    _measure: "Measurements"
    _not_found: Callable[[str], ImportProblem]

    def ml_unit(self, name: str) -> "Program":
        """The compiled ML module ``name``: from memory while its file is unchanged,
        recompiled otherwise. Raise ImportProblem for a missing file or an import cycle, and
        the module's own MLError when it does not compile."""
        chain = self._chain()
        if name in chain:
            cycle = " -> ".join([*chain[chain.index(name):], name])
            if chain[-1] == name:  # the usual cause: a program named like what it imports
                raise ImportProblem(
                    "E_IMPORT_CYCLE", f"import cycle: {cycle} (the module imports itself)",
                    [f"a program {name.rsplit('.', 1)[-1]}.ml that imports {name} finds "
                     "itself: the program's own folder is searched first; rename the program "
                     "or the module"])
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
        self._keep_unit(name, source, unit)
        return unit

    def units_current(self, units: "Mapping[str, Program]") -> bool:
        """Whether each of these compiled modules is what its file holds now (``units`` is
        a program's ``modules``: every module it imports, directly or not)."""
        return all(self._cached(name) is unit for name, unit in units.items())

    def unit_hash(self, unit: "Program") -> str | None:
        return self._unit_hashes.get(unit)

    def _chain(self) -> list[str]:
        """The ML modules being compiled on this thread, outermost first."""
        return self._compiling.__dict__.setdefault("chain", [])

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
        self._measure.module(source.name, "ml").compile = elapsed
        return unit

    def _keep_unit(self, name: str, source: SourceFile, unit: "Program", *,
                   unpin: bool = True) -> None:
        """Hand out ``unit`` for ``name`` from now on (``unpin``: a failed reload's text is
        forgotten)."""
        with self._lock:
            self._units[name] = (_file_state(source.path), source.content_hash, unit)
            if unpin:
                self._pinned.pop(name, None)


def _file_state(path: Path) -> tuple:
    stat = path.stat()
    return (path, stat.st_mtime_ns, stat.st_size, stat.st_ino)
