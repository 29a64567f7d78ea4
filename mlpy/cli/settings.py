"""The configuration the commands run with: ``--config``/``--env``/``--isolated``, the
project's configuration file, the ``MLPY_*`` variables, read through :mod:`mlpy.config`.

The file is looked for from the directory of the program a command works on (``run``,
``check``, ``transpile``, ...: :meth:`PathOptions.resolve <mlpy.cli.options.PathOptions.
resolve>` asks for it there), else from the working directory. A flag given on the command
line wins over the configuration (the ``cli:<flag>`` layer of integration spec §10.3); a
setting neither gives keeps the built-in default. A malformed configuration -- a file that
does not parse, a value of the wrong type in a file or an ``MLPY__*`` variable, an overlay
``--env`` names that the file lacks -- is a usage error (exit 2) that names the source, the
key and the expected type. The configuration's warnings (unknown keys, several files in one
directory) are printed on stderr, unless ``-q``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import click

from mlpy.cli.output import echo_err


class ConfigurationProblem(click.UsageError):
    """A configuration that does not load: exit 2, the problem without the usage text (the
    command line itself may be fine)."""

    def show(self, file: Any = None) -> None:
        echo_err(f"mlpy: configuration error: {self.message}")


def load_config(options: Any, start_dir: str | os.PathLike[str] | None = None) -> Any:
    """The effective :class:`~mlpy.config.MLConfig` for the global ``options``, its file
    found from ``start_dir`` (default: the working directory) up; the logging settings it
    has are put in force."""
    from mlpy.config import MLConfig, MLConfigWarning, apply_logging
    from mlpy.errors import MLError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MLConfigWarning)  # printed below, once each
            config = MLConfig.load(options.config_path, start_dir=start_dir,
                                   environment=options.environment, env=os.environ,
                                   isolated=options.isolated)
            for flag, values in options.cli_overrides.items():
                config = config.with_overrides(values, source=f"cli:{flag}")
        if options.verbosity >= 0:
            for warning in config.warnings:
                echo_err(f"warning: {warning}")
        if _sets_logging(config) and apply_logging(config):
            _drop_cli_log_handler()
    except MLError as error:
        raise ConfigurationProblem(problem_text(error)) from None
    return config


def problem_text(error: Any) -> str:
    """An error's report (its file and line when it has them, its hints) without the
    leading ``error:`` that the ``configuration error:`` prefix already says."""
    text = str(error)
    return text[len("error: "):] if text.startswith("error: ") else text


def _sets_logging(config: Any) -> bool:
    """Whether a file or a variable sets the logging level or format (-q/-v alone keep the
    handler the group installed)."""
    sources = [config.explain(f"observability.logging.{key}").source
               for key in ("level", "format")]
    return any(source != "default" and not source.startswith("cli:") for source in sources)


def _drop_cli_log_handler() -> None:
    """The handler ``-v`` installed before the configuration was read: the one
    :func:`~mlpy.observability.logging.configure` installed replaces it."""
    import logging

    logger = logging.getLogger("mlpy")
    for handler in [h for h in logger.handlers if getattr(h, "_mlpy_cli", False)]:
        logger.removeHandler(handler)


def setting(key: str, given: Any = None, default: Any = None) -> Any:
    """``given`` (a command-line flag) when it is not None, else the configuration's value
    for ``key``, else ``default``."""
    if given is not None:
        return given
    from mlpy.cli.options import global_options

    value = global_options().config().get(key)
    return default if value is None else value


def project_paths(config: Any) -> Any:
    """The module directories the configuration's file (and its overlay) lists, as the
    module system's :class:`~mlpy.modules.paths.ProjectConfig` -- the command line's and the
    environment's are added by :func:`~mlpy.modules.paths.resolve_module_paths` -- or None
    when no file was read."""
    from mlpy.modules.paths import EXTENSION_KEY, ML_KEY, ProjectConfig

    if not config.files:
        return None

    def from_file(key: str) -> tuple[Path, ...]:
        # highest first: the overlay's entries, then the file's
        layers = config.explain(key).layers
        return tuple(Path(entry) for source, value in layers if source.startswith("file:")
                     for entry in value)

    return ProjectConfig(Path(config.files[0]), from_file(EXTENSION_KEY), from_file(ML_KEY))
