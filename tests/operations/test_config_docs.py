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


def test_every_environment_variable_the_table_names_sets_its_key():
    """Set each documented variable to the key's default (as the text a shell would hold; a
    path list to one folder): the config must say that value came from that variable."""
    import json
    import os

    from mlpy.config import ENVIRONMENTS, MLConfig, environment_variables

    for option in OPTIONS:
        if option.key == ENVIRONMENTS:
            continue
        for variable in environment_variables(option.key):
            default = option.default
            if option.type == "list[path]":  # an empty list would set nothing
                text = json.dumps(["/srv/x"]) if variable.startswith("MLPY__") else "/srv/x"
            elif option.type == "list[str]":
                text = json.dumps(["console.write"])
            elif option.type == "profiles":
                text = json.dumps({"basic": ["console.write"]})
            elif variable == "MLPY_DEBUG":
                text = "1" if default else "0"
            else:
                text = default if isinstance(default, str) else json.dumps(default)
            config = MLConfig.load(env={variable: text})
            explained = config.explain(option.key)
            assert explained.source == f"env:{variable}", (option.key, variable, explained)
