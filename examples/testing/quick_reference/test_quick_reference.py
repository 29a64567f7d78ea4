"""The quick reference checks itself: every section of cheatsheet.ml runs alone and prints
exactly its ``//>`` lines, and every topic of app.py prints exactly its ``#>`` lines. A
change of the language or the API that the card does not follow fails here."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent
SECTION = r"^{c} \[(\w+)\]\n(.*?)^{c} \[/\1\]"


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_testing_quick_reference_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


def sections(path: Path, comment: str) -> dict[str, str]:
    """The text between each ``<comment> [name]`` and ``<comment> [/name]`` marker."""
    pattern = re.compile(SECTION.format(c=re.escape(comment)), re.MULTILINE | re.DOTALL)
    return dict(pattern.findall(path.read_text(encoding="utf-8")))


def expected(text: str, marker: str) -> str:
    """The output a section states, from its ``<marker> `` comment lines."""
    lines = [line.strip() for line in text.splitlines()]
    return "".join(line[len(marker) + 1:] + "\n" for line in lines if line.startswith(marker))


ML_SECTIONS = sections(HERE / "cheatsheet.ml", "//")
PY_SECTIONS = sections(HERE / "app.py", "#")
GRANTS = {"capabilities": ["console.write"]}  # every other section needs no grant


@pytest.mark.parametrize("name", sorted(ML_SECTIONS))
def test_each_ml_section_prints_what_it_says(name):
    text = ML_SECTIONS[name]
    result = mlpy.execute(text, filename=f"cheatsheet.ml[{name}]",
                          capabilities=GRANTS.get(name, []), capture_output=True)
    assert result.ok, result.error
    assert expected(text, "//>"), f"section {name} states no output"
    assert result.stdout == expected(text, "//>")


def test_the_whole_cheatsheet_runs_as_one_program():
    whole = "".join(expected(ML_SECTIONS[name], "//>") for name in ML_SECTIONS)
    assert example.cheatsheet() == whole


@pytest.mark.parametrize("name", sorted(PY_SECTIONS))
def test_each_api_topic_prints_what_it_says(name, capsys):
    text = PY_SECTIONS[name]
    (function,) = re.findall(r"^def (\w+)\(", text, re.MULTILINE)
    getattr(example, function)()
    assert expected(text, "#>"), f"topic {name} states no output"
    assert capsys.readouterr().out == expected(text, "#>")


def test_every_topic_is_on_the_card():
    shown = {re.search(r"^def (\w+)\(", text, re.MULTILINE).group(1)
             for text in PY_SECTIONS.values()}
    assert shown == {topic.__name__ for topic in example.TOPICS}
