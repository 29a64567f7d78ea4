"""Helpers for the stdlib tests: run an ML program under given grants and read what it printed."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

import mlpy


class Runner:
    """Runs ML source (dedented) with variables, grants and denies; returns the result."""

    def __call__(self, source: str, capabilities: Iterable[Any] = (), deny: Iterable[str] = (),
                 **variables: Any) -> mlpy.ExecutionResult:
        engine = mlpy.Engine(capabilities=list(capabilities), deny=list(deny), timeout=10)
        return engine.execute(textwrap.dedent(source), variables, capture_output=True)

    def output(self, source: str, capabilities: Iterable[Any] = (), deny: Iterable[str] = (),
               **variables: Any) -> str:
        """What the program printed; it must succeed."""
        result = self(source, capabilities, deny, **variables)
        assert result.ok, result.error
        return result.stdout

    def refused(self, source: str, capabilities: Iterable[Any] = (), deny: Iterable[str] = (),
                **variables: Any) -> mlpy.CapabilityError:
        """The CapabilityError the program ended with (it must end with one)."""
        result = self(source, capabilities, deny, **variables)
        assert not result.ok, f"the program should have been refused; it printed {result.stdout!r}"
        assert isinstance(result.error, mlpy.CapabilityError), result.error
        return result.error


@pytest.fixture
def run() -> Runner:
    return Runner()


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """A canonical temporary directory (scopes are matched on canonical paths)."""
    return tmp_path.resolve()
