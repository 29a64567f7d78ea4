"""Every standard library module has a reference page whose function, constant and value
tables are generated from the module's metadata (the ``ml-module`` directive of
``docs/_ext/ml_reference.py``), plus at least two tested examples."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlpy.modules.registry import ModuleRegistry

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = DOCS / "stdlib"
REGISTRY = ModuleRegistry()
MODULES = REGISTRY.available("stdlib")

sys.path.insert(0, str(DOCS / "_ext"))
import ml_reference


@pytest.mark.parametrize("module", MODULES)
def test_each_module_has_a_page_with_the_generated_reference(module):
    page = PAGES / f"{module}.md"
    assert page.is_file(), f"docs/stdlib/{module}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert f"```{{ml-module}} {module}\n```" in text, (
        f"docs/stdlib/{module}.md does not generate its reference: add ```{{ml-module}} {module}")
    assert "| function |" not in text, f"docs/stdlib/{module}.md still has a hand-written table"
    assert text.count("```ml") >= 2, f"docs/stdlib/{module}.md needs two tested examples"


@pytest.mark.parametrize("module", MODULES)
def test_the_generated_reference_covers_every_member(module):
    functions = ml_reference.function_rows(module)
    constants = ml_reference.constant_rows(module)
    named = {name for row in functions for name in row.names} | {row.name for row in constants}
    assert named == set(REGISTRY.members(module))
    for row in functions:
        assert row.signature.startswith(f"{module}.{row.name}(") and row.signature.endswith(")")
        assert row.description, f"{module}.{row.name} has no description"
        assert row.capability == (", ".join(REGISTRY.requirements(module, row.name)) or "none")
        for alias in row.aliases:  # an alias shares the row only if it would repeat it
            assert REGISTRY.requirements(module, alias) == REGISTRY.requirements(module, row.name)
    for row in constants:
        assert row.description, f"{module}.{row.name} has no description"
    for table in ml_reference.class_tables(module):
        cls = next(c for c in ml_reference.value_classes(module)
                   if c._ml_type_name == table.name)
        listed = {name for row in table.rows for name in row.names}
        assert listed == set(cls._ml_members), table.name
        assert all(row.description for row in table.rows), table.name


def _row(module, name, rows=None):
    rows = ml_reference.function_rows(module) if rows is None else rows
    return next(row for row in rows if name in row.names)


def test_signatures_are_in_ml_spelling():
    assert _row("math", "pow").signature == "math.pow(x, y)"
    assert _row("math", "log").signature == "math.log(x, base = 10)"
    assert _row("datetime", "now").signature == "datetime.now(tz = null)"
    assert _row("collections", "sort").signature == "collections.sort(lst, reverse = false)"
    assert _row("csv", "read").signature == (
        'csv.read(path, delimiter = ",", headers = true, encoding = "utf-8")')
    assert _row("console", "log").signature == "console.log(...values)"
    assert _row("path", "relative").signature == "path.relative(from, to)"  # not from_


def test_capabilities_and_aliases():
    assert _row("math", "sqrt").capability == "none"
    assert _row("csv", "append").capability == "file.read, file.write"
    from_timestamp = _row("datetime", "from_timestamp")
    assert from_timestamp.name == "fromTimestamp"
    assert from_timestamp.alias_anchors == ("datetime.from_timestamp",)
    assert _row("random", "uniform").name == "uniform"  # other parameters: its own row


def test_constants_and_value_types():
    pi = _row("math", "pi", ml_reference.constant_rows("math"))
    assert (pi.signature, pi.capability) == ("math.pi", "3.141592653589793")
    tables = {table.name: table for table in ml_reference.class_tables("datetime")}
    assert list(tables) == ["DateTime", "Date", "Time", "TimeDelta"]
    assert _row("datetime", "format", tables["DateTime"].rows).signature == (
        'format(fmt = "%Y-%m-%d %H:%M:%S")')
    assert _row("datetime", "year", tables["Date"].rows).signature == "year()"  # inherited
    pattern = {t.name: t for t in ml_reference.class_tables("regex")}["Pattern"]
    assert _row("regex", "flags", pattern.rows).signature == "flags"  # a property


def test_ml_literal():
    assert [ml_reference.ml_literal(v) for v in (None, True, False, 0, 1.5, "", "a\"b")] == [
        "null", "true", "false", "0", "1.5", '""', '"a\\"b"']
