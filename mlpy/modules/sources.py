"""User modules written in ML: finding ``import a.b.c;`` as ``<root>/a/b/c.ml``.

Resolution is by the configured ML module roots only, in order, the first file found wins --
a module imported from another module resolves exactly like one imported from the main
program. After symlinks are resolved the file must still lie inside the root it was found
under (a path comparison, never a string prefix: ``/data/lib_evil`` is not inside
``/data/lib``), so a link cannot pull in a file from elsewhere on the host.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

SUFFIX = ".ml"
# Listing the modules of a root (for ``available_modules("ml")``) stops at these bounds so a
# root that is, by mistake, a large directory tree cannot stall a program.
MAX_LISTED = 2000
MAX_LIST_DEPTH = 8


class ImportProblem(Exception):
    """Why an import cannot be resolved: a stable ``code``, a message and hints."""

    def __init__(self, code: str, message: str, hints: Iterable[str] = ()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.hints = list(hints)


@dataclass(frozen=True)
class SourceFile:
    """One ``.ml`` module file as read from disk."""

    name: str  # dotted ML name, "algorithms.sorting"
    path: Path  # the real path, inside ``root``
    root: Path
    text: str
    content_hash: str


def valid_name(name: str) -> bool:
    return all(part.isidentifier() and not part.startswith("_") for part in name.split("."))


def locate(name: str, roots: Iterable[Path]) -> tuple[Path, Path] | None:
    """``(real path, root)`` of the file ``name`` resolves to under the first root that has
    it, or None. Raises :class:`ImportProblem` (``E_IMPORT_OUTSIDE_ROOT``) for a file that
    resolves outside its root."""
    relative = Path(*name.split(".")).with_suffix(SUFFIX)
    for root in roots:
        candidate = root / relative
        if not candidate.is_file():
            continue
        real = candidate.resolve()
        if not real.is_relative_to(root):
            raise ImportProblem(
                "E_IMPORT_OUTSIDE_ROOT", f"{candidate} resolves outside ML root {root}",
                [f"it leads to {real}; module files must lie inside their root"])
        return real, root
    return None


def read_source(name: str, path: Path, root: Path) -> SourceFile:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImportProblem("E_MODULE_LOAD", f"{path} is not UTF-8 text ({error.reason} at "
                            f"byte {error.start})", ["save the module as UTF-8"]) from None
    return SourceFile(name, path, root, text, content_hash(data))


def content_hash(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def list_sources(roots: Iterable[Path]) -> list[str]:
    """The dotted names of the ``.ml`` files under ``roots`` (hidden and private folders and
    names that cannot be imported are left out)."""
    names: set[str] = set()
    for root in roots:
        for path in _walk(root, 0):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts)
            if valid_name(name):
                names.add(name)
            if len(names) >= MAX_LISTED:
                return sorted(names)
    return sorted(names)


def _walk(directory: Path, depth: int) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.name.endswith(SUFFIX):
            yield Path(entry.path)
        elif entry.is_dir() and depth < MAX_LIST_DEPTH:
            yield from _walk(Path(entry.path), depth + 1)


def leading_comment(text: str) -> str:
    """A module's description: the ``//`` comment lines it starts with."""
    lines = []
    for line in text.lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            break
        lines.append(stripped[2:].strip())
    return " ".join(part for part in lines if part)
