"""ML module ``csv``: comma-separated values in files and strings.

The file functions work like the ``file`` module's: the path is resolved once to its canonical
form, ``require()`` checks ``file.read`` / ``file.write`` on it (errors show the path as the
script wrote it), the file is opened without following symbolic links, and a grant's
``max_bytes`` bounds what one call reads or writes. ``read_string`` and ``write_string``
only turn text into values and back, so they need no capability.
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_function, ml_module
from mlpy.runtime.values import display, typeof
from mlpy.stdlib._fs import Target, host_error, is_regular, lstat, target
from mlpy.stdlib._files import (
    _check_size,
    _decode,
    _encoding,
    _limit,
    _make_parents,
    _open_regular,
    _read_bytes,
    _write_all,
    _write_file,
)


def _delimiter(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1 or value in "\r\n\"":
        raise ValueError(f"delimiter must be one character (not a quote or a line break), "
                         f"not {display(value)!r}")
    return value


def _rows(text: str, delimiter: str) -> list[list[str]]:
    """The non-empty rows of CSV text."""
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                if row]
    except csv.Error as error:
        raise ValueError(f"malformed CSV: {error}") from None


def _parse(text: str, delimiter: str, headers: bool) -> list:
    rows = _rows(text, delimiter)
    if not headers:
        return rows
    if not rows:
        return []
    names = rows[0]
    return [{name: row[i] if i < len(row) else "" for i, name in enumerate(names)}
            for row in rows[1:]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else display(value)


def _format(data: Any, delimiter: str, headers: bool) -> str:
    if not isinstance(data, list):
        raise TypeError(f"data must be an array of objects or arrays, not {typeof(data)}")
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    if data and isinstance(data[0], dict):
        names = list(data[0])
        if headers:
            writer.writerow([_cell(name) for name in names])
        for number, row in enumerate(data, start=1):
            if not isinstance(row, dict):
                raise TypeError(f"row {number} is {typeof(row)}; the first row is an object, "
                                "so every row must be one")
            extra = [key for key in row if key not in names]
            if extra:
                raise ValueError(f"row {number} has the key {extra[0]!r}, which is not in the "
                                 "header row (the first object's keys)")
            writer.writerow([_cell(row.get(name)) for name in names])
    else:
        for row in data:
            if isinstance(row, dict):
                raise TypeError("rows must all be objects or all be arrays")
            writer.writerow([_cell(cell) for cell in row] if isinstance(row, list)
                            else [_cell(row)])
    return out.getvalue()


def _read_text(path: Any, encoding: Any) -> tuple[Target, str]:
    encoding = _encoding(encoding)
    where = target(path)
    grant = require("file.read", where.real, shown=where.shown)
    return where, _decode(where, _read_bytes(where, grant), encoding)


@ml_module("csv", "CSV file reading and writing with support for headers")
class Csv:
    """File functions check ``file.read`` / ``file.write`` on the canonical path."""

    @ml_function("Read a CSV file: with headers, objects keyed by the header row; without, "
                 "arrays of strings",
                 capabilities=["file.read"])
    def read(self, path, delimiter=",", headers=True, encoding="utf-8"):
        delimiter = _delimiter(delimiter)
        _, text = _read_text(path, encoding)
        return _parse(text, delimiter, bool(headers))

    @ml_function("Parse CSV text: with headers, objects keyed by the header row; without, "
                 "arrays of strings")
    def read_string(self, text, delimiter=",", headers=True):
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, not {typeof(text)}")
        return _parse(text, _delimiter(delimiter), bool(headers))

    @ml_function("Write rows (objects or arrays) to a CSV file, replacing it and creating its "
                 "parent directories",
                 capabilities=["file.write"])
    def write(self, path, data, delimiter=",", headers=True, encoding="utf-8"):
        encoding = _encoding(encoding)
        payload = _format(data, _delimiter(delimiter), bool(headers)).encode(encoding)
        where = target(path)
        grant = require("file.write", where.real, shown=where.shown)
        _write_file(where, payload, grant)

    @ml_function("Format rows (objects or arrays) as CSV text (\"\" for empty data)")
    def write_string(self, data, delimiter=",", headers=True):
        return _format(data, _delimiter(delimiter), bool(headers))

    @ml_function("The number of non-empty rows after the header row", capabilities=["file.read"])
    def count_rows(self, path, delimiter=",", encoding="utf-8"):
        delimiter = _delimiter(delimiter)
        _, text = _read_text(path, encoding)
        return max(len(_rows(text, delimiter)) - 1, 0)

    @ml_function("The header row of a CSV file, or [] for an empty file",
                 capabilities=["file.read"])
    def get_headers(self, path, delimiter=",", encoding="utf-8"):
        delimiter = _delimiter(delimiter)
        _, text = _read_text(path, encoding)
        rows = _rows(text, delimiter)
        return rows[0] if rows else []

    @ml_function("Append one row, creating the file; an object is ordered by the file's header "
                 "row",
                 capabilities=["file.read", "file.write"])
    def append(self, path, row, delimiter=",", encoding="utf-8"):
        delimiter = _delimiter(delimiter)
        encoding = _encoding(encoding)
        where = target(path)
        read_grant = require("file.read", where.real, shown=where.shown)
        write_grant = require("file.write", where.real, shown=where.shown)
        existing = ""
        if is_regular(lstat(where)):
            existing = _decode(where, _read_bytes(where, read_grant), encoding)
        if isinstance(row, dict):
            rows = _rows(existing, delimiter)
            if rows:
                names = rows[0]
                extra = [key for key in row if key not in names]
                if extra:
                    raise ValueError(f"the row has the key {extra[0]!r}, which is not in the "
                                     f"header row of {where.shown!r}")
                cells = [row.get(name) for name in names]
            else:
                cells = list(row.values())
        elif isinstance(row, list):
            cells = row
        else:
            raise TypeError(f"row must be an object or an array, not {typeof(row)}")
        text = _format([cells], delimiter, False)
        if existing and not existing.endswith(("\n", "\r")):
            text = "\r\n" + text
        data = text.encode(encoding)
        _check_size(where, len(existing.encode(encoding)) + len(data),
                    _limit(write=write_grant))
        _make_parents(where)
        fd, _ = _open_regular(where, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            _write_all(fd, data)
        except OSError as error:
            raise host_error(error, where.shown) from None
        finally:
            os.close(fd)
