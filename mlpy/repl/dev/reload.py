"""Hot reload: ``.reload``, ``.reloadall`` and ``.refresh``."""

from __future__ import annotations

import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpy.errors import MLError, ModuleLoadError
from mlpy.language.checks import module_var
from mlpy.language.codegen.names import py_name
from mlpy.modules.sources import ImportProblem
from mlpy.repl.commands import CommandError, CommandFailed, command
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.state import CURRENT
from mlpy.runtime.values import HostObject, ModuleObject

if TYPE_CHECKING:
    from mlpy.program import Program
    from mlpy.repl.session import MLREPLSession


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


def ml_tables(session: "MLREPLSession") -> tuple[dict[str, Any], dict[str, Any], dict]:
    namespace = session._session._namespace
    return (namespace.setdefault("__ml_loaded__", {}),
            namespace.setdefault("__ml_units__", {}), namespace)


def session_units(session: "MLREPLSession") -> dict[str, "Program"]:
    """The compiled unit each ML module loaded in the session runs."""
    loaded, units, _ = ml_tables(session)
    return {name: units[name] for name in loaded if name in units}


def reload_module(session: "MLREPLSession", name: str, *, dependents: bool = True,
                  done: set[str] | None = None) -> Outcome:
    """Reload ``name`` in the session (B8): registry reload, run an ML module's top level
    again, rebind the import table, run dependents again, and find stale objects. Raise
    ImportProblem for an unknown module, ModuleLoadError for ``builtin``."""
    registry = session.registry
    start = time.perf_counter()
    loaded, units, namespace = ml_tables(session)
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
    loaded, units, namespace = ml_tables(session)
    units.update(unit.modules)
    units[name] = unit
    module_namespace = {
        "__builtins__": namespace["__builtins__"], "__ml_ns__": True,
        "__name__": f"mlpy._ml.{name}", "__ml_home__": namespace.get("__ml_home__"),
        "__ml_units__": units, "__ml_loaded__": loaded,
    }
    engine = ml_session.engine
    state = engine._state(ml_session._grants, None, None, None, False)
    state.write_out = state.write_err = session.output
    state.home = module_namespace["__ml_home__"]
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
            state.park()
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
    if namespace.get(module_var(name)) is old and new._ml_live is None:
        namespace[module_var(name)] = new  # what its import now binds (a Python module)
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
        from mlpy.repl.session import error_kind  # the session builds on these commands

        line = error.span.line if error.span else None
        where = f" at {Path(error.file).name}:{line}" if error.file and line else ""
        return f"{error_kind(error)}{where}: {error.message}"
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
        raise CommandError(unknown_module(session, name)) from None
    except ModuleLoadError as error:
        raise CommandError(error.message) from None


def unknown_module(session: "MLREPLSession", name: str) -> str:
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


@command("reload", "Development", ".reload NAME...", "Hot-reload modules without restarting",
         "Loads each named module again from its file: names bound by import get the new "
         "version, ML modules that import it run again, and the very next input uses the new "
         "code. A reload that fails keeps the previous version working and says why. "
         "__ml_reload__(self, previous) on a bridge class can carry state over.",
         ".reload payments", min_args=1)
def reload_command(session, args):
    outcomes = [_reload_checked(session, name) for name in dict.fromkeys(args)]
    text = "\n".join(describe_outcome(outcome, session.dev_mode) for outcome in outcomes)
    if not all(outcome.ok for outcome in outcomes):
        raise CommandFailed(text)  # the previous versions stay active
    return text


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
    if not all(outcome.ok for outcome in rows):
        raise CommandFailed("\n".join(lines))
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
    loaded, _, _ = ml_tables(session)
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
