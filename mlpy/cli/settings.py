"""The configuration the commands run with: ``--config``/``--env``/``--isolated`` and the
project's configuration file, read through :mod:`mlpy.config` when this mlpy has it.

A flag given on the command line wins over the configuration (the ``cli:<flag>`` layer of
integration spec §10.3); a setting neither gives keeps the built-in default. A malformed
configuration is a usage error (exit 2) that names the file, the key and the expected type.
"""

from __future__ import annotations

import os
from typing import Any

import click

MISSING = object()


def config_module() -> Any:
    """:mod:`mlpy.config`, or None when this mlpy has no configuration module."""
    try:
        from mlpy import config
    except ImportError:
        return None
    return config if hasattr(config, "MLConfig") else None


def load_config(options: Any) -> Any:
    """The effective configuration for the global ``options`` (None without the module)."""
    module = config_module()
    if module is None:
        if options.config_path or options.environment:
            raise click.UsageError("--config and --env need mlpy's configuration module, "
                                   "which this installation does not have")
        return None
    from mlpy.errors import MLError

    try:
        config = module.MLConfig.load(options.config_path, environment=options.environment,
                                      env=os.environ, isolated=options.isolated)
        if options.cli_overrides:
            config = config.with_overrides(options.cli_overrides, source="cli")
    except MLError as error:
        raise click.UsageError(f"configuration: {error.message}") from None
    return config


def setting(key: str, given: Any = None, default: Any = None) -> Any:
    """``given`` (a command-line flag) when it is not None, else the configuration's value
    for ``key``, else ``default``."""
    if given is not None:
        return given
    from mlpy.cli.options import global_options

    config = global_options().config()
    if config is None:
        return default
    value = config.get(key)
    return default if value is None else value
