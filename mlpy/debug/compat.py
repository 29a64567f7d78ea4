"""``SourceMapIndex``: the line-level lookups of mlpy 2.0, answered by a :class:`SourceMap`."""

from __future__ import annotations

from mlpy.debug.sourcemap import SourceMap


class SourceMapIndex:
    """Line lookups between one ML file and its Python code (compat; new code uses
    :class:`~mlpy.debug.SourceMap` directly)."""

    def __init__(self, ml_to_py: dict[int, list[int]], py_to_ml: dict[int, int],
                 py_file: str = "", ml_file: str = ""):
        self.ml_to_py = {line: sorted(lines) for line, lines in ml_to_py.items()}
        self.py_to_ml = dict(py_to_ml)
        self.py_file = py_file
        self.ml_file = ml_file

    @classmethod
    def from_source_map(cls, source_map: SourceMap) -> "SourceMapIndex":
        ml_to_py = {line: source_map.ml_to_py(line)
                    for line in source_map.executable_ml_lines()}
        return cls(ml_to_py, dict(source_map), source_map.file, source_map.source_file)

    def ml_line_to_first_py_line(self, ml_line: int) -> int | None:
        lines = self.ml_to_py.get(ml_line)
        return lines[0] if lines else None

    def ml_line_to_all_py_lines(self, ml_line: int) -> list[int]:
        return list(self.ml_to_py.get(ml_line, ()))

    def py_line_to_ml(self, py_line: int) -> int | None:
        return self.py_to_ml.get(py_line)

    def is_ml_line_executable(self, ml_line: int) -> bool:
        return ml_line in self.ml_to_py

    def get_next_ml_line(self, ml_line: int) -> int | None:
        return min((line for line in self.ml_to_py if line > ml_line), default=None)

    def get_ml_line_count(self) -> int:
        return max(self.ml_to_py, default=0)

    def get_all_ml_files(self) -> list[str]:
        return [self.ml_file] if self.ml_file else []
