"""mlpy.health.check (integration spec 9.4) against real engines in real states.

Every degraded or unhealthy state here is produced for real: a worker thread stuck in a
host call, a full queue, a broken bridge file, a sandbox pool not started or with its
worker killed. Waiting for a state is done by polling with a generous deadline, never by
sleeping as an assertion.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

import mlpy
from mlpy import health
from mlpy.capabilities import capability_scope
from mlpy.errors import MLConfigurationError
from mlpy.health import HealthReport, check
from tests.support import wait_until

CHECKS = {"compiler", "module_registry", "executor", "sandbox_pool", "capabilities"}


def aio():
    return pytest.importorskip("mlpy.aio")


# ----------------------------------------------------------------------------- healthy


def test_a_fresh_engine_is_healthy_and_the_report_is_json():
    report = check(mlpy.Engine())
    assert isinstance(report, HealthReport)
    assert report.status == "healthy" and report.ready and report.healthy
    assert set(report.checks) == CHECKS
    assert all(found["status"] == "healthy" for found in report.checks.values())
    assert report.version == mlpy.__version__
    data = json.loads(json.dumps(report.to_dict()))
    assert data["status"] == "healthy" and data["ready"] is True
    assert set(data["checks"]) == CHECKS
    registry = data["checks"]["module_registry"]
    assert registry["modules"]["stdlib"] >= 10 and registry["problems"] == []
    assert data["checks"]["capabilities"]["denied"] is True
    assert data["checks"]["capabilities"]["allowed"] is True


def test_the_default_engine_is_checked_when_none_is_given():
    assert check().status == "healthy"


def test_a_deep_check_runs_the_canary_in_process():
    report = check(mlpy.Engine(), deep=True)
    modes = report.checks["canary"]["modes"]
    assert list(modes) == ["inprocess"] and modes["inprocess"]["status"] == "healthy"
    assert report.status == "healthy"


@pytest.mark.parametrize("bad", ["engine", 3, object()])
def test_something_that_is_no_engine_is_a_configuration_error(bad):
    with pytest.raises(MLConfigurationError, match="takes an Engine, an AsyncEngine"):
        check(bad)


@pytest.mark.parametrize("timeout", [0, -1, True, "1"])
def test_a_bad_timeout_is_a_configuration_error(timeout):
    with pytest.raises(MLConfigurationError, match="timeout"):
        check(mlpy.Engine(), timeout=timeout)


def test_a_check_that_raises_is_reported_unhealthy_and_not_raised(monkeypatch):
    engine = mlpy.Engine()

    def broken():
        raise RuntimeError("the index is gone")

    monkeypatch.setattr(engine.registry, "problems", broken)
    report = check(engine)
    found = report.checks["module_registry"]
    assert found["status"] == "unhealthy" and "RuntimeError: the index is gone" in found["reason"]
    assert report.status == "unhealthy" and not report.ready
    assert report.checks["compiler"]["status"] == "healthy"  # the other checks still ran


def test_a_broken_bridge_file_makes_the_registry_degraded(tmp_path):
    (tmp_path / "broken_bridge.py").write_text("from mlpy.ext import ml_module\n@ml_module(\n")
    report = check(mlpy.Engine(extension_paths=[tmp_path]))
    found = report.checks["module_registry"]
    assert found["status"] == "degraded", found
    assert any(p["severity"] == "error" for p in found["problems"])
    assert report.status == "degraded" and report.ready  # the other modules still work


# ----------------------------------------------------------------------------- the gate


def test_the_gate_self_test_fails_when_the_gate_lets_everything_through(monkeypatch):
    from mlpy.runtime import gate

    monkeypatch.setattr(gate, "_check_held", lambda *args: {})
    found = check(mlpy.Engine()).checks["capabilities"]
    assert found["status"] == "unhealthy" and "was not denied" in found["reason"]


def test_the_callers_grants_do_not_reach_the_self_test():
    with capability_scope(["health.probe", "file.read"]):
        found = check(mlpy.Engine()).checks["capabilities"]
    assert found["status"] == "healthy" and found["denied"] is True


def test_a_check_leaves_the_checked_engines_audit_log_and_cache_alone():
    engine = mlpy.Engine()
    check(engine, deep=True)
    check(engine, deep=True)
    assert len(engine.audit) == 0
    assert len(engine._cache) == 1  # the canary: one program, compiled once


# ----------------------------------------------------------------------------- the executor


def test_an_async_engine_reports_its_workers_and_runs_the_async_canary():
    with aio().AsyncEngine(max_workers=2, max_pending=10) as executor:
        report = check(executor, deep=True)
    found = report.checks["executor"]
    assert found["status"] == "healthy" and found["max_workers"] == 2
    assert found["max_pending"] == 10 and found["stuck"] == 0 and found["pending"] == 0
    assert set(report.checks["canary"]["modes"]) == {"inprocess", "async"}
    assert report.status == "healthy"


def test_a_stuck_worker_degrades_the_executor_and_replacements_keep_it_working(blocker):
    block, _entered, release = blocker
    executor = aio().AsyncEngine(max_workers=2, cancel_grace=0.05)
    try:
        result = executor.submit("result = block();", variables={"block": block},
                                 timeout=0.05).result(30)
        assert result.timed_out
        report = check(executor, deep=True)
    finally:
        release.set()
        executor.shutdown()
    found = report.checks["executor"]
    assert found["status"] == "degraded" and found["stuck"] == 1, found
    assert "stuck" in found["reason"]
    assert report.checks["canary"]["modes"]["async"]["status"] == "healthy"
    assert report.status == "degraded" and report.ready


def test_all_workers_stuck_is_unhealthy_and_not_ready(blocker):
    block, _entered, release = blocker
    executor = aio().AsyncEngine(max_workers=1, cancel_grace=0.05)
    try:
        executor.submit("result = block();", variables={"block": block},
                        timeout=0.05).result(30)
        report = check(executor)
    finally:
        release.set()
        executor.shutdown()
    assert report.checks["executor"]["status"] == "unhealthy"
    assert report.status == "unhealthy" and not report.ready


def test_a_queue_more_than_80_percent_full_is_degraded(blocker):
    block, entered, release = blocker
    executor = aio().AsyncEngine(max_workers=1, max_pending=5, default_timeout=60)
    try:
        executor.submit("result = block();", variables={"block": block})
        wait_until(entered.is_set)
        waiting = [executor.submit("result = 1;") for _ in range(4)]
        at_80 = check(executor).checks["executor"]
        waiting.append(executor.submit("result = 1;"))
        above = check(executor).checks["executor"]
    finally:
        release.set()
        executor.shutdown()
    assert at_80["status"] == "healthy" and at_80["pending"] == 4
    assert above["status"] == "degraded" and above["pending"] == 5
    assert "100% full" in above["reason"]
    assert all(future.result(30).value == 1 for future in waiting)


def test_a_deep_check_of_a_blocked_executor_ends_within_its_timeout(blocker):
    block, entered, release = blocker
    executor = aio().AsyncEngine(max_workers=1, default_timeout=60)
    try:
        executor.submit("result = block();", variables={"block": block})
        wait_until(entered.is_set)
        started = time.monotonic()
        report = check(executor, deep=True, timeout=0.2)
        took = time.monotonic() - started
    finally:
        release.set()
        executor.shutdown()
    canary = report.checks["canary"]["modes"]["async"]
    assert canary["status"] == "unhealthy" and "did not finish within 0.2 s" in canary["reason"]
    assert report.status == "unhealthy"
    assert took < 20  # bounded by the timeout, not by the blocked worker (60 s)


def test_a_closed_executor_is_unhealthy():
    executor = aio().AsyncEngine(max_workers=1)
    executor.shutdown()
    found = check(executor).checks["executor"]
    assert found["status"] == "unhealthy" and "closed" in found["reason"]


# ----------------------------------------------------------------------------- the sandbox


def test_a_sandbox_pool_not_started_is_not_ready_until_a_deep_check_warms_it(sandboxed):
    cold = check(sandboxed)
    assert cold.checks["sandbox_pool"]["status"] == "degraded"
    assert cold.checks["sandbox_pool"]["started"] is False and not cold.ready
    warm = check(sandboxed, deep=True, timeout=30)
    pool = warm.checks["sandbox_pool"]
    assert pool["status"] == "healthy" and pool["warm"] == 1 and pool["configured"] == 1
    assert warm.checks["canary"]["modes"]["subprocess"]["status"] == "healthy"
    assert warm.ready and warm.status == "healthy"


def test_a_killed_sandbox_worker_fails_the_canary_and_is_replaced(sandboxed):
    assert sandboxed.execute("result = 1;", timeout=30).ok
    pid = sandboxed._pool.workers()[0]["pid"]
    os.kill(pid, signal.SIGKILL)
    report = check(sandboxed, deep=True, timeout=30)
    canary = report.checks["canary"]["modes"]["subprocess"]
    assert canary["status"] == "unhealthy" and "MLSandboxError" in canary["reason"]
    assert report.checks["sandbox_pool"]["restarts"] == 1
    wait_until(lambda: check(sandboxed, deep=True, timeout=30).status == "healthy")


def test_the_health_module_is_reached_from_the_package():
    assert health.check is check
