"""What differs from JavaScript, shown by ML snippets that run.

Each file of ``snippets/`` is a small ML program whose ``//>`` comments are what it prints
and whose ``//!`` comments are the error report it ends with (``test_js_differences.py``
runs every snippet and checks both). Run ``python app.py`` to see each snippet's output, or
``python app.py for_in`` for one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mlpy

SNIPPETS = Path(__file__).resolve().parent / "snippets"
engine = mlpy.Engine(timeout=2.0)


def snippet_names() -> list[str]:
    return sorted(path.stem for path in SNIPPETS.glob("*.ml"))


def run_snippet(name: str) -> tuple[str, str | None]:
    """What the snippet prints, and its error report (None when it ran to its end)."""
    path = SNIPPETS / f"{name}.ml"
    result = engine.execute(path.read_text(encoding="utf-8"), filename=path.name,
                            capture_output=True)
    return result.stdout or "", None if result.ok else str(result.error)


def expected(name: str) -> tuple[list[str], list[str]]:
    """The ``//>`` lines (expected output) and ``//!`` lines (expected error) of a snippet."""
    lines = (SNIPPETS / f"{name}.ml").read_text(encoding="utf-8").splitlines()
    output = [line[len("//> "):] for line in lines if line.startswith("//> ")]
    error = [line[len("//! "):] for line in lines if line.startswith("//! ")]
    return output, error


def main(names: list[str]) -> None:
    for name in names or snippet_names():
        output, error = run_snippet(name)
        print(f"== {name}.ml")
        print(output, end="")
        if error:
            print(error.splitlines()[0])


if __name__ == "__main__":
    main(sys.argv[1:])
