"""FakeClock: the clock of ML time limits, moved by the test instead of by time.

An execution's ``timeout`` is measured on the clock of :mod:`mlpy.runtime.state` (its
attribute ``clock``, ``time.monotonic`` normally). While a :class:`FakeClock` is installed
(``with FakeClock() as clock:``) that clock stands still until the test moves it with
:meth:`FakeClock.advance`, so a test of timeout handling is exact and takes no real time:
a host function that "takes 10 s" advances the clock by 10 instead of sleeping, and the
execution stops with :class:`~mlpy.MLTimeoutError` as soon as control is back in ML code.

What it controls, and nothing more (integration spec 7.2: "drive deadlines"):

* the deadlines and the ``elapsed`` of time limits of in-process executions, sessions and
  ML functions called from the host, in every thread of this process (AsyncEngine workers
  included) while installed;
* not ``datetime.now()`` as ML code sees it (pass a date in ``variables`` to test date
  logic), not ``time.monotonic`` for anything else, not the AsyncEngine's watchdog (which
  stays on real time as a backstop), and not sandbox workers (other processes).

An ML loop that never calls anything that advances the clock cannot time out while the
clock stands still: give such tests ``max_steps`` too.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from mlpy.errors import MLConfigurationError
from mlpy.runtime import state as _state

_installed_lock = threading.Lock()


class FakeClock:
    """A monotonic clock that moves only when told to; see the module docstring.

    ``start`` is the first reading (by default the real monotonic time when the clock is
    made, so deadlines computed by code that reads the real clock stay comparable).
    """

    def __init__(self, start: float | None = None):
        self._now = time.monotonic() if start is None else float(start)
        self._lock = threading.Lock()
        self._replaced: Any = None
        self.installed = False

    def __call__(self) -> float:
        """The current reading (the clock itself is what the runtime calls)."""
        return self._now

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never back); the new reading."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise MLConfigurationError(
                f"FakeClock.advance takes a number of seconds >= 0, not {seconds!r}",
                hints=["a monotonic clock never goes back"])
        with self._lock:
            self._now += seconds
            return self._now

    sleep = advance  # a stand-in for time.sleep in host functions under test

    def install(self) -> "FakeClock":
        """Make this the clock of ML time limits until :meth:`uninstall`."""
        with _installed_lock:
            if self.installed:
                raise MLConfigurationError("this FakeClock is already installed")
            if isinstance(_state.clock, FakeClock):
                raise MLConfigurationError(
                    "another FakeClock is already installed",
                    hints=["uninstall it first (leave its with block)"])
            self._replaced, _state.clock = _state.clock, self
            self.installed = True
        return self

    def uninstall(self) -> None:
        """Give the runtime its real clock back (idempotent)."""
        with _installed_lock:
            if self.installed:
                _state.clock, self._replaced = self._replaced, None
                self.installed = False

    def __enter__(self) -> "FakeClock":
        return self.install()

    def __exit__(self, *exc: Any) -> None:
        self.uninstall()

    def __repr__(self) -> str:
        return f"<FakeClock at {self._now:.6f}{' (installed)' if self.installed else ''}>"
