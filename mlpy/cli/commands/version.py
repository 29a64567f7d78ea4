"""``mlpy version``: the versions of mlpy, its ML grammar and parser, and Python."""

from __future__ import annotations

import platform
import sys
from typing import Any

import click

from mlpy.cli.output import emit_json


def versions() -> dict[str, Any]:
    import lark

    import mlpy
    from mlpy.language.parser import GRAMMAR_VERSION

    return {
        "mlpy": mlpy.__version__,
        "grammar": GRAMMAR_VERSION,
        "lark": lark.__version__,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(terse=True),
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def version(as_json: bool) -> None:
    """The versions of mlpy, its grammar (a hash of grammar.lark), lark and Python."""
    found = versions()
    if as_json:
        emit_json(found)
        return
    width = max(map(len, found))
    for key, value in found.items():
        click.echo(f"{key:<{width}}  {value}")
