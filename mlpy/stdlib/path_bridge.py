"""ML module ``path``: path strings, and directories checked against the grant's scope.

Functions that only transform the strings they are given need no capability. Functions that
look at the host -- the file system, the working directory, the home directory -- need
``path.read`` on the canonical path they look at (``path.write`` to change a directory), and
return only what the scope admits: a listing leaves out entries outside the scope, such as a
symbolic link that leads out of it. Symbolic links to directories are never followed while
listing a tree.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_function, ml_module
from mlpy.runtime.values import typeof
from mlpy.stdlib._fs import (
    Target, absolute, admits, expand_home, home_of, host_error, is_directory, is_regular,
    lstat, require_directory, target, working_directory,
)

_MAGIC = frozenset("*?[")


def _string(value: Any, what: str = "path") -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {typeof(value)}")
    return value


def _readable(value: Any) -> Target:
    """Resolve a path to look at and require ``path.read`` on it (or on the names in it)."""
    where = target(value)
    require_directory("path.read", where.real, where.shown)
    return where


def _writable(value: Any) -> Target:
    """Resolve a directory to change and require ``path.write`` on the directory itself."""
    where = target(value, "dir")
    require("path.write", where.real, shown=where.shown)
    return where


def _listed_directory(value: Any) -> Target:
    """Resolve a directory to list, check that listing it is granted and that it is one."""
    where = _readable(value)
    status = lstat(where)
    if status is None:
        raise FileNotFoundError(f"No such file or directory: {where.shown!r}")
    if not is_directory(status):
        raise NotADirectoryError(f"{where.shown!r} is not a directory")
    return where


def _names(where: Target) -> list[str]:
    try:
        with os.scandir(where.real) as entries:
            return [entry.name for entry in entries]
    except OSError as error:
        raise host_error(error, where.shown) from None


def _sub_directories(real: str) -> Iterator[os.DirEntry]:
    """Entries of a directory that are directories themselves (links not followed)."""
    try:
        with os.scandir(real) as entries:
            found = [e for e in entries if e.is_dir(follow_symlinks=False)]
    except OSError:
        return iter(())
    return iter(found)


# ----------------------------------------------------------------------------- glob


def _has_magic(segment: str) -> bool:
    return any(ch in _MAGIC for ch in segment)


def _split_pattern(pattern: str) -> tuple[str, list[str]]:
    """The literal leading directory of an absolute pattern, and the segments after it."""
    segments = pattern.split(os.sep)
    first = next((i for i, s in enumerate(segments) if _has_magic(s)), len(segments))
    first = min(first, len(segments) - 1)
    base = os.sep.join(segments[:first]) or os.sep
    return base, segments[first:]


def _is_directory(path: str) -> bool:
    """Whether ``path`` is a directory and not a link to one."""
    try:
        return is_directory(os.lstat(path))
    except OSError:
        return False


def _matches(name: str, segment: str) -> bool:
    """A glob segment matches a name; wildcards skip hidden names, as the shell does."""
    if name.startswith(".") and not segment.startswith("."):
        return False
    return fnmatch.fnmatch(name, segment)


def _glob(real: str, shown: str, segments: list[str]) -> Iterator[str]:
    """Paths below ``real`` (written under ``shown``) that match the segments; ``**`` matches
    any number of directories."""
    head, rest = segments[0], segments[1:]
    if head == "**":
        yield from _recursive(real, shown, rest)
    elif not _has_magic(head):
        path = os.path.join(real, head)
        if not rest:
            if os.path.lexists(path):
                yield os.path.join(shown, head)
        elif _is_directory(path):
            yield from _glob(path, os.path.join(shown, head), rest)
    else:
        try:
            with os.scandir(real) as scan:
                entries = [e for e in scan if _matches(e.name, head)]
        except OSError:
            return
        for entry in entries:
            if not rest:
                yield os.path.join(shown, entry.name)
            elif entry.is_dir(follow_symlinks=False):
                yield from _glob(entry.path, os.path.join(shown, entry.name), rest)


def _recursive(real: str, shown: str, rest: list[str]) -> Iterator[str]:
    if rest:
        yield from _glob(real, shown, rest)
    else:  # a trailing '**' matches everything below
        try:
            with os.scandir(real) as scan:
                yield from (os.path.join(shown, e.name) for e in scan
                            if not e.name.startswith("."))
        except OSError:
            return
    for entry in _sub_directories(real):
        if not entry.name.startswith("."):
            yield from _recursive(entry.path, os.path.join(shown, entry.name), rest)


# ----------------------------------------------------------------------------- walk


def _walk(where: Target, max_depth: int) -> list[str]:
    """Relative paths of the files below a directory that the scope admits."""
    admitted = admits("path.read")
    found = []
    for root, dirs, files in os.walk(where.real, followlinks=False):
        relative = os.path.relpath(root, where.real)
        depth = 0 if relative == "." else relative.count(os.sep) + 1
        if 0 <= max_depth <= depth:
            dirs.clear()
        for name in files:
            if admitted(os.path.realpath(os.path.join(root, name))):
                found.append(os.path.normpath(os.path.join(relative, name)))
    return sorted(found)


def _check_tree(where: Target) -> None:
    """Before removing a tree, require ``path.write`` on everything in it, so a deny for a
    part of the tree is not bypassed by removing a directory above it. Removing a symbolic
    link changes only the directory that holds it, so a link is checked as a name in that
    directory, not by where it leads."""
    admitted = admits("path.write")
    for root, dirs, files in os.walk(where.real, followlinks=False):
        for name in dirs + files:
            path = os.path.join(root, name)
            resource = os.path.join(root, "*") if os.path.islink(path) else path
            if not admitted(resource):
                shown = os.path.join(where.shown, os.path.relpath(path, where.real))
                require("path.write", resource, shown=shown)


# ----------------------------------------------------------------------------- the module


@ml_module("path", "Path manipulation and filesystem operations")
class Path:
    """String functions need nothing; looking at or changing the host needs ``path.*``."""

    @ml_function("Join path segments with the separator")
    def join(self, *parts):
        if not parts:
            raise TypeError("join() needs at least one path")
        return os.path.join(*(_string(p, "each part") for p in parts))

    @ml_function("The directory part of a path")
    def dirname(self, p):
        return os.path.dirname(_string(p))

    @ml_function("The last part of a path")
    def basename(self, p):
        return os.path.basename(_string(p))

    @ml_function("The extension of a path, with its dot ('' if none)")
    def extname(self, p):
        return os.path.splitext(_string(p))[1]

    @ml_function("[directory, name] of a path")
    def split(self, p):
        return list(os.path.split(_string(p)))

    @ml_function("Collapse '.', '..' and repeated separators in a path")
    def normalize(self, p):
        return os.path.normpath(_string(p))

    @ml_function("Whether a path is absolute")
    def isAbsolute(self, p):
        return os.path.isabs(_string(p))

    @ml_function("The absolute form of a path ('~' expanded, '~name' not); needs path.read on "
                 "the working directory for a relative path and on the home directory to "
                 "expand '~'")
    def absolute(self, p):
        return self._absolute(_string(p))

    @ml_function("The path of 'to' relative to 'from'; each argument needs what absolute "
                 "needs for it")
    def relative(self, from_, to):
        return os.path.relpath(self._absolute(_string(to, "to")),
                               self._absolute(_string(from_, "from")))

    @ml_function("Whether a file or directory exists", capabilities=["path.read"])
    def exists(self, p):
        return lstat(_readable(p)) is not None

    @ml_function("Whether a path is a regular file", capabilities=["path.read"])
    def isFile(self, p):
        return is_regular(lstat(_readable(p)))

    @ml_function("Whether a path is a directory", capabilities=["path.read"])
    def isDirectory(self, p):
        return is_directory(lstat(_readable(p)))

    @ml_function("Sorted names of the entries of a directory", capabilities=["path.read"])
    def listDir(self, dir="."):
        where = _listed_directory(dir)
        admitted = admits("path.read")
        return sorted(name for name in _names(where)
                      if admitted(os.path.realpath(os.path.join(where.real, name))))

    @ml_function("Sorted absolute paths matching a pattern: * and ? within a name, [abc] one "
                 "of the characters, ** any number of directories (a relative pattern is "
                 "taken against the working directory)",
                 capabilities=["path.read"])
    def glob(self, pattern):
        pattern = _string(pattern, "pattern")
        base, segments = _split_pattern(absolute(expand_home(pattern)))
        where = target(base, "pattern")
        require_directory("path.read", where.real, pattern)
        if not is_directory(lstat(where)):
            return []
        admitted = admits("path.read")
        found = {p for p in _glob(where.real, base, segments)
                 if admitted(os.path.realpath(p))}
        return sorted(found)

    @ml_function("Sorted paths, relative to dir, of every file below it; maxDepth 0 is the "
                 "files in dir only, 1 adds those one directory down, and so on",
                 capabilities=["path.read"])
    def walk(self, dir, maxDepth=-1):
        if not isinstance(maxDepth, int) or isinstance(maxDepth, bool):
            raise TypeError(f"maxDepth must be an integer, not {typeof(maxDepth)}")
        return _walk(_listed_directory(dir), maxDepth)

    @ml_function("Create a directory and its missing parents (no error if it exists); parents "
                 "is accepted for compatibility and ignored",
                 capabilities=["path.write"])
    def createDir(self, dir, parents=True):
        where = _writable(dir)
        try:
            os.makedirs(where.real, exist_ok=True)
        except OSError as error:
            raise host_error(error, where.shown) from None

    @ml_function("Remove an empty directory", capabilities=["path.write"])
    def removeDir(self, dir):
        where = _writable(dir)
        if where.is_link():
            raise NotADirectoryError(f"{where.shown!r} is a symbolic link, not a directory")
        try:
            os.rmdir(where.real)
        except OSError as error:
            raise host_error(error, where.shown) from None

    @ml_function("Remove a directory and everything in it (path.write on every entry)",
                 capabilities=["path.write"])
    def removeDirRecursive(self, dir):
        where = _writable(dir)
        if where.is_link() or not is_directory(lstat(where)):
            raise NotADirectoryError(f"{where.shown!r} is not a directory")
        _check_tree(where)
        try:
            shutil.rmtree(where.real)
        except OSError as error:
            raise host_error(error, where.shown) from None

    @ml_function("The working directory (the host process's, also in a sandbox worker)",
                 capabilities=["path.read"])
    def cwd(self):
        here = working_directory()
        require_directory("path.read", os.path.realpath(here), ".")
        return here

    @ml_function("The home directory of the user running the host process",
                 capabilities=["path.read"])
    def home(self):
        home = os.path.expanduser("~")
        require_directory("path.read", os.path.realpath(home), "~")
        return home

    @ml_function("The directory for temporary files", capabilities=["path.read"])
    def tempDir(self):
        temp = tempfile.gettempdir()
        require_directory("path.read", os.path.realpath(temp), "the temporary directory")
        return temp

    @ml_function("The path separator ('/' or '\\\\')")
    def separator(self):
        return os.sep

    @ml_function("The separator of path lists (':' or ';')")
    def delimiter(self):
        return os.pathsep

    def _absolute(self, p: str) -> str:
        """``os.path.abspath`` with ``~`` expanded; consulting the working or home directory
        is reading the host, so it needs ``path.read`` on that directory. A refusal names the
        path as the script wrote it, never the directory it would have revealed."""
        home = home_of(p)
        if home is not None:
            require_directory("path.read", os.path.realpath(home), p)
        elif not os.path.isabs(p):
            require_directory("path.read", os.path.realpath(working_directory()), p)
        return absolute(expand_home(p))
