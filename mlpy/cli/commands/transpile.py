"""``mlpy transpile FILE``: the Python code generated for an ML program."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mlpy.cli.options import (
    STRICT, VERBOSE, PathOptions, check_strict, module_path_options, read_source, verbose_wanted,
)
from mlpy.cli.output import diagnostics_exit_code, echo_err, use_color


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the Python code to this file instead of stdout.")
@click.option("--input", "inputs", multiple=True, metavar="NAME",
              help="Declare a variable the host provides (repeatable).")
@STRICT
@VERBOSE
@module_path_options
def transpile(file: str, output: str | None, inputs: tuple[str, ...], strict: bool | None,
              verbose: bool, paths: PathOptions) -> None:
    """Print the Python code generated for FILE (exit 3 or 4 when none is produced)."""
    import mlpy

    check_strict(strict)

    source = read_source(file)
    registry = paths.registry(Path(file).parent, quiet=not verbose_wanted(verbose))
    result = mlpy.Engine(registry=registry).transpile(source, filename=file, inputs=inputs)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        for diagnostic in errors:
            echo_err(diagnostic.format(source, color=use_color(sys.stderr)))
        sys.exit(diagnostics_exit_code(errors))
    text = result.python_code
    for name, code in result.modules.items():  # the ML modules it imports, after it
        text += f"\n\n# ---- ML module {name} ----\n{code}"
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)
