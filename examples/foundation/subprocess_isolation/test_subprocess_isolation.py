"""Tests of subprocess_isolation: the sandbox worker really is another process without the
host's environment; a memory bomb and a killed worker fail their own execution only, and
the host and the pool go on working."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

import mlpy

if sys.platform == "win32":
    pytest.skip("the sandbox pool runs on POSIX systems", allow_module_level=True)

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(
        "examples_foundation_subprocess_isolation_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture(scope="module", autouse=True)
def close_the_pool():
    yield
    app.engine.close()


def test_the_worker_is_another_live_process(monkeypatch):
    monkeypatch.setenv("SHOP_API_KEY", "s3cret")
    result = app.run("whoami.ml")
    worker = result.usage["worker_pid"]
    assert worker != os.getpid()
    os.kill(worker, 0)  # raises ProcessLookupError if no such process is running
    assert result.value == {"api_key": None}
    # The same script in the host's own process does see the variable.
    in_process = mlpy.Engine(capabilities=["env.read:SHOP_*"])
    assert in_process.execute(app.HERE / "whoami.ml").value == {"api_key": "s3cret"}


def test_the_operating_system_stops_a_memory_bomb_and_the_host_goes_on():
    result = app.run("balloon.ml")
    assert type(result.error) is mlpy.MLResourceError
    assert result.error.resource == "memory"
    assert "200,000,000 bytes" in result.error.message
    assert app.engine.execute("result = [1, 2, 3];").value == [1, 2, 3]


def test_a_worker_that_dies_mid_run_fails_that_execution_only():
    before = app.engine.execute("result = 0;").usage["worker_pid"]
    crashed = app.crash_during_run()
    assert type(crashed.error) is mlpy.MLSandboxError
    assert crashed.error.code == "MLX001" and "SIGKILL" in crashed.error.message
    after = app.engine.execute("result = 1;")
    assert after.value == 1 and after.usage["worker_pid"] != before


def test_limits_and_errors_come_back_as_in_process():
    stuck = app.engine.execute("while (true) { }", timeout=0.3)
    assert isinstance(stuck.error, mlpy.MLTimeoutError)
    thrown = app.engine.execute('throw {message: "bad rule", code: "R1"};', filename="r.ml")
    assert isinstance(thrown.error, mlpy.MLRuntimeError)
    assert (thrown.error.payload, thrown.error.ml_line) == ({"message": "bad rule",
                                                            "code": "R1"}, 1)
