"""Length-prefixed JSON frames over a private pipe pair.

Each worker has two pipes of its own, created by the pool and passed to the worker by
descriptor number: one for frames to the worker, one for frames back. Nothing else writes to
them -- the ML program's output is captured inside the worker and travels *inside* a result
frame -- so no text a program prints can be mistaken for a frame.

The pool's side (:class:`Channel`) never blocks without a deadline: its descriptors are
non-blocking and every wait goes through ``poll``, so a stopped or looping worker costs the
caller at most its time limit. The worker's side (:func:`read_frame`, :func:`write_frame`)
blocks, since a worker has nothing else to do.
"""

from __future__ import annotations

import os
import select
import time
from typing import Any

from mlpy.sandbox.wire import HEADER, ProtocolViolation, decode_frame, encode_frame

_CHUNK = 1 << 20


class ChannelClosed(Exception):
    """The other end went away (the worker exited or closed its pipe)."""


class ChannelTimeout(Exception):
    """The deadline passed before a whole frame arrived or was sent."""


class Channel:
    """The pool's end of one worker's pipes."""

    def __init__(self, read_fd: int, write_fd: int, max_frame: int):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.max_frame = max_frame
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)

    def send(self, frame: dict[str, Any], deadline: float) -> None:
        """Write one frame before ``deadline`` (a ``time.monotonic()`` value)."""
        self.send_encoded(encode_frame(frame), deadline)

    def send_encoded(self, frame: bytes, deadline: float) -> None:
        """Write one frame :func:`~mlpy.sandbox.wire.encode_frame` made, before ``deadline``."""
        data = memoryview(frame)
        while data:
            try:
                written = os.write(self.write_fd, data[:_CHUNK])
            except BlockingIOError:
                self._wait(self.write_fd, select.POLLOUT, deadline)
                continue
            except (BrokenPipeError, OSError):
                raise ChannelClosed("the worker closed its pipe") from None
            data = data[written:]

    def recv(self, deadline: float | None) -> dict[str, Any]:
        """Read one frame; ChannelTimeout after ``deadline``, ChannelClosed at end of file."""
        header = self._read_exactly(HEADER.size, deadline)
        (size,) = HEADER.unpack(header)
        if size > self.max_frame:
            raise ProtocolViolation(f"a frame of {size:,} bytes is over the limit of "
                                    f"{self.max_frame:,}")
        return decode_frame(self._read_exactly(size, deadline))

    def _read_exactly(self, size: int, deadline: float | None) -> bytes:
        parts: list[bytes] = []
        missing = size
        while missing:
            try:
                chunk = os.read(self.read_fd, min(missing, _CHUNK))
            except BlockingIOError:
                self._wait(self.read_fd, select.POLLIN, deadline)
                continue
            except OSError:
                raise ChannelClosed("the worker's pipe failed") from None
            if not chunk:
                raise ChannelClosed("the worker closed its pipe")
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    @staticmethod
    def _wait(fd: int, events: int, deadline: float | None) -> None:
        poller = select.poll()
        poller.register(fd, events)
        while True:
            if deadline is None:
                timeout_ms = None
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ChannelTimeout()
                timeout_ms = max(1, int(remaining * 1000) + 1)
            try:
                if poller.poll(timeout_ms):
                    return  # readable, writable, or hung up: the next read/write tells which
            except InterruptedError:  # pragma: no cover - PEP 475 retries poll itself
                continue

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


# ----------------------------------------------------------------------------- worker side


def read_frame(fd: int, max_frame: int) -> dict[str, Any] | None:
    """The next frame from a blocking descriptor, or None at end of file."""
    header = _read_blocking(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_frame:
        raise ProtocolViolation(f"a frame of {size:,} bytes is over the limit of "
                                f"{max_frame:,}")
    body = _read_blocking(fd, size)
    if body is None:
        raise ProtocolViolation("a frame ended early")
    return decode_frame(body)


def _read_blocking(fd: int, size: int) -> bytes | None:
    parts: list[bytes] = []
    missing = size
    while missing:
        chunk = os.read(fd, min(missing, _CHUNK))
        if not chunk:
            if missing == size:
                return None
            raise ProtocolViolation("a frame ended early")
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def write_frame(fd: int, frame: dict[str, Any]) -> None:
    """Write one frame to a blocking descriptor."""
    write_bytes(fd, encode_frame(frame))


def write_bytes(fd: int, data: bytes) -> None:
    """Write an encoded frame to a blocking descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
