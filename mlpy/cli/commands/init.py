"""``mlpy init NAME`` (also ``mlpy --init NAME``): a new project from a template.

The project goes in ``--dir``/NAME (``--dir`` defaults to the current directory), which must
not exist or be empty. Templates (mlpy/cli/templates.py): ``basic`` (a program and its
tests), ``cli`` (a Python command whose logic is an ML script), ``library`` (ML modules
imported as ``import NAME.stats;``), ``web`` (a FastAPI service, through
mlpy.integration.fastapi). Each comes with tests that pass: run ``pytest`` in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from mlpy.cli.output import echo_err
from mlpy.cli.templates import TEMPLATES, render

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


@click.command()
@click.argument("name")
@click.option("--template", type=click.Choice(sorted(TEMPLATES)), default="basic",
              show_default=True, help="What kind of project.")
@click.option("--dir", "parent", type=click.Path(file_okay=False), default=".",
              metavar="PATH", help="Create the project in PATH/NAME (default: here).")
def init(name: str, template: str, parent: str) -> None:
    """Create the project NAME from a template."""
    if not NAME.match(name):
        raise click.BadParameter("start with a letter; use letters, digits, '-' and '_'",
                                 param_hint="NAME")
    package = name.replace("-", "_").lower()
    target = Path(parent) / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise click.UsageError(f"{target} already exists and is not an empty directory")
    files = render(template, name, package)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    echo_err(f"created {target} ({template} template, {len(files)} files); "
             f"next: cd {target} && pytest")
