"""The ``mlpy`` command: run, transpile, check, modules, repl and version.

Exit codes (all commands):

=====  =========================================================
0      success
1      the ML program failed at run time
2      usage or configuration error (bad option, missing file)
3      syntax error
4      static security rejection
5      capability denied
6      time or resource limit reached
7      internal failure
=====  =========================================================

Errors are printed to stderr with the ML source line and a caret; colour is used only on a
terminal and never when ``NO_COLOR`` is set. Nothing is ever written next to the sources.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import click

import mlpy
from mlpy.marshal import to_wire
from mlpy.modules.paths import (
    ResolvedPaths, load_project_config, resolve_module_paths, shown_path as shown,
)
from mlpy.modules.registry import ModuleRegistry
from mlpy.modules.sources import ImportProblem
from mlpy.errors import (
    CapabilityError, MLCancelledError, MLCompileError, MLError, MLLimitError, MLMarshalError,
    MLResourceError, MLSecurityError, MLSyntaxError, MLTimeoutError, env_flag,
)

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_SYNTAX, EXIT_SECURITY = 0, 1, 2, 3, 4
EXIT_CAPABILITY, EXIT_LIMIT, EXIT_INTERNAL = 5, 6, 7


def exit_code(error: BaseException | None) -> int:
    if error is None:
        return EXIT_OK
    if isinstance(error, MLSyntaxError):
        return EXIT_SYNTAX
    if isinstance(error, MLSecurityError):
        return EXIT_SECURITY
    if isinstance(error, MLCompileError):
        return EXIT_SYNTAX
    if isinstance(error, CapabilityError):
        return EXIT_CAPABILITY
    if isinstance(error, MLLimitError):
        return EXIT_LIMIT
    return EXIT_RUNTIME


def use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def report(error: MLError) -> None:
    echo_err(error.format(color=use_color(sys.stderr)))


def echo_err(text: str) -> None:
    """Human text to stderr; click keeps ANSI codes only when colour is wanted."""
    click.echo(text, err=True, color=use_color(sys.stderr))


def read_source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise click.UsageError(f"cannot read {path}: {problem}") from None


def _text_of(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def parse_vars(pairs: tuple[str, ...]) -> dict:
    variables = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep:
            raise click.UsageError(f"--var expects NAME=JSON, got {pair!r}")
        try:
            variables[name] = json.loads(text)
        except json.JSONDecodeError as problem:
            raise click.UsageError(f"--var {name}: not valid JSON ({problem})") from None
    return variables


@dataclass(frozen=True)
class PathOptions:
    """The module-path options every command that compiles ML takes."""

    extension_paths: tuple[str, ...] = ()
    ml_module_paths: tuple[str, ...] = ()
    isolated: bool = False
    local_imports: bool = True

    def resolve(self, entry_dir: str | Path, *, quiet: bool = True,
                implicit: bool = True) -> ResolvedPaths:
        """The search lists for a program whose entry file is in ``entry_dir``: the project
        config is looked for from there up, and (``implicit``) it is the last ML module
        root."""
        try:
            config = None if self.isolated else load_project_config(entry_dir)
            resolved = resolve_module_paths(
                self.extension_paths, self.ml_module_paths, config,
                entry_dir=entry_dir if self.local_imports and implicit else None,
                isolated=self.isolated)
        except MLError as error:
            raise click.UsageError(f"{error.message} [{error.code}]") from None
        for warning in resolved.warnings:
            echo_err(f"warning: {warning}")
        if not quiet:
            explicit = [e for e in resolved.ml_module_paths if e.origin != "implicit"]
            if resolved.extension_paths:
                echo_err("extension paths: " + ", ".join(
                    shown(e.path) for e in resolved.extension_paths))
            if explicit:
                echo_err("ml module roots: " + ", ".join(
                    shown(e.path) for e in resolved.ml_module_paths))
        return resolved

    def registry(self, entry_dir: str | Path, *, quiet: bool = True,
                 implicit: bool = True) -> ModuleRegistry:
        resolved = self.resolve(entry_dir, quiet=quiet, implicit=implicit)
        return ModuleRegistry(resolved.extension_dirs, resolved.ml_dirs)


def module_path_options(command):
    """``-E``/``-M`` (repeatable), ``--isolated`` and ``--no-local-imports``, handed to the
    command as one ``paths`` argument."""
    @functools.wraps(command)
    def with_paths(*args, extension_paths, ml_module_paths, isolated, local_imports, **kwargs):
        return command(*args, paths=PathOptions(extension_paths, ml_module_paths, isolated,
                                                local_imports), **kwargs)

    options = [
        click.option("-E", "--extension-path", "extension_paths", multiple=True,
                     metavar="DIR", help="A directory of extension modules (<name>_bridge.py "
                     "files); repeatable, searched before the project config's and "
                     "MLPY_EXTENSION_PATHS."),
        click.option("-M", "--ml-module-path", "ml_module_paths", multiple=True,
                     metavar="DIR", help="A root of ML modules (`import a.b;` is DIR/a/b.ml); "
                     "repeatable, searched before the project config's, MLPY_ML_MODULE_PATHS "
                     "and the program's own directory."),
        click.option("--isolated", is_flag=True, help="Ignore the project config and the "
                     "MLPY_* path variables."),
        click.option("--no-local-imports", "local_imports", flag_value=False, default=True,
                     help="Do not import .ml modules from the program's own directory."),
    ]
    for option in reversed(options):
        with_paths = option(with_paths)
    return with_paths


# The program's stderr is the program's: what mlpy itself would say about its set-up (the
# module paths in effect) is printed only when asked for. -q is the default, kept so that
# command lines written for earlier versions still work.
VERBOSE = click.option("-v/-q", "--verbose/--quiet", "verbose", default=False,
                       help="Also print the module paths in effect, on stderr (default: "
                            "quiet; `mlpy modules list --paths` lists them too).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(mlpy.__version__, "--version", prog_name="mlpy",
                      message="%(prog)s %(version)s")
def cli() -> None:
    """Run, check and transpile ML programs."""


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--allow", "allow", multiple=True, metavar="CAP",
              help="Grant a capability (repeatable), e.g. --allow console.write or "
                   "--allow 'file.read:./data/**'")
@click.option("--deny", "deny", multiple=True, metavar="CAP",
              help="Deny a capability (repeatable); denies win over grants.")
@click.option("--timeout", type=float, default=None, help="Wall-time limit in seconds.")
@click.option("--max-steps", type=int, default=None, help="Step limit.")
@click.option("--max-depth", type=int, default=None, help="Nested-call limit (default 500).")
@click.option("--max-output", type=int, default=None, help="Output limit in characters.")
@click.option("--max-memory", type=int, default=None,
              help="Memory budget in bytes for the program's data.")
@click.option("--isolate", is_flag=True,
              help="Run in a worker process with operating-system limits.")
@click.option("--var", "var", multiple=True, metavar="NAME=JSON",
              help="Pass a variable to the program (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@VERBOSE
@module_path_options
def run(file: str, allow: tuple[str, ...], deny: tuple[str, ...], timeout: float | None,
        max_steps: int | None, max_depth: int | None, max_output: int | None,
        max_memory: int | None, isolate: bool, var: tuple[str, ...], as_json: bool,
        verbose: bool, paths: PathOptions) -> None:
    """Run the ML program FILE."""
    source = read_source(file)
    variables = parse_vars(var)
    resolved = paths.resolve(Path(file).parent, quiet=not verbose or as_json)
    try:
        engine = mlpy.Engine(capabilities=allow, deny=deny, max_output=max_output,
                             max_memory=max_memory, max_depth=max_depth or 500,
                             isolation="subprocess" if isolate else "inprocess",
                             registry=ModuleRegistry(resolved.extension_dirs, resolved.ml_dirs))
    except MLError as error:
        raise click.UsageError(error.message) from None
    cpu_start, start = time.process_time(), time.perf_counter()
    try:
        program = engine.compile(source, filename=file, inputs=variables)
    except MLCompileError as error:
        diagnostics = list(error.diagnostics)
        result = mlpy.ExecutionResult(False, error=error, timings={
            "compile": time.perf_counter() - start, "run": 0.0})
    else:
        diagnostics = list(program.diagnostics)
        compiled = time.perf_counter()
        result = engine.execute(source if isolate else program, variables, filename=file,
                                timeout=timeout, max_steps=max_steps, capture_output=as_json)
        engine.close()
        result.timings["compile"] = compiled - start
        result.timings["cache_hit"] = False  # a new process: the program was just compiled
    result.timings["total"] = time.perf_counter() - start
    if not as_json:
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
    sys.stdout.write(json.dumps(run_document(result, error, value, diagnostics, cpu_start),
                                allow_nan=False) + "\n")
    sys.exit(exit_code(error))


def run_document(result, error: MLError | None, value, diagnostics: list,
                 cpu_start: float) -> dict:
    """The ``run --json`` document (integration spec 8.2)."""
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


def exit_reason(error: MLError | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, MLTimeoutError):
        return "timeout"
    if isinstance(error, MLCancelledError):
        return "cancelled"
    if isinstance(error, MLResourceError):
        return error.resource
    if isinstance(error, MLCompileError):
        return "compile_error"
    if isinstance(error, CapabilityError):
        return "capability_denied"
    if isinstance(error, MLMarshalError):
        return "marshal_error"
    return "error"


def _ms(seconds) -> float:
    return round((seconds or 0.0) * 1000.0, 3)


def _max_rss() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the Python code to this file instead of stdout.")
@click.option("--input", "inputs", multiple=True, metavar="NAME",
              help="Declare a variable the host provides (repeatable).")
@VERBOSE
@module_path_options
def transpile(file: str, output: str | None, inputs: tuple[str, ...], verbose: bool,
              paths: PathOptions) -> None:
    """Print the Python code generated for FILE."""
    source = read_source(file)
    engine = mlpy.Engine(registry=paths.registry(Path(file).parent, quiet=not verbose))
    result = engine.transpile(source, filename=file, inputs=inputs)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        for diagnostic in errors:
            echo_err(diagnostic.format(source, color=use_color(sys.stderr)))
        security = any(d.category == "security" for d in errors)
        sys.exit(EXIT_SECURITY if security else EXIT_SYNTAX)
    text = result.python_code
    for name, code in result.modules.items():  # the ML modules it imports, after it
        text += f"\n\n# ---- ML module {name} ----\n{code}"
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON.")
@click.option("--input", "inputs", multiple=True, metavar="NAME",
              help="Declare a variable the host provides (repeatable).")
@click.option("--allow", "allow", multiple=True, metavar="CAP",
              help="A capability the host will grant (repeatable); calls that need one "
                   "not granted are reported as warnings.")
@module_path_options
def check(files: tuple[str, ...], as_json: bool, inputs: tuple[str, ...],
          allow: tuple[str, ...], paths: PathOptions) -> None:
    """Parse and check FILES without running them (each with the modules of its own
    directory and project)."""
    engines: dict[Path, mlpy.Engine] = {}
    worst = EXIT_OK
    documents = []
    for file in files:
        source = read_source(file)
        folder = Path(file).resolve().parent
        if folder not in engines:
            try:
                engines[folder] = mlpy.Engine(capabilities=allow,
                                              registry=paths.registry(folder))
            except MLError as error:
                raise click.UsageError(error.message) from None
        diagnostics = engines[folder].check(source, filename=file, inputs=inputs)
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors:
            security = any(d.category == "security" for d in errors)
            syntax = any(d.category == "syntax" for d in errors)
            code = EXIT_SYNTAX if syntax or not security else EXIT_SECURITY
            worst = max(worst, code)
        if as_json:
            documents.append({"file": file, "ok": not errors,
                              "diagnostics": [d.to_dict() for d in diagnostics]})
        else:
            for diagnostic in diagnostics:
                shown_source = source if diagnostic.file in (None, file) else _text_of(
                    diagnostic.file)  # a finding in an imported module
                echo_err(diagnostic.format(shown_source, color=use_color(sys.stderr)))
            if not errors:
                click.echo(f"{file}: ok", err=True)
    if as_json:
        sys.stdout.write(json.dumps(documents if len(documents) > 1 else documents[0]) + "\n")
    sys.exit(worst)


@cli.group()
def modules() -> None:
    """List, describe and check the modules ML programs can import."""


@modules.command("list")
@click.option("--kind", type=click.Choice(["stdlib", "extension", "ml"]), default=None,
              help="Only modules of this kind.")
@click.option("--paths", "show_paths", is_flag=True,
              help="Also print the directories searched, each with where it came from.")
@module_path_options
def modules_list(kind: str | None, show_paths: bool, paths: PathOptions) -> None:
    """A table of the importable modules: name, kind, origin and description."""
    if show_paths:
        resolved = paths.resolve(".", implicit=False)
        for what, entries in (("extension path", resolved.extension_paths),
                              ("ml module root", resolved.ml_module_paths)):
            for entry in entries:
                origin = entry.origin.split(":", 1)
                where = origin[0] if len(origin) == 1 else f"{origin[0]}: {shown(origin[1])}"
                click.echo(f"{what} {shown(entry.path)} ({where})")
    registry = paths.registry(".", implicit=False)
    names = registry.available(kind)
    width = max((len(name) for name in names), default=0)
    for name in names:
        click.echo(f"{name:<{width}}  {registry.kind(name):<9}  "
                   f"{shown(registry.origin(name))}  {registry.summary(name)}".rstrip())


@modules.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the description as JSON.")
@module_path_options
def modules_info(name: str, as_json: bool, paths: PathOptions) -> None:
    """Describe module NAME without running it: functions, constants, capabilities."""
    registry = paths.registry(".", implicit=False)
    info = registry.info(name)
    if info is None:
        raise click.UsageError(f"no module named {name!r} "
                               f"(available: {', '.join(registry.available())})")
    info = {**info, "origin": shown(registry.origin(name))}
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    version = f", version {info['version']}" if info.get("version") else ""
    click.echo(f"{info['name']} ({info['kind']}{version}): {info['description']}")
    click.echo(f"  origin: {info['origin']}")
    for key in ("functions", "constants", "capabilities"):
        click.echo(f"  {key}: {', '.join(info[key]) or '-'}")


@modules.command("check")
@module_path_options
def modules_check(paths: PathOptions) -> None:
    """Describe every extension module and compile every ML module; report problems and
    exit 1 on any error."""
    registry = paths.registry(".", implicit=False)
    problems = registry.problems()
    for problem in problems:
        echo_err(str(problem))
    failed = False
    for name in registry.available("ml"):
        try:
            registry.ml_unit(name)
        except MLError as error:
            report(error)
            failed = True
        except ImportProblem as problem:
            echo_err(f"module {name}: error: {problem.message} [{problem.code}]")
            failed = True
    names = registry.available("extension")
    click.echo(f"{len(names)} extension module(s) ok: {', '.join(names) or '-'}", err=True)
    ml_names = registry.available("ml")
    if ml_names:
        click.echo(f"{len(ml_names)} ML module(s) found: {', '.join(ml_names)}", err=True)
    sys.exit(1 if failed or any(p.severity == "error" for p in problems) else 0)


@cli.command()
@click.option("--allow", "allow", multiple=True, metavar="CAP",
              help="Grant a capability from the start (repeatable), e.g. --allow file.read "
                   "or --allow 'file.read:./data/**'.")
@click.option("--security/--no-security", default=True, show_default=True,
              help="With --no-security, capability checks are off: every capability the "
                   "modules declare is granted.")
@click.option("--dev", "dev", is_flag=True,
              help="Start in development mode (also: MLPY_DEV_MODE=1).")
@click.option("--basic", is_flag=True, help="Use the plain line reader, without "
              "highlighting, completion or history file.")
@click.option("--no-history", "no_history", is_flag=True,
              help="Do not read or write the history file.")
@click.option("--history-file", type=click.Path(dir_okay=False), default=None,
              metavar="PATH", help="The history file (default: $MLPY_HISTORY_FILE or "
              "~/.mlpy_history).")
@click.option("--no-pager", "no_pager", is_flag=True,
              help="Never page long output.")
@click.option("--no-color", "no_color", is_flag=True,
              help="No colours (also: NO_COLOR set).")
@click.option("--exit-on-error", "exit_on_error", is_flag=True,
              help="Without a terminal (piped input): stop at the first input that fails "
                   "and exit with status 1.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks with errors.")
@module_path_options
def repl(allow: tuple[str, ...], security: bool, dev: bool, basic: bool, no_history: bool,
         history_file: str | None, no_pager: bool, no_color: bool, exit_on_error: bool,
         debug: bool, paths: PathOptions) -> None:
    """Start the interactive ML shell (the REPL).

    Modules are searched in the -E/-M directories, the project config found from the
    current directory up, the MLPY_* path variables and the current directory. With piped
    input it runs the lines without banner or prompts."""
    from mlpy.errors import MLConfigurationError
    from mlpy.repl.terminal import env_flag_on, run_repl
    from mlpy.runtime.capabilities import CapabilitySet

    for capability in allow:
        try:
            CapabilitySet.parse([capability])
        except MLConfigurationError as error:
            raise click.UsageError(f"--allow {capability}: {error.message}") from None
    here = Path.cwd()
    resolved = paths.resolve(here)
    config = None
    if not paths.isolated:
        try:
            config = load_project_config(here)
        except MLError:  # already reported by resolve()
            config = None
    origins = {str(entry.path): entry.origin
               for entry in (*resolved.extension_paths, *resolved.ml_module_paths)}
    status = run_repl(security=security, extension_paths=resolved.extension_dirs,
                      ml_module_paths=resolved.ml_dirs, capabilities=allow,
                      dev_mode=dev or env_flag_on("MLPY_DEV_MODE"), basic=basic,
                      history=not no_history, history_file=history_file,
                      pager=not no_pager, color=False if no_color else None,
                      exit_on_error=exit_on_error, debug=debug, path_origins=origins,
                      config_file=str(config.path) if config is not None else None)
    sys.exit(status)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as problem:
        problem.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        sys.exit(EXIT_USAGE)
    except click.ClickException as problem:
        problem.show()
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as problem:  # noqa: BLE001 - a bug in mlpy, not in the user's program
        sys.stderr.write(f"mlpy: internal error: {type(problem).__name__}: {problem}\n"
                         "This is a bug in mlpy; set MLPY_DEBUG=1 to see the traceback.\n")
        if env_flag("MLPY_DEBUG"):
            traceback.print_exc()
        sys.exit(EXIT_INTERNAL)
