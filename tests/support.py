"""Helpers the test modules share."""

from __future__ import annotations

import time
from typing import Callable


def wait_until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Return once ``condition()`` is true; fail the test if it is not within ``timeout``
    seconds (far beyond what a working build needs, so a slow machine never fails it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)
