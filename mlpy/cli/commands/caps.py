"""``mlpy caps list|explain CAP``: the capability catalogue.

Built from what the modules declare (the stdlib's and any extension modules on the path):
every ``area.action`` some module function needs, the functions that need it, and the scope
syntax of its area (the rules of mlpy/runtime/capabilities.py, documented on the security
capabilities page).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click

from mlpy.cli.options import PathOptions, module_path_options
from mlpy.cli.output import emit_json

SCOPE_SYNTAX = {
    "file": "a glob over absolute paths (* within a segment, ** across segments, ?, [set]); "
            "paths are made absolute, '..' collapsed and links resolved before matching",
    "path": "a glob over absolute paths, as for file",
    "network": "scheme://host[:port][/path-glob] or host-glob[:port]; URLs are matched in "
               "their canonical form",
    "env": "a glob over environment variable names (APP_*)",
}
OTHER_SCOPE = "a glob (fnmatch, with case) over the resource the function checks"


def catalogue(registry: Any) -> dict[str, dict[str, list[str]]]:
    """area -> action -> the module members (``module.function``) that need it."""
    areas: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for module in registry.available():
        if registry.kind(module) == "ml":
            continue
        info = registry.info(module) or {}
        for member in info.get("functions", ()):
            for need in registry.requirements(module, member):
                area, _, action = need.partition(".")
                areas[area][action].append(f"{module}.{member}")
    return {area: {action: sorted(members) for action, members in sorted(actions.items())}
            for area, actions in sorted(areas.items())}


def scope_syntax(area: str) -> str:
    return SCOPE_SYNTAX.get(area, OTHER_SCOPE)


@click.group()
def caps() -> None:
    """The capabilities ML programs can be granted: areas, actions, scopes, who needs what."""


@caps.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@module_path_options
def caps_list(as_json: bool, paths: PathOptions) -> None:
    """Every area.action a module function needs, with the functions that need it."""
    found = catalogue(paths.registry(".", implicit=False))
    if as_json:
        emit_json({"areas": [
            {"area": area, "scope_syntax": scope_syntax(area),
             "actions": [{"capability": f"{area}.{action}", "needed_by": members}
                         for action, members in actions.items()]}
            for area, actions in found.items()]})
        return
    for area, actions in found.items():
        click.echo(f"{area}  (scope: {scope_syntax(area)})")
        for action, members in actions.items():
            click.echo(f"  {area}.{action}: {', '.join(members)}")


@caps.command("explain")
@click.argument("capability", metavar="CAP")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@module_path_options
def caps_explain(capability: str, as_json: bool, paths: PathOptions) -> None:
    """What CAP (area.action[:scope], action may be *) grants and which functions it
    unlocks."""
    from mlpy.errors import MLConfigurationError
    from mlpy.runtime.capabilities import Capability

    try:
        parsed = Capability.parse(capability)
    except MLConfigurationError as error:
        raise click.UsageError(f"CAP {capability!r}: {error.message}") from None
    actions = catalogue(paths.registry(".", implicit=False)).get(parsed.area, {})
    unlocked = {f"{parsed.area}.{action}": members for action, members in actions.items()
                if parsed.action in ("*", action)}
    document = {
        "capability": capability,
        "area": parsed.area,
        "action": parsed.action,
        "scope": parsed.scope,
        "scope_syntax": scope_syntax(parsed.area),
        "grants": (f"every {parsed.area} action" if parsed.action == "*"
                   else f"{parsed.area}.{parsed.action}")
                  + (f" on resources matching {parsed.scope}" if parsed.scope
                     else " on any resource"),
        "needed_by": unlocked,
    }
    if as_json:
        emit_json(document)
        return
    click.echo(f"{capability}: grants {document['grants']}")
    click.echo(f"  scope syntax: {document['scope_syntax']}")
    if not unlocked:
        click.echo("  no module function on the path needs it (a host function may)")
    for name, members in unlocked.items():
        click.echo(f"  {name} is needed by: {', '.join(members)}")
