"""The embedding debugger (mlpy.debug.debugger): breakpoints, stepping, ML-level frames,
exception breakpoints, watches -- and that it never changes what it observes."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

import mlpy
from mlpy.debug.debugger import (
    Breakpoint,
    Debugger,
    DebuggerError,
    PausedFrame,
    StepAction,
    show,
)
from mlpy.errors import MLCancelledError, MLSyntaxError

# The program both debugger test modules step through (line numbers matter).
PROGRAM = (Path(__file__).parent / "adder.ml").read_text(encoding="utf-8")
FILE = "/virtual/adder.ml"


@pytest.fixture
def engine():
    with mlpy.Engine() as engine:
        yield engine


def recorder(actions=()):
    """An on_pause that records every pause and answers with ``actions`` in turn (then
    continue)."""
    pauses: list[dict] = []
    queue = list(actions)

    def on_pause(frame: PausedFrame):
        pauses.append({"reason": frame.reason, "line": frame.line, "function": frame.function,
                       "column": frame.column,
                       "locals": dict(frame.locals), "watches": dict(frame.watches),
                       "stack": [(s.function, s.line) for s in frame.stack],
                       "frame": frame, "bp": frame.breakpoint,
                       "exception": frame.exception, "condition_error": frame.condition_error})
        return queue.pop(0) if queue else StepAction.CONTINUE

    return pauses, on_pause


def test_a_breakpoint_pauses_with_ml_locals_and_the_ml_stack(engine):
    debugger = Debugger(engine)
    bp = debugger.set_breakpoint(FILE, 3)
    pauses, on_pause = recorder()
    result = debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert result.ok and result.value == 6
    assert [p["line"] for p in pauses] == [3, 3, 3]
    first = pauses[0]
    assert first["reason"] == "breakpoint" and first["bp"] is bp
    assert first["function"] == "add"
    assert first["locals"] == {"a": 0, "b": 1}
    assert first["stack"] == [("add", 3), ("<program>", 9)]
    assert bp.verified and bp.hits == 3


def test_locals_use_ml_names_not_the_generated_python_names(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 3)
    pauses, on_pause = recorder()
    debugger.run("pass = 3;\nlambda = pass + 1;\nresult = lambda;\n", on_pause=on_pause)
    assert pauses[0]["locals"] == {"pass": 3, "lambda": 4}


def test_a_condition_is_an_ml_expression_in_the_paused_frame(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3, condition="a == 2 && b == 1")
    pauses, on_pause = recorder()
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert [p["locals"] for p in pauses] == [{"a": 2, "b": 1}]


def test_a_failing_condition_pauses_and_says_why(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3, condition="nothing_here > 1")
    pauses, on_pause = recorder()
    assert debugger.run(PROGRAM, filename=FILE, on_pause=on_pause).value == 6
    assert len(pauses) == 3
    assert "nothing_here" in pauses[0]["condition_error"]


def test_hit_count_pauses_from_the_nth_hit_on(engine):
    debugger = Debugger(engine)
    bp = debugger.set_breakpoint(FILE, 3, hit_count=2)
    pauses, on_pause = recorder()
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert [p["locals"]["a"] for p in pauses] == [1, 2]
    assert bp.hits == 3


def test_a_logpoint_logs_and_never_pauses(engine):
    logged = []
    debugger = Debugger(engine, on_log=lambda text, bp: logged.append(text))
    debugger.set_breakpoint(FILE, 4, log_message="c is {c}, a+b is {a + b}, bad {nope}")
    pauses, on_pause = recorder()
    assert debugger.run(PROGRAM, filename=FILE, on_pause=on_pause).value == 6
    assert pauses == []
    assert logged[0].startswith("c is 1, a+b is 1, bad <error:")
    assert len(logged) == 3


def test_a_line_without_code_is_unverified_and_never_pauses(engine):
    debugger = Debugger(engine)
    comment = debugger.set_breakpoint(FILE, 1)
    blank = debugger.set_breakpoint(FILE, 6)
    beyond = debugger.set_breakpoint(FILE, 500)
    assert not comment.verified and comment.message.startswith("pending")
    pauses, on_pause = recorder()
    assert debugger.run(PROGRAM, filename=FILE, on_pause=on_pause).value == 6
    assert pauses == []
    for bp in (comment, blank, beyond):
        assert not bp.verified and "holds no code" in bp.message


def test_a_known_program_verifies_breakpoints_before_it_runs(engine):
    debugger = Debugger(engine)
    debugger.add_program(engine.compile(PROGRAM, filename=FILE))
    assert debugger.set_breakpoint(FILE, 9).verified
    assert not debugger.set_breakpoint(FILE, 5).verified  # a closing brace


def test_disable_enable_remove(engine):
    debugger = Debugger(engine)
    bp = debugger.set_breakpoint(FILE, 3)
    debugger.disable(bp)
    pauses, on_pause = recorder()
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert pauses == []
    debugger.enable(bp.id)
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert len(pauses) == 3
    debugger.remove(bp)
    assert debugger.breakpoints == []
    with pytest.raises(DebuggerError):
        debugger.remove(bp)


def test_step_over_in_and_out(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 9)
    pauses, on_pause = recorder(["next", "next", "step_in", "next", "step_out"])
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    where = [(p["reason"], p["function"], p["line"]) for p in pauses[:6]]
    assert where == [
        ("breakpoint", "<program>", 9),
        ("step", "<program>", 8),  # next: over the call, back to the loop
        ("step", "<program>", 9),
        ("step", "add", 3),  # step in: the first line of its body
        ("step", "add", 4),
        ("step", "<program>", 8),  # step out: the caller's next line
    ]


def test_break_on_entry(engine):
    debugger = Debugger(engine)
    pauses, on_pause = recorder()
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause, break_on_entry=True)
    assert [(p["reason"], p["line"]) for p in pauses] == [("entry", 2)]


def test_watches_are_shown_at_every_pause(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 11)
    debugger.watch("total * 10")
    debugger.watch("missing + 1")
    pauses, on_pause = recorder()
    debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    watches = pauses[0]["watches"]
    assert watches["total * 10"] == "60"
    assert watches["missing + 1"].startswith("<error:")
    debugger.unwatch("missing + 1")
    assert debugger.watches == ["total * 10"]


def test_evaluate_sees_the_frame_and_changes_nothing(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 4)
    seen = []

    def on_pause(frame):
        seen.append(frame.evaluate("c * 100"))
        seen.append(frame.evaluate("total", level=1))
        frame.evaluate("c = 1000")  # binds in the evaluation's own copy of the names
        seen.append(frame.evaluate("c"))
        seen.append(frame.locals["c"])

    result = debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert seen[:4] == [100, 0, 1, 1]
    assert result.value == 6


def test_evaluate_runs_with_no_capabilities(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 2)
    errors = []

    def on_pause(frame):
        with pytest.raises(mlpy.MLError) as caught:
            frame.evaluate('file.read("/etc/passwd")')
        errors.append(caught.value)

    granted = mlpy.Engine(capabilities=["file.read"])
    debugger = Debugger(granted)
    debugger.set_breakpoint("<string>", 2)
    debugger.run("import file;\nx = 1;\n", on_pause=on_pause)
    assert len(errors) == 1


def test_uncaught_error_breakpoint(engine):
    debugger = Debugger(engine)
    debugger.break_on_exceptions()
    pauses, on_pause = recorder()
    source = ("function inner(d) {\n    return d.missing.deeper;\n}\n"
              "try {\n    inner({});\n} except (e) {\n    caught = 1;\n}\n"
              "function boom(n) {\n    return 10 / n;\n}\nboom(0);\n")
    result = debugger.run(source, on_pause=on_pause)
    assert not result.ok
    assert len(pauses) == 1  # the caught error did not pause
    pause = pauses[0]
    assert pause["reason"] == "exception"
    assert pause["stack"] == [("boom", 10), ("<program>", 12)]
    assert pause["locals"] == {"n": 0}
    assert "division" in str(pause["exception"]).lower()


def test_exception_breakpoints_filter_by_kind(engine):
    debugger = Debugger(engine)
    debugger.break_on_exceptions(types=["thrown"], uncaught_only=False)
    pauses, on_pause = recorder()
    source = ('try {\n    throw {code: "E1", message: "first"};\n} except (e) {\n    x = 1;\n}\n'
              "y = 1 / 0;\n")
    result = debugger.run(source, on_pause=on_pause)
    assert not result.ok
    assert [(p["reason"], p["line"]) for p in pauses] == [("exception", 2)]


def test_stop_ends_the_execution_and_ml_cannot_catch_it(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 3)
    source = "n = 0;\ntry {\n    n = n + 1;\n} except (e) {\n    n = 99;\n}\nresult = n;\n"
    result = debugger.run(source, on_pause=lambda frame: StepAction.STOP)
    assert not result.ok and isinstance(result.error, MLCancelledError)


def test_a_failing_on_pause_stops_the_execution_not_the_host(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3)

    def on_pause(frame):
        raise RuntimeError("the UI fell over")

    result = debugger.run(PROGRAM, filename=FILE, on_pause=on_pause)
    assert isinstance(result.error, MLCancelledError)


def test_session_calls_and_ml_functions_can_be_debugged(engine):
    session = engine.session()
    debugger = Debugger(engine)
    debugger.set_breakpoint("chunk.ml", 2)
    pauses, on_pause = recorder()
    debugger.run(session.exec, "function sq(x) {\n    y = x * x;\n    return y;\n}\n",
                 filename="chunk.ml", on_pause=on_pause)
    assert pauses == []
    square = session.function("sq")
    assert debugger.run(square, 7, on_pause=on_pause) == 49
    assert pauses[0]["locals"] == {"x": 7}


# ----------------------------------------------------------------------------- no effect


def _observed(result):
    shown = {name: show(value) for name, value in result.globals.items()}
    return (result.ok, result.value, shown,
            result.stdout, result.usage.get("steps"), type(result.error).__name__,
            str(result.error) if result.error else None)


@pytest.mark.parametrize("limits", [{}, {"max_steps": 40}, {"max_steps": 5000}])
def test_the_result_is_the_same_with_and_without_the_debugger(engine, limits):
    source = PROGRAM + 'print("total", total);\nwhile (true) { total = total + 1; }\n' \
        if limits.get("max_steps") == 40 else PROGRAM + 'print("total", total);\n'
    plain = engine.execute(source, filename=FILE, capture_output=True, **limits)
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3, condition="a >= 0")
    debugger.set_breakpoint(FILE, 4, log_message="{c}")
    debugger.watch("total")
    pauses, on_pause = recorder(["next", "step_in", "step_out"])
    debugged = debugger.run(source, filename=FILE, capture_output=True, on_pause=on_pause,
                            **limits)
    assert pauses
    assert _observed(debugged) == _observed(plain)


def test_time_paused_does_not_count_towards_the_timeout(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3)

    def on_pause(frame):
        time.sleep(0.3)  # a person looking at the frame; 0.9 s in all, timeout 0.5 s

    result = debugger.run(PROGRAM, filename=FILE, timeout=0.5, on_pause=on_pause)
    assert result.ok and result.value == 6


# ----------------------------------------------------------------------------- mechanism


def _ours(trace) -> bool:
    return trace is not None and "mlpy.debug" in repr(trace)


def _tracing_installed() -> bool:
    if sys.version_info >= (3, 12):
        return any(sys.monitoring.get_tool(t) == "mlpy debugger" for t in range(6))
    return _ours(sys.gettrace())


def test_nothing_is_installed_unless_running(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3)
    assert not _tracing_installed()
    during = []
    debugger.run(PROGRAM, filename=FILE, on_pause=lambda f: during.append(_tracing_installed()))
    # 3.12+: the tool id is held while it runs. 3.11: a program runs as its debug variant,
    # whose compiled line checks need no tracer (one would slow every instruction).
    assert during == [sys.version_info >= (3, 12)] * 3
    assert not _tracing_installed()


def test_a_breakpoint_never_reached_costs_no_call_per_line(engine, monkeypatch):
    # 3.11: the compiled checks call only on breakpoint lines (a mistake that marks every
    # line would call 3,000 times); 3.12+: each line location is turned off the first time
    # it is reached.
    calls = []
    original = Debugger.on_line
    monkeypatch.setattr(Debugger, "on_line", lambda self, frame: calls.append(frame.f_lineno)
                        or original(self, frame))
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 6)  # `total = 0;` inside the `if`: never reached
    source = "total = 0;\nfor (i in range(1000)) {\n    total = total + i;\n}\n" \
             "if (total < 0) {\n    total = 0;\n}\n"
    assert debugger.run(source).value is None
    assert len(calls) < 20


def test_a_callable_or_exception_breakpoints_install_the_tracer_while_running(engine):
    session = engine.session()
    session.exec("function sq(x) {\n    y = x * x;\n    return y;\n}\n", filename="chunk.ml")
    debugger = Debugger(engine)
    debugger.set_breakpoint("chunk.ml", 2)
    during = []
    assert debugger.run(session.function("sq"), 3,
                        on_pause=lambda f: during.append(_tracing_installed())) == 9
    debugger.clear()
    debugger.break_on_exceptions()
    result = debugger.run("x = 1;\nthrow {message: \"no\"};\n",
                          on_pause=lambda f: during.append((f.reason, _tracing_installed())))
    assert result.error.message == "no"
    assert during == [True, ("exception", True)]
    assert not _tracing_installed()


def test_other_threads_stay_untraced_and_never_pause(engine):
    program = engine.compile(PROGRAM, filename=FILE)
    debugger = Debugger(engine)
    debugger.set_breakpoint(FILE, 3)
    other: dict = {}

    def elsewhere():
        other["trace"] = sys.gettrace()
        other["result"] = engine.execute(program)

    def on_pause(frame):
        if "result" not in other:
            thread = threading.Thread(target=elsewhere)
            thread.start()
            thread.join(60)

    pauses, record = recorder()
    result = debugger.run(program, on_pause=lambda f: (record(f), on_pause(f))[0])
    assert result.value == 6 and other["result"].value == 6
    assert not _ours(other["trace"])  # (a coverage tool may trace every thread)
    assert len(pauses) == 3  # only this thread's three hits


def test_bad_input_gets_clear_errors(engine):
    debugger = Debugger(engine)
    for line in (0, -3, "3", 2.5, True):
        with pytest.raises(DebuggerError):
            debugger.set_breakpoint(FILE, line)
    with pytest.raises(MLSyntaxError):
        debugger.set_breakpoint(FILE, 3, condition="a ==")
    with pytest.raises(MLSyntaxError):
        debugger.watch("(((")
    with pytest.raises(DebuggerError):
        debugger.set_breakpoint(FILE, 3, hit_count=0)
    with pytest.raises(DebuggerError):
        debugger.set_breakpoint(42, 3)
    with pytest.raises(DebuggerError):
        debugger.set_breakpoint(FILE, 3, log_message=["x"])
    with pytest.raises(DebuggerError):
        debugger.set_breakpoint(FILE, 3, condition=7)
    with pytest.raises(DebuggerError):
        debugger.run(42)
    sandboxed = mlpy.Engine(isolation="subprocess")
    with pytest.raises(DebuggerError, match="sandboxed"):
        Debugger(sandboxed).run("x = 1;")


def test_a_debugger_runs_one_execution_at_a_time(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 1)
    errors = []

    def on_pause(frame):
        with pytest.raises(DebuggerError):
            debugger.run("y = 2;")
        errors.append(True)

    assert debugger.run("x = 1;\n", on_pause=on_pause).ok
    assert errors == [True]


def test_compat_name():
    from mlpy.debug.debugger import MLDebugger

    assert MLDebugger is Debugger
    assert Breakpoint and PausedFrame


MULTILINE = """\
function add(a, b) {
    return a + b;
}
total = add(
    add(1, 2),
    add(3,
        4));
n = 0;
while (n < 3) {
    n = n + 1;
}
"""


def test_a_statement_over_several_lines_pauses_once_where_it_starts(engine):
    debugger = Debugger(engine)
    start = debugger.set_breakpoint("<string>", 4)
    inside = debugger.set_breakpoint("<string>", 6)  # a continuation line: no statement
    pauses, on_pause = recorder()
    debugger.run(MULTILINE, on_pause=on_pause)
    # once, at the first thing it runs (the name `add`, column 9), not again for the call
    assert [(p["line"], p["column"]) for p in pauses] == [(4, 9)]
    assert start.verified and not inside.verified


def test_stepping_goes_statement_by_statement(engine):
    debugger = Debugger(engine)
    pauses, on_pause = recorder(["next"] * 20)
    debugger.run(MULTILINE, on_pause=on_pause, break_on_entry=True)
    assert [p["line"] for p in pauses] == [1, 4, 8, 9, 10, 9, 10, 9, 10, 9]


def test_a_loop_head_pauses_at_every_pass(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 9)
    pauses, on_pause = recorder()
    debugger.run(MULTILINE, on_pause=on_pause)
    assert [p["locals"]["n"] for p in pauses] == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- while running

# A loop long enough that a breakpoint set once it runs lands well before it ends (it ends,
# and the test fails, if the breakpoint never takes effect).
LONG = """\
started = 1;
total = 0;
for (i in range(3000000)) {
    total = total + i;
}
if (total < 0) {
    total = 0;
}
"""


def _started(debugger: Debugger) -> threading.Event:
    """An event set once the program passes line 1 (a logpoint there)."""
    started = threading.Event()
    debugger.on_log = lambda text, bp: started.set()
    debugger.set_breakpoint("<string>", 1, log_message="started")
    return started


def _run_in_thread(debugger: Debugger, source: str, on_pause) -> tuple[threading.Thread, dict]:
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(
        result=debugger.run(source, on_pause=on_pause)))
    thread.start()
    return thread, out


def test_a_breakpoint_set_from_another_thread_pauses_the_running_frame(engine):
    debugger = Debugger(engine)
    started = _started(debugger)
    pauses, on_pause = recorder(["stop"])
    thread, out = _run_in_thread(debugger, LONG, on_pause)
    assert started.wait(60)
    debugger.set_breakpoint("<string>", 4)  # in the loop the module frame is running
    thread.join(120)
    assert [(p["reason"], p["line"]) for p in pauses] == [("breakpoint", 4)]
    assert pauses[0]["locals"]["i"] < 3000000 - 1  # the loop had not run to its end
    assert isinstance(out["result"].error, MLCancelledError)


def test_exception_breakpoints_turned_on_from_another_thread_apply(engine):
    debugger = Debugger(engine)
    started = _started(debugger)
    pauses, on_pause = recorder()
    thread, out = _run_in_thread(debugger, LONG + 'throw {message: "late"};\n', on_pause)
    assert started.wait(60)
    debugger.break_on_exceptions()
    thread.join(120)
    assert [(p["reason"], p["line"]) for p in pauses] == [("exception", 9)]
    assert out["result"].error.message == "late"


def test_a_breakpoint_set_while_paused_applies_in_the_same_frame(engine):
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 2)
    lines = []

    def on_pause(frame):
        lines.append(frame.line)
        if frame.line == 2:
            debugger.set_breakpoint("<string>", 4, hit_count=3)
            return "continue"
        return "stop"

    debugger.run(LONG, on_pause=on_pause)
    assert lines == [2, 4]


def test_a_function_that_outlives_the_run_behaves_as_without_the_debugger(engine):
    source = "function f(x) {\n    y = x + 1;\n    return y;\n}\nresult = f;\n"
    debugger = Debugger(engine)
    debugger.set_breakpoint("<string>", 2)
    pauses, on_pause = recorder()
    kept = debugger.run(source, on_pause=on_pause).value
    assert kept(41) == 42 and pauses == []  # called after the run: nothing pauses
    assert engine.execute(source).value(41) == 42


def test_breakpoints_in_an_imported_ml_module(tmp_path):
    (tmp_path / "helpers.ml").write_text(
        "// helpers\nfunction double(x) {\n    y = x * 2;\n    return y;\n}\n", encoding="utf-8")
    engine = mlpy.Engine(ml_module_paths=[tmp_path])
    program = engine.compile("import helpers;\nz = helpers.double(21);\n", filename="main.ml")
    debugger = Debugger(engine)
    debugger.add_program(program)  # its modules too: verified before the run
    bp = debugger.set_breakpoint(tmp_path / "helpers.ml", 3)
    assert bp.verified
    pauses, on_pause = recorder()
    result = debugger.run(program, on_pause=on_pause)
    assert result.globals["z"] == 42
    assert [(p["function"], p["locals"], p["stack"]) for p in pauses] == [
        ("double", {"x": 21}, [("double", 3), ("<program>", 2)])]


def test_a_path_is_compiled_and_a_broken_one_is_a_failed_result(engine, tmp_path):
    good = tmp_path / "good.ml"
    good.write_text("x = 1;\ny = x + 1;\n", encoding="utf-8")
    debugger = Debugger(engine)
    debugger.set_breakpoint(good, 2)
    pauses, on_pause = recorder()
    assert debugger.run(good, on_pause=on_pause).ok
    assert [p["locals"] for p in pauses] == [{"x": 1}]
    broken = tmp_path / "broken.ml"
    broken.write_text("x = ;\n", encoding="utf-8")
    result = debugger.run(broken)
    assert not result.ok and isinstance(result.error, MLSyntaxError)
