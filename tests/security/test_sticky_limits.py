"""Limits the interpreter itself raises stay sticky too.

DESIGN D5 says a tripped limit cannot be swallowed: not by ``except``, not by a ``return``,
``break`` or ``continue`` in ``finally``, not by an error thrown from ``finally``. The limits
mlpy raises itself are covered in ``test_catching_limits.py``; this file covers the two that
come from the interpreter: the host running out of memory (``MemoryError``) and Python's own
recursion limit (``RecursionError``, reached with ``max_depth=None``). Both must end the
execution with the limit, in process and in a worker process.

The programs run in child processes (a memory rlimit makes ``MemoryError`` happen for real),
so a program that survives its limit shows up as a failed test, not as a stuck session.
"""

from __future__ import annotations

import pytest

import mlpy
from mlpy.sandbox import SandboxConfig

from .conftest import REACHED, assert_isolated_limit, describe, run_isolated
from .test_catching_limits import PATTERNS

# A trigger that needs more memory than the child has, and one that recurses past Python's
# own limit (the engine's depth limit is off, so nothing of mlpy's counts the calls).
TRIGGERS = {
    "host_memory": ("hoard = []; while (true) { hoard.append([0] * 4000000); }", {},
                    "memory"),
    "python_recursion": ("sink(0);", {"max_depth": None}, "recursion"),
}
PRELUDE = "function sink(n) { return sink(n + 1); }\n"

# Ways to get past the trigger beyond those of test_catching_limits: the limit is reached in
# the except block, the finally block throws or the handler swallows a second time.
MORE_PATTERNS = {
    "in_handler_finally_return": 'function f() { try { x = 1 / 0; } except (e) { TRIGGER }'
                                 ' finally { return 1; } }\nr = f(); print("REACHED", r);',
    "finally_throw_caught": 'try { try { TRIGGER } finally { throw "replaced"; } }'
                            ' except (e) { print("REACHED", e); }',
    "finally_return_in_loop": 'function f() { for (i in range(3)) { try { TRIGGER }'
                              ' finally { return i; } } }\nr = f(); print("REACHED", r);',
    "nested_finally_return": 'function f() { try { try { TRIGGER } finally { x = 1; } }'
                             ' finally { return 2; } }\nr = f(); print("REACHED", r);',
}
ALL_PATTERNS = {**PATTERNS, **MORE_PATTERNS}

CASES = {
    f"{trigger}:{pattern}": {
        "src": PRELUDE + source.replace("TRIGGER", TRIGGERS[trigger][0]),
        "engine": TRIGGERS[trigger][1],
        # Generous: touching fresh memory can stall a child on a busy machine (about 1 s of
        # CPU took 10 s on the clock); the harness still stops a case that computes too long.
        "options": {"timeout": 60},
    }
    for trigger in TRIGGERS
    for pattern, source in sorted(ALL_PATTERNS.items())
}


@pytest.fixture(scope="module")
def reports():
    return run_isolated(CASES, wall=15.0, memory=700_000_000)


@pytest.mark.parametrize("pattern", sorted(ALL_PATTERNS))
@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_interpreter_limits_cannot_be_caught_or_swallowed(reports, trigger, pattern):
    report = reports[f"{trigger}:{pattern}"]
    assert_isolated_limit(report, "MLResourceError", resource=TRIGGERS[trigger][2])
    assert REACHED not in report["stdout_head"], describe(report)


@pytest.mark.parametrize("pattern", ["finally_return", "except_finally_return",
                                     "in_handler_finally_return", "finally_throw_caught"])
def test_running_out_of_memory_in_a_worker_cannot_be_swallowed(sandbox_engine, pattern):
    source = PRELUDE + ALL_PATTERNS[pattern].replace("TRIGGER", TRIGGERS["host_memory"][0])
    result = sandbox_engine.execute(source, timeout=20, capture_output=True)
    assert REACHED not in (result.stdout or "")
    assert not result.ok
    assert isinstance(result.error, mlpy.MLResourceError), result.error
    assert result.error.resource == "memory"


@pytest.fixture(scope="module")
def sandbox_engine():
    config = SandboxConfig(pool_size=1, memory_limit="300MB", cpu_timeout=20)
    with mlpy.Engine(isolation="subprocess", sandbox=config) as engine:
        yield engine
