"""``mlpy config show|validate|explain KEY``: the effective configuration, with where each
value comes from (``default``, ``file:<path>``, ``file:<path>#environments.<name>``,
``env:<VAR>``, ``cli:<flag>``), read with the global ``--config``, ``--env`` and
``--isolated`` from the working directory up.

A configuration that does not load is a usage error (exit 2) naming the source, the key and
the expected type; ``validate`` also fails (exit 2) when metrics or tracing are enabled but
their extra is not installed. With ``--json`` each prints one JSON document on stdout, the
failure of ``validate`` included (``{"ok": false, "error": ...}``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from mlpy.cli.options import global_options
from mlpy.cli.output import EXIT_USAGE, echo_err, emit_json
from mlpy.cli.settings import ConfigurationProblem

JSON_OPTION = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON document on stdout.")


def _shown(value: Any) -> str:
    return json.dumps(value)


def _source(source: str) -> str:
    """A provenance string as a person reads it: a file's path relative to the working
    directory when inside it (``--json`` keeps the absolute ones)."""
    from mlpy.modules.paths import shown_path

    def one(part: str) -> str:
        if not part.startswith("file:"):
            return part
        path, hash_, overlay = part[len("file:"):].partition("#")
        return f"file:{shown_path(path)}{hash_}{overlay}"

    return " + ".join(one(part) for part in source.split(" + "))


def _files(config: Any) -> str:
    from mlpy.modules.paths import shown_path

    return ", ".join(shown_path(f) for f in config.files)


def _say(text: str) -> None:
    """A human line on stderr, unless -q."""
    if global_options().verbosity >= 0:
        echo_err(text)


def _header(config: Any) -> dict[str, Any]:
    return {"files": [str(f) for f in config.files], "environment": config.environment,
            "warnings": list(config.warnings)}


@click.group()
def config() -> None:
    """Show, validate and explain the effective configuration."""


@config.command("show")
@JSON_OPTION
def config_show(as_json: bool) -> None:
    """Every setting with its value and where it comes from."""
    from mlpy.config import OPTIONS

    loaded = global_options().config()
    rows = [loaded.explain(o.key).to_dict() for o in OPTIONS if o.key != "environments"]
    if as_json:
        emit_json({**_header(loaded), "settings": [
            {"key": r["key"], "value": r["value"], "source": r["source"]} for r in rows],
            "environments": loaded.to_dict()["environments"]})
        return
    _say(f"configuration: {_files(loaded) or 'no file (defaults)'}"
             + (f", environment {loaded.environment}" if loaded.environment else ""))
    width = max(len(r["key"]) for r in rows)
    for row in rows:
        click.echo(f"{row['key']:<{width}}  {_shown(row['value'])}  ({_source(row['source'])})")


@config.command("validate")
@JSON_OPTION
def config_validate(as_json: bool) -> None:
    """Load the configuration and check it can be applied; exit 2 when it cannot."""
    from mlpy.config import check_observability
    from mlpy.errors import MLError

    try:
        loaded = global_options().config()
        check_observability(loaded)
    except (ConfigurationProblem, MLError) as problem:
        message = problem.message if isinstance(problem, ConfigurationProblem) else str(problem)
        if not as_json:
            raise ConfigurationProblem(message) from None
        emit_json({"ok": False, "error": message})
        sys.exit(EXIT_USAGE)
    if as_json:
        emit_json({"ok": True, **_header(loaded)})
        return
    where = _files(loaded) or "no configuration file; the defaults"
    _say(f"configuration ok: {where}"
             + (f" (environment {loaded.environment})" if loaded.environment else ""))


@config.command("explain")
@click.argument("key")
@JSON_OPTION
def config_explain(key: str, as_json: bool) -> None:
    """The value of KEY (e.g. async.max_workers), where it comes from, and every source
    that sets it, highest precedence first."""
    from mlpy.errors import MLError

    loaded = global_options().config()
    try:
        found = loaded.explain(key).to_dict()
    except MLError as error:
        raise click.BadParameter(error.message, param_hint="KEY") from None
    if as_json:
        emit_json(found)
        return
    click.echo(f"{key} = {_shown(found['value'])}")
    click.echo(f"  from {_source(found['source'])}")
    click.echo("  sources, highest precedence first:")
    layers = [(_source(layer["source"]), _shown(layer["value"])) for layer in found["layers"]]
    width = max(len(source) for source, _ in layers)
    for source, value in layers:
        click.echo(f"    {source:<{width}}  {value}")
    click.echo(f"  {found['description']}")
