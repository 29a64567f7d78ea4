"""Sphinx configuration for the mlpy documentation (MyST Markdown, furo theme).

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``; warnings are
errors. The code blocks of every page are run by ``tests/test_docs.py``.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import mlpy  # noqa: E402
from mlpy.integration.pygments_lexer import MLLexer, MLSessionLexer  # noqa: E402
from sphinx_autodoc_typehints import process_signature as typehints_signature  # noqa: E402

# sphinx-autodoc-typehints still calls an API that Sphinx 9 deprecates; not our warning.
warnings.filterwarnings("ignore", message=r".*set_application' is deprecated")

project = "mlpy"
author = "the mlpy authors"
copyright = "the mlpy authors"
release = mlpy.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_autodoc_typehints",
    "sphinx_copybutton",
    "ml_reference",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# MyST: ::: fences for admonitions, definition lists, anchors for ## and ### headings.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Code: ```ml blocks use the ML lexer registered in setup() below.
highlight_language = "text"
pygments_style = "friendly"
pygments_dark_style = "monokai"

# API reference.
autodoc_member_order = "bysource"
typehints_fully_qualified = False
always_document_param_types = True
typehints_document_rtype = True

# Copy buttons leave out shell and REPL prompts and the output: what is copied is what was typed.
copybutton_prompt_text = r"\$ |ml(\[[a-z,]+\])?> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

html_theme = "furo"
html_title = f"mlpy {release}"

# EPUB (``-b epub``; CI builds it after the HTML, sharing its doctrees: ``-d
# docs/_build/html/.doctrees``, which also keeps them out of the book). An e-reader shows no
# address on hover, so external links get theirs as footnotes.
epub_show_urls = "footnote"
epub_description = ("Run scripts in ML, a small JavaScript-like language, safely inside Python "
                    "applications")


# Classes that hosts receive but never construct: their constructor parameters are internal,
# so the reference shows neither a signature nor a parameter list for them.
RECEIVED = {
    "mlpy.Session", "mlpy.MLFunction", "mlpy.ExecutionResult", "mlpy.Program",
    "mlpy.TranspileResult", "mlpy.Diagnostic", "mlpy.HostFunction",
}
_PARAM_FIELD = re.compile(r":(param|type)\s+(\*{0,2})(\w+):")


def _received(what: str, name: str) -> bool:
    return what == "exception" or (what == "class" and name in RECEIVED)


def _signature(app, what, name, obj, options, signature, return_annotation):
    """No constructor signature for received classes; no parameters starting with '_'.

    Runs before sphinx-autodoc-typehints (the first handler that answers wins), so it asks
    that extension for the signature without annotations, then edits it.
    """
    if _received(what, name):
        return "", None
    answer = typehints_signature(app, what, name, obj, options, signature, return_annotation)
    if answer is not None:
        signature, return_annotation = answer
    if signature:
        signature = "(" + ", ".join(
            part for part in _split_params(signature[1:-1])
            if not part.lstrip("*").startswith("_")
        ) + ")"
    return signature, return_annotation


def _split_params(text: str) -> list[str]:
    """The parameters of a signature's text, split at the commas outside brackets and
    strings."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _fields(app, what, name, obj, options, lines):
    """Drop the parameter fields that _signature() hid (runs after sphinx-autodoc-typehints)."""
    kept, skipping = [], False
    for line in lines:
        field = _PARAM_FIELD.match(line)
        if field:
            skipping = _received(what, name) or field.group(3).startswith("_")
        elif line and not line.startswith(" "):
            skipping = False
        if not skipping:
            kept.append(line)
    lines[:] = kept


def setup(app):
    app.add_lexer("ml", MLLexer)
    app.add_lexer("ml-repl", MLSessionLexer)
    app.connect("autodoc-process-signature", _signature, priority=100)
    app.connect("autodoc-process-docstring", _fields, priority=900)
