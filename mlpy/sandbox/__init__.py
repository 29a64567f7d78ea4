"""Subprocess isolation: run ML programs in pooled worker processes under OS limits.

In-process execution stops runaway programs cooperatively (steps, time, sizes); a program
stuck inside one long host operation, or one that needs more memory than the host can
spare, needs a process boundary. A :class:`SandboxPool` keeps warm worker processes, each
started in Python's isolated mode with a minimal environment and its own limits on memory,
CPU time, file size, open files and processes, and runs programs there with the same results,
errors and capability checks as in-process::

    from mlpy.sandbox import SandboxConfig, SandboxPool

    with SandboxPool(SandboxConfig(memory_limit="200MB", cpu_timeout=5)) as pool:
        result = pool.execute("total = price * qty;", {"price": 2.5, "qty": 4})
        result.globals["total"]   # 10.0

The pieces: :mod:`~mlpy.sandbox.config` (options), :mod:`~mlpy.sandbox.pool` (the pool),
:mod:`~mlpy.sandbox.process` (one worker as the pool sees it),
:mod:`~mlpy.sandbox.worker` (the worker process), :mod:`~mlpy.sandbox.channel` and
:mod:`~mlpy.sandbox.wire` (the protocol), :mod:`~mlpy.sandbox.limits` (OS limits) and
:mod:`~mlpy.sandbox.result` (the reference-compatible result).
"""

from __future__ import annotations

from mlpy.sandbox.config import SandboxConfig, format_size, parse_size
from mlpy.sandbox.pool import SandboxPool
from mlpy.sandbox.result import SandboxResult, termination_reason
from mlpy.sandbox.wire import from_wire

__all__ = ["SandboxConfig", "SandboxPool", "SandboxResult", "format_size", "from_wire",
           "parse_size", "termination_reason"]
