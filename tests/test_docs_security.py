"""The security pages agree with the code.

``docs/security/capabilities.md`` lists every standard library function that needs a
capability, and the modules that need none. These tests rebuild both lists from what the gate
checks -- the requirements of the members of each loaded standard library module -- so a
module that is added or changes its requirements fails here until the page says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from mlpy.modules.registry import ModuleRegistry

PAGE = Path(__file__).resolve().parent.parent / "docs" / "security" / "capabilities.md"
SECTION = "## Capabilities the standard library uses"
ROW = re.compile(r"^\| `([a-z_]+\.[a-z_*]+)` \| (.+) \|$", re.M)


def requirements() -> tuple[dict[str, set[str]], set[str]]:
    """capability -> the ``module.function`` names that need it; and the modules needing none."""
    registry = ModuleRegistry()
    needed: dict[str, set[str]] = defaultdict(set)
    free: set[str] = set()
    for name in registry.available("stdlib"):
        module = registry.load(name)
        guarded = False
        for member in module._ml_members():
            for capability in getattr(getattr(module, member), "_ml_capabilities", ()):
                needed[capability].add(f"{name}.{member}")
                guarded = True
        if not guarded:
            free.add(name)
    return needed, free


def section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end if end >= 0 else None]


def test_the_table_lists_every_guarded_stdlib_function() -> None:
    needed, _ = requirements()
    rows = {cap: set(re.findall(r"`([\w.]+)`", cells)) for cap, cells in ROW.findall(section())}
    assert rows == dict(needed)


def test_the_table_is_sorted() -> None:
    rows = ROW.findall(section())
    assert [cap for cap, _ in rows] == sorted(cap for cap, _ in rows)
    for _, cells in rows:
        names = re.findall(r"`([\w.]+)`", cells)
        assert names == sorted(names)


def test_the_page_names_the_modules_that_need_no_capability() -> None:
    _, free = requirements()
    line = re.search(r"^Modules that need no capability: (.+)\.$", section(), re.M)
    assert line is not None
    assert set(re.findall(r"`(\w+)`", line.group(1))) == free
