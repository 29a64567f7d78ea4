"""``mlpy cache stats|clear``: the caches a command line can see.

mlpy keeps two caches. Each :class:`~mlpy.Engine` holds compiled programs in memory (an LRU
of ``cache_size`` entries): it lives as long as its engine, so a ``mlpy`` process -- which
compiles each program once and exits -- never has a warm one to show, and ``cache stats``
reports it as per process. On disk, the parser's LALR tables are kept in the user cache
directory (``MLPY_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlpy`` or ``~/.cache/mlpy``), one file
per grammar and lark version: that is what ``cache clear`` removes (the next start rebuilds
it). Compiled programs are never written to disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mlpy.cli.output import emit_json

PATTERN = "grammar-*.pickle"


def disk_entries() -> tuple[Path, list[Path]]:
    from mlpy.language.parser import cache_dir

    directory = cache_dir()
    return directory, sorted(directory.glob(PATTERN)) if directory.is_dir() else []


def stats() -> dict[str, Any]:
    from mlpy.language.parser import GRAMMAR_VERSION

    directory, files = disk_entries()
    return {
        "program_cache": {
            "kind": "memory",
            "scope": "per Engine, in the process that created it",
            "default_max_entries": 512,
            "entries_here": 0,
            "note": "a mlpy command compiles each program once and exits, so it never "
                    "holds cached programs; long-lived hosts see theirs in their Engine",
        },
        "parser_tables": {
            "kind": "disk",
            "directory": str(directory),
            "files": [{"name": f.name, "bytes": f.stat().st_size,
                       "current": GRAMMAR_VERSION in f.name} for f in files],
            "bytes": sum(f.stat().st_size for f in files),
        },
    }


@click.group()
def cache() -> None:
    """The program cache (per engine, in memory) and the parser tables (on disk)."""


@cache.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def cache_stats(as_json: bool) -> None:
    """What is cached and where."""
    found = stats()
    if as_json:
        emit_json(found)
        return
    tables = found["parser_tables"]
    click.echo("program cache: in memory, per Engine (none survives a mlpy command)")
    click.echo(f"parser tables: {tables['directory']}: {len(tables['files'])} file(s), "
               f"{tables['bytes']} bytes")
    for entry in tables["files"]:
        click.echo(f"  {entry['name']}  {entry['bytes']} bytes"
                   + ("" if entry["current"] else "  (an older grammar)"))


@cache.command("clear")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def cache_clear(as_json: bool) -> None:
    """Remove the parser tables from the cache directory (rebuilt on the next start)."""
    directory, files = disk_entries()
    removed, failed = [], []
    for file in files:
        try:
            file.unlink()
            removed.append(file.name)
        except OSError as problem:
            failed.append({"name": file.name, "error": str(problem)})
    if as_json:
        emit_json({"directory": str(directory), "removed": removed, "failed": failed})
    else:
        click.echo(f"removed {len(removed)} file(s) from {directory}", err=True)
        for entry in failed:
            click.echo(f"could not remove {entry['name']}: {entry['error']}", err=True)
    if failed:
        raise SystemExit(7)
