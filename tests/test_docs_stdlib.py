"""Every standard library module has a reference page that names each of its functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpy.modules.registry import ModuleRegistry

PAGES = Path(__file__).resolve().parent.parent / "docs" / "stdlib"
REGISTRY = ModuleRegistry()


@pytest.mark.parametrize("module", REGISTRY.available("stdlib"))
def test_each_module_has_a_page_naming_every_function(module):
    page = PAGES / f"{module}.md"
    assert page.is_file(), f"docs/stdlib/{module}.md is missing"
    text = page.read_text(encoding="utf-8")
    missing = [name for name in REGISTRY.members(module)
               if f"{module}.{name}" not in text and f"`{name}" not in text]
    assert not missing, f"docs/stdlib/{module}.md does not name {missing}"
    assert text.count("```ml") >= 2, f"docs/stdlib/{module}.md needs two tested examples"
