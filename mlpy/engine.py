"""Running ML programs from Python: Engine and ExecutionResult.

An :class:`Engine` owns what executions share -- default grants, the module registry and a
cache of compiled programs -- and is safe to use from many threads. ``Engine.execute`` never
raises for a failing ML program: the failure is ``ExecutionResult.error``. A
:class:`~mlpy.session.Session` (in :mod:`mlpy.session`) keeps one namespace across
executions; :class:`~mlpy.function.MLFunction` (in :mod:`mlpy.function`) makes an ML
function a Python callable.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import reprlib
import sys
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from os import PathLike, fspath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from mlpy.config import engine_arguments, takes_config
from mlpy.errors import (
    CapabilityError, Diagnostic, MLCompileError, MLConfigurationError, MLError, MLMarshalError,
    MLResourceError,
)
from mlpy.function import MLFunction, call_from_host, is_ml_function
from mlpy.integers import int_text
from mlpy.language import ast as ml_ast
from mlpy.language.codegen import LAST, py_name
from mlpy.language.parser import cache_dir
from mlpy.marshal import to_wire
from mlpy.modules.registry import ModuleRegistry, paths_from_environment
from mlpy.observability import events
from mlpy.observability.logging import log_failure
from mlpy.program import (
    Program, TranspileResult, check_source, compile_program, fingerprint, new_namespace, runtime_builtins,
    transpile_source, translate_error, user_names,
)
from mlpy.runtime import ops
from mlpy.runtime.capabilities import (
    Capability, CapabilitySet, CapabilitySpec, as_capability_set, capability_items, rereadable,
)
from mlpy.runtime.gate import AuditLog
from mlpy.runtime.builtins import BUILTINS
from mlpy.runtime.state import (
    CURRENT, DEFAULT_MAX_DEPTH, ExecutionState, Home, inherited_capabilities,
)
from mlpy.runtime.values import ModuleObject

if TYPE_CHECKING:
    from mlpy.config import MLConfig
    from mlpy.aio.sessions import SessionPool
    from mlpy.session import Session
    from mlpy.sandbox import SandboxConfig, SandboxPool

_logger = logging.getLogger("mlpy.engine")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Words ML reserves: a variable with such a name could never be read.
RESERVED = frozenset(
    "capability import function return throw if elif else while for in try except finally "
    "break continue nonlocal fn true false null".split()
)

def _capability_set(spec: CapabilitySpec | None, profiles: Mapping[str, CapabilitySet],
                    deny: CapabilitySet) -> CapabilitySet:
    """``spec`` as a set (a ``"profile:<name>"`` string names one of ``profiles``), with the
    engine's denies added: they always win."""
    if isinstance(spec, str) and spec.startswith("profile:"):
        name = spec[len("profile:"):]
        try:
            spec = profiles[name]
        except KeyError:
            known = ", ".join(sorted(profiles)) or "none"
            raise MLConfigurationError(
                f"unknown capability profile {name!r} (profiles: {known})") from None
    granted = as_capability_set(spec)
    if all(d in granted.denies for d in deny.denies):
        return granted
    return granted.union(CapabilitySet(denies=deny.denies))


class _ShortRepr(reprlib.Repr):
    def repr_int(self, number: int, level: int) -> str:
        text = int_text(number)  # reprlib's own repr() stops at 4,300 digits
        return text if len(text) <= self.maxlong else f"{text[:18]}...{text[-19:]}"


_SHORT = _ShortRepr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 4, 60, 60


@dataclass(frozen=True, repr=False)
class ExecutionResult:
    """What one execution produced. ``execute`` returns it and never raises for ML errors."""

    ok: bool
    value: Any = None
    error: MLError | None = None
    globals: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    stdout: str | None = None
    stderr: str | None = None
    execution_id: str = ""
    timings: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    capabilities_used: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        # Short whatever the program built: a value may be huge or share itself many times.
        names = ", ".join(list(self.globals)[:8]) + (", ..." if len(self.globals) > 8 else "")
        return (f"ExecutionResult(ok={self.ok}, value={_SHORT.repr(self.value)}, "
                f"error={self.error!r}, globals=[{names}], "
                f"execution_id={self.execution_id!r})")

    def unwrap(self) -> Any:
        """The value, or raise the error."""
        self.raise_for_error()
        return self.value

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (values by the wire rules of :mod:`mlpy.marshal`)."""
        return {
            "ok": self.ok, "value": to_wire(self.value), "stdout": self.stdout,
            "stderr": self.stderr,
            "error": self.error.to_dict() if self.error else None,
            "execution_id": self.execution_id, "timings": dict(self.timings),
            "usage": dict(self.usage),
        }


class Engine:
    """Compiles and runs ML programs; owns the program cache, the modules and default grants.

    ``capabilities`` are the grants executions get when a call passes none and inherits none
    (a :func:`~mlpy.capability_scope` in force, or the execution of a host function making the
    call, gives its own: see :meth:`execution_capabilities`); ``deny``
    always wins, whatever a call grants; ``profiles`` name capability sets that calls select
    with ``capabilities="profile:<name>"``. ``timeout`` (seconds), ``max_steps``,
    ``max_depth`` (nested calls) and ``max_output`` (characters written) are the default
    limits. ``cache_size`` bounds the compiled-program cache (0 disables it). ``audit``
    records grants, revokes, denials and a sample of uses. ``extension_paths`` and
    ``ml_module_paths`` are the directories of extension modules and the roots of ML
    modules, searched before those of ``MLPY_EXTENSION_PATHS`` and ``MLPY_ML_MODULE_PATHS``;
    a ``registry`` given instead is used as it is (see the module-system page).

    ``config`` (an :class:`~mlpy.config.MLConfig`, or the path of a config file, loaded
    with :meth:`MLConfig.load <mlpy.config.MLConfig.load>`) supplies every argument not
    given explicitly (see the configuration page): an explicit argument wins, ``deny``
    adds to the config's, and ``extension_paths``/``ml_module_paths`` come before the
    config's directories. Without it the engine reads no file and no environment variable
    but the two module path variables.
    """

    @takes_config(engine_arguments)
    def __init__(
        self,
        config: MLConfig | str | PathLike[str] | None = None,
        *,
        capabilities: CapabilitySpec = (),
        deny: Iterable[str] = (),
        profiles: Mapping[str, CapabilitySpec] | None = None,
        timeout: float | None = None,
        max_steps: int | None = None,
        max_depth: int | None = DEFAULT_MAX_DEPTH,
        max_output: int | None = None,
        max_memory: int | None = None,
        cache_size: int = 512,
        registry: ModuleRegistry | None = None,
        extension_paths: Iterable[str | PathLike[str]] = (),
        ml_module_paths: Iterable[str | PathLike[str]] = (),
        audit: AuditLog | None = None,
        isolation: str = "inprocess",
        sandbox: "SandboxConfig | None" = None,
    ):
        self.config = config  # the MLConfig the settings came from (None: arguments only)
        self.profiles = {name: as_capability_set(spec) for name, spec in (profiles or {}).items()}
        if isinstance(deny, (tuple, list)) and not deny \
                and isinstance(capabilities, (tuple, list)) and not capabilities:
            self._deny, self.capabilities = _own_files()  # the common case, made once
        else:
            self._deny = CapabilitySet.parse(
                deny=[*_own_files()[0].denies, *capability_items(deny, "deny")])
            self.capabilities = self.resolve_capabilities(capabilities)
        self.timeout = timeout
        self.max_steps = max_steps
        self.max_depth = _positive("max_depth", max_depth)
        self.max_output = _positive("max_output", max_output)
        self.max_memory = _positive("max_memory", max_memory)
        self.audit = audit if audit is not None else AuditLog()
        self.isolation = _isolation(isolation)
        self.sandbox = sandbox
        self._pool: "SandboxPool | None" = None
        # Module directories: the ones given here, then the environment's.
        self.registry = registry or ModuleRegistry(
            [*extension_paths, *paths_from_environment("MLPY_EXTENSION_PATHS")],
            [*ml_module_paths, *paths_from_environment("MLPY_ML_MODULE_PATHS")])
        builtin_module = ModuleObject("builtin", dict(BUILTINS), "The ML builtin functions")
        self._builtins = runtime_builtins(self.registry.load, builtin_module, call_from_host)
        self._cache: OrderedDict[str, Program] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._running: dict[str, ExecutionState] = {}
        if events.ACTIVE:
            events.engine_created(self)

    def resolve_capabilities(self, spec: CapabilitySpec | None) -> CapabilitySet:
        """The set ``spec`` stands for on this engine (None: the engine's default)."""
        if spec is None:
            return self.capabilities
        return _capability_set(spec, self.profiles, self._deny)

    def execution_capabilities(self, spec: CapabilitySpec | None) -> CapabilitySet:
        """The set an execution given ``spec`` runs under: ``spec`` when given (host code is
        trusted: it replaces what the caller holds); else the caller's -- the grants of the
        execution running in this context, or of the host's capability scope -- and the
        engine's default only where neither is set. The engine's denies apply to all."""
        if spec is None:
            spec = inherited_capabilities()
        return self.resolve_capabilities(spec)

    # ------------------------------------------------------------------ compiling

    def compile(
        self,
        source: str | PathLike[str],
        *,
        filename: str | None = None,
        inputs: Iterable[str] = (),
    ) -> Program:
        """Compile ML source (or a path to a ``.ml`` file); raise MLCompileError on errors.

        ``inputs`` names the top-level variables the host will pass in ``variables=``; the
        compiler reports any other unknown name as an error.
        """
        return self._compile(source, filename, inputs, (), False)[0]

    def _compile(self, source: str | PathLike[str], filename: str | None, inputs: Iterable[str],
                 prior_def_only: Iterable[str], session: bool,
                 prior_imports: Iterable[tuple[str, str, bool]] = ()) -> tuple[Program, bool]:
        if isinstance(source, PathLike):
            path = fspath(source)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            filename = filename or path
        else:
            text = source
        if not isinstance(text, str):
            raise TypeError("ML source must be a str or a path")
        filename = filename or "<string>"
        if events.ACTIVE:
            return events.observe_compile(self._compile_text, text, filename, inputs,
                                          prior_def_only, session, prior_imports)
        return self._compile_text(text, filename, inputs, prior_def_only, session,
                                  prior_imports)

    def _compile_text(self, text: str, filename: str, inputs: Iterable[str],
                      prior_def_only: Iterable[str], session: bool,
                      prior_imports: Iterable[tuple[str, str, bool]]) -> tuple[Program, bool]:
        if session:  # a session's chunk: compiled once, for one namespace; not cached
            return compile_program(text, filename, self.registry, inputs=inputs,
                                   prior_def_only=prior_def_only, key=uuid.uuid4().hex,
                                   session=True, prior_imports=prior_imports), False
        inputs = tuple(sorted(set(inputs)))
        prior = tuple(sorted(set(prior_def_only)))
        prior_imports = tuple(sorted(prior_imports))
        key = fingerprint(text, filename, (inputs, prior, session, True, prior_imports))
        if self._cache_size:
            with self._lock:
                program = self._cache.get(key)
                if program is not None:
                    self._cache.move_to_end(key)
            if program is not None and self._modules_current(program):
                return program, True
        program = compile_program(text, filename, self.registry, inputs=inputs,
                                  prior_def_only=prior, key=key, session=session,
                                  prior_imports=prior_imports)
        if self._cache_size:
            with self._lock:
                self._cache[key] = program
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return program, False

    def _modules_current(self, program: Program) -> bool:
        """Whether the ML modules a cached program imports are still what it was compiled
        with (an edited module recompiles the programs that import it)."""
        return self.registry.units_current(program.modules)

    def transpile(self, source: str, *, filename: str = "<string>",
                  inputs: Iterable[str] = ()) -> TranspileResult:
        return transpile_source(source, filename, self.registry, inputs)

    def check(self, source: str, *, filename: str = "<string>", inputs: Iterable[str] = ()):
        """Parse and check only; the list of diagnostics (errors and warnings).

        Besides the compiler's findings, a warning (MLCAP002) marks each call of a module
        function that needs a capability this engine does not grant by default, so a host
        sees missing grants before running anything.
        """
        try:
            program = self.compile(source, filename=filename, inputs=inputs)
        except MLCompileError as error:
            return error.diagnostics
        analysis = check_source(source, filename, self.registry, inputs)
        unmet = [Diagnostic(
            "MLCAP002", f"capability {request.declaration} asks for '{request}', which this "
            "engine does not grant: the program will not start", severity="warning",
            category="capability", file=request.file or filename, span=request.span,
            suggestions=[f"grant it with capabilities=['{request}']"])
            for request in program.requests if not _covered(request, self.capabilities)]
        return list(program.diagnostics) + unmet + self._missing_grants(analysis, filename)

    def _missing_grants(self, analysis: Any, filename: str) -> list[Diagnostic]:
        found = []
        for node in ml_ast.walk(analysis.program):
            if type(node) is not ml_ast.Call or type(node.callee) is not ml_ast.Member:
                continue
            module = analysis.module_refs.get(id(node.callee.target))
            if module is None:
                continue
            missing = [r for r in self.registry.requirements(module, node.callee.name)
                       if not self.capabilities.allows(r)]
            if missing:
                names = ", ".join(repr(m) for m in missing)
                found.append(Diagnostic(
                    "MLCAP002", f"{module}.{node.callee.name} needs the capability {names}, "
                    "which this engine does not grant", severity="warning",
                    category="capability", file=filename, span=node.span,
                    suggestions=[f"grant it with capabilities=[{names}] if the program "
                                 "should have it"]))
        return found

    # ------------------------------------------------------------------ running

    def execute(
        self,
        source_or_program: str | Program,
        variables: Mapping[str, Any] | None = None,
        *,
        filename: str | None = None,
        capabilities: CapabilitySpec | None = None,
        timeout: float | None = None,
        max_steps: int | None = None,
        max_depth: int | None = None,
        max_output: int | None = None,
        max_memory: int | None = None,
        result_name: str = "result",
        capture_output: bool = False,
        execution_id: str | None = None,
        isolation: str | None = None,
        allow_shadow: bool = False,
    ) -> ExecutionResult:
        """Compile (cached) and run a program in a fresh namespace; never raises for ML errors.

        ``capabilities`` replaces the engine's grants for this execution (the engine's denies
        still apply); the limits default to the engine's. ``isolation`` overrides the
        engine's choice for this execution.
        """
        capabilities = rereadable(capabilities)
        if not events.ACTIVE:
            return self._execute(source_or_program, variables, filename, capabilities, timeout,
                                 max_steps, max_depth, max_output, max_memory, result_name,
                                 capture_output, execution_id, isolation, allow_shadow)
        sandboxed = (isolation or self.isolation) == "subprocess"
        run = events.execution_started(
            "sandbox" if sandboxed else "inprocess", execution_id=execution_id,
            timeout=self.timeout if timeout is None else timeout,
            capabilities=lambda: self._reported_grants(capabilities),
            code_length=len(source_or_program) if isinstance(source_or_program, str) else None)
        result = None
        try:
            result = self._execute(source_or_program, variables, filename, capabilities,
                                   timeout, max_steps, max_depth, max_output, max_memory,
                                   result_name, capture_output, execution_id, isolation,
                                   allow_shadow)
            return result
        finally:
            run.end(result)

    def _reported_grants(self, spec: CapabilitySpec | None) -> CapabilitySet | None:
        """The grants an execution given ``spec`` runs under, for its span (None when the
        spec is wrong: the execution itself reports that)."""
        try:
            return self.execution_capabilities(spec)
        except MLError:
            return None

    def _execute(self, source_or_program: str | Program,
                 variables: Mapping[str, Any] | None = None, filename: str | None = None,
                 capabilities: CapabilitySpec | None = None, timeout: float | None = None,
                 max_steps: int | None = None, max_depth: int | None = None,
                 max_output: int | None = None, max_memory: int | None = None,
                 result_name: str = "result", capture_output: bool = False,
                 execution_id: str | None = None, isolation: str | None = None,
                 allow_shadow: bool = False) -> ExecutionResult:
        """:meth:`execute` unobserved: an execution that reports itself to the
        observability listeners (AsyncEngine's) runs this."""
        try:
            mode = _isolation(isolation or self.isolation)
        except MLError as error:
            return ExecutionResult(False, error=error, execution_id=execution_id or "")
        if mode == "subprocess":
            return _logged(self._execute_isolated(
                source_or_program, variables, filename=filename, capabilities=capabilities,
                timeout=timeout, max_steps=max_steps, max_depth=max_depth,
                max_output=max_output, max_memory=max_memory, result_name=result_name,
                capture_output=capture_output, execution_id=execution_id))
        start = time.perf_counter()
        variables = dict(variables or {})
        compile_start = time.perf_counter()
        try:
            program, cache_hit = self._program(source_or_program, filename, variables)
            namespace = new_namespace(self._builtins)
            namespace.update(_marshal_in(variables, allow_shadow))
        except MLError as error:
            captured = "" if capture_output else None
            return _logged(ExecutionResult(
                False, error=error, stdout=captured, stderr=captured,
                execution_id=execution_id or "",
                timings={"compile": time.perf_counter() - compile_start, "run": 0.0,
                         "total": time.perf_counter() - start}))
        compiled = time.perf_counter()
        try:
            state = self._state(capabilities, timeout, max_steps, execution_id, capture_output,
                                max_depth=max_depth, max_output=max_output,
                                max_memory=max_memory)
        except MLError as error:
            return ExecutionResult(False, error=error, execution_id=execution_id or "")
        # ML functions the host comes to hold run under this execution's grants, limits and
        # output whenever and from wherever it calls them.
        namespace["__ml_home__"] = state.home = Home.of(state)
        result = self._run(program, namespace, state, result_name)
        result.timings["compile"] = compiled - compile_start
        result.timings["cache_hit"] = cache_hit
        result.timings["total"] = time.perf_counter() - start
        return result

    def call(self, source_or_program: str | Program, function: str, /, *args: Any,
             capabilities: CapabilitySpec | None = None, timeout: float | None = None,
             **kwargs: Any) -> Any:
        """Run a program, then call one of its functions; raise MLError on failure."""
        session = self.session(capabilities=self.execution_capabilities(capabilities))
        session.exec(source_or_program).raise_for_error()
        return session.function(function, timeout=timeout)(*args, **kwargs)

    def session(self, variables: Mapping[str, Any] | None = None, *,
                capabilities: CapabilitySpec | None = None, name: str | None = None) -> "Session":
        """A namespace that lives across executions."""
        from mlpy.session import Session  # a session builds on the engine

        return Session(self, variables, capabilities=capabilities, name=name)

    def session_pool(self, size: int, *, setup: str | Program | None = None,
                     capabilities: CapabilitySpec | None = None,
                     reset_on_release: bool = True) -> "SessionPool":
        """``size`` sessions, each set up with ``setup``, lent to one user at a time and
        rolled back to their post-setup state when given back (see
        :class:`mlpy.aio.SessionPool`)."""
        from mlpy.aio.sessions import SessionPool  # pools build on sessions

        return SessionPool(self, size, setup=setup, capabilities=capabilities,
                           reset_on_release=reset_on_release)

    def load(self, source: str | Program | PathLike[str], variables: Mapping[str, Any] | None = None,
             *, capabilities: CapabilitySpec | None = None) -> "Session":
        """A new session that has run ``source`` (a program, ML text or a ``.ml`` path)."""
        session = self.session(variables, capabilities=capabilities)
        if isinstance(source, PathLike):
            source = self.compile(source, inputs=session.names())
        session.exec(source).raise_for_error()
        return session

    def cancel(self, execution_id: str) -> bool:
        """Ask a running execution to stop; True if it was running."""
        with self._lock:
            state = self._running.get(execution_id)
            pool = self._pool
        if state is None:
            return pool is not None and pool.cancel(execution_id)
        state.cancel()
        return True

    def close(self) -> None:
        """Drop the program cache and stop the sandbox workers, if any (idempotent)."""
        with self._lock:
            self._cache.clear()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _execute_isolated(self, source_or_program: str | Program,
                          variables: Mapping[str, Any] | None, *, timeout: float | None,
                          max_steps: int | None, max_depth: int | None,
                          max_output: int | None, max_memory: int | None,
                          capabilities: CapabilitySpec | None, **options: Any
                          ) -> ExecutionResult:
        try:
            grants = self.execution_capabilities(capabilities)
        except MLError as error:
            return ExecutionResult(False, error=error, execution_id=options["execution_id"] or "")
        result = self._sandbox_pool().execute(
            source_or_program, variables, capabilities=grants,
            timeout=self.timeout if timeout is None else timeout,
            max_steps=self.max_steps if max_steps is None else max_steps,
            max_depth=self.max_depth if max_depth is None else max_depth,
            max_output=self.max_output if max_output is None else max_output,
            max_memory=self.max_memory if max_memory is None else max_memory,
            extension_paths=self.registry.extension_paths,
            ml_module_paths=self.registry.ml_module_paths, redact=self.audit.redact, **options)
        if events.ACTIVE:  # the worker's gate decisions, as the reply reports them
            _report_remote_checks(result)
        return result

    def _sandbox_pool(self) -> "SandboxPool":
        with self._lock:
            if self._pool is None:
                from mlpy.sandbox import SandboxPool  # the sandbox builds on this module

                self._pool = SandboxPool(self.sandbox)
            return self._pool

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _program(self, source_or_program: str | Program, filename: str | None,
                 variables: Mapping[str, Any], prior_def_only: Iterable[str] = (),
                 session: bool = False, prior_imports: Iterable[tuple[str, str, bool]] = ()
                 ) -> tuple[Program, bool]:
        """The program to run, and whether it came from the cache (or was given compiled)."""
        if isinstance(source_or_program, Program):
            return source_or_program, True
        return self._compile(source_or_program, filename, variables, prior_def_only, session,
                             prior_imports)

    def _state(self, capabilities, timeout, max_steps, execution_id, capture_output, *,
               max_depth=None, max_output=None, max_memory=None) -> ExecutionState:
        grants = self.execution_capabilities(capabilities)
        state = ExecutionState(
            timeout=self.timeout if timeout is None else timeout,
            max_steps=self.max_steps if max_steps is None else max_steps,
            max_depth=self.max_depth if max_depth is None else _positive("max_depth", max_depth),
            max_output=self.max_output if max_output is None else _positive(
                "max_output", max_output),
            max_memory=self.max_memory if max_memory is None else _positive(
                "max_memory", max_memory),
            capabilities=grants, execution_id=execution_id, registry=self.registry,
            audit=self.audit,
        )
        if capture_output:
            state.write_out = io.StringIO().write
            state.write_err = io.StringIO().write
        return state

    def _run(self, program: Program, namespace: dict[str, Any], state: ExecutionState,
             result_name: str, live: bool = False) -> ExecutionResult:
        unmet = _unmet_request(program, state.capabilities)
        if unmet is not None:  # the program said what it needs: refuse before it starts
            if events.ACTIVE:
                events.capability_checked(unmet.required, False, unmet.resource)
            captured = _captured(state.write_out)
            return _logged(ExecutionResult(False, error=unmet, execution_id=state.execution_id,
                                           stdout=captured, stderr=captured))
        return _logged(self._exec(program, namespace, state, result_name, live))

    def _exec(self, program: Program, namespace: dict[str, Any], state: ExecutionState,
              result_name: str, live: bool = False) -> ExecutionResult:
        namespace["__ml_units__"].update(program.modules)
        namespace.pop(LAST, None)
        exit_value = None
        error: MLError | None = None
        with self._lock:
            self._running[state.execution_id] = state
        token = CURRENT.set(state)
        state.enter(sys._getframe(), namespace)
        run_start = time.perf_counter()
        try:
            exec(program.code, namespace)
            state.finish()
        except ops.ProgramExit as stop:
            exit_value = stop.value
            state.finish()
        except (KeyboardInterrupt, SystemExit):
            raise
        except MemoryError:
            # The process ran out of memory: free what the program built before anything
            # else allocates, and report the limit without looking up positions.
            namespace.clear()
            state.trip(MLResourceError("memory limit reached: the host ran out of memory",
                                       resource="memory"))
            error = state.tripped
        except BaseException as exc:  # noqa: BLE001 - every ML failure becomes a result
            if isinstance(exc, RecursionError) and state.tripped is None:
                state.trip(ops.recursion_error(state))
                state.trip_traceback = exc.__traceback__
            error = translate_error(exc, state.execution_id)
        finally:
            CURRENT.reset(token)
            state.park()
            with self._lock:
                self._running.pop(state.execution_id, None)
        run_time = time.perf_counter() - run_start
        if state.tripped is not None:  # a limit ML code swallowed still ends the execution
            if state.trip_traceback is not None:
                state.tripped.__traceback__ = state.trip_traceback
            error = translate_error(state.tripped, state.execution_id)
        if result_name in namespace and result_name in program.globals_defined:
            value = namespace[result_name]
        elif exit_value is not None:
            value = exit_value
        else:
            value = namespace.get(LAST)
        stdout = _captured(state.write_out)
        stderr = _captured(state.write_err)
        return ExecutionResult(
            ok=error is None,
            value=_marshal_out(value) if error is None else None,
            error=error,
            globals=_LiveView(namespace) if live else MappingProxyType(_host_view(namespace)),
            stdout=stdout, stderr=stderr,
            execution_id=state.execution_id,
            timings={"queue": 0.0, "run": run_time},
            usage={"steps": state.steps},
            capabilities_used=frozenset(state.used),
        )


def _report_remote_checks(result: ExecutionResult) -> None:
    """A sandboxed execution's capability checks ran in its worker: each capability it
    used counts as one allowed check, its denial (the error, if that is one) as denied."""
    for name in sorted(result.capabilities_used):
        events.capability_checked(name, True)
    error = result.error
    if isinstance(error, CapabilityError) and error.required:
        events.capability_checked(error.required, False, error.resource)


def _logged(result: ExecutionResult) -> ExecutionResult:
    """``result``, its failure logged on ``mlpy.engine`` (ML errors at DEBUG: they are
    results; see :mod:`mlpy.observability.logging`)."""
    if result.error is not None:
        log_failure(_logger, "the execution failed", result.error,
                    execution_id=result.execution_id or None)
    return result


def _covered(request: Any, grants: CapabilitySet) -> bool:
    try:
        wanted = Capability.parse(str(request))
    except MLError:  # a scope no grant could match
        return False
    return grants.covers(wanted)


def _unmet_request(program: Program, grants: CapabilitySet) -> CapabilityError | None:
    """The refusal for the first need the program's `capability` blocks declare that the
    execution's grants do not cover, if any."""
    for request in program.requests:
        if not _covered(request, grants):
            held = ", ".join(sorted(grants.names())) or "none"
            declaring = _declaring(program, request)
            return CapabilityError(
                f"capability {request.declaration} asks for '{request}', which this execution "
                f"was not granted (granted: {held}); the program did not start",
                required=request.capability, resource=request.scope,
                file=declaring.filename, span=request.span, source=declaring.source,
                hints=[f"the host grants it with capabilities=['{request}']"])
    return None


def _declaring(program: Program, request: Any) -> Program:
    """The program or imported module whose `capability` block made ``request``."""
    for unit in program.modules.values():
        if unit.filename == request.file:
            return unit
    return program


def _isolation(value: str) -> str:
    if value not in ("inprocess", "subprocess"):
        raise MLConfigurationError(
            f"isolation must be 'inprocess' or 'subprocess', not {value!r}")
    return value


def _own_files() -> tuple[CapabilitySet, CapabilitySet]:
    """Denies that keep scripts away from mlpy's own cache (it holds the parser tables the
    host loads at start), whatever a host grants; and the grants of an engine given no
    capabilities and no denies (nothing granted, those denied). Made once per cache
    location: every Engine needs them, and the variables that place the cache can change."""
    return _own_file_denies(os.environ.get("MLPY_CACHE_DIR"), os.environ.get("XDG_CACHE_HOME"),
                            os.environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _own_file_denies(*_location: str | None) -> tuple[CapabilitySet, CapabilitySet]:
    directory = cache_dir()
    denies = CapabilitySet.parse(deny=[f"{area}:{directory}{suffix}" for area in (
        "file.write", "file.append", "file.delete", "path.write") for suffix in ("", "/**")])
    return denies, _capability_set((), {}, denies)


# Deeper than this, Python's own stack (calls through C code) is at risk.
MAX_DEPTH_LIMIT = 10_000


def _positive(name: str, value: int | None) -> int | None:
    if value is not None and (not isinstance(value, int) or value < 1):
        raise MLConfigurationError(f"{name} must be a positive integer or None, not {value!r}")
    if name == "max_depth" and value is not None and value > MAX_DEPTH_LIMIT:
        raise MLConfigurationError(
            f"max_depth can be at most {MAX_DEPTH_LIMIT:,} (deeper recursion would risk the "
            f"interpreter's own stack), not {value:,}",
            hints=["rewrite deep recursion as a loop over an explicit stack"])
    return value


def _captured(write: Any) -> str | None:
    owner = getattr(write, "__self__", None)
    return owner.getvalue() if isinstance(owner, io.StringIO) else None


def _marshal_in(variables: Mapping[str, Any], allow_shadow: bool = False) -> dict[str, Any]:
    """Host values bound as top-level names; callables ML may not call are refused.

    A name of a builtin is refused unless ``allow_shadow``: a host that passes keys it did not
    choose (``variables=request.json``) must not replace the builtins a script calls.
    """
    bound = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name) or name.startswith("__") \
                or name.startswith("_mlpy") or name in RESERVED:
            raise MLMarshalError(
                f"{name!r} is not a valid ML variable name: names are letters, digits and _, "
                "do not start with a digit, '__' or '_mlpy', and are not ML keywords",
                path=str(name))
        if name in BUILTINS and not allow_shadow:
            raise MLMarshalError(
                f"the variable {name!r} would replace the builtin {name}()", path=name,
                hints=["rename the variable, or pass allow_shadow=True if replacing the "
                       "builtin is intended"])
        bound[py_name(name)] = ops.admit(value, name)
    return bound


def _host_view(namespace: dict[str, Any]) -> dict[str, Any]:
    """The user names of a namespace as the host sees them (opaque handles released)."""
    return {name: ops.release(value) for name, value in user_names(namespace).items()}


class _LiveView(Mapping[str, Any]):
    """``ExecutionResult.globals`` of a session chunk: a read-only view of the session's
    names, computed when the host looks (so a chunk costs the same however many names the
    session holds)."""

    def __init__(self, namespace: dict[str, Any]):
        self._namespace = namespace

    def __getitem__(self, name: str) -> Any:
        return _host_view(self._namespace)[name]

    def __iter__(self):
        return iter(_host_view(self._namespace))

    def __len__(self) -> int:
        return len(user_names(self._namespace))

    def __repr__(self) -> str:
        return f"mappingproxy({_host_view(self._namespace)!r})"


def _marshal_out(value: Any) -> Any:
    value = ops.release(value)
    return MLFunction(value) if is_ml_function(value) else value
