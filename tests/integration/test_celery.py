"""mlpy.integration.celery on a real Redis with two real Celery worker processes.

The workers (``celery worker -P solo``, subprocesses) run ``celery_worker_app.py``; the
Redis server is the root conftest's ``redis_server``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

celery = pytest.importorskip("celery")
redis = pytest.importorskip("redis")

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: a result later than this is lost, not slow
SECRET = "s3cret"  # in the workers' environment; only a grant of env.read may read it
READ_SECRET = 'import env; result = env.get("MLPY_TEST_SECRET");'


class Workers:
    """Celery worker processes started by a test, by node name."""

    def __init__(self, url: str):
        self.url = url
        self.processes: dict[str, subprocess.Popen] = {}
        self.redis = redis.Redis.from_url(f"{url}/2")

    def start(self, name: str, *options: str) -> None:
        self.redis.delete(f"mlpy:ready:{name}")
        env = {**os.environ, "MLPY_TEST_REDIS_URL": self.url, "MLPY_TEST_SECRET": SECRET,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.integration.celery_worker_app",
             "worker", "-n", name, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "warning",
             # Solo workers take the shared queue and one of their own (w1@mlpy: "w1").
             *(options or ("-P", "solo", "-Q", f"celery,{name.split('@')[0]}"))],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + WAIT
        for name, process in self.processes.items():
            while not self.redis.exists(f"mlpy:ready:{name}"):
                assert process.poll() is None, f"worker {name} exited at start"
                assert time.monotonic() < deadline, f"worker {name} not ready in {WAIT} s"
                time.sleep(0.05)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=WAIT)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def celery_env(redis_server):
    os.environ["MLPY_TEST_REDIS_URL"] = redis_server
    from tests.integration import celery_worker_app

    # The app module read the URL when first imported: point it at this server.
    celery_worker_app.app.conf.broker_url = f"{redis_server}/0"
    celery_worker_app.app.conf.result_backend = f"{redis_server}/1"
    redis.Redis.from_url(redis_server).flushall()
    workers = Workers(redis_server)
    for name in ("w1@mlpy", "w2@mlpy"):
        workers.start(name)
    workers.wait_ready()
    yield celery_worker_app, workers
    workers.stop()


def _get(async_result):
    return async_result.get(timeout=WAIT)


def _order(i: int) -> dict:
    return {"id": i, "lines": [{"price": 2.5, "qty": i % 7}, {"price": 1, "qty": 3}]}


def test_a_thousand_tasks_complete_exactly_once(celery_env):
    app_module, workers = celery_env
    workers.wait_ready()
    workers.redis.delete("mlpy:executions")
    job = celery.group(app_module.score.s(_order(i)) for i in range(1000)).apply_async()
    sent = job.results
    results = job.get(timeout=WAIT)
    assert [r["value"] for r in results] == [
        {"id": i, "total": 2.5 * (i % 7) + 3} for i in range(1000)]
    assert all(r["ok"] and r["error"] is None for r in results)
    assert [r["task_id"] for r in results] == [r.id for r in sent]
    runs = Counter(entry.split()[0].decode()
                   for entry in workers.redis.lrange("mlpy:executions", 0, -1))
    assert set(runs) == {r.id for r in sent}
    assert set(runs.values()) == {1}
    # Both workers took part, and each compiled the program once (warm at start).
    assert {r["worker"] for r in results} == {"w1@mlpy", "w2@mlpy"}
    assert all(r["cache_hit"] for r in results)


def test_an_ml_error_is_a_result_unless_the_caller_asks_to_raise(celery_env):
    app_module, _ = celery_env
    from mlpy.errors import MLRuntimeError
    from mlpy.integration.celery import MLTaskError, async_result

    data = _get(app_module.run.delay(source="x = [1, 2][5];"))
    assert data["ok"] is False and data["value"] is None
    assert data["error"]["type"] == "MLRuntimeError" and data["error"]["kind"] == "index_error"
    rebuilt = async_result(data)
    assert not rebuilt.success and isinstance(rebuilt.error_info, MLRuntimeError)
    assert rebuilt.worker in {"w1@mlpy", "w2@mlpy"}
    failing = app_module.run.delay(source="x = [1, 2][5];", raise_errors=True)
    with pytest.raises(MLTaskError) as raised:
        _get(failing)
    assert failing.state == "FAILURE"
    assert raised.value.result["error"]["kind"] == "index_error"
    assert raised.value.result["task_id"] == failing.id


def test_grants_are_per_task_and_never_inherited(celery_env):
    app_module, workers = celery_env
    workers.wait_ready()
    workers.redis.delete("mlpy:executions")
    # On each worker, through its own queue: granted and ungranted tasks, alternating.
    sent = [(grant, worker, app_module.run.apply_async(
                kwargs={"source": READ_SECRET,
                        "grants": ["env.read:MLPY_TEST_*"] if grant else []},
                queue=worker))
            for worker in ("w1", "w2") for grant in [True, False] * 5]
    for grant, worker, async_result in sent:
        data = _get(async_result)
        assert data["worker"] == f"{worker}@mlpy"
        if grant:
            assert data["ok"] and data["value"] == SECRET
            assert data["capabilities_used"] == ["env.read"]
        else:
            assert data["ok"] is False and data["value"] is None
            assert data["error"]["type"] == "CapabilityError"
            assert data["error"]["required"] == "env.read"
            assert SECRET not in str(data)
    # Each ran right after a granted one on the same worker (queues are FIFO).
    order = [entry.decode().split() for entry in workers.redis.lrange("mlpy:executions", 0, -1)]
    for worker in ("w1", "w2"):
        expected = [r.id for _, w, r in sent if w == worker]
        assert [task for task, host in order if host == f"{worker}@mlpy"] == expected
    # A worker whose engine grants env.read by default still gives a task none.
    generous = _get(app_module.run_generous.delay(source=READ_SECRET))
    assert generous["error"]["type"] == "CapabilityError"


def test_a_grant_outside_the_worker_ceiling_is_refused(celery_env):
    app_module, _ = celery_env
    for grant in ("file.read", "env.read"):  # env.read: broader than the ceiling
        refused = _get(app_module.limited.delay(source=READ_SECRET, grants=[grant]))
        assert refused["error"]["type"] == "MLConfigurationError"
        assert repr(grant) in refused["error"]["message"]
    allowed = _get(app_module.limited.delay(source=READ_SECRET,
                                            grants=["env.read:MLPY_TEST_SECRET"]))
    assert allowed["value"] == SECRET
    malformed = _get(app_module.run.delay(source="x = 1;", grants="console.write"))
    assert malformed["error"]["type"] == "MLConfigurationError"
    unknown = _get(app_module.run.delay(source="x = 1;", timeout="soon"))
    assert unknown["error"]["type"] == "MLConfigurationError"


def test_limits_hold(celery_env):
    app_module, _ = celery_env
    started = time.monotonic()
    runaway = _get(app_module.run.delay(source="while (true) { }", timeout=0.5))
    assert runaway["ok"] is False and runaway["timed_out"] is True
    assert runaway["error"]["type"] == "MLTimeoutError"
    assert time.monotonic() - started < WAIT / 2
    steps = _get(app_module.run.delay(source="while (true) { }", max_steps=10_000))
    assert steps["error"]["type"] == "MLResourceError"
    # The worker is fine afterwards.
    assert _get(app_module.score.delay(_order(3)))["value"] == {"id": 3, "total": 10.5}


def test_subprocess_isolation_runs_in_a_sandbox_process(celery_env):
    app_module, _ = celery_env
    data = _get(app_module.sandboxed.delay(source="result = 6 * 7;"))
    assert data["ok"] and data["value"] == 42
    assert data["usage"].get("worker_pid") not in (None, data["pid"])
    runaway = _get(app_module.sandboxed.delay(source="while (true) { }", timeout=0.5))
    assert runaway["timed_out"] is True


def test_the_trace_context_travels_with_the_task(celery_env):
    app_module, workers = celery_env
    sdk = pytest.importorskip("opentelemetry.sdk.trace")
    tracer = sdk.TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("caller") as span:
        sent = [app_module.score.delay(_order(1)),
                celery.chain(app_module.run.si(source="result = 1;"),
                             app_module.run.si(source="result = 2;")).apply_async()]
    caller = span.get_span_context()
    trace_id, span_id = format(caller.trace_id, "032x"), format(caller.span_id, "016x")
    assert _get(sent[0])["trace_id"] == trace_id
    assert _get(sent[1].parent)["trace_id"] == trace_id  # the chain's first task
    # The worker's mlpy.execute span is a child of the caller's span.
    spans = [entry.decode().split() for entry in workers.redis.lrange("mlpy:spans", 0, -1)]
    assert ["mlpy.execute", trace_id, span_id] in spans
    # Without a current span, nothing is sent and the worker starts no trace of ours.
    assert _get(app_module.score.delay(_order(1)))["trace_id"] is None


def test_a_worker_killed_mid_run_loses_no_task(celery_env):
    app_module, workers = celery_env
    workers.wait_ready()
    sent = [app_module.spin.delay(3_000_000) for _ in range(4)]
    deadline = time.monotonic() + WAIT
    victim = None
    while victim is None:
        for async_result in sent:
            if async_result.state == "STARTED":
                victim = async_result
                break
        assert time.monotonic() < deadline, "no task started"
        time.sleep(0.01)
    killed = victim.info["hostname"]
    workers.kill(killed)
    try:
        results = [_get(r) for r in sent]
        assert [r["value"] for r in results] == [3_000_000] * 4
        finished = results[sent.index(victim)]
        assert finished["worker"] != killed
        assert finished["redelivered"] is True
    finally:
        workers.start(killed)  # ready by the next test that waits for it


def test_a_prefork_worker_compiles_in_each_child_and_survives_a_child_killed(celery_env):
    app_module, workers = celery_env
    workers.start("pf@mlpy", "-P", "prefork", "-c", "2", "-Q", "prefork")
    try:
        workers.wait_ready()
        parent = workers.processes["pf@mlpy"].pid
        quick = [app_module.score.apply_async((_order(i),), queue="prefork")
                 for i in range(20)]
        results = [_get(r) for r in quick]
        assert all(r["cache_hit"] and r["worker"] == "pf@mlpy" for r in results)
        assert parent not in {r["pid"] for r in results}
        # SIGKILL the child running a task: the message is rejected back to the queue.
        slow = app_module.spin.apply_async((3_000_000,), queue="prefork")
        deadline = time.monotonic() + WAIT
        while slow.state != "STARTED":
            assert time.monotonic() < deadline, "the task did not start"
            time.sleep(0.01)
        child = slow.info["pid"]
        os.kill(child, signal.SIGKILL)
        finished = _get(slow)
        assert finished["value"] == 3_000_000
        assert finished["pid"] not in (child, parent)
    finally:
        prefork = workers.processes.pop("pf@mlpy")
        prefork.terminate()
        prefork.wait(timeout=WAIT)
