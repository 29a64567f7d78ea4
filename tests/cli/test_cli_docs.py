"""docs/cli.md tells the truth about the commands: its generated part is the ``--help`` of
every command as the code has it now, and its exit-code table is the one of
:mod:`mlpy.cli.output`."""

from __future__ import annotations

import re
from pathlib import Path

from mlpy.cli import output, reference
from mlpy.cli.main import ALIASES, COMMANDS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_the_generated_reference_is_current():
    page = PAGE.read_text(encoding="utf-8")
    assert reference.generated_part(page) == reference.reference().strip("\n"), (
        "a command changed: run `python -m mlpy.cli.reference --write docs/cli.md`")


def test_every_command_has_a_section_and_no_alias_a_second_one():
    page = PAGE.read_text(encoding="utf-8")
    sections = set(re.findall(r"^### `mlpy (\w+)`$", page, flags=re.M))
    assert sections == set(COMMANDS)
    assert not sections & set(ALIASES)


def test_rewrite_replaces_only_the_generated_part():
    page = "intro\n" + reference.BEGIN + "\nstale\n" + reference.END + "\nafter\n"
    rewritten = reference.rewrite(page)
    assert rewritten.startswith("intro\n" + reference.BEGIN + "\n\n### `mlpy`\n")
    assert rewritten.endswith("\n\n" + reference.END + "\nafter\n")
    assert "stale" not in rewritten


def test_the_exit_code_table_is_the_code_of_mlpy_cli_output():
    page = PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| `(EXIT_\w+)` \| (.+) \|$", page, flags=re.M)
    constants = {name: value for name, value in vars(output).items()
                 if name.startswith("EXIT_")}
    assert {name: int(code) for code, name, _ in rows} == constants
    assert [int(code) for code, _, _ in rows] == list(range(8))  # 0..7, each once
