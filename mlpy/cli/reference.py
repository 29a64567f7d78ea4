"""The CLI reference of docs/cli.md, generated from the click commands themselves.

``python -m mlpy.cli.reference > part`` prints it; tests/cli/test_cli_docs.py keeps the page's
generated part equal to it, so the page always shows the ``--help`` of every command.
"""

from __future__ import annotations

import click

BEGIN = "<!-- begin generated reference -->"
END = "<!-- end generated reference -->"


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

    root = click.Context(cli, info_name="mlpy", terminal_width=88, max_content_width=88)
    parts = ["## `mlpy`\n", "```text\n" + cli.get_help(root).rstrip() + "\n```\n"]
    for path, command in _commands(cli, root, ["mlpy"]):
        ctx = click.Context(command, info_name=" ".join(path), terminal_width=88,
                            max_content_width=88)
        parts.append(f"## `{' '.join(path)}`\n")
        parts.append("```text\n" + command.get_help(ctx).rstrip() + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
