"""``mlpy config show|validate|explain KEY``: the effective configuration, with where each
value comes from (``default``, ``file:<path>``, ``file:<path>#environments.<name>``,
``env:<VAR>``, ``cli:<flag>``), read with the global ``--config``, ``--env`` and
``--isolated``. A configuration that does not load is a usage error (exit 2) naming the
file, the key and the expected type.
"""

from __future__ import annotations

import json
from typing import Any

import click

from mlpy.cli.options import global_options
from mlpy.cli.output import emit_json


def effective() -> Any:
    config = global_options().config()
    if config is None:
        raise click.UsageError("this mlpy has no configuration module (mlpy.config)")
    return config


def _flat(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and key != "profiles" and key != "environments":
            flat.update(_flat(value, name + "."))
        else:
            flat[name] = value
    return flat


def _explained(config: Any, key: str) -> dict[str, Any]:
    found = config.explain(key)
    if isinstance(found, dict):
        return {"key": key, **found}
    value = getattr(found, "value", found)
    source = getattr(found, "source", None) or getattr(found, "provenance", None)
    return {"key": key, "value": value, "source": source}


@click.group()
def config() -> None:
    """Show, validate and explain the effective configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def config_show(as_json: bool) -> None:
    """Every setting with its value and its source."""
    loaded = effective()
    flat = _flat(loaded.to_dict())
    rows = [_explained(loaded, key) for key in flat]
    if as_json:
        emit_json({"settings": rows})
        return
    width = max((len(row["key"]) for row in rows), default=0)
    for row in rows:
        click.echo(f"{row['key']:<{width}}  {json.dumps(row['value'])}  ({row['source']})")


@config.command("validate")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def config_validate(as_json: bool) -> None:
    """Load the configuration; exit 2 with the problem when it does not load."""
    loaded = effective()
    warnings = [str(w) for w in getattr(loaded, "warnings", ())]
    if as_json:
        emit_json({"ok": True, "warnings": warnings,
                   "sources": [str(s) for s in getattr(loaded, "sources", ())]})
        return
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo("configuration ok", err=True)


@config.command("explain")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def config_explain(key: str, as_json: bool) -> None:
    """The value of KEY (section.key) and where it comes from."""
    from mlpy.errors import MLError

    loaded = effective()
    try:
        row = _explained(loaded, key)
    except (MLError, KeyError) as error:
        message = getattr(error, "message", None) or str(error)
        raise click.BadParameter(message, param_hint="KEY") from None
    if as_json:
        emit_json(row)
        return
    click.echo(f"{key} = {json.dumps(row['value'])}  ({row['source']})")
