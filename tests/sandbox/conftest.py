"""One warm pool shared by the sandbox tests that do not need a configuration of their own."""

from __future__ import annotations

import pytest

from mlpy.sandbox import SandboxConfig, SandboxPool

SHARED = SandboxConfig(pool_size=2, memory_limit="200MB", cpu_timeout=1.0, wall_timeout=10.0,
                       max_output="4KB", max_tasks_per_worker=50)


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(SHARED) as shared:
        yield shared
