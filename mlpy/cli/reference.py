"""The CLI reference of docs/cli.md, generated from the click commands themselves.

``python -m mlpy.cli.reference`` prints it; ``python -m mlpy.cli.reference --write
docs/cli.md`` replaces the page's generated part (between :data:`BEGIN` and :data:`END`)
with it. tests/cli/test_cli_docs.py keeps the committed page's generated part equal to it,
so the page always shows the ``--help`` of every command: a command whose options change
fails that test until the page is regenerated.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

BEGIN = "<!-- begin generated reference -->"
END = "<!-- end generated reference -->"
WIDTH = 88  # the width the help is rendered at, whatever the terminal


def _commands(group: click.Group, ctx: click.Context, path: list[str]):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        yield [*path, name], command
        if isinstance(command, click.Group):
            sub = click.Context(command, info_name=name, parent=ctx)
            yield from _commands(command, sub, [*path, name])


def reference() -> str:
    """Markdown: one section per command with its --help text, in a code block."""
    from mlpy.cli.main import cli

    settings = {"terminal_width": WIDTH, "max_content_width": WIDTH,
                "help_option_names": cli.context_settings.get("help_option_names",
                                                              ["--help"])}
    root = click.Context(cli, info_name="mlpy", **settings)
    parts = ["### `mlpy`\n", "```text\n" + cli.get_help(root).rstrip() + "\n```\n"]
    for path, command in _commands(cli, root, ["mlpy"]):
        ctx = click.Context(command, info_name=" ".join(path), **settings)
        parts.append(f"### `{' '.join(path)}`\n")
        parts.append("```text\n" + command.get_help(ctx).rstrip() + "\n```\n")
    return "\n".join(parts)


def generated_part(page: str) -> str:
    """The text between the markers of ``page`` (ValueError when they are missing)."""
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return page[start:end].strip("\n")


def rewrite(page: str) -> str:
    """``page`` with its generated part replaced by the current :func:`reference`."""
    start, end = page.index(BEGIN) + len(BEGIN), page.index(END)
    return page[:start] + "\n\n" + reference().strip("\n") + "\n\n" + page[end:]


def main(argv: list[str]) -> None:
    if argv[:1] == ["--write"] and len(argv) == 2:
        path = Path(argv[1])
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    elif not argv:
        print(reference(), end="")
    else:
        sys.exit("usage: python -m mlpy.cli.reference [--write PAGE]")


if __name__ == "__main__":
    main(sys.argv[1:])
