"""``mlpy check FILE...`` (alias ``validate``): parse, static analysis and capability
coverage, without running anything; text, JSON or SARIF 2.1.0.

Exit code: the worst over the files -- 3 for a syntax (or name, import) error, 4 for a
security rejection; with ``--fail-on warning`` a warning fails too, with 5 for a capability
the grants given with ``--allow`` do not cover, 4 for a security warning and 3 for the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable

import click

from mlpy.cli.options import PathOptions, allow_option, check_capabilities, module_path_options
from mlpy.cli.options import read_source, text_of
from mlpy.cli.output import (
    EXIT_CAPABILITY, EXIT_OK, EXIT_SECURITY, EXIT_SYNTAX, diagnostics_exit_code, echo_err,
    emit_json, use_color,
)
from mlpy.cli.settings import setting


def check_files(files: Iterable[str], paths: PathOptions, *, allow: tuple[str, ...] = (),
                inputs: tuple[str, ...] = ()) -> list[tuple[str, str, list[Any]]]:
    """(file, source, diagnostics) for each file, each checked with the modules of its own
    directory and project, and with the grants of ``allow`` (else the configuration's
    ``security.default_capabilities``); an unreadable file is a usage error."""
    import mlpy
    from mlpy.errors import MLError

    engines: dict[Path, Any] = {}
    checked = []
    for file in files:
        source = read_source(file)
        folder = Path(file).resolve().parent
        if folder not in engines:
            registry = paths.registry(folder)  # loads the folder's configuration too
            granted = allow or tuple(setting("security.default_capabilities", default=()))
            try:
                engines[folder] = mlpy.Engine(capabilities=granted, registry=registry)
            except MLError as error:
                raise click.UsageError(error.message) from None
        checked.append((file, source, list(engines[folder].check(source, filename=file,
                                                                  inputs=inputs))))
    return checked


def failure_code(diagnostics: list[Any], fail_on: str) -> int:
    code = diagnostics_exit_code(diagnostics)
    if code != EXIT_OK or fail_on != "warning":
        return code
    warnings = [d for d in diagnostics if d.severity == "warning"]
    if any(d.category == "capability" for d in warnings):
        return EXIT_CAPABILITY
    if any(d.category == "security" for d in warnings):
        return EXIT_SECURITY
    return EXIT_SYNTAX if warnings else EXIT_OK


def print_diagnostics(file: str, source: str, diagnostics: list[Any]) -> None:
    for diagnostic in diagnostics:
        shown_source = source if diagnostic.file in (None, file) else text_of(
            diagnostic.file)  # a finding in an imported module
        echo_err(diagnostic.format(shown_source, color=use_color(sys.stderr)))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]),
              default=None, help="text (on stderr, the default), json or sarif (on stdout).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error",
              show_default=True, help="The least severe finding that fails the check.")
@click.option("--input", "inputs", multiple=True, metavar="NAME",
              help="Declare a variable the host provides (repeatable).")
@allow_option("A capability the host will grant (repeatable); calls that need one not "
              "granted are reported as warnings.")
@module_path_options
def check(files: tuple[str, ...], output_format: str | None, as_json: bool, fail_on: str,
          inputs: tuple[str, ...], allow: tuple[str, ...], paths: PathOptions) -> None:
    """Parse and check FILES without running them."""
    if as_json and output_format not in (None, "json"):
        raise click.UsageError(f"--json and --format {output_format} exclude each other")
    output_format = "json" if as_json else output_format or "text"
    check_capabilities("--allow", allow)
    checked = check_files(files, paths, allow=allow, inputs=inputs)
    worst = max(failure_code(diagnostics, fail_on) for _, _, diagnostics in checked)
    if output_format == "sarif":
        import mlpy
        from mlpy.cli.sarif import sarif_log

        emit_json(sarif_log([(file, diagnostics) for file, _, diagnostics in checked],
                            version=mlpy.__version__))
    elif output_format == "json":
        documents = [{"file": file,
                      "ok": not any(d.severity == "error" for d in diagnostics),
                      "diagnostics": [d.to_dict() for d in diagnostics]}
                     for file, _, diagnostics in checked]
        emit_json(documents if len(documents) > 1 else documents[0])
    else:
        for file, source, diagnostics in checked:
            print_diagnostics(file, source, diagnostics)
            if not any(d.severity == "error" for d in diagnostics):
                click.echo(f"{file}: ok", err=True)
    sys.exit(worst)
