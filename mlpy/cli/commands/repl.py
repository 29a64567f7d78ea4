"""``mlpy repl``: the interactive ML shell (mlpy/repl/ holds it; this is its command line)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mlpy.cli.options import PathOptions, allow_option, check_capabilities, global_options
from mlpy.cli.options import module_path_options


@click.command()
@allow_option("Grant a capability from the start (repeatable), e.g. --allow file.read or "
              "--allow 'file.read:./data/**'.")
@click.option("--security/--no-security", default=True, show_default=True,
              help="With --no-security, capability checks are off: every capability the "
                   "modules declare is granted.")
@click.option("--dev", "dev", is_flag=True,
              help="Start in development mode (also: MLPY_DEV_MODE=1).")
@click.option("--basic", is_flag=True, help="Use the plain line reader, without "
              "highlighting, completion or history file.")
@click.option("--no-history", "no_history", is_flag=True,
              help="Do not read or write the history file.")
@click.option("--history-file", type=click.Path(dir_okay=False), default=None,
              metavar="PATH", help="The history file (default: $MLPY_HISTORY_FILE or "
              "~/.mlpy_history).")
@click.option("--no-pager", "no_pager", is_flag=True,
              help="Never page long output.")
@click.option("--no-color", "no_color", is_flag=True,
              help="No colours (also: NO_COLOR set, or mlpy --color never).")
@click.option("--exit-on-error", "exit_on_error", is_flag=True,
              help="Without a terminal (piped input): stop at the first input that fails "
                   "and exit with status 1.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks with errors.")
@module_path_options
def repl(allow: tuple[str, ...], security: bool, dev: bool, basic: bool, no_history: bool,
         history_file: str | None, no_pager: bool, no_color: bool, exit_on_error: bool,
         debug: bool, paths: PathOptions) -> None:
    """Start the interactive ML shell (the REPL).

    Modules are searched in the -E/-M directories, the project config found from the
    current directory up, the MLPY_* path variables and the current directory. With piped
    input it runs the lines without banner or prompts."""
    from mlpy.errors import MLError
    from mlpy.modules.paths import load_project_config
    from mlpy.repl.terminal import env_flag_on, run_repl

    check_capabilities("--allow", allow)
    here = Path.cwd()
    resolved = paths.resolve(here)
    config = None
    if not paths.isolated:
        try:
            config = load_project_config(here)
        except MLError:  # already reported by resolve()
            config = None
    origins = {str(entry.path): entry.origin
               for entry in (*resolved.extension_paths, *resolved.ml_module_paths)}
    color = {"never": False, "always": True}.get(global_options().color)
    status = run_repl(security=security, extension_paths=resolved.extension_dirs,
                      ml_module_paths=resolved.ml_dirs, capabilities=allow,
                      dev_mode=dev or env_flag_on("MLPY_DEV_MODE"), basic=basic,
                      history=not no_history, history_file=history_file,
                      pager=not no_pager, color=False if no_color else color,
                      exit_on_error=exit_on_error, debug=debug, path_origins=origins,
                      config_file=str(config.path) if config is not None else None)
    sys.exit(status)
