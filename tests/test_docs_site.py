"""The browser check of the built site (``docs/_ext/check_site.py``, run by CI after the docs
build) passes a good site and reports every kind of breakage a reader would see.

The site checked here is a tiny Sphinx project built with the real theme, MyST and the ML
lexer, so the check is proven on the markup Sphinx and furo produce, not on hand-written
HTML. CI runs the check itself on the full documentation.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import check_site  # noqa: E402

needs_chromium = pytest.mark.skipif(
    check_site.find_chromium() is None,
    reason="Chromium is not installed (Debian: apt-get install -y chromium)",
)

CONF = """
from mlpy.integration.pygments_lexer import MLLexer
extensions = ["myst_parser"]
myst_heading_anchors = 2
html_theme = "furo"
pygments_style = "friendly"
def setup(app):
    app.add_lexer("ml", MLLexer)  # ml-repl is left out: its blocks cannot be highlighted
"""
INDEX = """# Tiny site

```{toctree}
PAGES
```

An [anchor that exists](guide.md#rules).
"""
GUIDE = """# Guide

## Rules

```ml
function total(items) {
    return len(items) * 2;
}
```
"""
BROKEN = """# Broken

<img src="_static/missing.png" alt="missing">

<script>console.error("boom from a page script");</script>

<script>undefinedFunction();</script>

<a href="gone.html">a missing page</a> and <a href="guide.html#renamed">a renamed section</a>.

```ml-repl
ml> let x = 1
```

```ml
let s = "a\\
b";
```
"""


def build(tmp_path_factory: pytest.TempPathFactory, pages: dict[str, str]) -> Path:
    """A Sphinx build of the tiny site: its index lists ``pages``."""
    source = tmp_path_factory.mktemp("source")
    index = INDEX.replace("PAGES", "\n".join(pages))
    for name, text in {"conf.py": CONF, "index.md": index, **pages}.items():
        (source / name).write_text(text, encoding="utf-8")
    built = tmp_path_factory.mktemp("site") / "html"
    # The broken page warns (an unknown lexer, a lexing error): no -W here.
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source),
                    str(built)], check=True, capture_output=True, timeout=300)
    return built


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory, {"guide.md": GUIDE, "broken.md": BROKEN})


@pytest.fixture(scope="module")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory, {"guide.md": GUIDE})


@needs_chromium
def test_every_kind_of_breakage_is_reported_and_good_pages_pass(broken_site, tmp_path):
    shots = {"index": "index.html", "chapter": "guide.html", "gone": "renamed.html"}
    problems = check_site.check_site(broken_site, tmp_path / "shots", shots)

    # The server's port differs from run to run.
    assert [re.sub(r"http://127\.0\.0\.1:\d+/", "SITE/", p) for p in problems] == [
        "renamed.html: screenshot page missing",
        "broken.html: request failed: SITE/_static/missing.png (404)",
        "broken.html: console error: boom from a page script",
        "broken.html: uncaught exception: ReferenceError: undefinedFunction is not defined",
        "broken.html: image does not show: SITE/_static/missing.png",
        "broken.html: ML block not highlighted: 'ml> let x = 1'",
        "broken.html: ML block has lexer errors ['\\\\']: 'let s = \"a\\\\'",
        "broken.html: link to gone.html (no such file)",
        "broken.html: link to guide.html#renamed (no #renamed on that page)",
    ]
    for name in ("index", "chapter"):
        assert (tmp_path / "shots" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "shots" / "gone.png").exists()


@needs_chromium
def test_a_good_site_passes_and_the_command_says_so(good_site, capsys, monkeypatch):
    monkeypatch.setattr(check_site, "SCREENSHOTS", {"home": "index.html"})

    assert check_site.main([str(good_site)]) == 0, capsys.readouterr().out
    assert "4 pages opened in Chromium" in capsys.readouterr().err  # with genindex, search
    assert (good_site.parent / "screenshots" / "home.png").is_file()  # beside the build


@needs_chromium
def test_a_site_without_ml_blocks_is_reported(tmp_path):
    (tmp_path / "index.html").write_text("<html><body><p>no code</p></body></html>")
    assert check_site.check_site(tmp_path, tmp_path / "shots", {}) == [
        "no page has an ML code block (has the highlight-ml markup changed?)"]


def test_a_folder_that_is_not_a_built_site_is_a_usage_error(tmp_path):
    assert check_site.main([str(tmp_path)]) == 2


def test_a_browser_that_exits_at_once_is_a_clear_error_not_a_hang(tmp_path):
    (tmp_path / "index.html").write_text("<html><body></body></html>")
    with pytest.raises(check_site.BrowserError, match="Chromium exited"):
        check_site.check_site(tmp_path, tmp_path / "shots", {}, chromium="false")
