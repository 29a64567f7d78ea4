"""What the standard-library modules that touch files share (file, csv, log, crypto):
checking a path against the grants, honouring a grant's ``max_bytes``, and reading, writing
and copying through descriptors opened without following symbolic links (see
:mod:`mlpy.stdlib._fs`). The names keep their leading underscore: they are private to the
standard library."""

from __future__ import annotations

import codecs
import errno
import os
import stat
from typing import Any

from mlpy.capabilities import Capability, require
from mlpy.errors import CapabilityError
from mlpy.runtime.values import typeof
from mlpy.stdlib._fs import (
    NONBLOCK, Target, at_parent, host_error, is_directory, lstat, open_no_follow,
    target,
)

_CHUNK = 1 << 20


# ----------------------------------------------------------------------------- checks


def _checked(path: Any, area_action: str) -> tuple[Target, Capability | None]:
    """Resolve ``path`` and require ``area_action`` on its canonical form."""
    where = target(path)
    return where, require(area_action, where.real, shown=where.shown)


# The smallest ``max_bytes`` of the grants that admitted a call, and the capability it is on.
Limit = tuple[int, str] | None


def _limit(**grants: Capability | None) -> Limit:
    """``_limit(read=grant, ...)``: the tightest size cap among the grants (None: no cap)."""
    caps = [(g.max_bytes, f"file.{action}") for action, g in grants.items()
            if g is not None and g.max_bytes is not None]
    return min(caps) if caps else None


def _refuse_size(where: Target, size: int, limit: tuple[int, str]) -> CapabilityError:
    most, area_action = limit
    return CapabilityError(
        f"{area_action} refused for {where.shown!r}: {size:,} bytes is more than the "
        f"{most:,} bytes the grant allows", required=area_action,
    )


def _check_size(where: Target, size: int, limit: Limit) -> None:
    if limit is not None and size > limit[0]:
        raise _refuse_size(where, size, limit)


def _encoding(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"encoding must be a string, not {typeof(name)}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}") from None


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {typeof(value)}; convert it with str()")
    return value


def _binary(data: Any) -> bytes:
    """Bytes to write: a bytes value, or an array of integers 0-255 built by the script."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, list):
        try:
            return bytes(data)
        except (TypeError, ValueError):
            pass
    raise TypeError("data must be a bytes value or an array of integers from 0 to 255, "
                    f"not {typeof(data)}")


# ----------------------------------------------------------------------------- reading


def _open_regular(where: Target, flags: int, mode: int = 0o666) -> tuple[int, os.stat_result]:
    """Open the canonical path (no link followed) and make sure it is a regular file."""
    try:
        fd = open_no_follow(where.real, flags | NONBLOCK, mode)
    except OSError as error:
        raise host_error(error, where.shown) from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(f"{where.shown!r} is a directory, not a file")
        raise OSError(f"{where.shown!r} is not a regular file")
    return fd, status


def _read_bytes(where: Target, grant: Capability | None) -> bytes:
    """The whole file, refusing one larger than the grant's ``max_bytes`` before reading (and
    stopping at the limit, for files whose size the system does not know in advance)."""
    limit = _limit(read=grant)
    fd, status = _open_regular(where, os.O_RDONLY)
    try:
        _check_size(where, status.st_size, limit)
        chunks, total = [], 0
        while chunk := os.read(fd, _CHUNK if limit is None else min(_CHUNK, limit[0] + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            _check_size(where, total, limit)
    except OSError as error:
        raise host_error(error, where.shown) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _decode(where: Target, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ValueError(f"{where.shown!r} is not valid {encoding} text: {error.reason} at "
                         f"byte {error.start}") from None


# ----------------------------------------------------------------------------- writing


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _make_parents(where: Target) -> None:
    try:
        os.makedirs(os.path.dirname(where.real), exist_ok=True)
    except OSError as error:
        raise host_error(error, where.shown) from None


def _write_file(where: Target, data: bytes, grant: Capability | None) -> None:
    """Replace the file's content, creating it and its parent directories."""
    _check_size(where, len(data), _limit(write=grant))
    _make_parents(where)
    fd, _ = _open_regular(where, os.O_WRONLY | os.O_CREAT)
    try:
        os.ftruncate(fd, 0)
        _write_all(fd, data)
    except OSError as error:
        raise host_error(error, where.shown) from None
    finally:
        os.close(fd)


def _append_file(where: Target, data: bytes, grant: Capability | None,
                 action: str = "append") -> None:
    """Append, refusing when the file would grow past the ``max_bytes`` of the grant (of
    ``file.<action>``)."""
    _make_parents(where)
    fd, status = _open_regular(where, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        _check_size(where, status.st_size + len(data), _limit(**{action: grant}))
        _write_all(fd, data)
    except OSError as error:
        raise host_error(error, where.shown) from None
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- copy and move


def _into_directory(destination: Target, source: Target) -> Target:
    """Like ``cp``/``mv``: a destination that is a directory receives the source's name."""
    if not is_directory(lstat(destination)):
        return destination
    return target(os.path.join(destination.shown, os.path.basename(source.named)), "dst")


def _refuse_link(where: Target) -> None:
    """Deleting or moving acts on the directory entry; for a symbolic link that entry may lie
    outside the scope even when the file it points to is inside, so links are refused."""
    if where.is_link():
        raise ValueError(f"{where.shown!r} is a symbolic link; delete and move take the path "
                         "of the file itself")


def _source_file(where: Target) -> os.stat_result:
    """The status of a file to copy or move; a directory is refused."""
    status = lstat(where)
    if status is None:
        raise FileNotFoundError(f"No such file or directory: {where.shown!r}")
    if is_directory(status):
        raise IsADirectoryError(f"{where.shown!r} is a directory; the file module copies and "
                                "moves files")
    return status


def _copy_metadata(status: os.stat_result, fd: int) -> None:
    """Permission bits and times of the source, set through the open descriptor."""
    if os.chmod in os.supports_fd:
        os.chmod(fd, stat.S_IMODE(status.st_mode))
    if os.utime in os.supports_fd:
        os.utime(fd, ns=(status.st_atime_ns, status.st_mtime_ns))


def _copy_file(source: Target, destination: Target, limit: Limit) -> None:
    src_fd, status = _open_regular(source, os.O_RDONLY)
    try:
        _check_size(source, status.st_size, limit)
        _make_parents(destination)
        dst_fd, _ = _open_regular(destination, os.O_WRONLY | os.O_CREAT)
        try:
            os.ftruncate(dst_fd, 0)
            _pump(source, src_fd, dst_fd, limit)
            _copy_metadata(status, dst_fd)
        finally:
            os.close(dst_fd)
    except OSError as error:
        raise host_error(error, source.shown) from None
    finally:
        os.close(src_fd)


def _pump(source: Target, src_fd: int, dst_fd: int, limit: Limit) -> None:
    """Copy the bytes; a source that grows past the limit while copied leaves nothing."""
    total = 0
    while chunk := os.read(src_fd, _CHUNK):
        total += len(chunk)
        if limit is not None and total > limit[0]:
            os.ftruncate(dst_fd, 0)
            raise _refuse_size(source, total, limit)
        _write_all(dst_fd, chunk)


def _rename(source: Target, destination: Target) -> bool:
    """Rename within one file system, without following links; False across devices."""
    try:
        with at_parent(source.real) as (src_dir, src_name), \
                at_parent(destination.real) as (dst_dir, dst_name):
            os.rename(src_name, dst_name, src_dir_fd=src_dir, dst_dir_fd=dst_dir)
    except OSError as error:
        if error.errno == errno.EXDEV:
            return False
        raise host_error(error, source.shown) from None
    return True


def _unlink(where: Target) -> None:
    try:
        with at_parent(where.real) as (dir_fd, name):
            os.unlink(name, dir_fd=dir_fd)
    except OSError as error:
        raise host_error(error, where.shown) from None
