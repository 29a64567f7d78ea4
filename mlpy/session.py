"""Session: one ML namespace that many chunks of code run in, one after another.

Running chunks one after another behaves exactly like running their concatenation: later
chunks see the names, functions and imports of earlier ones. A chunk costs the same however
many names the session holds: the session keeps its table of known names and imports up to
date instead of listing its namespace for each chunk.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from mlpy.engine import _IDENTIFIER, CapabilitySpec, Engine, ExecutionResult, _marshal_in
from mlpy.errors import MLCallError, MLError
from mlpy.function import MLFunction, is_ml_function
from mlpy.language.checks import module_var
from mlpy.language.codegen import LAST, py_name
from mlpy.observability import events
from mlpy.program import Program, new_namespace, user_names
from mlpy.runtime import ops
from mlpy.runtime.capabilities import Capability, CapabilitySet
from mlpy.runtime.state import Home

class Session:
    """One ML namespace across many executions (and the host's calls into it).

    Running chunks one after another behaves exactly like running their concatenation:
    functions see, and may assign with ``nonlocal``, the top-level names of earlier chunks.
    Work on a session is serialised by ``lock``; use several sessions for parallelism.
    """

    def __init__(self, engine: Engine, variables: Mapping[str, Any] | None = None, *,
                 capabilities: CapabilitySpec | None = None, name: str | None = None):
        self.engine = engine
        self.name = name or "session"
        self.lock = threading.RLock()
        self._grants = engine.resolve_capabilities(capabilities)
        # What the session's functions run under when the host calls them.
        self._home = Home(self._grants, timeout=engine.timeout, max_steps=engine.max_steps,
                          max_depth=engine.max_depth, max_output=engine.max_output,
                          max_memory=engine.max_memory, registry=engine.registry,
                          audit=engine.audit)
        self._namespace = self._new_namespace()
        self._def_only: set[str] = set()
        self._chunks = 0
        self.last_program: Program | None = None  # the chunk compiled last
        self._imports: list[tuple[str, str, bool]] = []  # see _remember_imports
        self._programs: list[Program] = []  # chunks that define functions
        # The top-level names chunks may use: kept up to date instead of listed per chunk.
        if variables:
            self._namespace.update(_marshal_in(variables))
        # The top-level names chunks may use: kept up to date instead of listed per chunk.
        self._known: dict[str, None] = dict.fromkeys(user_names(self._namespace))
        if events.ACTIVE:
            events.session_opened(self)

    def _new_namespace(self) -> dict[str, Any]:
        return new_namespace(self.engine._builtins, self._home)

    @property
    def capabilities(self) -> CapabilitySet:
        """The session's grants (change them with :meth:`grant` and :meth:`revoke`)."""
        return self._grants

    def grant(self, *capabilities: str | Capability) -> None:
        """Add grants; they apply from the next call into the session on."""
        added = CapabilitySet.parse(capabilities)
        with self.lock:
            self._set_grants(self.engine.resolve_capabilities(self._grants.union(added)))
        for capability in added:
            self.engine.audit.record("grant", requirement=str(capability), session=self.name)

    def revoke(self, *capabilities: str | Capability) -> None:
        """Remove grants: ``"file.read"`` removes every ``file.read`` grant, a scoped text
        only that grant. Immediate, also for functions the host already holds."""
        with self.lock:
            self._set_grants(self._grants.without(*capabilities))
        for capability in capabilities:
            self.engine.audit.record("revoke", requirement=str(capability), session=self.name)

    def _set_grants(self, grants: CapabilitySet) -> None:
        self._grants = grants
        self._home.capabilities = grants

    def exec(self, source: str | Program, *, filename: str | None = None,
             timeout: float | None = None, max_steps: int | None = None,
             capture_output: bool = False, execution_id: str | None = None,
             result_name: str | None = "result",
             output: Callable[[str], Any] | None = None) -> ExecutionResult:
        """Run a chunk in this session's namespace (``Engine.cancel(execution_id)`` stops
        it); the limits default to the engine's. The result's value is the chunk's
        ``result_name`` variable if it assigns one, else the value of its final expression
        statement (``result_name=None``: only the latter). ``output`` receives what the
        chunk prints, as it prints it."""
        if not events.ACTIVE:
            return self._exec(source, filename, timeout, max_steps, capture_output,
                              execution_id, result_name, output)
        run = events.execution_started(
            "session", execution_id=execution_id, capabilities=self._grants,
            timeout=self.engine.timeout if timeout is None else timeout,
            code_length=len(source) if isinstance(source, str) else None)
        result = None
        try:
            result = self._exec(source, filename, timeout, max_steps, capture_output,
                                execution_id, result_name, output)
            return result
        finally:
            run.end(result)

    def _exec(self, source: str | Program, filename: str | None, timeout: float | None,
              max_steps: int | None, capture_output: bool, execution_id: str | None,
              result_name: str | None, output: Callable[[str], Any] | None
              ) -> ExecutionResult:
        with self.lock:
            self._chunks += 1
            if isinstance(source, Program):
                # Compiled on its own, it took names that only it binds as proven (modules,
                # functions it may call natively); here other chunks and the host bind them.
                filename = filename or source.filename
                source = source.source
            filename = filename or f"<{self.name}:{self._chunks}>"
            try:
                program, _ = self.engine._program(source, filename, self._known,
                                                  self._def_only, session=True,
                                                  prior_imports=self._imports)
            except MLError as error:
                captured = "" if capture_output else None
                return ExecutionResult(False, error=error, stdout=captured, stderr=captured)
            self.last_program = program
            if "function" in program.source or "=>" in program.source:
                # Functions it defines may fail later: their positions are found through
                # the program, which the engine's cache does not keep for session chunks.
                self._programs.append(program)
            state = self.engine._state(self._grants, timeout, max_steps, execution_id,
                                       capture_output)
            state.home = self._home
            if output is not None and not capture_output:
                state.write_out = state.write_err = output
            result = self.engine._run(program, self._namespace, state, result_name or LAST,
                                      live=True)
            self._def_only = (self._def_only - set(program.globals_defined)) | set(
                program.def_only)
            self._remember_imports(program)
            self._known.update(dict.fromkeys(program.globals_defined))
            for _, module, package in program.import_bindings:
                # Bound only by an import of a Python module that ran: later chunks may
                # use the module natively while a name still holds that very object.
                if not package and module_var(module) in self._namespace:
                    self._known[module_var(module)] = None
            return result

    def _remember_imports(self, program: Program) -> None:
        """The import table later chunks are checked against: a name the chunk bound by
        import now holds that module (a package keeps the modules earlier chunks imported
        under it); any other name it bound no longer holds one."""
        imported = {binding[0] for binding in program.import_bindings}
        rebound = set(program.globals_defined) - imported
        table = [entry for entry in self._imports if entry[0] not in rebound]
        for entry in program.import_bindings:
            name, _, package = entry
            table = [e for e in table if e[0] != name or (package and e[2] and e != entry)]
            table.append(entry)
        self._imports = table

    def eval(self, expression: str, *, timeout: float | None = None) -> Any:
        """The value of one ML expression; raise MLError on failure."""
        return self.exec(expression.rstrip().rstrip(";") + ";", timeout=timeout).unwrap()

    def call(self, name: str, /, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        return self.function(name, timeout=timeout)(*args, **kwargs)

    def function(self, name: str, *, bind: str = "late", timeout: float | None = None) -> "MLFunction":
        """The ML function ``name`` as a Python callable, running under the session's
        grants and the engine's limits (``timeout`` replaces the engine's)."""
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise MLCallError(f"{name!r} is not a valid ML function name")
        with self.lock:
            fn = self._namespace.get(py_name(name))
        if not is_ml_function(fn):
            raise MLCallError(f"'{name}' is not an ML function in this session")
        return MLFunction(fn if bind == "early" else None, session=self, name=name,
                          timeout=timeout)

    def get(self, name: str, default: Any = None) -> Any:
        return ops.release(self._namespace.get(py_name(name), default))

    def set(self, name: str, value: Any, *, allow_shadow: bool = False) -> None:
        """Bind a host value to a top-level name (a builtin's name needs ``allow_shadow``)."""
        with self.lock:
            self._namespace.update(_marshal_in({name: value}, allow_shadow))
            self._def_only.discard(name)
            self._imports = [entry for entry in self._imports if entry[0] != name]
            self._known[name] = None

    def __contains__(self, name: str) -> bool:
        return py_name(name) in self._namespace

    def names(self) -> list[str]:
        return sorted(user_names(self._namespace))

    def snapshot(self) -> dict[str, Any]:
        return {k: v for k, v in user_names(self._namespace).items()
                if not callable(v)}

    def checkpoint(self) -> "Checkpoint":
        """The session as it is now, for :meth:`rollback`: its names and values (arrays and
        objects copied, so that later changes inside them are undone too), its grants and
        what its chunks imported and defined."""
        with self.lock:
            return Checkpoint(_copy_data(self._namespace, {}), set(self._def_only),
                              dict(self._known), list(self._imports), list(self._programs),
                              self.last_program, self._grants)

    def rollback(self, checkpoint: "Checkpoint") -> None:
        """Return to ``checkpoint``: names bound since are gone, values changed since are
        back. The namespace is refilled in place, because the functions defined before
        the checkpoint keep it as their globals."""
        with self.lock:
            self._namespace.clear()
            self._namespace.update(_copy_data(checkpoint.namespace, {}))
            self._def_only = set(checkpoint.def_only)
            self._known = dict(checkpoint.known)
            self._imports = list(checkpoint.imports)
            self._programs = list(checkpoint.programs)
            self.last_program = checkpoint.last_program
            self._set_grants(checkpoint.grants)

    def reset(self) -> None:
        with self.lock:
            self._namespace = self._new_namespace()
            self._def_only.clear()
            self._imports = []
            self._known = {}
            self._programs = []

    def close(self) -> None:
        self.reset()
        if events.ACTIVE:
            events.session_closed(self)


@dataclass(frozen=True)
class Checkpoint:
    """A session's state as :meth:`Session.checkpoint` saw it."""

    namespace: dict[str, Any]
    def_only: set[str]
    known: dict[str, None]
    imports: list[tuple[str, str, bool]]
    programs: list[Program]
    last_program: Program | None
    grants: CapabilitySet


def _copy_data(value: Any, memo: dict[int, Any]) -> Any:
    """``value`` with its arrays and objects (lists and dicts) copied, sharing and cycles
    kept; everything else -- numbers, strings, functions, modules, host objects -- as is."""
    cls = value.__class__
    if cls is not list and cls is not dict:
        return value
    copied = memo.get(id(value))
    if copied is None:
        copied = memo[id(value)] = cls()
        if cls is list:
            copied.extend(_copy_data(item, memo) for item in value)
        else:
            for key, item in value.items():
                copied[key] = _copy_data(item, memo)
    return copied
