"""Collects the chunked ``.ml`` test files in this folder: language tests written in ML.

File format (after starlark-go's chunked files):

* a line holding only ``---`` separates independent test programs (chunks);
* a line ``#> text`` is one line of the output the chunk must print (``#>`` alone: an empty
  line); these lines are blanked before the chunk runs, so line numbers stay as written;
* a line ending in ``### "regex"`` (or ``### 'regex'``) says the chunk must fail with an
  error reported *on that line*, whose ``Type: message`` text matches the regex (searched);
  the output printed before the failure is still compared;
* a line ``#! grant cap1 cap2`` grants capabilities to the chunk.

Each chunk is a pytest item named after its file and first line, run through the public API
(``mlpy.execute``), so these tests exercise exactly what users run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import mlpy

_ERROR = re.compile(r"""\s*###\s*(["'])(.*)\1\s*$""")


@dataclass
class Chunk:
    source: str
    first_line: int
    expected_output: str
    error_line: int | None
    error_pattern: str | None
    grants: tuple[str, ...]


def parse_chunks(text: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    lines = text.split("\n")
    start = 0
    for index, line in enumerate(lines + ["---"]):
        if line.strip() != "---":
            continue
        block = lines[start:index]
        if any(part.strip() for part in block):
            chunks.append(_chunk(block, start))
        start = index + 1
    return chunks


def _chunk(block: list[str], offset: int) -> Chunk:
    # Keep line numbers: the chunk's lines sit at their file positions.
    source_lines = [""] * offset
    output: list[str] = []
    error_line = error_pattern = None
    grants: list[str] = []
    for number, line in enumerate(block, start=offset + 1):
        stripped = line.strip()
        if stripped.startswith("#>"):
            output.append(stripped[3:] if stripped.startswith("#> ") else stripped[2:])
            source_lines.append("")
            continue
        if stripped.startswith("#! grant"):
            grants.extend(stripped[len("#! grant"):].split())
            source_lines.append("")
            continue
        match = _ERROR.search(line)
        if match:
            error_line, error_pattern = number, match.group(2)
            line = line[: match.start()]
        source_lines.append(line)
    return Chunk("\n".join(source_lines) + "\n", offset + 1,
                 "".join(o + "\n" for o in output), error_line, error_pattern, tuple(grants))


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".ml" and file_path.parent == Path(__file__).parent:
        return MLFile.from_parent(parent, path=file_path)
    return None


class MLFile(pytest.File):
    def collect(self):
        text = self.path.read_text(encoding="utf-8")
        for chunk in parse_chunks(text):
            yield MLChunk.from_parent(self, name=f"line{chunk.first_line}", chunk=chunk)


class MLChunk(pytest.Item):
    def __init__(self, *, chunk: Chunk, **kwargs):
        super().__init__(**kwargs)
        self.chunk = chunk

    def runtest(self) -> None:
        chunk = self.chunk
        result = mlpy.execute(chunk.source, filename=self.path.name, capture_output=True,
                              capabilities=chunk.grants, timeout=10)
        if chunk.error_pattern is None:
            if result.error is not None:
                raise ChunkFailure(f"unexpected error:\n{result.error}")
        else:
            error = result.error
            if error is None:
                raise ChunkFailure(f"expected an error matching {chunk.error_pattern!r}, "
                                   "but the chunk ran without one")
            text = f"{type(error).__name__}: {error.message}"
            if not re.search(chunk.error_pattern, text):
                raise ChunkFailure(f"error {text!r} does not match {chunk.error_pattern!r}\n"
                                   f"{error}")
            if error.ml_line != chunk.error_line:
                raise ChunkFailure(f"error reported on line {error.ml_line}, expected line "
                                   f"{chunk.error_line}:\n{error}")
        actual = result.stdout or ""
        if actual != chunk.expected_output:
            raise ChunkFailure(f"output differs\n--- expected\n{chunk.expected_output}"
                               f"--- actual\n{actual}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ChunkFailure):
            return f"{self.path.name}:{self.chunk.first_line}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.chunk.first_line - 1, f"{self.path.name}:{self.chunk.first_line}"


class ChunkFailure(AssertionError):
    pass
