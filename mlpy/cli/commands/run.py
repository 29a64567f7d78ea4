"""``mlpy run FILE`` and ``mlpy exec [CODE | -]`` (alias ``execute``; ``mlpy -e EXPR``).

Both compile the program, run it under the grants and limits given (flags first, then the
configuration, then the built-in defaults) and print what it prints; with ``--json`` the
program's output goes inside the one JSON document instead. ``exec -e EXPR`` prints the value
of one expression, as the REPL shows it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from mlpy.cli.options import (
    VERBOSE, PathOptions, check_capabilities, module_path_options, parse_vars, read_source,
    run_options, verbose_wanted,
)
from mlpy.cli.output import echo_err, emit_json, exit_code, exit_reason, report, use_color
from mlpy.cli.settings import setting


@dataclass(frozen=True)
class RunRequest:
    """What ``run`` and ``exec`` were asked to do, flags as given (None: not given)."""

    allow: tuple[str, ...]
    deny: tuple[str, ...]
    caps_profile: str | None
    timeout: float | None
    max_steps: int | None
    max_depth: int | None
    max_output: int | None
    max_memory: int | None
    isolate: bool | None
    variables: dict[str, Any]
    as_json: bool

    @classmethod
    def from_flags(cls, allow, deny, caps_profile, timeout, max_steps, max_depth, max_output,
                   max_memory, isolate, var, as_json) -> "RunRequest":
        check_capabilities("--allow", allow)
        check_capabilities("--deny", deny)
        return cls(allow, deny, caps_profile, timeout, max_steps, max_depth, max_output,
                   max_memory, isolate, parse_vars(var), as_json)

    @property
    def isolation(self) -> str:
        if self.isolate is not None:
            return "subprocess" if self.isolate else "inprocess"
        return setting("runtime.isolation", default="inprocess")

    @property
    def capabilities(self) -> Any:
        if self.caps_profile:
            return f"profile:{self.caps_profile}"
        if self.allow:
            return self.allow
        return tuple(setting("security.default_capabilities", default=()))

    def engine(self, registry: Any) -> Any:
        """The engine to run with; a bad setting is a usage error naming it."""
        import mlpy
        from mlpy.errors import MLError

        try:
            return mlpy.Engine(
                capabilities=self.capabilities,
                deny=(*setting("security.deny", default=()), *self.deny),
                profiles=setting("security.profiles", default={}),
                max_output=self.max_output, max_memory=self.max_memory,
                max_depth=setting("runtime.max_recursion", self.max_depth, 500),
                isolation=self.isolation, registry=registry)
        except MLError as error:
            raise click.UsageError(error.message) from None

    @property
    def limits(self) -> dict[str, Any]:
        return {"timeout": setting("runtime.timeout", self.timeout),
                "max_steps": setting("runtime.max_steps", self.max_steps)}


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@run_options
@VERBOSE
@module_path_options
def run(file: str, verbose: bool, paths: PathOptions, **flags: Any) -> None:
    """Run the ML program FILE."""
    request = RunRequest.from_flags(**flags)
    source = read_source(file)
    run_source(source, file, Path(file).parent, request, paths,
               verbose=verbose_wanted(verbose))


@click.command("exec")
@click.argument("code", required=False)
@click.option("-e", "--expr", "expression", default=None, metavar="EXPR",
              help="Print the value of this one expression.")
@run_options
@VERBOSE
@module_path_options
def exec_(code: str | None, expression: str | None, verbose: bool, paths: PathOptions,
          **flags: Any) -> None:
    """Run inline ML CODE, or the program on stdin when CODE is '-'.

    With -e EXPR, print the value of one expression instead."""
    request = RunRequest.from_flags(**flags)
    if expression is not None:
        if code is not None:
            raise click.UsageError("give either CODE or -e/--expr EXPR, not both")
        evaluate(expression, request, paths)
        return
    if code is None:
        raise click.UsageError("exec needs CODE, '-' for stdin, or -e/--expr EXPR")
    if code == "-":
        code, filename = sys.stdin.read(), "<stdin>"
    else:
        filename = "<exec>"
    run_source(code, filename, Path.cwd(), request, paths, verbose=verbose_wanted(verbose))


def run_source(source: str, filename: str, entry_dir: Path, request: RunRequest,
               paths: PathOptions, *, verbose: bool) -> None:
    """Compile and run ``source``, print what the program printed (or the JSON document)
    and exit with the code of how it ended."""
    import mlpy
    from mlpy.errors import MLCompileError, MLMarshalError
    from mlpy.marshal import to_wire

    resolved = paths.resolve(entry_dir, quiet=not verbose or request.as_json)
    from mlpy.modules.registry import ModuleRegistry
    engine = request.engine(ModuleRegistry(resolved.extension_dirs, resolved.ml_dirs))
    isolated = request.isolation == "subprocess"
    cpu_start, start = time.process_time(), time.perf_counter()
    try:
        program = engine.compile(source, filename=filename, inputs=request.variables)
    except MLCompileError as error:
        diagnostics = list(error.diagnostics)
        result = mlpy.ExecutionResult(False, error=error, timings={
            "compile": time.perf_counter() - start, "run": 0.0})
    else:
        diagnostics = list(program.diagnostics)
        compiled = time.perf_counter()
        result = engine.execute(source if isolated else program, request.variables,
                                filename=filename, capture_output=request.as_json,
                                **request.limits)
        engine.close()
        result.timings["compile"] = compiled - start
        result.timings["cache_hit"] = False  # a new process: the program was just compiled
    result.timings["total"] = time.perf_counter() - start
    if not request.as_json:
        for diagnostic in diagnostics:
            if diagnostic.severity != "error":
                echo_err(diagnostic.format(source, color=use_color(sys.stderr)))
        if result.error is not None:
            report(result.error)
        sys.exit(exit_code(result.error))
    error = result.error
    try:
        value = to_wire(result.value) if error is None else None
    except MLMarshalError as problem:
        error, value = problem, None
    emit_json(run_document(result, error, value, diagnostics, cpu_start))
    sys.exit(exit_code(error))


def evaluate(expression: str, request: RunRequest, paths: PathOptions) -> None:
    """``exec -e EXPR``: the value of one expression, shown as the REPL shows it."""
    from mlpy.errors import MLMarshalError
    from mlpy.marshal import to_wire
    from mlpy.runtime.values import show_nested

    if request.isolation == "subprocess":
        raise click.UsageError("-e/--expr runs in this process; drop --isolate (or run the "
                               "expression as a program: exec 'result = EXPR;' --isolate)")
    resolved = paths.resolve(Path.cwd(), quiet=True)
    from mlpy.modules.registry import ModuleRegistry
    engine = request.engine(ModuleRegistry(resolved.extension_dirs, resolved.ml_dirs))
    cpu_start = time.process_time()
    session = engine.session(request.variables)
    result = session.exec(expression.rstrip().rstrip(";") + ";", filename="<expr>",
                          result_name=None, capture_output=request.as_json, **request.limits)
    session.close()
    engine.close()
    if request.as_json:
        error = result.error
        try:
            value = to_wire(result.value) if error is None else None
        except MLMarshalError as problem:
            error, value = problem, None
        emit_json(run_document(result, error, value, [], cpu_start))
        sys.exit(exit_code(error))
    if result.error is not None:
        report(result.error)
        sys.exit(exit_code(result.error))
    click.echo(show_nested(result.value))


def run_document(result: Any, error: Any, value: Any, diagnostics: list,
                 cpu_start: float) -> dict[str, Any]:
    """The ``run --json`` document (integration spec 8.2)."""
    from mlpy.errors import CapabilityError

    timings = result.timings
    error_doc = None
    if error is not None:
        error_doc = error.to_dict()
        error_doc["required_capability"] = getattr(error, "required", None) \
            if isinstance(error, CapabilityError) else None
    return {
        "ok": error is None,
        "value": value,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "stdout_truncated": False,
        "error": error_doc,
        "diagnostics": [d.to_dict() for d in diagnostics],
        "timing": {
            "compile_ms": _ms(timings.get("compile")),
            "run_ms": _ms(timings.get("run")),
            "total_ms": _ms(timings.get("total")),
            "cache_hit": bool(timings.get("cache_hit")),
        },
        "usage": {
            "cpu_ms": _ms(time.process_time() - cpu_start),
            "max_rss_bytes": _max_rss(),
            "steps": result.usage.get("steps", 0),
        },
        "exit_reason": exit_reason(error),
    }


def _ms(seconds: float | None) -> float:
    return round((seconds or 0.0) * 1000.0, 3)


def _max_rss() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024

