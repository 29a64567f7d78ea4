"""ML module ``file``: reading and writing files, each access checked against the grant's scope.

Every function resolves its path once (``~`` expanded, made absolute against the process
working directory, ``..`` collapsed, symbolic links resolved), asks ``require()`` whether the
running script may use that canonical path, and then touches exactly that path, opened
without following symbolic links (see :mod:`mlpy.stdlib._fs`). A grant's ``max_bytes`` bounds
the size of what one call reads or writes. Error messages name the path as the script wrote
it, never where a link leads.
"""

from __future__ import annotations

import os

from mlpy.capabilities import require
from mlpy.ext import ml_function, ml_module
from mlpy.runtime.values import display, typeof
from mlpy.stdlib._files import (
    _append_file, _binary, _check_size, _checked, _copy_file, _decode, _encoding,
    _into_directory, _limit, _make_parents, _read_bytes, _refuse_link, _rename, _source_file,
    _text, _unlink, _write_file,
)
from mlpy.stdlib._fs import is_directory, is_regular, lstat, target

# ----------------------------------------------------------------------------- the module


@ml_module("file", "File I/O operations with capability-based security")
class File:
    """Each function checks its capability on the canonical path before touching it."""

    @ml_function("Read a whole text file as a string", capabilities=["file.read"])
    def read(self, path, encoding="utf-8"):
        encoding = _encoding(encoding)
        where, grant = _checked(path, "file.read")
        return _decode(where, _read_bytes(where, grant), encoding)

    @ml_function("Read a whole file as a bytes value", capabilities=["file.read"])
    def readBytes(self, path):
        where, grant = _checked(path, "file.read")
        return _read_bytes(where, grant)

    @ml_function("Read a text file as an array of lines, without their line endings (\\n, "
                 "\\r\\n or \\r)",
                 capabilities=["file.read"])
    def readLines(self, path, encoding="utf-8"):
        text = self.read(path, encoding)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return lines[:-1] if lines[-1] == "" else lines

    @ml_function("Write a string to a file, replacing its content; creates the file and its "
                 "parent directories",
                 capabilities=["file.write"])
    def write(self, path, content, encoding="utf-8"):
        data = _text(content, "content").encode(_encoding(encoding))
        where, grant = _checked(path, "file.write")
        _write_file(where, data, grant)

    @ml_function("Write a bytes value (or an array of integers 0-255) to a file, replacing its "
                 "content",
                 capabilities=["file.write"])
    def writeBytes(self, path, data):
        data = _binary(data)
        where, grant = _checked(path, "file.write")
        _write_file(where, data, grant)

    @ml_function("Write each element of an array, as str() shows it, followed by \\n",
                 capabilities=["file.write"])
    def writeLines(self, path, lines, encoding="utf-8"):
        if not isinstance(lines, (list, tuple)):
            raise TypeError(f"lines must be an array, not {typeof(lines)}")
        text = "".join(display(line) + "\n" for line in lines)
        data = text.encode(_encoding(encoding))
        where, grant = _checked(path, "file.write")
        _write_file(where, data, grant)

    @ml_function("Add a string at the end of a file; creates the file and its parent "
                 "directories",
                 capabilities=["file.append"])
    def append(self, path, content, encoding="utf-8"):
        data = _text(content, "content").encode(_encoding(encoding))
        where, grant = _checked(path, "file.append")
        _append_file(where, data, grant)

    @ml_function("Whether a file or directory exists", capabilities=["file.read"])
    def exists(self, path):
        where, _ = _checked(path, "file.read")
        return lstat(where) is not None

    @ml_function("Whether a path is a regular file", capabilities=["file.read"])
    def isFile(self, path):
        where, _ = _checked(path, "file.read")
        return is_regular(lstat(where))

    @ml_function("Whether a path is a directory", capabilities=["file.read"])
    def isDirectory(self, path):
        where, _ = _checked(path, "file.read")
        return is_directory(lstat(where))

    @ml_function("Delete a file: true if one was deleted, false if nothing was there; a "
                 "directory is a ValueError (use path.removeDir)",
                 capabilities=["file.delete"])
    def delete(self, path):
        where, _ = _checked(path, "file.delete")
        status = lstat(where)
        if status is None:
            return False
        if is_directory(status):
            raise ValueError(f"{where.shown!r} is a directory; use path.removeDir")
        _refuse_link(where)
        _unlink(where)
        return True

    @ml_function("Copy a file with its permission bits and times; creates the parents of dst "
                 "(into dst, under the source's name, when dst is a directory)",
                 capabilities=["file.read", "file.write"])
    def copy(self, src, dst):
        source, read_grant = _checked(src, "file.read")
        _source_file(source)
        destination = _into_directory(target(dst, "dst"), source)
        write_grant = require("file.write", destination.real, shown=destination.shown)
        _copy_file(source, destination, _limit(read=read_grant, write=write_grant))

    @ml_function("Move or rename a file; creates the parents of dst (into dst when it is a "
                 "directory)",
                 capabilities=["file.read", "file.write", "file.delete"])
    def move(self, src, dst):
        source, read_grant = _checked(src, "file.read")
        require("file.delete", source.real, shown=source.shown)
        _refuse_link(source)
        status = _source_file(source)
        destination = _into_directory(target(dst, "dst"), source)
        write_grant = require("file.write", destination.real, shown=destination.shown)
        limit = _limit(read=read_grant, write=write_grant)
        _check_size(source, status.st_size, limit)
        _make_parents(destination)
        if not _rename(source, destination):  # another file system: copy, then delete
            _copy_file(source, destination, limit)
            _unlink(source)

    @ml_function("Size of a file in bytes", capabilities=["file.read"])
    def size(self, path):
        return self._status(path).st_size

    @ml_function("Last modification time in seconds since 1970 (a float)",
                 capabilities=["file.read"])
    def modifiedTime(self, path):
        return self._status(path).st_mtime

    def _status(self, path) -> os.stat_result:
        where, _ = _checked(path, "file.read")
        status = lstat(where)
        if status is None:
            raise FileNotFoundError(f"No such file or directory: {where.shown!r}")
        return status
