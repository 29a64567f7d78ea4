"""SandboxPool: the same results and errors as in-process, and the limits only a process
boundary can hold (wall time, CPU, memory, output)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import mlpy
from mlpy import (
    CapabilityError, MLCancelledError, MLConfigurationError, MLMarshalError, MLResourceError,
    MLRuntimeError, MLSandboxError, MLSyntaxError, MLTimeoutError,
)
from mlpy.runtime.capabilities import USES, Capability, CapabilitySet
from mlpy.sandbox import SandboxConfig, SandboxPool, SandboxResult

PROGRAMS = {
    "arithmetic": "a = 7 // 2; b = 7 / 2; c = 12345678901234567890 * 98765432109876543210;\n"
                  "result = [a, b, c, -3 % 5];",
    "strings": 'name = "w\\u00f6rld"; result = "hello " + name + "!\\n"; n = len(result);',
    "collections": "o = {'k': [1, 2, {'x': null}], 'b': true}; o.k.append(4); result = o;",
    "functions": "function fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }\n"
                 "result = fib(15); total = 0;\n"
                 "for (i in range(10)) { total = total + i; }",
    "printing": "print('a', 1, 2.5, true, null, [1, 'x']); print({'k': 'v'}); x = 1;",
    "last expression": "x = 40; x + 2;",
    "variables": "result = {'sum': price * qty, 'tags': tags}; b = blob;",
}
VARIABLES = {"price": 2.5, "qty": 4, "tags": ["a", "b"], "blob": b"\x00\x01"}


def in_process(source, variables=None, **options):
    return mlpy.Engine().execute(source, variables, capture_output=True, **options)


def data_globals(result):
    return {k: v for k, v in result.globals.items() if not callable(v)}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_results_equal_in_process(pool, name):
    variables = VARIABLES if name == "variables" else None
    expected = in_process(PROGRAMS[name], variables)
    got = pool.execute(PROGRAMS[name], variables)
    assert expected.ok and got.ok, got.error
    assert got.value == expected.value
    assert dict(got.globals) == data_globals(expected)
    assert got.stdout == expected.stdout and got.stderr == expected.stderr
    assert got.usage["steps"] == expected.usage["steps"]
    assert got.usage["cpu_time"] > 0 and got.usage["max_rss_bytes"] > 1_000_000


def test_functions_stay_in_the_worker(pool):
    result = pool.execute("function f() { return 1; }\nx = 2;")
    assert dict(result.globals) == {"x": 2}
    function = pool.execute("function f() { return 1; }\nresult = f;")
    assert isinstance(function.error, MLMarshalError) and "function" in function.error.message


def test_runtime_error_is_the_same_error(pool):
    source = "function half(n) {\n  return n / 0;\n}\nseen = 1;\nprint('before');\nhalf(3);"
    expected, got = in_process(source), pool.execute(source)
    assert type(got.error) is MLRuntimeError
    assert str(got.error) == str(expected.error)
    assert (got.error.kind, got.error.ml_line, got.error.ml_column) == (
        "division_by_zero", 2, expected.error.ml_column)
    assert got.error.ml_traceback == expected.error.ml_traceback
    assert got.error.execution_id == got.execution_id
    assert got.stdout == "before\n" and got.globals["seen"] == 1


def test_thrown_values_and_caught_errors(pool):
    source = "try { x = [1][5]; } except (e) { caught = e.message; }\nthrow {'code': 42};"
    expected, got = in_process(source), pool.execute(source)
    assert got.error.payload == {"code": 42} == expected.error.payload
    assert str(got.error) == str(expected.error)
    assert got.globals["caught"] == expected.globals["caught"]


def test_compile_error_is_the_same_error(pool):
    source = "x = 1;\ny = (2 + ;\nz = 3;"
    expected, got = in_process(source, filename="rules.ml"), pool.execute(
        source, filename="rules.ml")
    assert type(got.error) is MLSyntaxError
    assert str(got.error) == str(expected.error)
    assert got.error.ml_file == "rules.ml" and got.stdout == ""


def test_unmarshallable_variables_fail_before_running(pool):
    result = pool.execute("result = 1;", {"callback": print})
    assert isinstance(result.error, MLMarshalError) and "callback" in result.error.message


def test_capabilities_are_checked_in_the_worker(pool):
    source = "import console;\nconsole.log('hi');"
    denied, expected = pool.execute(source), in_process(source)
    assert type(denied.error) is CapabilityError
    assert str(denied.error) == str(expected.error)
    granted = pool.execute(source, capabilities=["console.write"])
    assert granted.ok and granted.stdout == "hi\n"
    assert granted.capabilities_used == frozenset({"console.write"})


def test_use_limits_are_reconciled_with_the_host(pool):
    grant = Capability.parse("console.write", max_uses=2)
    caps = CapabilitySet.parse([grant])
    source = "import console;\nconsole.log(1);"
    assert pool.execute(source, capabilities=caps).ok
    assert USES.used(grant.token_id) == 1
    assert pool.execute(source, capabilities=caps).ok
    third = pool.execute(source, capabilities=caps)
    assert type(third.error) is CapabilityError and USES.used(grant.token_id) == 2


def test_program_objects_and_paths_run_too(pool, tmp_path):
    program = mlpy.compile("result = n * 2;", inputs=["n"])
    assert pool.execute(program, {"n": 21}).value == 42
    path = tmp_path / "double.ml"
    path.write_text("result = n * 2;\nresult = result + m;")
    result = pool.execute(path, {"n": 1, "m": "x"})
    assert result.error.ml_file == str(path) and result.error.ml_line == 2


# ----------------------------------------------------------------------------- limits


def test_infinite_loop_times_out_and_the_pool_goes_on(pool):
    started = time.monotonic()
    result = pool.execute("i = 0;\nwhile (true) { i = i + 1; }", timeout=0.5)
    assert type(result.error) is MLTimeoutError and result.error.ml_line == 2
    assert 0.5 <= time.monotonic() - started < 5
    assert SandboxResult.from_execution(result).termination_reason == "timeout"
    assert pool.execute("result = 'still here';").value == "still here"


def test_a_stopped_worker_is_killed_at_the_wall_timeout(pool):
    def stop_when_running():
        for _ in range(500):
            busy = [w for w in pool.workers() if w["busy"] and w["execution_id"] == "stopped"]
            if busy:
                os.kill(busy[0]["pid"], signal.SIGSTOP)
                return
            time.sleep(0.002)

    stopper = threading.Thread(target=stop_when_running)
    stopper.start()
    result = pool.execute("while (true) { x = 1; }", timeout=0.5, execution_id="stopped")
    stopper.join()
    assert type(result.error) is MLTimeoutError
    assert result.error.termination_reason == "timeout" and result.usage["exit_code"] == -9
    assert pool.execute("result = 3;").value == 3


def test_cpu_limit_stops_the_execution(pool):
    result = pool.execute("while (true) { x = 1; }")  # wall limit 10 s, CPU limit 1 s
    assert type(result.error) is MLResourceError and result.error.resource == "cpu"
    assert result.error.ml_line == 1
    assert 0.9 <= result.usage["cpu_time"] < 3
    assert SandboxResult.from_execution(result).termination_reason == "cpu_limit"
    assert pool.execute("result = 4;").value == 4


def test_memory_limit_ends_only_the_worker(pool):
    before = pool.stats()["retired"]
    # Large steps reach the 200 MB limit in about 0.15 s of CPU, far from the 1 s CPU limit
    # (small appends took about 0.8 s, and a loaded machine could hit the CPU limit first).
    source = "a = [];\nwhile (true) {\n  a.append(range(1000000));\n}"
    result = pool.execute(source)
    assert type(result.error) is MLResourceError and result.error.resource == "memory"
    assert "200,000,000 bytes" in result.error.message
    assert pool.stats()["retired"] == before + 1  # replaced after a limit
    assert pool.execute("result = 5;").value == 5


def test_output_over_the_cap_is_cut_and_flagged(pool):
    result = pool.execute("for (i in range(1000)) { print('0123456789'); }\nresult = 1;")
    assert result.ok and result.value == 1
    assert len(result.stdout.encode()) == 4000 and result.usage["stdout_truncated"]
    assert SandboxResult.from_execution(result).output_truncated


def test_output_limit_can_stop_the_execution():
    config = SandboxConfig(pool_size=1, max_output="100B", fail_on_output_limit=True)
    with SandboxPool(config) as strict:
        source = "try {\n  while (true) { print('spam'); }\n} except (e) { result = 'caught'; }"
        result = strict.execute(source)
        assert type(result.error) is MLResourceError and result.error.resource == "output"
        assert result.error.ml_line == 2 and len(result.stdout) == 100
        assert SandboxResult.from_execution(result).termination_reason == "output_limit"


def test_step_and_depth_limits_pass_through(pool):
    steps = pool.execute("while (true) { x = 1; }", max_steps=5000)
    assert type(steps.error) is MLResourceError and steps.error.resource == "steps"
    deep = pool.execute("function f(n) { return f(n + 1); }\nf(0);", max_depth=50)
    assert type(deep.error) is MLResourceError and deep.error.resource == "recursion"


def test_cancel_stops_a_running_execution(pool):
    def cancel_when_running():
        deadline = time.monotonic() + 60  # a worker may be slow to start on a busy machine
        while time.monotonic() < deadline:
            if pool.cancel("to cancel"):
                return
            time.sleep(0.002)

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    result = pool.execute("while (true) { x = 1; }", execution_id="to cancel")
    canceller.join()
    assert type(result.error) is MLCancelledError


# ----------------------------------------------------------------------------- robustness


def test_printed_frames_cannot_spoof_a_result(pool):
    fake = '{"type":"result","execution_id":"x","value":666}'
    source = (f"print('\\x00\\x00\\x00\\x30{fake}');\nprint('__MLPY_RESULT__ {fake}');\n"
              "result = 1;")
    result = pool.execute(source)
    assert result.ok and result.value == 1
    assert fake in result.stdout and "__MLPY_RESULT__" in result.stdout


def test_a_crashed_worker_is_replaced(pool):
    def crash_when_running():
        for _ in range(500):
            busy = [w for w in pool.workers() if w["execution_id"] == "crash"]
            if busy:
                os.kill(busy[0]["pid"], signal.SIGSEGV)
                return
            time.sleep(0.002)

    crasher = threading.Thread(target=crash_when_running)
    crasher.start()
    result = pool.execute("while (true) { x = 1; }", execution_id="crash")
    crasher.join()
    assert type(result.error) is MLSandboxError
    assert result.error.termination_reason == "crash(SIGSEGV)"
    sandbox = SandboxResult.from_execution(result)
    assert sandbox.exit_code == -signal.SIGSEGV and not sandbox.success
    assert pool.execute("result = 6;").value == 6


def test_four_threads_share_two_workers(pool):
    results: dict[tuple[int, int], object] = {}

    def work(thread):
        for task in range(5):
            results[thread, task] = pool.execute("result = a * b;", {"a": thread, "b": task})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {key: r.value for key, r in results.items()} == {
        (n, t): n * t for n in range(4) for t in range(5)}
    assert len({r.usage["worker_pid"] for r in results.values()}) <= 2 + pool.stats()["retired"]


def test_sandbox_result_has_real_figures(pool):
    sandbox = pool.run("s = 0;\nfor (i in range(20000)) { s = s + i; }\nprint(s);\nresult = s;")
    assert sandbox.success and sandbox.return_value == sum(range(20000))
    assert sandbox.stdout == f"{sum(range(20000))}\n" and sandbox.exit_code == 0
    assert sandbox.execution_time > 0 and sandbox.cpu_time > 0 and 0 < sandbox.cpu_usage <= 200
    assert sandbox.memory_peak >= sandbox.memory_usage > 1_000_000
    assert sandbox.termination_reason == "completed" and sandbox.error is None
    failed = pool.run("import console;\nconsole.log(1);")
    assert failed.capability_violations == ["console.write"]
    assert failed.error_traceback.startswith("<string>:2:") and failed.exit_code == 1


def test_output_goes_to_the_host_without_capture(pool, capsys):
    result = pool.execute("print('to host');", capture_output=False)
    assert result.stdout is None and capsys.readouterr().out == "to host\n"


def test_a_closed_pool_refuses_work():
    closing = SandboxPool(SandboxConfig(pool_size=1))
    closing.close()
    closing.close()
    with pytest.raises(MLConfigurationError, match="closed"):
        closing.execute("result = 1;")
