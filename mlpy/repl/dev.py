"""The REPL's development commands and what they need: hot reload, the performance and
memory reports, file watching and development mode.

``.reload`` asks the registry for the new version of a module, then makes the session use it:
every import-table binding that still holds the old module object gets the new one (a
package bound by ``import a.b;`` is rebuilt along its path), an ML module's top level runs
again in a new namespace, and the ML modules loaded in the session that import it run again
after it, so the very next input uses the new code without another ``import``. A reload that
fails changes nothing. ``.watch`` runs a watcher thread that only queues requests; the
session applies them on its own thread (:meth:`MLREPLSession.apply_pending_reloads`), so a
reload never runs at the same time as ML code.
"""

from __future__ import annotations

import hashlib
import queue
import sys
import threading
import time
import tracemalloc
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from mlpy.errors import MLError, ModuleLoadError
from mlpy.language.codegen.names import py_name
from mlpy.modules.memory import Footprint, human
from mlpy.modules.sources import ImportProblem
from mlpy.repl.commands import CommandError, command
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.state import CURRENT, new_ticker
from mlpy.runtime.values import HostObject, ModuleObject

if TYPE_CHECKING:
    from mlpy.program import Program
    from mlpy.repl.session import MLREPLSession

DEFAULT_SLOW_MS = 100.0
DEBOUNCE = 0.2  # seconds a file must stay quiet before its change is looked at
POLL_INTERVAL = 0.5
JOIN_TIMEOUT = 1.0


# ----------------------------------------------------------------------------- state


class DevState:
    """What the development tools keep per session."""

    def __init__(self, session: "MLREPLSession"):
        self.slow_ms = DEFAULT_SLOW_MS
        self.started = time.time()
        self.tracing_since: float | None = None
        self.started_tracing = False
        self.watcher: Watcher | None = None
        self.watch_all = False
        self.watched: dict[str, list[str]] = {}  # module -> files, in .watch order
        self.problems_shown: set[str] = set()  # discovery problems printed in dev mode
        self.unsubscribe = session.registry.subscribe(
            lambda event, name, data: _on_event(session, event, name, data))
        session.on_close(lambda: _close(session))


def dev_state(session: "MLREPLSession") -> DevState:
    state = session.__dict__.get("_dev")
    if state is None:
        state = session.__dict__["_dev"] = DevState(session)
    return state


def set_dev_mode(session: "MLREPLSession", on: bool) -> None:
    """Turn development mode on or off: live notices, slow warnings, memory tracing."""
    state = dev_state(session)
    session.dev_mode = on
    if on and not tracemalloc.is_tracing():
        tracemalloc.start()
        state.started_tracing = True
        state.tracing_since = time.time()
    elif on and state.tracing_since is None:
        state.tracing_since = time.time()
    elif not on and state.started_tracing:
        tracemalloc.stop()
        state.started_tracing = False
        state.tracing_since = None


def _on_event(session: "MLREPLSession", event: str, name: str, data: dict) -> None:
    state = session.__dict__.get("_dev")
    if event == "loaded" and state is not None and state.watch_all and name != "builtin":
        _watch(session, name)
    if session.dev_mode and event == "scanned" and state is not None:
        for problem in session.registry.problems():  # verbose diagnostics (B7)
            if str(problem) not in state.problems_shown:
                state.problems_shown.add(str(problem))
                session.output(f"[scan] {problem}\n")
    if not session.dev_mode or event != "loaded":
        return
    ms = data.get("seconds", 0.0) * 1e3
    slow = state is not None and ms > state.slow_ms
    session.output(f"[load] {name} {ms:.1f} ms{' (slow)' if slow else ''}\n")


def slow_ms(session: "MLREPLSession") -> float:
    state = session.__dict__.get("_dev")
    return state.slow_ms if state is not None else DEFAULT_SLOW_MS


# ----------------------------------------------------------------------------- reloading


@dataclass
class Outcome:
    """What reloading one module in the session did."""

    name: str
    kind: str
    ok: bool
    seconds: float
    error: str | None = None
    loaded: bool = True
    rebound: list[str] = field(default_factory=list)
    dependents: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    dependent_failures: list[tuple[str, str]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    file: str | None = None
    line: int | None = None


def _ml_tables(session: "MLREPLSession") -> tuple[dict[str, Any], dict[str, Any], dict]:
    namespace = session._session._namespace
    return (namespace.setdefault("__ml_loaded__", {}),
            namespace.setdefault("__ml_units__", {}), namespace)


def session_units(session: "MLREPLSession") -> dict[str, "Program"]:
    """The compiled unit each ML module loaded in the session runs."""
    loaded, units, _ = _ml_tables(session)
    return {name: units[name] for name in loaded if name in units}


def reload_module(session: "MLREPLSession", name: str, *, dependents: bool = True,
                  done: set[str] | None = None) -> Outcome:
    """Reload ``name`` in the session (B8): registry reload, run an ML module's top level
    again, rebind the import table, run dependents again, and find stale objects. Raise
    ImportProblem for an unknown module, ModuleLoadError for ``builtin``."""
    registry = session.registry
    start = time.perf_counter()
    loaded, units, namespace = _ml_tables(session)
    kind = registry.kind(name)
    if name == "builtin" or kind is None:
        registry.reload(name)  # raises the right error
    previous_objects: list[Any] = []
    previous_python = None
    if kind == "ml" and name not in loaded:
        result = registry.reload(name, dependents=False)
        outcome = Outcome(name, "ml", result.ok, time.perf_counter() - start, result.error,
                          loaded=False, file=result.file, line=result.line)
        return outcome
    result = registry.reload(name, dependents=dependents)
    if not result.ok:
        return Outcome(name, kind, False, time.perf_counter() - start, result.error,
                       file=result.file, line=result.line)
    if not result.loaded:
        return Outcome(name, kind, True, time.perf_counter() - start, loaded=False)
    if kind == "ml":
        old = loaded.get(name)
        run_start = time.perf_counter()
        new, error = run_module(session, name, result.unit)
        if error is not None:
            message = _ml_failure(error)
            registry.note_reload_failure(name, "ml", message)
            return Outcome(name, kind, False, time.perf_counter() - start, message,
                           file=error.file, line=error.span.line if error.span else None)
        registry.note_ml_run(name, time.perf_counter() - run_start, reload=True,
                             traced=tracemalloc.is_tracing())
        loaded[name] = new
        previous_objects.append(old)
    else:
        old, new = result.previous, result.module
        previous_python = result.previous_python
        previous_objects.append(old)
    outcome = Outcome(name, kind, True, 0.0)
    outcome.rebound = rebind(session, name, old, new)
    if done is not None:
        done.add(name)
    if dependents:
        for dependent in session_dependents(session, name):
            if done is not None and dependent in done:
                continue
            old_dependent = loaded.get(dependent)
            try:
                unit = registry.ml_unit(dependent)
            except (MLError, ImportProblem) as error:
                outcome.dependent_failures.append((dependent, _ml_failure(error)))
                continue
            run_start = time.perf_counter()
            new_dependent, error = run_module(session, dependent, unit)
            if error is not None:
                outcome.dependent_failures.append((dependent, _ml_failure(error)))
                continue
            registry.note_dependent_reload(dependent, time.perf_counter() - run_start,
                                           traced=tracemalloc.is_tracing())
            loaded[dependent] = new_dependent
            previous_objects.append(old_dependent)
            outcome.rebound += [b for b in rebind(session, dependent, old_dependent,
                                                  new_dependent) if b not in outcome.rebound]
            outcome.dependents.append((dependent, "ml"))
            if done is not None:
                done.add(dependent)
    outcome.stale = stale_names(session, previous_objects, previous_python)
    outcome.seconds = time.perf_counter() - start
    return outcome


def run_module(session: "MLREPLSession", name: str, unit: "Program"
               ) -> tuple[ModuleObject | None, MLError | None]:
    """Run an ML module's top level in a new namespace, as the session's import would
    (same builtins, module tables and grants); (module object, None) or (None, error)."""
    from mlpy.program import translate_error

    ml_session = session._session
    loaded, units, namespace = _ml_tables(session)
    units.update(unit.modules)
    units[name] = unit
    module_namespace = {
        "__builtins__": namespace["__builtins__"], "__ml_ns__": True,
        "__name__": f"mlpy._ml.{name}", "__ml_T": new_ticker(),
        "__ml_units__": units, "__ml_loaded__": loaded,
    }
    if "__ml_state__" in namespace:
        module_namespace["__ml_state__"] = namespace["__ml_state__"]
    engine = ml_session.engine
    state = engine._state(ml_session._grants, None, None, None, False)
    state.write_out = state.write_err = session.output
    error = None
    with ml_session.lock:
        token = CURRENT.set(state)
        state.enter(sys._getframe(), module_namespace)
        try:
            exec(unit.code, module_namespace)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - reported, the old version stays
            error = translate_error(exc, state.execution_id)
        finally:
            CURRENT.reset(token)
            state.base_frame = None
    if state.tripped is not None:
        error = translate_error(state.tripped, state.execution_id)
    if error is not None:
        return None, error
    return ModuleObject(name, {}, unit.description, live=module_namespace,
                        exports=unit.exports), None


def session_dependents(session: "MLREPLSession", name: str) -> list[str]:
    """The ML modules loaded in the session that import ``name``, directly or through
    other modules, in the order to run them (a module after those it imports)."""
    units = session_units(session)
    memo: dict[str, bool] = {}

    def depends(module: str, trail: frozenset[str]) -> bool:
        if module in memo:
            return memo[module]
        unit = units.get(module)
        found = False
        if unit is not None and module not in trail:
            found = name in unit.imports or any(
                depends(other, trail | {module}) for other in unit.imports if other in units)
        memo[module] = found
        return found

    affected = {m for m in units if m != name and depends(m, frozenset())}
    order: list[str] = []

    def visit(module: str) -> None:
        if module in order:
            return
        for other in units[module].imports:
            if other in affected and other not in order:
                visit(other)
        order.append(module)
    for module in sorted(affected):
        visit(module)
    return order


def rebind(session: "MLREPLSession", name: str, old: Any, new: Any) -> list[str]:
    """Store ``new`` in every import-table binding that still holds ``old`` (a name the
    user bound to something else is left alone); packages (``import a.b;``) are rebuilt
    along the path to the module. The names rebound."""
    if old is None or new is None:
        return []
    namespace = session._session._namespace
    rebound = []
    for binding in list(session.imports):
        key = py_name(binding)
        value = namespace.get(key)
        if value is old:
            namespace[key] = new
            rebound.append(binding)
        elif value.__class__ is ModuleObject and value._ml_package \
                and name.startswith(binding + "."):
            replaced = _replace_in_package(value, name.split(".")[1:], old, new)
            if replaced is not None:
                namespace[key] = replaced
                rebound.append(binding)
    return rebound


_INTERNAL = ("_ml_name", "_ml_description", "_ml_live", "_ml_exports", "_ml_package")


def _replace_in_package(package: ModuleObject, path: list[str], old: Any,
                        new: Any) -> ModuleObject | None:
    """A copy of ``package`` with ``old`` at ``path`` replaced by ``new`` (None when the
    package does not hold ``old`` there)."""
    members = {k: v for k, v in vars(package).items() if k not in _INTERNAL}
    head = members.get(path[0])
    if len(path) == 1:
        if head is not old:
            return None
        members[path[0]] = new
    else:
        if head.__class__ is not ModuleObject:
            return None
        inner = _replace_in_package(head, path[1:], old, new)
        if inner is None:
            return None
        members[path[0]] = inner
    return ModuleObject(package._ml_name, members, package._ml_description,
                        package=package._ml_package)


def stale_names(session: "MLREPLSession", previous: list[Any],
                previous_python: Any = None) -> list[str]:
    """Session variables (top level, and one level into arrays and objects) holding
    objects of a replaced version: the old module itself, instances of its classes, its
    functions and bound methods."""
    modules = [p for p in previous if p is not None]
    old_ids = {id(p) for p in modules}
    namespaces = [id(p._ml_live) for p in modules if p._ml_live is not None]
    python_name = getattr(previous_python, "__name__", None)

    def is_stale(value: Any) -> bool:
        if id(value) in old_ids:
            return True
        if value.__class__ is HostObject:
            value = value._value
        if value.__class__ is GuardedFunction:
            value = value._fn
        owner = getattr(value, "__self__", None)
        if owner is not None and python_name and type(owner).__module__ == python_name:
            return True
        globals_ = getattr(value, "__globals__", None)
        if globals_ is not None and (id(globals_) in namespaces or (
                python_name and globals_.get("__name__") == python_name)):
            return True
        return bool(python_name) and type(value).__module__ == python_name

    found = []
    for name, value in session.variables():
        if is_stale(value):
            found.append(name)
        elif isinstance(value, (list, tuple)) and any(is_stale(v) for v in value[:10000]):
            found.append(name)
        elif isinstance(value, dict) and any(is_stale(v) for v in list(value.values())[:10000]):
            found.append(name)
    return found


def _ml_failure(error: Any) -> str:
    if isinstance(error, MLError):
        line = error.span.line if error.span else None
        where = f" at {Path(error.file).name}:{line}" if error.file and line else ""
        return f"{type(error).__name__}{where}: {error.message}"
    if isinstance(error, ImportProblem):
        return f"{error.code}: {error.message}"
    return str(error)


def describe_outcome(outcome: Outcome, verbose: bool = False) -> str:
    if not outcome.ok:
        text = (f"Reload of {outcome.name} failed — previous version still active:\n"
                f" {outcome.error}")
        if verbose and outcome.file and outcome.line:  # dev mode: the line itself
            try:
                lines = Path(outcome.file).read_text(encoding="utf-8").splitlines()
                text += f"\n  {outcome.line:>4} | {lines[outcome.line - 1].rstrip()}"
            except (OSError, UnicodeDecodeError, IndexError):
                pass
        return text
    if not outcome.loaded:
        return (f"{outcome.name} is not loaded; its description was refreshed (it will "
                "load on next import).")
    rebound = f"; rebound: {', '.join(outcome.rebound)}" if outcome.rebound else ""
    lines = [f"Reloaded {outcome.name} ({outcome.kind}) in {outcome.seconds * 1e3:.1f} ms"
             f"{rebound}"]
    if outcome.dependents:
        lines.append("  also reloaded dependents: " +
                     ", ".join(f"{n} ({k})" for n, k in outcome.dependents))
    for dependent, why in outcome.dependent_failures:
        lines.append(f"  dependent {dependent} failed to reload (previous version kept): "
                     f"{why}")
    if outcome.stale:
        count = len(outcome.stale)
        lines.append(f"  note: {count} variable{'s' if count != 1 else ''} still hold"
                     f"{'' if count != 1 else 's'} objects created by the previous version: "
                     f"{', '.join(outcome.stale)}")
    return "\n".join(lines)


def _reload_checked(session: "MLREPLSession", name: str, **options: Any) -> Outcome:
    try:
        return reload_module(session, name, **options)
    except ImportProblem:
        raise CommandError(_unknown(session, name)) from None
    except ModuleLoadError as error:
        raise CommandError(error.message) from None


def _unknown(session: "MLREPLSession", name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, session.registry.available(), 1)
    return f"no module named '{name}'." + (f" Did you mean: {close[0]}?" if close else "")


def loaded_in_order(session: "MLREPLSession") -> list[str]:
    """The session's loaded modules except builtin, dependencies before dependents:
    standard library and extensions first, then ML modules in import order."""
    python = [n for n in session.registry.loaded_names()]
    units = session_units(session)
    order: list[str] = []

    def visit(module: str) -> None:
        if module in order:
            return
        for other in units[module].imports:
            if other in units:
                visit(other)
        order.append(module)
    for module in sorted(units):
        visit(module)
    return python + order


# ----------------------------------------------------------------------------- commands


@command("devmode", "Development", ".devmode [on|off]", "Toggle development mode",
         "Development mode prints a line for each module load and reload, warns about "
         "slow operations (over the .perfmon threshold, 100 ms by default) and traces "
         "memory allocations so .memreport can attribute them (tracing costs time). "
         "Without an argument it toggles. The development commands work either way.",
         ".devmode on")
def devmode_command(session, args):
    if args and args[0].lower() not in ("on", "off"):
        raise CommandError(f"expected 'on' or 'off', not '{args[0]}'")
    on = (args[0].lower() == "on") if args else not session.dev_mode
    set_dev_mode(session, on)
    if on:
        return (f"Development mode on: reload/watch notices, slow-operation warnings "
                f"(>{slow_ms(session):g} ms), memory tracing.")
    return "Development mode off."


@command("reload", "Development", ".reload NAME...", "Hot-reload modules without restarting",
         "Loads each named module again from its file: names bound by import get the new "
         "version, ML modules that import it run again, and the very next input uses the new "
         "code. A reload that fails keeps the previous version working and says why. "
         "__ml_reload__(self, previous) on a bridge class can carry state over.",
         ".reload payments", min_args=1)
def reload_command(session, args):
    outcomes = [_reload_checked(session, name) for name in dict.fromkeys(args)]
    return "\n".join(describe_outcome(outcome, session.dev_mode) for outcome in outcomes)


@command("reloadall", "Development", ".reloadall", "Reload every loaded module",
         "Reloads every loaded module except builtin, dependencies before dependents, and "
         "prints one line per module.", ".reloadall")
def reloadall_command(session, args):
    names = loaded_in_order(session)
    if not names:
        return "No loaded modules to reload."
    start = time.perf_counter()
    done: set[str] = set()
    rows = []
    for name in names:
        if name in done:
            continue
        outcome = _reload_checked(session, name, done=done)
        rows.append(outcome)
        done.add(name)
    total = (time.perf_counter() - start) * 1e3
    ok = sum(1 for o in rows if o.ok) + sum(len(o.dependents) for o in rows)
    count = len(rows) + sum(len(o.dependents) for o in rows)
    width = max(len(name) for name in names)
    lines = [f"Reloaded {ok} of {count} modules in {total:.1f} ms"]
    for outcome in rows:
        if outcome.ok:
            lines.append(f"  ok    {outcome.name:<{width}}  {outcome.seconds * 1e3:.1f} ms")
            for dependent, _ in outcome.dependents:
                lines.append(f"  ok    {dependent:<{width}}  (dependent of {outcome.name})")
        else:
            lines.append(f"  FAIL  {outcome.name:<{width}}  {outcome.error} "
                         "(previous version kept)")
    stale = sorted({n for o in rows for n in o.stale})
    if stale:
        lines.append(f"  note: still holding objects of previous versions: {', '.join(stale)}")
    return "\n".join(lines)


@command("refresh", "Development", ".refresh", "Rescan paths; reload changed modules",
         "Re-indexes the extension directories and ML module roots and reloads only the "
         "loaded modules whose content changed (compared by hash, not by timestamp).",
         ".refresh")
def refresh_command(session, args):
    registry = session.registry
    units = session_units(session)
    before = set(registry.available())
    start = time.perf_counter()
    report = registry.refresh(units)
    lines = []
    changed_lines = []
    done: set[str] = set()
    for result in report.reloads:
        if result.name in done:
            continue
        if not result.ok:
            changed_lines.append(f"  changed:  {result.name} — reload FAILED (previous "
                                 f"version kept): {result.error}")
            continue
        outcome = _apply_registry_result(session, result, done)
        if outcome.ok:
            extra = f"; rebound: {', '.join(outcome.rebound)}" if outcome.rebound else ""
            deps = (f"; dependents: {', '.join(n for n, _ in outcome.dependents)}"
                    if outcome.dependents else "")
            changed_lines.append(f"  changed:  {result.name} — reloaded in "
                                 f"{(result.seconds + outcome.seconds) * 1e3:.1f} ms"
                                 f"{extra}{deps}")
        else:
            changed_lines.append(f"  changed:  {result.name} — reload FAILED (previous "
                                 f"version kept): {outcome.error}")
    elapsed = (time.perf_counter() - start) * 1e3
    after = set(registry.available())
    new = sorted(after - before)
    removed = sorted(before - after)
    lines.append(f"Rescanned {report.paths} path{'s' if report.paths != 1 else ''} in "
                 f"{elapsed:.1f} ms: {len(after)} modules ({len(new)} new, "
                 f"{len(removed)} removed)")
    if new:
        lines.append(f"  new:      {', '.join(new)}")
    if removed:
        lines.append(f"  removed:  {', '.join(removed)}")
    lines += changed_lines
    if not report.changed:
        lines.append("  changed:  none")
    lines.append(f"  problems: {len(report.problems)}")
    lines += [f"    {p}" for p in report.problems]
    return "\n".join(lines)


def _apply_registry_result(session: "MLREPLSession", result: Any, done: set[str]) -> Outcome:
    """Make the session use a version the registry already reloaded (``.refresh``)."""
    loaded, _, _ = _ml_tables(session)
    start = time.perf_counter()
    previous, previous_python = [], None
    name = result.name
    if result.kind == "ml":
        if name not in loaded:
            return Outcome(name, "ml", True, 0.0, loaded=False)
        old = loaded[name]
        new, error = run_module(session, name, result.unit)
        if error is not None:
            message = _ml_failure(error)
            session.registry.note_reload_failure(name, "ml", message)
            return Outcome(name, "ml", False, time.perf_counter() - start, message)
        session.registry.note_ml_run(name, time.perf_counter() - start, reload=True,
                                     traced=tracemalloc.is_tracing())
        loaded[name] = new
    else:
        old, new, previous_python = result.previous, result.module, result.previous_python
        if new is None:
            return Outcome(name, result.kind, True, 0.0, loaded=False)
    previous.append(old)
    outcome = Outcome(name, result.kind, True, 0.0)
    outcome.rebound = rebind(session, name, old, new)
    done.add(name)
    for dependent in session_dependents(session, name):
        if dependent in done:
            continue
        try:
            unit = session.registry.ml_unit(dependent)
        except (MLError, ImportProblem) as error:
            outcome.dependent_failures.append((dependent, _ml_failure(error)))
            continue
        old_dependent = loaded.get(dependent)
        run_start = time.perf_counter()
        new_dependent, error = run_module(session, dependent, unit)
        if error is not None:
            outcome.dependent_failures.append((dependent, _ml_failure(error)))
            continue
        session.registry.note_dependent_reload(dependent, time.perf_counter() - run_start,
                                               traced=tracemalloc.is_tracing())
        loaded[dependent] = new_dependent
        previous.append(old_dependent)
        outcome.rebound += rebind(session, dependent, old_dependent, new_dependent)
        outcome.dependents.append((dependent, "ml"))
        done.add(dependent)
    outcome.stale = stale_names(session, previous, previous_python)
    outcome.seconds = time.perf_counter() - start
    return outcome


# ----------------------------------------------------------------------------- perfmon


def _ms(seconds: float | None, flag_over: float | None = None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    mark = " !" if flag_over is not None and ms > flag_over else ""
    return f"{ms:.1f} ms{mark}"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def perf_report(session: "MLREPLSession") -> str:
    registry = session.registry
    stats = registry.stats()
    threshold = slow_ms(session)
    elapsed = int(time.time() - session.started)
    clock = f"{elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}"
    lines = [f"Performance — session {clock}, dev mode {'on' if session.dev_mode else 'off'}, "
             f"slow threshold {threshold:g} ms"]
    if stats.scans:
        lines.append(
            f"Discovery: {stats.scans} scan{'s' if stats.scans != 1 else ''} (last "
            f"{_ms(stats.scan_last)}, avg {_ms(stats.scan_avg)}), {stats.files} files, "
            f"{stats.files_cached} from cache; {stats.describes} describe"
            f"{'s' if stats.describes != 1 else ''} ({_ms(stats.describe_total)} total)")
    else:
        lines.append("Discovery: none yet")
    rows = [m for m in stats.modules.values()
            if m.load is not None or m.reloads or m.compile is not None or m.last_failure]
    if rows:
        width = max(len(m.name) for m in rows)
        lines.append(f"Modules:  {'':<{width}}{'':<10} {'describe':>10} {'load':>12} "
                     f"{'transpile':>12}  reloads (last)")
        order = {"stdlib": 0, "extension": 1, "ml": 2}
        for m in sorted(rows, key=lambda m: (order.get(m.kind, 9), m.name)):
            reloads = f"{m.reloads}" + (f" ({_ms(m.reload_last, threshold)})"
                                        if m.reloads else "")
            lines.append(f"  {m.name:<{width}}  {m.kind:<10}{_ms(m.describe):>10} "
                         f"{_ms(m.load, threshold):>12} {_ms(m.compile, threshold):>12}  "
                         f"{reloads}")
            if m.last_failure:
                lines.append(f"  {'':<{width}}  last failure: {m.last_failure}")
    else:
        lines.append("Modules: none yet")
    statements = list(session.__dict__.get("statements", ()))
    if statements:
        def phase(key: str) -> list[float]:
            return [s[key] for s in statements if s.get(key) is not None]
        parse, compile_, run, total = (phase(k) for k in ("parse", "compile", "run", "total"))
        lines.append(
            f"Statements: {len(statements)} — p50 parse {_percentile(parse, .5) * 1e3:.1f} / "
            f"compile {_percentile(compile_, .5) * 1e3:.1f} / run "
            f"{_percentile(run, .5) * 1e3:.1f} ms; p95 total "
            f"{_percentile(total, .95) * 1e3:.1f} ms")
        slowest = sorted(statements, key=lambda s: -s["total"])[:5]
        lines.append("Slowest:")
        for entry in slowest:
            text = " ".join(entry["text"].split())
            text = text if len(text) <= 40 else text[:39] + "…"
            mark = " !" if entry["total"] * 1e3 > threshold else ""
            lines.append(f"  {entry['total'] * 1e3:>7.1f} ms{mark}  {text}")
    else:
        lines.append("Statements: none yet")
    if stats.reload_failures:
        lines.append(f"Reload failures: {stats.reload_failures}")
    return "\n".join(lines)


@command("perfmon", "Development", ".perfmon [reset|threshold MS]", "Show timings",
         "Shows measured timings: index scans, each module's describe, load, transpile and "
         "reload times, and statement timings (p50/p95, slowest inputs). '!' marks values "
         "over the slow threshold. 'reset' clears the counters; 'threshold MS' sets the "
         "slow threshold for this session.", ".perfmon threshold 50")
def perfmon_command(session, args):
    if not args:
        return perf_report(session)
    word = args[0].lower()
    if word == "reset":
        if len(args) > 1:
            raise CommandError("'.perfmon reset' takes no more arguments")
        session.registry.reset_stats()
        statements = session.__dict__.get("statements")
        if statements is not None:
            statements.clear()
        return "Performance counters cleared."
    if word == "threshold":
        if len(args) != 2:
            raise CommandError("usage: .perfmon threshold MS")
        try:
            value = float(args[1])
        except ValueError:
            raise CommandError(f"'{args[1]}' is not a number of milliseconds") from None
        if not value > 0 or value != value or value == float("inf"):
            raise CommandError("the threshold must be a positive number of milliseconds")
        dev_state(session).slow_ms = value
        return f"Slow threshold: {value:g} ms."
    raise CommandError(f"unknown argument '{args[0]}' (.perfmon [reset|threshold MS])")


# ----------------------------------------------------------------------------- memreport


def ml_footprints(session: "MLREPLSession") -> list[Footprint]:
    loaded, units, _ = _ml_tables(session)
    stats = session.registry.stats().modules
    found = []
    for name, module in loaded.items():
        namespace = module._ml_live or {}
        unit = units.get(name)
        roots = tuple(v for k, v in namespace.items()
                      if not k.startswith("__") and v.__class__ is not ModuleObject)
        entry = stats.get(name)
        found.append(Footprint(
            name, "ml", roots=roots,
            files=(unit.code.co_filename,) if unit is not None else (),
            traced=bool(entry and entry.traced), own_modules=(f"mlpy._ml.{name}",),
            exclude=tuple(v for k, v in namespace.items() if k.startswith("__"))
            + tuple(loaded.values()) + (namespace,)))
    return found


def memory_report(session: "MLREPLSession", top: int = 10) -> str:
    from mlpy.modules.memory import build_report

    registry = session.registry
    footprints = ml_footprints(session)
    report = registry.memory_report(top=10 ** 6, extra=footprints)  # all: N is cut below
    variables = build_report([], 0, session.variables()).variables
    state = session.__dict__.get("_dev")
    rss = f"process RSS {human(report.rss)}" if report.rss is not None else \
        "process RSS unknown"
    if report.tracing:
        since = state.tracing_since if state is not None and state.tracing_since else None
        when = f" since {time.strftime('%H:%M:%S', time.localtime(since))}" if since else ""
        tracing = f"allocation tracing on{when}"
    else:
        tracing = "allocation tracing off (.devmode on traces later loads)"
    lines = [f"Memory — {rss}; {tracing}"]
    modules = report.modules[:top]
    if not report.modules:
        lines.append("No modules loaded.")
    else:
        width = max(len(m.name) for m in modules)
        lines.append(f"Modules (top {top} of {len(report.modules)}):")
        for m in modules:
            how = m.method + (f" ({m.note})" if m.note else "")
            lines.append(f"  {m.name:<{width}}  {m.kind:<10} {human(m.size, m.complete):>11}"
                         f"    {how}")
    if variables:
        width = max(len(v.name) for v in variables)
        shape_width = max(len(v.shape) for v in variables)
        lines.append(f"Session variables (top {len(variables)}):")
        lines += [f"  {v.name:<{width}}  {v.shape:<{shape_width}}  "
                  f"{human(v.size, v.complete):>11}" for v in variables]
    return "\n".join(lines)


@command("memreport", "Development", ".memreport [N]", "Show memory per module",
         "Shows process memory, the N largest loaded modules (10 by default) and the five "
         "largest session variables. Modules loaded while allocation tracing was on "
         "(.devmode on) are measured from the traced allocations of their files; others are "
         "estimated from the objects they hold. Never loads a module.", ".memreport 5")
def memreport_command(session, args):
    top = 10
    if args:
        if not args[0].isdigit() or int(args[0]) < 1:
            raise CommandError(f"'{args[0]}' is not a positive number (.memreport [N])")
        top = int(args[0])
    return memory_report(session, top)


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


def _watch(session: "MLREPLSession", name: str) -> list[str]:
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
        session.__dict__.setdefault("_watch_requests", queue.Queue())
        state.watcher = Watcher(session.__dict__["_watch_requests"],
                                force_polling=bool(session.__dict__.get("_force_polling")))
    state.watcher.set_files(f for files in state.watched.values() for f in files)


def _close(session: "MLREPLSession") -> None:
    """The session ends: stop its watcher, and the allocation tracing it started."""
    stop_watching(session)
    state = session.__dict__.get("_dev")
    if state is not None and state.started_tracing:
        tracemalloc.stop()
        state.started_tracing = False
    if state is not None:
        state.unsubscribe()


def stop_watching(session: "MLREPLSession") -> None:
    state = session.__dict__.get("_dev")
    if state is None:
        return
    state.watched.clear()
    state.watch_all = False
    watcher, state.watcher = state.watcher, None
    if watcher is not None:
        watcher.stop()


def apply_pending_reloads(session: "MLREPLSession") -> list[str]:
    """Apply the reloads the watcher queued; the notification lines."""
    requests: queue.Queue | None = session.__dict__.get("_watch_requests")
    state = session.__dict__.get("_dev")
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
    return name in session.registry.loaded_names() or name in _ml_tables(session)[0]


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
            raise CommandError(_unknown(session, name))
    for name in names:
        files = _watch(session, name)
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


# ----------------------------------------------------------------------------- timings


def module_timings(session: "MLREPLSession", name: str) -> str:
    """``Load: 4.2 ms   Reloads: 1 (last 3.9 ms)`` for ``.modinfo``."""
    entry = session.registry.stats().modules.get(name)
    if entry is None:
        return ""
    parts = []
    if entry.describe is not None:
        parts.append(f"Describe: {entry.describe * 1e3:.1f} ms")
    if entry.compile is not None:
        parts.append(f"Transpile: {entry.compile * 1e3:.1f} ms")
    if entry.load is not None:
        parts.append(f"Load: {entry.load * 1e3:.1f} ms")
    if entry.reloads:
        parts.append(f"Reloads: {entry.reloads} (last {entry.reload_last * 1e3:.1f} ms, "
                     f"avg {entry.reload_avg * 1e3:.1f} ms)")
    if entry.last_failure:
        parts.append(f"Last failure: {entry.last_failure}")
    return "   ".join(parts)


def record_statement(session: "MLREPLSession", text: str, timings: dict[str, Any],
                     program: Any) -> None:
    """Keep the phases of one input (the last 1000) and warn about a slow one in dev
    mode."""
    statements = session.__dict__.get("statements")
    if statements is None:
        statements = session.__dict__["statements"] = deque(maxlen=1000)
    entry: dict[str, Any] = {"text": text, "total": timings.get("total", 0.0),
                             "run": timings.get("run")}
    if program is not None and "run" in timings:
        phases = program.timings
        entry["parse"] = phases.get("parse")
        entry["compile"] = sum(phases.get(k, 0.0) for k in ("analyze", "generate", "compile"))
    statements.append(entry)
    if session.dev_mode and entry["total"] * 1e3 > slow_ms(session):
        first = " ".join(text.split())
        first = first if len(first) <= 40 else first[:39] + "…"
        session.output(f"[slow] statement {entry['total'] * 1e3:.1f} ms: {first}\n")
