"""``mlpy modules list|info|check``: the modules ML programs can import."""

from __future__ import annotations

import json
import sys

import click

from mlpy.cli.options import PathOptions, module_path_options
from mlpy.cli.output import echo_err, report


@click.group()
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
    from mlpy.modules.paths import shown_path as shown

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
    from mlpy.modules.paths import shown_path as shown

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
    from mlpy.errors import MLError
    from mlpy.modules.sources import ImportProblem

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
