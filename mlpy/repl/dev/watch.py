"""``.watch`` and ``.unwatch``: reload modules when their files change."""

from __future__ import annotations

import hashlib
import queue
import threading
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from mlpy.errors import ModuleLoadError
from mlpy.modules.sources import ImportProblem
from mlpy.repl.commands import CommandError, command
from mlpy.repl.dev.reload import (
    loaded_in_order,
    ml_tables,
    reload_module,
    session_units,
    unknown_module,
)
from mlpy.repl.dev.state import dev_state

if TYPE_CHECKING:
    from mlpy.repl.session import MLREPLSession

DEBOUNCE = 0.2  # seconds a file must stay quiet before its change is looked at
POLL_INTERVAL = 0.5
JOIN_TIMEOUT = 1.0


# ----------------------------------------------------------------------------- watching


def _hash(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return "sha256:" + hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


class Watcher:
    """Watches the directories of some files in a thread of its own; a change is looked at
    after the file has been quiet for ``DEBOUNCE`` seconds, and queued only when the file's
    content hash differs from the last one seen (a touch is ignored). The thread never
    reloads anything: the session drains ``requests``."""

    def __init__(self, requests: "queue.Queue[tuple[str, str]]", *,
                 force_polling: bool = False):
        self.requests = requests
        self._lock = threading.Lock()
        self._files: dict[str, str | None] = {}  # resolved path -> last content hash seen
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: dict[str, float] = {}  # path -> time of its last event
        self._stats: dict[str, tuple] = {}
        self._watchfiles = None
        if not force_polling:
            try:
                import watchfiles

                self._watchfiles = watchfiles
            except ImportError:
                self._watchfiles = None
        self.backend = "watchfiles" if self._watchfiles else \
            f"polling every {POLL_INTERVAL:g} s"

    def set_files(self, files: Iterable[str]) -> None:
        wanted = {str(Path(f).resolve()) for f in files}
        with self._lock:
            before_dirs = {str(Path(f).parent) for f in self._files}
            self._files = {f: self._files[f] if f in self._files else _hash(f)
                           for f in wanted}
            self._stats = {f: _stat(f) for f in wanted}
            dirs = {str(Path(f).parent) for f in wanted}
        if not wanted:
            self.stop()
        elif self._thread is None or dirs != before_dirs:
            self.stop()
            self._start()

    def acknowledge(self, path: str, digest: str | None) -> None:
        with self._lock:
            if path in self._files:
                self._files[path] = digest

    def _start(self) -> None:
        self._stop = threading.Event()
        target = self._run_watchfiles if self._watchfiles else self._run_polling
        self._thread = threading.Thread(target=target, name="mlpy-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run_watchfiles(self) -> None:
        with self._lock:
            dirs = sorted({str(Path(f).parent) for f in self._files})
        stop = self._stop
        try:
            for changes in self._watchfiles.watch(
                    *dirs, stop_event=stop, debounce=1600, step=50, rust_timeout=100,
                    yield_on_timeout=True, raise_interrupt=False, recursive=False,
                    watch_filter=None):
                now = time.monotonic()
                with self._lock:
                    for _, raw in changes:
                        path = str(Path(raw).resolve())
                        if path in self._files:
                            self._pending[path] = now
                self._process(now)
                if stop.is_set():
                    return
        except Exception:  # noqa: BLE001 - the watch falls back to polling
            if not stop.is_set():
                self._run_polling()

    def _run_polling(self) -> None:
        stop = self._stop
        next_poll = 0.0
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_poll:
                with self._lock:
                    for path in list(self._files):
                        state = _stat(path)
                        if state != self._stats.get(path):
                            self._stats[path] = state
                            self._pending[path] = now
                next_poll = now + POLL_INTERVAL
            self._process(now)
            stop.wait(0.05)

    def _process(self, now: float) -> None:
        with self._lock:
            due = [p for p, t in self._pending.items() if now - t >= DEBOUNCE]
            for path in due:
                del self._pending[path]
            files = dict(self._files)
        for path in due:
            digest = _hash(path)
            if digest is None:
                if files.get(path) is not None:
                    self.requests.put(("removed", path))
                    self.acknowledge(path, None)
                continue
            if digest == files.get(path):
                continue  # a touch, or a save that changed nothing
            self.acknowledge(path, digest)
            self.requests.put(("changed", path))


def _stat(path: str) -> tuple | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _module_files(session: "MLREPLSession", name: str) -> list[str]:
    """The files whose change reloads ``name``: a bridge and the helpers it imported; an
    ML module's source and those of the ML modules it imports."""
    registry = session.registry
    files = [f for f in registry.files_of(name) if f and Path(f).is_file()]
    unit = session_units(session).get(name)
    if unit is not None:
        for dependency in unit.modules:
            origin = registry.origin(dependency)
            if origin and Path(origin).is_file():
                files.append(origin)
    return list(dict.fromkeys(str(Path(f).resolve()) for f in files))


def watch_module(session: "MLREPLSession", name: str) -> list[str]:
    state = dev_state(session)
    files = _module_files(session, name)
    state.watched[name] = files
    _sync_watcher(session)
    return files


def _sync_watcher(session: "MLREPLSession") -> None:
    state = dev_state(session)
    if state.watcher is None:
        if not state.watched:
            return
        state.watcher = Watcher(session.watch_requests, force_polling=session.force_polling)
    state.watcher.set_files(f for files in state.watched.values() for f in files)


def close_dev(session: "MLREPLSession") -> None:
    """The session ends: stop its watcher, and the allocation tracing it started."""
    stop_watching(session)
    state = session._dev
    if state is not None and state.started_tracing:
        tracemalloc.stop()
        state.started_tracing = False
    if state is not None:
        state.unsubscribe()


def stop_watching(session: "MLREPLSession") -> None:
    state = session._dev
    if state is None:
        return
    state.watched.clear()
    state.watch_all = False
    watcher, state.watcher = state.watcher, None
    if watcher is not None:
        watcher.stop()


def apply_pending_reloads(session: "MLREPLSession") -> list[str]:
    """Apply the reloads the watcher queued; the notification lines."""
    requests: queue.Queue | None = session.watch_requests
    state = session._dev
    if requests is None or state is None:
        return []
    events: dict[str, str] = {}
    while True:
        try:
            what, path = requests.get_nowait()
        except queue.Empty:
            break
        events[path] = what
    lines = []
    done: set[str] = set()
    for path, what in events.items():
        file = Path(path).name
        names = [n for n, files in state.watched.items() if path in files]
        if what == "removed":
            lines.append(f"[watch] {file} removed — keeping the loaded version")
            continue
        for name in names:
            if name in done:
                continue
            if not _is_loaded(session, name):
                lines.append(f"[watch] {file} changed — {name} is not loaded; it will load "
                             "the new version on import")
                continue
            try:
                outcome = reload_module(session, name, done=done)
            except (ImportProblem, ModuleLoadError) as error:
                lines.append(f"[watch] {file} changed — reload FAILED: {error} "
                             "(previous version kept)")
                continue
            done.add(name)
            if outcome.ok:
                rebound = f" (rebound: {', '.join(outcome.rebound)})" if outcome.rebound else ""
                deps = (f"; dependents: {', '.join(n for n, _ in outcome.dependents)}"
                        if outcome.dependents else "")
                lines.append(f"[watch] {file} changed — reloaded {name} in "
                             f"{outcome.seconds * 1e3:.1f} ms{rebound}{deps}")
                if outcome.stale:
                    lines.append(f"  note: still holding objects of the previous version: "
                                 f"{', '.join(outcome.stale)}")
                files = _module_files(session, name)
                if files != state.watched.get(name):
                    state.watched[name] = files
                    _sync_watcher(session)
            else:
                lines.append(f"[watch] {file} changed — reload FAILED: {outcome.error} "
                             "(previous version kept)")
    return lines


def _is_loaded(session: "MLREPLSession", name: str) -> bool:
    return name in session.registry.loaded_names() or name in ml_tables(session)[0]


@command("watch", "Development", ".watch [NAME...|all]", "Reload modules when their files change",
         "Watches the files of the named modules (for an ML module also the ML modules it "
         "imports) and reloads a module as soon as a save changes its content; 'all' watches "
         "every loaded module and those loaded later. Without an argument, lists what is "
         "watched. Never blocks the prompt; .unwatch stops it.", ".watch payments")
def watch_command(session, args):
    state = dev_state(session)
    if not args:
        if not state.watched:
            return "Not watching any module. Use .watch NAME or .watch all."
        backend = state.watcher.backend if state.watcher is not None else "none"
        lines = [f"Watching {len(state.watched)} module{'s' if len(state.watched) != 1 else ''}"
                 f" ({backend}{', and modules loaded later' if state.watch_all else ''}):"]
        for name, files in state.watched.items():
            lines.append(f"  {name}  {', '.join(files) or '(no file)'}")
        return "\n".join(lines)
    names = list(dict.fromkeys(args))
    if any(n.lower() == "all" for n in names):
        state.watch_all = True
        names = [n for n in loaded_in_order(session)]
        if not names:
            return ("Watching all modules: none is loaded yet; each module is watched once it "
                    "loads.")
    lines = []
    for name in names:
        if name == "builtin":
            raise CommandError("builtin has no file to watch")
        if session.registry.kind(name) is None:
            raise CommandError(unknown_module(session, name))
    for name in names:
        files = watch_module(session, name)
        loaded = "" if _is_loaded(session, name) else " (not loaded yet: reloaded once loaded)"
        lines.append(f"Watching {name} ({', '.join(files) or 'no file'}) — saves reload it "
                     f"automatically.{loaded}")
    return "\n".join(lines)


@command("unwatch", "Development", ".unwatch [NAME...|all]", "Stop watching files",
         "Stops watching the named modules; without an argument or with 'all', stops every "
         "watch and the watcher thread.", ".unwatch payments")
def unwatch_command(session, args):
    state = dev_state(session)
    if not args or any(a.lower() == "all" for a in args):
        count = len(state.watched)
        stop_watching(session)
        return f"Stopped watching {count} module{'s' if count != 1 else ''}." if count \
            else "Not watching any module."
    unknown = [n for n in args if n not in state.watched]
    if unknown:
        raise CommandError(f"not watching {', '.join(unknown)}")
    for name in args:
        state.watched.pop(name, None)
    if state.watched:
        _sync_watcher(session)
    else:
        stop_watching(session)
    return f"Stopped watching {', '.join(args)}."
