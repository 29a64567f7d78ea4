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
@click.option("--sourcemap", is_flag=True, default=False,
              help="Also write the source map OUTPUT.map (needs -o).")
@click.option("--input", "inputs", multiple=True, metavar="NAME",
              help="Declare a variable the host provides (repeatable).")
@STRICT
@VERBOSE
@module_path_options
def transpile(file: str, output: str | None, sourcemap: bool, inputs: tuple[str, ...],
              strict: bool | None, verbose: bool, paths: PathOptions) -> None:
    """Print the Python code generated for FILE (exit 3 or 4 when none is produced)."""
    import mlpy

    check_strict(strict)
    if sourcemap and not output:
        raise click.UsageError("--sourcemap needs -o/--output: the map is written next to "
                               "the Python file, as OUTPUT.map")

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
    if output and sourcemap:
        if result.source_map is None:
            echo_err("warning: no source map: the program is nested too deeply to be mapped")
        else:
            text += "\n" + write_source_map(result.source_map, Path(file), Path(output))
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


def write_source_map(source_map, source: Path, output: Path) -> str:
    """Write ``OUTPUT.map`` for ``output`` (its sources relative to the map, as v3 reads
    them); the comment that points the Python file at it."""
    import json
    import os

    map_path = output.with_name(output.name + ".map")
    data = source_map.to_dict()
    data["file"] = output.name
    data["sources"] = [os.path.relpath(source.resolve(), output.resolve().parent)
                       .replace(os.sep, "/")]
    map_path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return f"# sourceMappingURL={map_path.name}"
