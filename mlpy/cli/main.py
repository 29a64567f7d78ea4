"""The ``mlpy`` command: run, transpile, check and version.

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

import json
import os
import sys
from pathlib import Path

import click

import mlpy
from mlpy.errors import (
    CapabilityError, MLCompileError, MLError, MLLimitError, MLSecurityError, MLSyntaxError,
)

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_SYNTAX, EXIT_SECURITY = 0, 1, 2, 3, 4
EXIT_CAPABILITY, EXIT_LIMIT, EXIT_INTERNAL = 5, 6, 7


def exit_code(error: MLError | None) -> int:
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
    click.echo(error.format(color=use_color(sys.stderr)), err=True)


def read_source(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise click.UsageError(f"cannot read {path}: {problem}") from None


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(mlpy.__version__, "--version", prog_name="mlpy",
                      message="%(prog)s %(version)s")
def cli() -> None:
    """Run, check and transpile ML programs."""


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--allow", "allow", multiple=True, metavar="CAP",
              help="Grant a capability (repeatable), e.g. --allow console.write")
@click.option("--timeout", type=float, default=None, help="Wall-time limit in seconds.")
@click.option("--max-steps", type=int, default=None, help="Step limit.")
@click.option("--var", "var", multiple=True, metavar="NAME=JSON",
              help="Pass a variable to the program (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def run(file: str, allow: tuple[str, ...], timeout: float | None, max_steps: int | None,
        var: tuple[str, ...], as_json: bool) -> None:
    """Run the ML program FILE."""
    source = read_source(file)
    variables = parse_vars(var)
    try:
        engine = mlpy.Engine(capabilities=allow)
    except MLError as error:
        raise click.UsageError(error.message) from None
    result = engine.execute(source, variables, filename=file, timeout=timeout,
                            max_steps=max_steps, capture_output=as_json)
    if as_json:
        document = {
            "ok": result.ok,
            "value": _jsonable(result.value),
            "stdout": result.stdout,
            "stderr": result.stderr,
            "error": result.error.to_dict() if result.error else None,
            "timing": {k: v for k, v in result.timings.items() if v is not None},
            "usage": result.usage,
        }
        sys.stdout.write(json.dumps(document) + "\n")
    elif result.error is not None:
        report(result.error)
    sys.exit(exit_code(result.error))


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return mlpy.execute("result = str(v);", {"v": value}).value


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the Python code to this file instead of stdout.")
def transpile(file: str, output: str | None) -> None:
    """Print the Python code generated for FILE."""
    source = read_source(file)
    result = mlpy.transpile(source, filename=file)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        for diagnostic in errors:
            click.echo(diagnostic.format(source, color=use_color(sys.stderr)), err=True)
        security = any(d.category == "security" for d in errors)
        sys.exit(EXIT_SECURITY if security else EXIT_SYNTAX)
    if output:
        Path(output).write_text(result.python_code + "\n", encoding="utf-8")
    else:
        click.echo(result.python_code)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON.")
def check(files: tuple[str, ...], as_json: bool) -> None:
    """Parse and check FILES without running them."""
    worst = EXIT_OK
    documents = []
    for file in files:
        source = read_source(file)
        diagnostics = mlpy.default_engine().check(source, filename=file)
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
                click.echo(diagnostic.format(source, color=use_color(sys.stderr)), err=True)
            if not errors:
                click.echo(f"{file}: ok", err=True)
    if as_json:
        sys.stdout.write(json.dumps(documents if len(documents) > 1 else documents[0]) + "\n")
    sys.exit(worst)


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
