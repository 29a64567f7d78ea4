"""The internal link check of the built site (``docs/_ext/check_links.py``, run by CI after
the docs build) finds every kind of broken link and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import check_links  # noqa: E402


def page(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")


def test_every_kind_of_broken_link_is_reported_and_good_ones_are_not(tmp_path):
    page(tmp_path / "index.html",
         '<a href="guide/intro.html">ok</a>'
         '<a href="guide/intro.html#setup">ok anchor</a>'
         '<a href="#top" id="top">ok own anchor</a>'
         '<a href="guide/">ok folder</a>'
         '<a href="https://example.org/missing.html">outside: not followed</a>'
         '<a href="mailto:someone@example.org">mail</a>'
         '<img src="_static/logo.png">'
         '<a href="guide/gone.html">missing page</a>'
         '<a href="guide/intro.html#renamed">missing anchor</a>'
         '<script src="_static/missing.js"></script>')
    page(tmp_path / "guide" / "intro.html", '<h2 id="setup">Setup</h2><a href="../index.html">up</a>')
    page(tmp_path / "guide" / "index.html", '<a href="intro.html#setup">ok</a>')
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "logo.png").write_bytes(b"\x89PNG")

    problems = check_links.broken_links(tmp_path)

    assert problems == [
        "index.html: guide/gone.html (no such file)",
        "index.html: guide/intro.html#renamed (no #renamed on that page)",
        "index.html: _static/missing.js (no such file)",
    ]
    assert check_links.main([str(tmp_path)]) == 1


def test_a_site_without_broken_links_passes(tmp_path, capsys):
    page(tmp_path / "index.html", '<a href="other.html#a">x</a>')
    page(tmp_path / "other.html", '<span id="a"></span>')
    assert check_links.main([str(tmp_path)]) == 0
    assert "2 pages, 0 broken internal links" in capsys.readouterr().err


def test_a_folder_that_is_not_a_built_site_is_a_usage_error(tmp_path):
    assert check_links.main([str(tmp_path)]) == 2
