"""``mlpy run FILE`` and ``mlpy exec [CODE | -]`` (alias ``execute``; ``mlpy -e EXPR``).

Both compile the program, run it under the grants and limits given (flags first, then the
configuration, then the built-in defaults) and print what it prints; with ``--json`` the
program's output goes inside the one JSON document instead. ``exec -e EXPR`` prints the value
of one expression, as the REPL shows it.

Beyond the flags they share with ``bench`` (:func:`mlpy.cli.options.run_options`), both take
``--vars-file`` (variables from a JSON, TOML or YAML file), ``--no-cache``, ``--emit-py PATH``
and ``--profile`` (a per-function timing summary after the run); ``run FILE -- ARGS`` hands
ARGS to the program, which reads them with the ``args`` module (``args.script()`` is FILE).
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

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
    no_cache: bool = False
    result_name: str = "result"
    emit_py: str | None = None
    profile: tuple[str, ...] = ()  # the --report types wanted; empty: no profiling
    profile_output: str | None = None
    script_args: tuple[str, ...] = ()

    @classmethod
    def from_flags(cls, allow, deny, caps_profile, timeout, max_steps, max_depth, max_output,
                   max_memory, isolate, var, as_json, vars_file=None, result_name="result",
                   no_cache=False, emit_py=None, profile=False, reports=(),
                   profile_output=None) -> "RunRequest":
        check_capabilities("--allow", allow)
        check_capabilities("--deny", deny)
        variables = {**read_vars_file(vars_file), **parse_vars(var)}  # --var wins
        wanted = tuple(dict.fromkeys(reports)) or (
            ("ml-summary",) if profile or profile_output else ())
        return cls(allow, deny, caps_profile, timeout, max_steps, max_depth, max_output,
                   max_memory, isolate, variables, as_json, no_cache, result_name,
                   emit_py, wanted, profile_output)

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
                isolation=self.isolation, registry=registry,
                **({"cache_size": 0} if self.no_cache else {}))
        except MLError as error:
            raise click.UsageError(error.message) from None

    @property
    def limits(self) -> dict[str, Any]:
        return {"timeout": setting("runtime.timeout", self.timeout),
                "max_steps": setting("runtime.max_steps", self.max_steps)}


# The --report types of --profile (the reference CLI's names): ML functions only, the most
# expensive first (ml-summary: the top PROFILE_ROWS; ml-details: all of them), or every
# Python function including mlpy's own machinery (raw, for mlpy's developers).
REPORTS = ("ml-summary", "ml-details", "raw")
PROFILE_ROWS = 20
VARS_FILE_KINDS = {".json": "JSON", ".toml": "TOML", ".yaml": "YAML", ".yml": "YAML"}


def run_extras(command: Callable) -> Callable:
    """The flags of ``run`` and ``exec`` that ``bench`` does not take."""
    options = [
        click.option("--vars-file", "vars_file", type=click.Path(dir_okay=False),
                     default=None, metavar="FILE",
                     help="Variables from FILE: one object (table) in JSON (.json), TOML "
                          "(.toml) or YAML (.yaml, .yml; needs PyYAML). --var wins for a "
                          "name in both."),
        click.option("--result-name", "result_name", default="result", show_default=True,
                     metavar="NAME", help="The variable whose value is the program's "
                     "value (the JSON document's 'value')."),
        click.option("--no-cache", "no_cache", is_flag=True,
                     help="Compile as if nothing were cached: build the parser tables "
                          "without reading or writing their cache on disk, and keep no "
                          "compiled programs."),
        click.option("--emit-py", "emit_py", type=click.Path(dir_okay=False), default=None,
                     metavar="PATH", help="Also write the generated Python to PATH "
                     "(nothing is written next to the source otherwise)."),
        click.option("--profile", is_flag=True,
                     help="Time every ML function and print a summary on stderr after the "
                          "run (in this process only: not with --sandbox)."),
        click.option("--report", "reports", multiple=True, type=click.Choice(REPORTS),
                     help="What --profile prints (repeatable; implies --profile): "
                          f"ml-summary (default; the {PROFILE_ROWS} ML functions that took "
                          "longest), ml-details (every ML function), raw (every Python "
                          "function, mlpy's own included)."),
        click.option("--profile-output", "profile_output", type=click.Path(dir_okay=False),
                     default=None, metavar="PATH",
                     help="Also write the profile to PATH as pstats data, for "
                          "python -m pstats or a viewer (implies --profile)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("script_args", nargs=-1, metavar="[-- ARGS]...")
@run_options
@run_extras
@VERBOSE
@module_path_options
def run(file: str, script_args: tuple[str, ...], verbose: bool, paths: PathOptions,
        **flags: Any) -> None:
    """Run the ML program FILE.

    ARGS after `--` go to the program: the `args` module (args.read) sees FILE as
    args.script() and ARGS as args.rest()."""
    request = replace(RunRequest.from_flags(**flags), script_args=script_args)
    source = read_source(file)
    run_source(source, file, Path(file).parent, request, paths,
               verbose=verbose_wanted(verbose))


@click.command("exec")
@click.argument("code", required=False)
@click.option("-e", "--expr", "expression", default=None, metavar="EXPR",
              help="Print the value of this one expression.")
@run_options
@run_extras
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
        if request.profile or request.emit_py:
            raise click.UsageError("-e/--expr takes neither --profile nor --emit-py; run "
                                   "the expression as a program: exec 'result = EXPR;'")
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
    isolated = request.isolation == "subprocess"
    if isolated and (request.profile or request.script_args):
        what = "--profile times this process" if request.profile else \
            "-- ARGS reach a program run in this process"
        raise click.UsageError(f"{what}, not a sandbox worker: add --no-sandbox")
    if request.no_cache:
        from mlpy.language import parser
        parser.DISK_CACHE = False
    engine = request.engine(ModuleRegistry(resolved.extension_dirs, resolved.ml_dirs))
    cpu_start, start = time.process_time(), time.perf_counter()
    profiler = None
    try:
        program = engine.compile(source, filename=filename, inputs=request.variables)
    except MLCompileError as error:
        diagnostics = list(error.diagnostics)
        result = mlpy.ExecutionResult(False, error=error, timings={
            "compile": time.perf_counter() - start, "run": 0.0})
    else:
        diagnostics = list(program.diagnostics)
        compiled = time.perf_counter()
        if request.emit_py:
            write_python(program, request.emit_py)
        with program_argv(filename, request.script_args), \
                profiling(request.profile) as profiler:
            result = engine.execute(source if isolated else program, request.variables,
                                    filename=filename, capture_output=request.as_json,
                                    result_name=request.result_name, **request.limits)
        engine.close()
        result.timings["compile"] = compiled - start
        result.timings["cache_hit"] = False  # a new process: the program was just compiled
    result.timings["total"] = time.perf_counter() - start
    if profiler is not None and request.profile_output:
        write_profile(profiler, request.profile_output)
    if not request.as_json:
        for diagnostic in diagnostics:
            if diagnostic.severity != "error":
                echo_err(diagnostic.format(source, color=use_color(sys.stderr)))
        if result.error is not None:
            report(result.error)
        if profiler is not None:
            for kind in request.profile:
                echo_err(profile_report(profiler, kind))
        sys.exit(exit_code(result.error))
    error = result.error
    try:
        value = to_wire(result.value) if error is None else None
    except MLMarshalError as problem:
        error, value = problem, None
    document = run_document(result, error, value, diagnostics, cpu_start)
    if profiler is not None:
        document["profile"] = profile_rows(profiler, ml_only="raw" not in request.profile)
    emit_json(document)
    sys.exit(exit_code(error))


# ----------------------------------------------------------------------------- --vars-file


def read_vars_file(path: str | None) -> dict[str, Any]:
    """The variables of a ``--vars-file``: one object of a JSON, TOML or YAML file (by its
    extension). A file that cannot be read or is no object is a usage error naming it."""
    if path is None:
        return {}
    kind = VARS_FILE_KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise click.UsageError(f"--vars-file {path}: unknown kind of file; name it .json, "
                               ".toml, .yaml or .yml")
    text = read_source(path)
    try:
        found = _parse_vars_text(kind, text)
    except ImportError:
        raise click.UsageError(f"--vars-file {path}: reading YAML needs PyYAML "
                               "(pip install pyyaml); JSON and TOML need nothing") from None
    except ValueError as problem:  # JSON, TOML and YAML errors are all ValueErrors here
        raise click.UsageError(f"--vars-file {path}: not valid {kind}: {problem}") from None
    if not isinstance(found, dict):
        raise click.UsageError(f"--vars-file {path}: must hold one object of variables "
                               f"(name: value), not {type(found).__name__}")
    bad = [name for name in found if not isinstance(name, str) or not name.isidentifier()]
    if bad:
        raise click.UsageError(f"--vars-file {path}: {bad[0]!r} is not a variable name")
    return found


def _parse_vars_text(kind: str, text: str) -> Any:
    if kind == "JSON":
        return json.loads(text)
    if kind == "TOML":
        import tomllib
        return tomllib.loads(text)
    import yaml  # optional: PyYAML

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise ValueError(str(problem).replace("\n", " ")) from None


# ----------------------------------------------------------------------------- --emit-py, ARGS


def write_python(program: Any, path: str) -> None:
    """The generated Python of ``program`` and of the ML modules it imports, as ``mlpy
    transpile`` prints it, written to ``path``."""
    text = program.python_code
    for name, module in program.modules.items():
        text += f"\n\n# ---- ML module {name} ----\n{module.python_code}"
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as problem:
        raise click.UsageError(f"--emit-py {path}: cannot write it: {problem}") from None


@contextmanager
def program_argv(filename: str, script_args: tuple[str, ...]) -> Iterator[None]:
    """``sys.argv`` as the program's ``args`` module reads it: the program's file, then the
    ARGS after ``--`` (not the ``mlpy`` command line), for the duration of the run."""
    saved = sys.argv
    sys.argv = [filename, *script_args]
    try:
        yield
    finally:
        sys.argv = saved


# ----------------------------------------------------------------------------- --profile


@contextmanager
def profiling(wanted: tuple[str, ...]) -> Iterator[Any]:
    """A ``cProfile.Profile`` running for the block when ``wanted``, else None."""
    if not wanted:
        yield None
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield profiler
    finally:
        profiler.disable()


def profile_rows(profiler: Any, *, ml_only: bool = True) -> list[dict[str, Any]]:
    """One row per function, the longest total time first: ML functions (their code's file
    is an ``mlpy://`` name, the line is the ML line of the function) or, with ``ml_only``
    False, every Python function."""
    import pstats

    rows = []
    for (file, line, name), (_, calls, own, total, _) in \
            pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        ml = file.startswith("mlpy://")
        if ml_only and not ml:
            continue
        shown = file.rsplit("/", 1)[-1] if ml else file
        rows.append({"function": "<top level>" if name == "<module>" else name,
                     "file": shown, "line": line, "calls": calls,
                     "total_ms": round(total * 1000, 3), "own_ms": round(own * 1000, 3)})
    rows.sort(key=lambda row: (-row["total_ms"], row["function"]))
    return rows


def profile_report(profiler: Any, kind: str) -> str:
    """The table ``--report kind`` prints."""
    rows = profile_rows(profiler, ml_only=kind != "raw")
    shown = rows[:PROFILE_ROWS] if kind in ("ml-summary", "raw") else rows
    lines = [f"profile ({kind}): {len(shown)} of {len(rows)} functions, longest first",
             f"{'calls':>8} {'total ms':>10} {'own ms':>10}  function"]
    for row in shown:
        lines.append(f"{row['calls']:>8} {row['total_ms']:>10.3f} {row['own_ms']:>10.3f}  "
                     f"{row['function']} ({row['file']}:{row['line']})")
    return "\n".join(lines)


def write_profile(profiler: Any, path: str) -> None:
    try:
        profiler.dump_stats(path)
    except OSError as problem:
        raise click.UsageError(f"--profile-output {path}: cannot write it: "
                               f"{problem}") from None


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

