"""The REPL's integration commands ``.async``, ``.callback`` and ``.benchmark`` (integration
spec 8.2): what they report, that they leave the session's names as they were, the grants
they run under, and every kind of bad input (driven through ``run_command``, as the
interactive loop runs them, and once through ``mlpy repl`` itself)."""

from __future__ import annotations

import _thread
import copy
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mlpy.aio import AsyncEngine
from mlpy.errors import CapabilityError, MLCallError
from mlpy.repl import MLREPLSession
from mlpy.repl.integration import DEFAULT_RUNS, percentile, split_runs

ROOT = Path(__file__).resolve().parents[2]
EXECUTION = re.compile(r"\[async\] execution ([0-9a-f]{32}) on (\S+): queue [\d.]+ ms, "
                       r"run [\d.]+ ms, total [\d.]+ ms$")
STATE = """
total = 10;
items = [1, 2];
profile = {name: "Ada", tags: ["x"]};
counter = 0;
function bump() { nonlocal counter; counter = counter + 1; return counter; }
function add(a, b) { return a + b; }
"""


@pytest.fixture
def printed():
    return []


@pytest.fixture
def repl(printed):
    session = MLREPLSession(output=printed.append, capabilities=["env.read:HOME"])
    assert session.execute(STATE).ok
    yield session
    session.close()


def state_of(repl: MLREPLSession) -> dict:
    """Everything the session's code could see: names, values, imports, grants."""
    return {"names": repl.session.names(), "values": copy.deepcopy(repl.session.snapshot()),
            "symbols": dict(repl.symbols), "imports": dict(repl.imports),
            "grants": str(repl.session.capabilities)}


def run(repl: MLREPLSession, line: str):
    result = repl.run_command(line)
    return result.ok, result.text


# ----------------------------------------------------------------------------- .async


def test_async_reports_value_execution_id_worker_and_timings(repl):
    ok, text = run(repl, ".async add(total, 5) * 2")
    assert ok, text
    value, timing = text.splitlines()
    assert value == "=> 30"
    found = EXECUTION.match(timing)
    assert found, timing
    assert found.group(2).startswith("mlpy-repl-async"), "ran on the async engine's worker"
    ok, again = run(repl, ".async total")
    assert EXECUTION.match(again.splitlines()[1]).group(1) != found.group(1)


def test_async_runs_on_a_worker_of_the_async_engine(repl):
    before = repl.async_engine.stats().completed
    assert run(repl, ".async 1 + 1")[0]
    assert repl.async_engine.stats().completed == before + 1


def test_async_statement_without_value_shows_only_the_execution(repl):
    ok, text = run(repl, ".async fresh = 3")
    assert ok and EXECUTION.match(text), text


def test_async_never_changes_the_session(repl, printed):
    before = state_of(repl)
    ok, text = run(repl, '.async total = 99; items.append(3); profile.tags.append("y"); '
                         'bump(); bump(); import math; function extra() { return 1; } '
                         'print("from async"); [total, counter]')
    assert ok, text
    assert text.splitlines()[0] == "=> [99, 2]", "the code saw and changed its copy"
    assert printed[-1] == "from async\n", "what it prints is shown as it runs"
    assert state_of(repl) == before
    assert repl.session.get("items") == [1, 2]
    assert repl.session.get("profile") == {"name": "Ada", "tags": ["x"]}
    assert repl.session.get("counter") == 0
    assert "extra" not in repl.session and "math" not in repl.session.names()
    assert repl.execute("bump()").value == 1, "the session's own functions are unchanged"


def test_async_never_touches_the_objects_the_session_holds(repl):
    """A host holding one of the session's lists sees it unchanged, and the session still
    holds that very list afterwards."""
    held = repl.session.get("items")
    assert run(repl, ".async items.append(3); items")[1].startswith("=> [1, 2, 3]")
    assert held == [1, 2] and repl.session.get("items") is held
    assert run(repl, ".benchmark items.append(3); 3")[0]
    assert held == [1, 2] and repl.session.get("items") is held


def test_async_keeps_ml_strings_as_typed(repl):
    ok, text = run(repl, """.async "it's" + ' a "b"  c' """)
    assert ok and text.splitlines()[0] == '=> "it\'s a \\"b\\"  c"', text


def test_async_uses_the_session_grants(repl):
    ok, text = run(repl, '.async import env; env.get("HOME") == null')
    assert ok and text.splitlines()[0] in ("=> false", "=> true"), text
    ok, text = run(repl, '.async import env; env.get("PATH")')
    assert not ok and "CapabilityError" in text and "env.read" in text
    repl.revoke("env.read")
    ok, text = run(repl, '.async import env; env.get("HOME")')
    assert not ok and "CapabilityError" in text


def test_async_failure_shows_the_error_and_the_execution(repl):
    ok, text = run(repl, ".async x = 1;\ny = x / 0")
    assert not ok
    lines = text.splitlines()
    assert lines[0] == "Error: RuntimeError: division by zero"
    assert lines[1].strip() == "y = x / 0;" and lines[2].strip() == "^"
    assert re.match(r"\[async\] execution [0-9a-f]{32} on \S+ failed: ", lines[3]), lines[3]
    assert "x" not in repl.session
    assert repl.execute("total + 1").value == 11, "the REPL goes on"


def test_async_syntax_error_is_reported(repl):
    ok, text = run(repl, ".async total = ")
    assert not ok and text.startswith("Error: ParseError:"), text


def test_async_timeout_is_reported_and_the_repl_goes_on():
    repl = MLREPLSession(async_timeout=0.3)
    try:
        repl.execute("n = 1")
        start = time.monotonic()
        ok, text = run(repl, ".async n = 2; while (true) {}")
        assert time.monotonic() - start < 30, "the time limit stopped it"
        assert not ok and text.startswith("Error: LimitError: time limit reached"), text
        assert repl.session.get("n") == 1
        assert run(repl, ".async n + 1")[1].startswith("=> 2"), "the worker is free again"
        assert repl.execute("n").value == 1
    finally:
        repl.close()


def test_ctrl_c_stops_an_async_execution_and_the_repl_goes_on():
    repl = MLREPLSession(async_timeout=60)
    try:
        repl.execute("n = 1")
        threading.Timer(0.3, _thread.interrupt_main).start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            repl.run_command(".async n = 5; while (true) {}")
        assert time.monotonic() - start < 30, "stopped by Ctrl+C, not by the 60 s limit"
        assert repl.session.get("n") == 1
        assert run(repl, ".async n + 1")[1].startswith("=> 2"), "the worker is free again"
        assert repl.async_engine.stats().cancelled == 1
    finally:
        repl.close()


def test_async_while_the_engine_is_down_says_so(repl):
    assert run(repl, ".async 1")[0]
    repl.async_engine.shutdown()
    ok, text = run(repl, ".async 1")
    assert not ok
    assert text.startswith("Error: the async engine is down (it is shut down)"), text
    assert "Tip:" in text
    assert repl.execute("total").value == 10, "statements still run"


def test_async_runs_on_the_engine_the_host_gives(printed):
    host = AsyncEngine(max_workers=1, thread_name_prefix="host-pool")
    repl = MLREPLSession(async_engine=host, output=printed.append)
    try:
        ok, text = run(repl, ".async 6 * 7")
        assert ok and EXECUTION.match(text.splitlines()[1]).group(2).startswith("host-pool")
        repl.close()
        assert not host.closed, "the host's engine is the host's to close"
        host.shutdown()
        ok, text = run(MLREPLSession(async_engine=host), ".async 1")
        assert not ok and "the async engine is down" in text
    finally:
        host.shutdown()


def test_closing_the_repl_shuts_its_own_async_engine_down(repl):
    run(repl, ".async 1")
    engine = repl.async_engine
    repl.close()
    deadline = time.monotonic() + 30
    while not engine.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.closed


def test_async_without_code_prints_the_usage(repl):
    assert run(repl, ".async") == (False, "Usage: .async CODE")
    assert run(repl, ".async   ") == (False, "Usage: .async CODE")


# ----------------------------------------------------------------------------- .callback


def test_callback_binds_a_wrapper_and_says_how_to_call_it(repl):
    ok, text = run(repl, ".callback add")
    assert ok, text
    assert text.splitlines() == [
        "Created callback add_callback for add(a, b); grants: env.read:HOME.",
        'From Python: repl.python_namespace["add_callback"](a, b)']
    from mlpy.callbacks import MLCallbackWrapper

    wrapper = repl.python_namespace["add_callback"]
    assert isinstance(wrapper, MLCallbackWrapper)
    assert wrapper(2, 3) == 5
    assert wrapper("a", "b") == "ab"


def test_callback_alias_and_replacement(repl):
    assert run(repl, ".callback bump on_bump")[1].startswith("Created callback on_bump ")
    assert run(repl, ".callback add on_bump")[1].startswith("Replaced callback on_bump ")
    assert repl.python_namespace["on_bump"](1, 1) == 2


def test_callback_calls_change_the_session_like_any_call(repl):
    run(repl, ".callback bump")
    assert repl.python_namespace["bump_callback"]() == 1
    assert repl.python_namespace["bump_callback"]() == 2
    assert repl.execute("counter").value == 2


def test_callback_runs_under_the_session_grants(repl):
    assert repl.execute('import env; function home() { return env.get("HOME"); } '
                        'function path() { return env.get("PATH"); }').ok
    run(repl, ".callback home")
    run(repl, ".callback path")
    home = repl.python_namespace["home_callback"]
    assert home() == repl.execute('env.get("HOME")').value
    with pytest.raises(CapabilityError) as denied:
        repl.python_namespace["path_callback"]()
    assert denied.value.required == "env.read"
    repl.revoke("env.read")
    with pytest.raises(CapabilityError):
        home()


def test_callback_picks_up_a_redefinition(repl):
    run(repl, ".callback add")
    repl.execute("function add(a, b) { return a * b; }")
    assert repl.python_namespace["add_callback"](3, 4) == 12


@pytest.mark.parametrize("line, message", [
    (".callback missing", "Error: 'missing' is not an ML function in this session"),
    (".callback total", "Error: 'total' is not an ML function in this session"),
    (".callback 9lives", "Error: '9lives' is not a valid ML function name"),
    (".callback add 1x", "Error: '1x' is not a valid name for the callback"),
    (".callback add a b", "Error: too many arguments (.callback FUNCTION [ALIAS])"),
    (".callback", "Usage: .callback FUNCTION [ALIAS]"),
])
def test_callback_bad_input(repl, line, message):
    ok, text = run(repl, line)
    assert not ok and text.startswith(message), text
    assert not repl.python_namespace
    assert repl.execute("total").value == 10


def test_callback_bad_function_names_come_with_a_tip(repl):
    assert run(repl, ".callback missing")[1].splitlines()[1] == \
        "Tip: define it first: function missing(...) { ... }"
    assert run(repl, ".callback 9lives")[1].splitlines()[1] == \
        "Tip: an ML function name is a letter or _ followed by letters, digits and _"


# ----------------------------------------------------------------------------- .benchmark


@pytest.mark.parametrize("text, code, runs", [
    ("add(1, 2); 20", "add(1, 2)", 20),
    ("add(1, 2);20", "add(1, 2)", 20),
    ("while (n < 3) { n = n + 1; }; 20", "while (n < 3) { n = n + 1; }", 20),
    ("add(1, 2)", "add(1, 2)", DEFAULT_RUNS),
    ("a = 1; a + 1", "a = 1; a + 1", DEFAULT_RUNS),
    ("x = 1; y = 2; 7", "x = 1; y = 2", 7),
    ("add(1, 2); -3", "add(1, 2)", -3),
    ("x = 1; 1.5", "x = 1; 1.5", DEFAULT_RUNS),
    ('s = "a; 5"', 's = "a; 5"', DEFAULT_RUNS),
    ("5", "5", DEFAULT_RUNS),
])
def test_benchmark_takes_n_after_the_last_semicolon_only_when_it_is_an_integer(
        text, code, runs):
    assert split_runs(text) == (code, runs)


def test_benchmark_reports_percentiles_and_counts(repl):
    ok, text = run(repl, ".benchmark add(total, 1); 25")
    assert ok, text
    head, numbers = text.splitlines()
    assert head == "Benchmark: 25 runs, 25 succeeded, 0 failed"
    values = dict(re.findall(r"(p50|p95|mean|min|max) ([\d.]+) ms", numbers))
    assert set(values) == {"p50", "p95", "mean", "min", "max"}
    p50, p95, mean, low, high = (float(values[k]) for k in ("p50", "p95", "mean", "min",
                                                            "max"))
    assert low <= p50 <= p95 <= high and low <= mean <= high


def test_benchmark_defaults_to_100_runs(repl):
    assert run(repl, ".benchmark 1 + 1")[1].startswith("Benchmark: 100 runs, 100 succeeded")


def test_benchmark_runs_every_time_from_the_same_snapshot(repl, printed):
    before = state_of(repl)
    printed.clear()
    ok, text = run(repl, '.benchmark total = total + 1; items.append(total); bump(); '
                         'print("quiet"); newname = 1; 10')
    assert ok, text
    assert state_of(repl) == before
    assert repl.session.get("items") == [1, 2] and repl.session.get("counter") == 0
    assert printed == [], "what the runs print is not shown"
    assert repl.execute("bump()").value == 1


def test_benchmark_each_run_starts_from_the_snapshot(repl):
    """Had the runs shared their state, the list would grow and the check fail from the
    second run on."""
    ok, text = run(repl, '.benchmark items.append(3); if (len(items) != 3) '
                         '{ throw {code: "grew"}; }; 5')
    assert ok and text.startswith("Benchmark: 5 runs, 5 succeeded, 0 failed"), text


def test_failing_code_is_counted_never_raised(repl):
    ok, text = run(repl, ".benchmark total / 0; 4")
    assert not ok
    lines = text.splitlines()
    assert lines[0] == "Benchmark: 4 runs, 0 succeeded, 4 failed"
    assert lines[1] == "First failure:"
    assert lines[2] == "Error: RuntimeError: division by zero"
    assert repl.execute("total").value == 10


def test_denied_capability_is_a_failure(repl):
    ok, text = run(repl, '.benchmark import env; env.get("PATH"); 3')
    assert not ok and "3 failed" in text and "CapabilityError" in text


def test_code_that_does_not_compile_is_not_run(repl):
    ok, text = run(repl, ".benchmark total = ; 50")
    assert not ok
    assert text.startswith("Error: ParseError:")
    assert text.endswith("Benchmark not run: the code does not compile.")


def test_a_run_that_times_out_ends_the_benchmark():
    repl = MLREPLSession(async_timeout=0.2)
    try:
        start = time.monotonic()
        ok, text = run(repl, ".benchmark while (true) {}; 1000")
        assert time.monotonic() - start < 30, "it stopped at the first time-out"
        assert not ok
        assert text.startswith("Benchmark: 1 run, 0 succeeded, 1 failed (stopped early: a "
                               "run reached the time limit)"), text
        assert "LimitError" in text
        assert repl.execute("1 + 1").value == 2
    finally:
        repl.close()


@pytest.mark.parametrize("line, message", [
    (".benchmark add(1, 2); 0", "Error: the number of runs must be between 1 and 100,000, "
                                "not 0"),
    (".benchmark add(1, 2); -3", "Error: the number of runs must be between 1 and 100,000, "
                                 "not -3"),
    (".benchmark add(1, 2); 100001", "Error: the number of runs must be between 1 and "
                                     "100,000, not 100001"),
    (".benchmark ; 4", "Error: no code to benchmark (.benchmark CODE [; N])"),
    (".benchmark", "Usage: .benchmark CODE [; N]"),
])
def test_benchmark_bad_input(repl, line, message):
    assert run(repl, line) == (False, message)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10.0
    assert percentile(values, 95) == 19.0
    assert percentile([4.0], 95) == 4.0


# ----------------------------------------------------------------------------- help and CLI


def test_help_lists_the_integration_commands(repl):
    text = run(repl, ".help")[1]
    section = text.split("Integration:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split()[0] for line in section] == [".async", ".callback", ".benchmark"]
    detail = run(repl, ".help benchmark")[1]
    assert detail.startswith("Usage: .benchmark CODE [; N]")
    assert "Example: .benchmark fib(15); 50" in detail


def test_the_commands_work_in_mlpy_repl():
    stdin = ("function sq(n) { return n * n; }\n.async sq(7)\n.callback sq\n"
             ".benchmark sq(3); 5\n.async nope(\n.async 1\n")
    done = subprocess.run([sys.executable, "-m", "mlpy", "repl"], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[0] == "=> 49"
    assert EXECUTION.match(lines[1]), lines[1]
    assert lines[2] == "Created callback sq_callback for sq(n); grants: none."
    assert lines[4] == "Benchmark: 5 runs, 5 succeeded, 0 failed"
    assert any(line.startswith("Error: ParseError:") for line in lines[6:]), lines
    assert lines[-2] == "=> 1", "the REPL went on after the failed input"


def test_the_commands_and_callback_functions_complete(repl):
    assert repl.completions(".as") == [".async"]
    assert repl.completions(".be") == [".benchmark"]
    assert repl.completions(".callback ") == ["bump", "add"]
    assert repl.completions(".callback a") == ["add"]
    assert repl.completions(".callback add ") == [], "the alias is free text"


def test_benchmark_counts_successes_and_failures_apart(repl):
    """State held in a closure is not part of the snapshot (see mlpy.repl.integration): the
    ticker makes every second run fail."""
    assert repl.execute("function makeTicker() { n = 0; "
                        "return fn() => { nonlocal n; n = n + 1; return n; }; } "
                        "tick = makeTicker();").ok
    ok, text = run(repl, '.benchmark if (tick() % 2 == 0) { throw {code: "even"}; }; 10')
    assert ok, text
    lines = text.splitlines()
    assert lines[0] == "Benchmark: 10 runs, 5 succeeded, 5 failed"
    assert lines[1].lstrip().startswith("p50 ")
    assert lines[2] == "First failure:" and lines[3].startswith("Error: RuntimeError:")


def test_reset_drops_the_callbacks_with_the_functions(repl):
    run(repl, ".callback add")
    wrapper = repl.python_namespace["add_callback"]
    assert run(repl, ".reset")[0]
    assert repl.python_namespace == {}
    with pytest.raises(MLCallError):
        wrapper(1, 2)
    repl.execute("function add(a, b) { return a - b; }")
    run(repl, ".callback add")
    assert repl.python_namespace["add_callback"](5, 2) == 3
