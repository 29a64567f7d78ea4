"""Fixtures the operations tests share."""

from __future__ import annotations

import os

import pytest

import mlpy


@pytest.fixture
def sandboxed():
    """An Engine whose executions run in a one-worker sandbox pool (modules that need other
    pool settings define their own)."""
    if os.name != "posix":
        pytest.skip("subprocess isolation needs POSIX")
    from mlpy.sandbox import SandboxConfig

    engine = mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(pool_size=1))
    yield engine
    engine.close()
