"""Filesystem plumbing shared by the ``file`` and ``path`` modules.

A path from a script is resolved once into a :class:`Target`: the text the script gave (the
only form error messages show, so an error never reveals where a symbolic link leads), and the
canonical path -- absolute, ``..`` collapsed, symbolic links resolved. The canonical path is
what the bridge passes to ``require()`` *and* what it touches: on systems with ``openat``,
:func:`open_no_follow` walks to it one directory at a time refusing every symbolic link, so a
link swapped in after the capability check makes the operation fail instead of redirecting it
outside the granted scope.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple

from mlpy.capabilities import current_capabilities, require
from mlpy.runtime.state import current_state
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


class Target(NamedTuple):
    """A path a script named: ``shown`` as written, ``real`` canonical (what is checked)."""

    shown: str
    real: str


def target(value: Any, what: str = "path") -> Target:
    """Resolve a path argument: ``~`` expanded, made absolute against the process working
    directory, ``..`` collapsed and symbolic links resolved."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {typeof(value)}")
    if not value:
        raise ValueError(f"{what} must not be empty")
    if "\0" in value:
        raise ValueError(f"{what} must not contain a NUL character")
    absolute = os.path.abspath(os.path.expanduser(value))
    return Target(value, os.path.realpath(absolute))


def host_error(error: OSError, shown: str) -> OSError:
    """The same kind of error, with a message that names only the path the script gave
    (Python's own message would show the canonical path, which may lie outside the scope)."""
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
            inner = os.open(part, _DIRECTORY_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
        yield fd, parts[-1] if parts else "."
    finally:
        os.close(fd)


def open_no_follow(real: str, flags: int, mode: int = 0o666) -> int:
    """Open the canonical path ``real`` without following symbolic links on the way."""
    flags |= NOFOLLOW | CLOEXEC | _BINARY
    with at_parent(real) as (dir_fd, name):
        if dir_fd is None:
            return os.open(name, flags, mode)
        return os.open(name, flags, mode, dir_fd=dir_fd)


def lstat(real: str) -> os.stat_result | None:
    """The status of ``real`` itself (a link is not followed), or None if nothing is there."""
    try:
        with at_parent(real) as (dir_fd, name):
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return None
        raise


def is_regular(status: os.stat_result | None) -> bool:
    return status is not None and stat.S_ISREG(status.st_mode)


def is_directory(status: os.stat_result | None) -> bool:
    return status is not None and stat.S_ISDIR(status.st_mode)


def running() -> bool:
    """Whether an ML execution is running (host code calling a bridge directly is trusted)."""
    return current_state() is not None


def admits(area_action: str):
    """A test of which canonical resources the running script may use, for filtering results
    (a listing shows only what the scope admits); host code outside ML sees everything."""
    if not running():
        return lambda resource: True
    held = current_capabilities()
    return lambda resource: held.allows(area_action, resource)


def require_listing(area_action: str, directory: str) -> None:
    """Check that a script may list ``directory``: the scope admits the directory itself or
    the names inside it, so ``/data``, ``/data/*`` and ``/data/**`` all let it list /data."""
    if running() and not current_capabilities().allows(area_action, directory):
        require(area_action, os.path.join(directory, "*"))
    else:
        require(area_action, directory)
