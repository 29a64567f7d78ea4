"""The ``mlpy`` command: the click group, its global options and the process entry point.

Each command lives in a module of :mod:`mlpy.cli.commands` (``COMMANDS`` maps a name to it)
and is imported only when it runs or when ``--help`` lists it, so that ``mlpy --version``
starts in a few tens of milliseconds. What commands print and their exit codes (0..7, the
same for all) are in :mod:`mlpy.cli.output`; options several commands share in
:mod:`mlpy.cli.options`; how flags and the configuration combine in :mod:`mlpy.cli.settings`.

Global options come before the command name: ``mlpy --config shop.toml --env production
-v run app.ml``. Nothing is ever written next to the sources unless asked for.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback

import click

from mlpy._version import __version__
from mlpy.cli.options import GlobalOptions
from mlpy.cli.output import COLOR_MODES, EXIT_INTERNAL, EXIT_USAGE, set_color_mode

# name -> "module:attribute" under mlpy.cli.commands; aliases point at the same command.
COMMANDS = {
    "run": "run:run",
    "exec": "run:exec_",
    "transpile": "transpile:transpile",
    "check": "check:check",
    "audit": "audit:audit",
    "bench": "bench:bench",
    "init": "init:init",
    "cache": "cache:cache",
    "caps": "caps:caps",
    "config": "config:config",
    "debug": "debug:debug",
    "dap": "debug:dap",
    "integration": "integration:integration",
    "modules": "modules:modules",
    "repl": "repl:repl",
    "version": "version:version",
}
ALIASES = {"execute": "exec", "validate": "check", "debug-adapter": "dap"}


class LazyGroup(click.Group):
    """A group whose commands are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(ALIASES.get(name, name))
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(f"mlpy.cli.commands.{module}"), attribute)


@click.group(cls=LazyGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mlpy",
                      message="%(prog)s %(version)s")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              default=None, metavar="PATH", help="The configuration file (default: "
              "MLPY_CONFIG, else mlpy.json / mlpy.yaml / mlpy.yml / .mlpy.json / mlpy.toml / "
              "[tool.mlpy] of pyproject.toml, found from the program's directory up).")
@click.option("--env", "environment", default=None, metavar="NAME",
              help="The configuration overlay environments.NAME (default: MLPY_ENV).")
@click.option("--isolated", is_flag=True,
              help="Ignore configuration files and MLPY_* variables.")
@click.option("-v", "--verbose", count=True,
              help="Say more on stderr (repeatable: -v info, -vv debug logging of the "
                   "mlpy logger).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("--color", type=click.Choice(COLOR_MODES), default="auto", show_default=True,
              help="Colour on stderr: auto follows the terminal, NO_COLOR and FORCE_COLOR.")
@click.option("-e", "--expr", "expression", default=None, metavar="EXPR",
              help="Print the value of one ML expression (same as `mlpy exec -e EXPR`).")
@click.option("--init", "init_name", default=None, metavar="NAME",
              help="Create a project (same as `mlpy init NAME`).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, environment: str | None, isolated: bool,
        verbose: int, quiet: bool, color: str, expression: str | None,
        init_name: str | None) -> None:
    """Run, check, audit, benchmark and transpile ML programs."""
    if verbose and quiet:
        raise click.UsageError("-q/--quiet and -v/--verbose exclude each other")
    verbosity = -1 if quiet else verbose
    ctx.obj = GlobalOptions(config_path=config_path, environment=environment,
                            isolated=isolated, verbosity=verbosity, color=color,
                            cli_overrides=_log_level_override(verbosity))
    set_color_mode(color)
    _set_log_level(ctx.obj.verbosity)
    shortcut = [name for name, given in (("-e/--expr", expression), ("--init", init_name))
                if given is not None]
    if shortcut and ctx.invoked_subcommand is not None:
        raise click.UsageError(f"{shortcut[0]} is a command of its own; it takes no "
                               f"command '{ctx.invoked_subcommand}' after it")
    if expression is not None:
        ctx.invoke(cli.get_command(ctx, "exec"), expression=expression)
    elif init_name is not None:
        ctx.invoke(cli.get_command(ctx, "init"), name=init_name)
    elif ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _level_name(verbosity: int) -> str:
    return {-1: "ERROR", 1: "INFO"}.get(verbosity, "DEBUG")


def _log_level_override(verbosity: int) -> dict[str, dict[str, str]]:
    """-q/-v as the configuration's ``cli:-q``/``cli:-v`` layer of the logging level."""
    if verbosity == 0:
        return {}
    flag = "-q" if verbosity < 0 else "-" + "v" * verbosity
    return {flag: {"observability.logging.level": _level_name(verbosity)}}


def _set_log_level(verbosity: int) -> None:
    """-v: INFO, -vv: DEBUG, -q: ERROR on the ``mlpy`` logger, shown on stderr."""
    if verbosity == 0:
        return
    level = logging.getLevelName(_level_name(verbosity))
    logger = logging.getLogger("mlpy")
    logger.setLevel(level)
    if not any(getattr(h, "_mlpy_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
        handler._mlpy_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def main(argv: list[str] | None = None) -> None:
    """The ``mlpy`` console script: click's errors become exit 2, our bugs exit 7."""
    try:
        cli.main(args=argv, prog_name="mlpy", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as problem:  # UsageError, BadParameter, FileError, ...
        problem.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as problem:  # noqa: BLE001 - a bug in mlpy, not in the user's program
        _internal_error(problem)


def _internal_error(problem: BaseException) -> None:
    from mlpy.errors import env_flag

    sys.stderr.write(f"mlpy: internal error: {type(problem).__name__}: {problem}\n"
                     "This is a bug in mlpy; set MLPY_DEBUG=1 to see the traceback.\n")
    if env_flag("MLPY_DEBUG"):
        traceback.print_exc()
    sys.exit(EXIT_INTERNAL)
