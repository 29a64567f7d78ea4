"""The ``mlbatch`` command: progress while it works, a summary table, and an exit code.

::

    mlbatch mlbatch.toml              # check every file the config names
    mlbatch mlbatch.toml --workers 1  # one file after another
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

import mlpy
from mlbatch.batch import Batch, ConfigError, FileOutcome, load_config

# [exit_codes]
EXIT_OK = 0  # every record of every file was accepted
EXIT_REJECTED = 1  # the batch ran, but some records were rejected or some files failed
EXIT_USAGE = 2  # a wrong option, or a config file that cannot be used (click uses 2 too)
EXIT_RULE_BROKEN = 3  # the rules do not compile: no file was read
# [/exit_codes]


class BadConfig(click.ClickException):
    """A config mistake, shown as ``Error: <message>`` with the usage exit code."""

    exit_code = EXIT_USAGE


# [command]
@click.command()
@click.argument("config_file", type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Files checked at once (default: the config's 'workers').")
def main(config_file: Path, workers: int | None) -> None:
    """Check every CSV and JSON file of the config's input folder against its ML rules."""
    try:
        config = load_config(config_file)
    except ConfigError as error:
        raise BadConfig(str(error)) from None
    err = Console(stderr=True)
    try:
        batch = Batch(config)
    except mlpy.MLCompileError as error:
        err.print(f"[bold red]the rules in {config.rules.name} do not compile:[/]")
        err.print(str(error), markup=False, highlight=False)
        raise SystemExit(EXIT_RULE_BROKEN) from None
    files = batch.files()
    # Bars only for a person watching: in a pipe, a log or CI they would be noise.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task("checking", total=len(files))
        outcomes = batch.run(workers, on_done=lambda outcome: progress.advance(task))
    Console().print(summary(outcomes))
    failed = any(outcome.error or outcome.rejected for outcome in outcomes)
    raise SystemExit(EXIT_REJECTED if failed else EXIT_OK)
# [/command]


# [summary]
def summary(outcomes: list[FileOutcome]) -> Table:
    """One row per file; a rejection or an error says which record or why."""
    table = Table(title="mlbatch summary")
    for column in ("file", "accepted", "rejected", "problems"):
        table.add_column(column, justify="right" if column in ("accepted", "rejected")
                         else "left")
    for outcome in outcomes:
        if outcome.error:
            # escape(): an error message may hold [, which rich would read as markup
            problems = f"[red]{outcome.error_code}[/]: {escape(outcome.error)}"
        else:
            problems = "; ".join(f"{item['id']}: {item['reason']}"
                                 for item in outcome.rejected)
        table.add_row(outcome.name, "-" if outcome.error else str(outcome.accepted),
                      "-" if outcome.error else str(len(outcome.rejected)), problems)
    return table
# [/summary]
