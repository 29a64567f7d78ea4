"""The reference table of docs/operations/configuration.md is the options table of
mlpy.config: a key added, removed or changed in the code cannot be left out of the docs."""

from __future__ import annotations

from pathlib import Path

from mlpy.config import OPTIONS, reference_table

PAGE = Path(__file__).resolve().parents[2] / "docs" / "operations" / "configuration.md"
BEGIN, END = "% BEGIN reference_table\n", "% END reference_table\n"
REGENERATE = ("python -c \"from mlpy.config import reference_table; "
              "print(reference_table(), end='')\"")


def page_table() -> str:
    text = PAGE.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "the table's markers are missing"
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip("\n") + "\n"


def test_the_page_holds_the_generated_reference_table():
    assert page_table() == reference_table(), (
        f"{PAGE.name}: the reference table differs from mlpy.config.OPTIONS; paste the "
        f"output of {REGENERATE} between the markers")


def test_the_table_has_a_row_for_every_option():
    rows = page_table().splitlines()[2:]
    assert [row.split("|")[1].strip().strip("`") for row in rows] == [o.key for o in OPTIONS]
