"""``mlpy transpile FILE``: the Python code generated for an ML program, followed by that of
the ML modules it imports; with ``-o OUT --sourcemap``, OUT.map maps the lines of each back to
its own ``.ml`` file (one source per file, each with its text)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
    engine = mlpy.Engine(registry=registry)
    result = engine.transpile(source, filename=file, inputs=inputs)
    if not result.ok:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        for diagnostic in errors:
            echo_err(diagnostic.format(source, color=use_color(sys.stderr)))
        sys.exit(diagnostics_exit_code(errors))
    text = result.python_code
    offsets = {}  # module -> the number of lines before its code
    for name, code in result.modules.items():  # the ML modules it imports, after it
        text += f"\n\n# ---- ML module {name} ----\n"
        offsets[name] = text.count("\n")
        text += code
    if output and sourcemap:
        parts = _map_parts(engine, source, file, inputs, result, offsets)
        if parts is None:
            echo_err("warning: no source map: the program is nested too deeply to be mapped")
        else:
            text += "\n" + write_source_map(parts, Path(output))
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


def _map_parts(engine: Any, source: str, file: str, inputs: tuple[str, ...], result: Any,
               offsets: dict[str, int]) -> list[tuple[Any, int]] | None:
    """The maps of the program and of each appended module, with the number of lines
    before each; None when the program or a module is too deeply nested to be mapped."""
    if result.source_map is None:
        return None
    parts = [(result.source_map, 0)]
    if offsets:
        units = engine.compile(source, filename=file, inputs=inputs).modules
        for name, offset in offsets.items():
            unit = units.get(name)
            if unit is None or unit.source_map is None \
                    or unit.python_code != result.modules[name]:
                return None
            parts.append((unit.source_map, offset))
    return parts


def write_source_map(parts: list[tuple[Any, int]], output: Path) -> str:
    """Write ``OUTPUT.map`` for ``output``, from the maps of its pieces and the number of
    lines before each (its sources relative to the map, as v3 reads them); the comment
    that points the Python file at it."""
    import json
    import os

    from mlpy.debug.sourcemap import combine

    map_path = output.with_name(output.name + ".map")
    data = combine(parts, file=output.name).to_dict()
    here = output.resolve().parent
    data["sources"] = [name if name.startswith("<") else
                       os.path.relpath(Path(name).resolve(), here).replace(os.sep, "/")
                       for name in data["sources"]]
    map_path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return f"# sourceMappingURL={map_path.name}"
