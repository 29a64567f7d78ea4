"""Debugging an execution on an AsyncEngine worker: ``AsyncEngine.execute(..., debug=d)``
(integration spec 6.4). The debugger attaches on the worker thread for that one execution,
``on_pause`` runs there, pauses do not count towards the timeout, and a cancel while paused
ends the execution and frees the worker.

Waiting for a state (the execution is paused) is done on events with generous bounds,
never by sleeping: a slow machine makes these tests slower, not red.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.debug.debugger import Debugger, PausedFrame, StepAction
from mlpy.errors import MLCancelledError, MLConfigurationError

# The program both debugger test modules step through (line numbers matter).
PROGRAM = (Path(__file__).parent / "adder.ml").read_text(encoding="utf-8")
FILE = "/virtual/adder.ml"


@pytest.fixture
def aengine():
    engine = AsyncEngine(max_workers=1, default_timeout=30.0)
    yield engine
    engine.shutdown(cancel_pending=True)


@pytest.fixture
def program(aengine):
    return aengine.engine.compile(PROGRAM, filename=FILE)


def recorder(actions=()):
    """An on_pause that records each pause (and the thread it ran on) and answers with
    ``actions`` in turn, then continue."""
    pauses: list[dict] = []
    queue = list(actions)

    def on_pause(frame: PausedFrame):
        pauses.append({"reason": frame.reason, "line": frame.line, "function": frame.function,
                       "locals": dict(frame.locals),
                       "stack": [(s.function, s.line) for s in frame.stack],
                       "thread": threading.current_thread().name})
        return queue.pop(0) if queue else StepAction.CONTINUE

    return pauses, on_pause


def _ours(trace) -> bool:
    return trace is not None and "mlpy.debug" in repr(trace)


def _tracing_installed() -> bool:
    """Whether the debugger observes executions on the calling thread."""
    if sys.version_info >= (3, 12):
        return any(sys.monitoring.get_tool(t) == "mlpy debugger" for t in range(6))
    return _ours(sys.gettrace())


def test_a_breakpoint_pauses_the_worker_with_ml_locals_and_stack(aengine, program):
    pauses, on_pause = recorder()
    debugger = Debugger(aengine, on_pause=on_pause)
    bp = debugger.set_breakpoint(FILE, 3)
    result = asyncio.run(aengine.execute(program, debug=debugger))
    assert result.success and result.value == 6
    assert [p["line"] for p in pauses] == [3, 3, 3]
    first = pauses[0]
    assert first["reason"] == "breakpoint" and first["function"] == "add"
    assert first["locals"] == {"a": 0, "b": 1}
    assert first["stack"] == [("add", 3), ("<program>", 9)]
    assert pauses[2]["locals"] == {"a": 2, "b": 1}
    assert {p["thread"] for p in pauses} == {result.worker}  # on the worker thread
    assert result.worker.startswith("mlpy-worker")
    assert bp.verified and bp.hits == 3


def test_stepping_on_a_worker(aengine, program):
    pauses, on_pause = recorder(["next", "next", "step_in", "next", "step_out"])
    debugger = Debugger(aengine, on_pause=on_pause)
    debugger.set_breakpoint(FILE, 9)
    result = asyncio.run(aengine.execute(program, debug=debugger))
    assert result.value == 6
    assert [(p["reason"], p["function"], p["line"]) for p in pauses[:6]] == [
        ("breakpoint", "<program>", 9),
        ("step", "<program>", 8),
        ("step", "<program>", 9),
        ("step", "add", 3),
        ("step", "add", 4),
        ("step", "<program>", 8),
    ]


@pytest.mark.parametrize("tail", [
    'print("total", total);\n',
    'print("total", total);\nx = total / 0;\n',
])
def test_the_result_is_the_same_with_and_without_the_debugger(aengine, tail):
    program = aengine.engine.compile(PROGRAM + tail, filename=FILE)
    pauses, on_pause = recorder(["next", "step_in", "step_out"])
    debugger = Debugger(aengine, on_pause=on_pause)
    debugger.set_breakpoint(FILE, 3, condition="a >= 0")
    debugger.watch("total")

    async def both():
        plain = await aengine.execute(program, capture_output=True)
        debugged = await aengine.execute(program, capture_output=True, debug=debugger)
        return plain, debugged

    plain, debugged = asyncio.run(both())
    assert pauses

    def observed(r):
        return r.success, r.value, r.stdout, r.error, type(r.error_info).__name__

    assert observed(debugged) == observed(plain)
    assert plain.stdout == "total 6\n"
    if "/ 0" in tail:
        assert plain.error_info.kind == "division_by_zero"


def test_the_next_execution_on_the_same_worker_is_not_traced(aengine, program):
    pauses, on_pause = recorder()
    debugger = Debugger(aengine, on_pause=on_pause)
    debugger.set_breakpoint(FILE, 3)
    during: list[bool] = []
    debugger.on_pause = lambda frame: (during.append(_tracing_installed()), on_pause(frame))[1]

    async def main():
        debugged = await aengine.execute(program, debug=debugger)
        plain = await aengine.execute(program)  # the breakpoint is still set
        after = await aengine.run_call(_tracing_installed)
        return debugged, plain, after

    debugged, plain, after = asyncio.run(main())
    assert debugged.value == plain.value == 6
    assert debugged.worker == plain.worker  # one worker: the same thread ran both
    assert during == [True, True, True]  # installed on the worker while it ran
    assert len(pauses) == 3  # the plain execution never paused
    assert after is False  # and nothing is left on the worker
    assert not _tracing_installed()  # nor on this thread


def test_a_pause_longer_than_the_timeout_does_not_time_out(aengine, program):
    debugger = Debugger(aengine)
    debugger.set_breakpoint(FILE, 11)  # result = total;
    released = threading.Event()

    def on_pause(frame):
        released.wait(2.5)  # a person looking at the frame for longer than the timeout
        return "continue"

    debugger.on_pause = on_pause
    result = asyncio.run(aengine.execute(program, timeout=1.0, debug=debugger))
    assert result.success and result.value == 6, result.error
    assert aengine.stats().timeouts == 0


def test_the_timeout_still_applies_when_running(aengine):
    program = aengine.engine.compile("x = 0;\nwhile (true) { x = x + 1; }\n", filename=FILE)
    debugger = Debugger(aengine)
    debugger.set_breakpoint(FILE, 1)
    result = asyncio.run(aengine.execute(program, timeout=0.5, debug=debugger))
    assert result.timed_out and not result.success


def test_cancelling_while_paused_ends_the_execution_and_frees_the_worker(program):
    aengine = AsyncEngine(max_workers=1, cancel_grace=30.0)
    paused = threading.Event()
    woken: list[bool] = []
    reached: list[int] = []

    def on_pause(frame):
        paused.set()
        woken.append(frame.cancelled.wait(30))  # a UI waits for a person, or for this
        return "continue"

    debugger = Debugger(aengine, on_pause=on_pause)
    debugger.set_breakpoint(FILE, 3)
    source = aengine.engine.compile(PROGRAM + "note(total);\n", filename=FILE)

    async def main():
        task = asyncio.create_task(aengine.execute(
            source, variables={"note": reached.append}, debug=debugger))
        assert await asyncio.get_running_loop().run_in_executor(None, paused.wait, 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await aengine.execute(program)  # the same, only worker

    try:
        after = asyncio.run(main())
    finally:
        aengine.shutdown()
    assert woken == [True]  # woken by the cancel, and paused only once: it ended there
    assert reached == []  # the rest of the program never ran
    assert after.success and after.value == 6
    stats = aengine.stats()
    assert stats.stuck == 0 and stats.cancelled == 1


def test_closing_while_paused_ends_the_execution_with_mlcancellederror(program):
    aengine = AsyncEngine(max_workers=1, cancel_grace=30.0)
    paused = threading.Event()
    woken: list[bool] = []

    def on_pause(frame):
        paused.set()
        woken.append(frame.cancelled.wait(30))
        return "continue"

    debugger = Debugger(aengine, on_pause=on_pause)
    debugger.set_breakpoint(FILE, 3)
    future = aengine.submit(program, debug=debugger)
    assert paused.wait(30)
    aengine.shutdown(cancel_pending=True)  # the running job is told to stop
    result = future.result(30)
    assert woken == [True]
    assert result.cancelled and not result.success
    assert isinstance(result.error_info, MLCancelledError)
    assert "cancelled while paused" in result.error
    assert aengine.stats().stuck == 0


def test_submit_takes_debug_too(aengine, program):
    pauses, on_pause = recorder()
    debugger = Debugger(aengine.engine, on_pause=on_pause)
    debugger.set_breakpoint(FILE, 4)
    result = aengine.submit(program, debug=debugger).result(60)
    assert result.value == 6
    assert [(p["line"], p["locals"]["c"]) for p in pauses] == [(4, 1), (4, 2), (4, 3)]


def test_debug_gets_a_debugger_of_this_engine(aengine, program):
    with pytest.raises(MLConfigurationError, match="Debugger"):
        asyncio.run(aengine.execute(program, debug="yes"))
    with mlpy.Engine() as other, pytest.raises(MLConfigurationError, match="another engine"):
        aengine.submit(program, debug=Debugger(other))
