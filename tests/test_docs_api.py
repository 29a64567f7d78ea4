"""The option tables of the embedding API page name exactly the parameters of the signatures
they document, so a new parameter cannot go undocumented and a removed one cannot stay.

A table is marked by the comment before it: ``% The options of mlpy.Engine.execute: ...``.
The first column lists the options in backquotes, several to a row when they share a line.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import mlpy

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"
MARKER = re.compile(r"^% The options of (?P<target>mlpy(?:\.\w+)+):", re.M)
# The documented signatures and the parameters their tables leave to the prose: the program
# or source every call is about.
DOCUMENTED = {
    "mlpy.Engine.execute": {"source_or_program"},
    "mlpy.Engine": set(),
    "mlpy.Session.exec": {"source"},
}


def option_tables(text: str) -> dict[str, list[str]]:
    """Target -> the options its marked table lists, in order."""
    tables = {}
    for marker in MARKER.finditer(text):
        rest = text[marker.end():].split("\n")
        rows = []
        started = False
        for line in rest:
            if line.startswith("|"):
                started = True
                rows.append(line)
            elif started:
                break
        names = []
        for row in rows[2:]:  # after the header and the |---| line
            first_cell = row.split("|")[1]
            names += re.findall(r"`(\w+)`", first_cell)
        tables[marker["target"]] = names
    return tables


def resolve(target: str):
    parts = target.split(".")
    value = importlib.import_module(parts[0])
    for part in parts[1:]:
        value = getattr(value, part)
    return value


def parameters(target: str) -> list[str]:
    signature = inspect.signature(resolve(target))
    return [name for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


TABLES = option_tables(API_PAGE.read_text(encoding="utf-8"))


def test_every_documented_signature_has_its_table():
    assert set(TABLES) == set(DOCUMENTED)


@pytest.mark.parametrize("target", sorted(DOCUMENTED))
def test_a_table_names_exactly_the_parameters(target):
    documented = TABLES[target]
    assert len(documented) == len(set(documented)), f"{target}: an option listed twice"
    expected = set(parameters(target)) - DOCUMENTED[target]
    assert set(documented) == expected, (
        f"{target}: undocumented {sorted(expected - set(documented))}, "
        f"documented but not parameters {sorted(set(documented) - expected)}")


def test_the_one_line_execute_takes_the_options_of_engine_execute():
    # mlpy.execute passes its options on to Engine.execute: the same table serves both
    assert list(inspect.signature(mlpy.execute).parameters) == [
        "source_or_program", "variables", "options"]


def test_the_tables_are_found_as_the_page_writes_them():
    text = ("% The options of mlpy.Engine.execute: checked.\n\n| option | meaning |\n|---|---|\n"
            "| `a` | x |\n| `b`, `c` | y |\n\nafter\n| `d` | not in the table |\n")
    assert option_tables(text) == {"mlpy.Engine.execute": ["a", "b", "c"]}
