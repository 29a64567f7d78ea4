"""What a module registry measures, and who it tells.

:class:`Measurements` belongs to one :class:`~mlpy.modules.registry.ModuleRegistry`. It keeps
the discovery counters and the per-module timings (:class:`RegistryStats`, shown by
``.perfmon``) and calls the listeners given to ``subscribe`` on ``loaded``, ``reloaded``,
``reload_failed`` and ``scanned``. A listener that raises is logged and never breaks loading.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

_logger = logging.getLogger("mlpy.modules")

Listener = Callable[[str, str, dict], Any]


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


class Measurements:
    """One registry's counters and event listeners. ``lock`` is the registry's lock (it
    guards copying and resetting the counters)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._stats = RegistryStats()
        self._subscribers: list[Listener] = []

    # ------------------------------------------------------------------ counters

    def snapshot(self) -> RegistryStats:
        """A copy of the discovery counters and per-module timings."""
        with self._lock:
            copy = RegistryStats(**{k: v for k, v in vars(self._stats).items()
                                    if k != "modules"})
            copy.modules = {n: ModuleStats(**vars(m)) for n, m in self._stats.modules.items()}
        return copy

    def reset(self) -> None:
        with self._lock:
            self._stats = RegistryStats()

    @property
    def last_scan(self) -> dict[str, Any]:
        """The data of the ``scanned`` event."""
        return {"seconds": self._stats.scan_last, "files": self._stats.files}

    def module(self, name: str, kind: str) -> ModuleStats:
        """The (live) entry of module ``name``, created on first use."""
        entry = self._stats.modules.get(name)
        if entry is None:
            entry = self._stats.modules[name] = ModuleStats(name, kind)
        return entry

    def get(self, name: str) -> ModuleStats | None:
        return self._stats.modules.get(name)

    def scanned(self, seconds: float, counters: Mapping[str, Any],
                bridges: Mapping[str, Path]) -> None:
        """Record a scan of the extension directories: ``counters`` as filled by
        :func:`mlpy.modules.discovery.scan`, ``bridges`` the files indexed (name -> path)."""
        stats = self._stats
        stats.scans += 1
        stats.scan_total += seconds
        stats.scan_last = seconds
        stats.files = int(counters.get("files", 0))
        stats.files_cached = int(counters.get("cached", 0))
        stats.describes += int(counters.get("described", 0))
        stats.describe_total += counters.get("describe_ns", 0) / 1e9
        per_file = counters.get("per_file", {})
        for name, path in bridges.items():
            if path in per_file:
                self.module(name, "extension").describe = per_file[path] / 1e9

    def reloaded(self, name: str, kind: str, seconds: float) -> ModuleStats:
        """Count a reload of ``name`` that took ``seconds``; its entry."""
        entry = self.module(name, kind)
        entry.reloads += 1
        entry.reload_total += seconds
        entry.reload_last = seconds
        return entry

    def ml_run(self, name: str, seconds: float, reload: bool, traced: bool) -> None:
        """See :meth:`ModuleRegistry.note_ml_run`."""
        entry = self.module(name, "ml")
        if reload and entry.reloads:
            entry.reload_total += seconds
            entry.reload_last = (entry.reload_last or 0.0) + seconds
        else:
            entry.load = seconds
        entry.loaded_at, entry.traced = time.time(), traced
        if not reload:
            self.emit("loaded", name, {"seconds": seconds, "kind": "ml"})

    def dependent_reload(self, name: str, seconds: float, traced: bool) -> None:
        """See :meth:`ModuleRegistry.note_dependent_reload`."""
        entry = self.reloaded(name, "ml", seconds)
        entry.loaded_at, entry.traced = time.time(), traced
        self.emit("reloaded", name, {"seconds": seconds, "kind": "ml"})

    def reload_failure(self, name: str, kind: str, message: str) -> None:
        self.module(name, kind).last_failure = message
        self._stats.reload_failures += 1

    # ------------------------------------------------------------------ events

    def subscribe(self, callback: Listener) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)
        return unsubscribe

    def emit(self, event: str, name: str, data: dict) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event, name, data)
            except Exception:  # noqa: BLE001 - a listener never breaks loading
                _logger.exception("module event listener failed")
