"""Filesystem plumbing shared by the ``file`` and ``path`` modules.

A path from a script is resolved once into a :class:`Target`: the text the script gave (the
only form error messages show, so an error never reveals where a symbolic link leads), and the
canonical path -- absolute, ``..`` collapsed, symbolic links resolved. The canonical path is
what the bridge passes to ``require()`` *and* what it touches: on systems with ``openat``,
:func:`open_no_follow` walks to it one directory at a time refusing every symbolic link, so a
link swapped in after the capability check makes the operation fail instead of redirecting it
outside the granted scope.

Relative paths start at the *program's* working directory: the process's own, unless the
sandbox worker running the program set the caller's (:func:`working_directory_of`), so that
a relative path and a relative grant (made absolute in the host) mean the same directory in
a worker as in the host, while the worker process itself stays in a private directory.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from mlpy.capabilities import current_capabilities, require
from mlpy.runtime.state import deciding_state
from mlpy.runtime.values import typeof

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# O_NONBLOCK: opening a FIFO must not hang the execution; regular files ignore the flag.
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# O_PATH enters a directory the process may traverse but not list, as a plain open would.
_DIRECTORY_FLAGS = (getattr(os, "O_PATH", 0) or os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) \
    | NOFOLLOW | CLOEXEC
_AT_SUPPORTED = bool(NOFOLLOW and getattr(os, "O_DIRECTORY", 0)) and {
    os.open, os.stat, os.unlink, os.rename} <= os.supports_dir_fd


# The directory relative paths start at when it is not the process's (None: the process's).
_WORKING_DIRECTORY: ContextVar[str | None] = ContextVar("mlpy_working_directory", default=None)


def working_directory() -> str:
    """The directory a program's relative paths start at."""
    return _WORKING_DIRECTORY.get() or os.getcwd()


@contextmanager
def working_directory_of(directory: str | None) -> Iterator[None]:
    """Relative paths start at the absolute ``directory`` for the block (None: the
    process's working directory)."""
    if directory is not None and not os.path.isabs(directory):
        raise ValueError(f"the working directory must be absolute, not {directory!r}")
    token = _WORKING_DIRECTORY.set(directory)
    try:
        yield
    finally:
        _WORKING_DIRECTORY.reset(token)


def absolute(path: str) -> str:
    """``os.path.abspath`` against the program's working directory."""
    return os.path.normpath(os.path.join(working_directory(), path))


class Target(NamedTuple):
    """A path a script named: ``shown`` as written, ``real`` canonical (what is checked and
    touched), ``named`` absolute but unresolved (to tell whether the name is a link)."""

    shown: str
    real: str
    named: str

    def is_link(self) -> bool:
        """Whether the name itself is a symbolic link (the canonical path never is)."""
        return self.named != self.real and os.path.islink(self.named)


def target(value: Any, what: str = "path") -> Target:
    """Resolve a path argument: ``~`` expanded, made absolute against the program's working
    directory, ``..`` collapsed and symbolic links resolved."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {typeof(value)}")
    if not value:
        raise ValueError(f"{what} must not be empty")
    if "\0" in value:
        raise ValueError(f"{what} must not contain a NUL character")
    named = absolute(expand_home(value))
    return Target(value, os.path.realpath(named), named)


def expand_home(path: str) -> str:
    """``~`` and ``~/...`` as the home directory of the user running the host. ``~name``
    stays a name: looking up other users' home directories would tell a script which users
    exist."""
    if path == "~" or path.startswith("~" + os.sep) or (os.altsep and path.startswith(
            "~" + os.altsep)):
        return os.path.expanduser(path)
    return path


def home_of(path: str) -> str | None:
    """The home directory ``path`` starts with (as :func:`expand_home` reads it), or None."""
    return os.path.expanduser("~") if expand_home(path) != path else None


def host_error(error: OSError, shown: str) -> OSError:
    """The same kind of error, with a message that names only the path the script gave
    (Python's own message would show the canonical path, which may lie outside the scope).
    An error made here already (it has no ``errno``) is returned as it is."""
    if error.errno is None:
        return error
    if error.errno == errno.ELOOP:
        return PermissionError(
            f"{shown!r} changed while it was being opened: it now passes through a symbolic "
            "link, which is refused")
    reason = error.strerror or type(error).__name__
    kind = type(error) if type(error).__module__ == "builtins" else OSError
    return kind(f"{reason}: {shown!r}")


@contextmanager
def at_parent(real: str) -> Iterator[tuple[int | None, str]]:
    """``(dir_fd, name)`` for operating on ``real`` relative to its directory, reached without
    following any symbolic link; ``(None, real)`` where the platform has no ``openat``."""
    if not _AT_SUPPORTED:
        yield None, real
        return
    parts = [part for part in real.split(os.sep) if part]
    fd = os.open(os.sep, _DIRECTORY_FLAGS)
    try:
        for part in parts[:-1]:
            inner = _enter(part, fd)
            os.close(fd)
            fd = inner
        yield fd, parts[-1] if parts else "."
    finally:
        os.close(fd)


def _enter(name: str, dir_fd: int) -> int:
    """Open the directory ``name`` inside ``dir_fd``; a symbolic link there is ELOOP."""
    try:
        return os.open(name, _DIRECTORY_FLAGS, dir_fd=dir_fd)
    except NotADirectoryError:
        status = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(status.st_mode):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None
        raise


def open_no_follow(real: str, flags: int, mode: int = 0o666) -> int:
    """Open the canonical path ``real`` without following symbolic links on the way."""
    flags |= NOFOLLOW | CLOEXEC | _BINARY
    with at_parent(real) as (dir_fd, name):
        if dir_fd is None:
            return os.open(name, flags, mode)
        return os.open(name, flags, mode, dir_fd=dir_fd)


def lstat(where: Target) -> os.stat_result | None:
    """The status of the canonical path itself (a link is not followed), or None if nothing
    is there."""
    try:
        with at_parent(where.real) as (dir_fd, name):
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None
        raise host_error(error, where.shown) from None


def is_regular(status: os.stat_result | None) -> bool:
    return status is not None and stat.S_ISREG(status.st_mode)


def is_directory(status: os.stat_result | None) -> bool:
    return status is not None and stat.S_ISDIR(status.st_mode)


def running() -> bool:
    """Whether an ML execution is running (host code calling a bridge directly is trusted)."""
    return deciding_state() is not None


def admits(area_action: str):
    """A test of which canonical resources the running script may use, for filtering results
    (a listing shows only what the scope admits); host code outside ML sees everything."""
    if not running():
        return lambda resource: True
    held = current_capabilities()
    return lambda resource: held.allows(area_action, resource)


def require_directory(area_action: str, directory: str, shown: str | None = None) -> None:
    """Require ``area_action`` on a directory, or on a path that may be one: admitted when the
    scope admits the path itself or the names directly inside it, so the scopes ``/data``,
    ``/data/*`` and ``/data/**`` all let a script list /data (whose names it may read). A
    deny of the directory itself still wins."""
    if running():
        held = current_capabilities()
        if not held.allows(area_action, directory) and not held.denied(area_action, directory):
            require(area_action, os.path.join(directory, "*"), shown=shown)
            return
    require(area_action, directory, shown=shown)
