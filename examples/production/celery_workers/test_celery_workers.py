"""The example's workers for real: a private Redis server (the root conftest's
``redis_server``), two ``celery worker`` processes started from this directory, and the
producer of app.py talking to them."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("celery")
pytest.importorskip("redis")

HERE = Path(__file__).resolve().parent
WAIT = 60  # seconds: a worker or a result later than this is broken, not slow


def _load_app(environ: dict[str, str]):
    # Loaded by path under a unique name (every example has an app.py), after the broker
    # URL is in the environment: the app reads it when it is made.
    os.environ.update(environ)
    spec = importlib.util.spec_from_file_location("examples_celery_workers_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workers(redis_server):
    """The loaded app.py, its environment, and two running worker processes."""
    environ = {"CELERY_BROKER_URL": f"{redis_server}/5",
               "CELERY_RESULT_BACKEND": f"{redis_server}/6"}
    app = _load_app(environ)
    env = {**os.environ, **environ, "RISK_LIMIT": "800", "SECRET_TOKEN": "do-not-read"}
    processes = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "app", "worker", "-P", "solo", "-n",
         f"risk{i}@example", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in (1, 2)]
    try:
        deadline = time.monotonic() + WAIT
        while len(app.app.control.ping(timeout=0.5) or []) < 2:
            assert all(p.poll() is None for p in processes), "a worker exited at start"
            assert time.monotonic() < deadline, f"workers not ready in {WAIT} s"
        yield app, env
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=WAIT)


def test_orders_are_checked_by_the_rules_on_the_workers(workers):
    app, _ = workers
    verdicts = app.check_orders(app.ORDERS)
    assert verdicts == [
        {"order": "A-1", "flagged": False, "reasons": []},
        {"order": "A-2", "flagged": True, "reasons": ["total over 800.0"]},
        {"order": "A-3", "flagged": True,
         "reasons": ["card from another country", "no items"]},
    ]


def test_a_task_without_the_grant_gets_an_error_result(workers):
    app, _ = workers
    data = app.check_order.delay(app.ORDERS[0]).get(timeout=WAIT)
    assert data["ok"] is False
    assert data["error"]["type"] == "CapabilityError"
    assert data["worker"] in {"risk1@example", "risk2@example"}
    wider = app.check_order.delay(app.ORDERS[0], grants=["env.read"]).get(timeout=WAIT)
    assert "does not allow the grant 'env.read'" in wider["error"]["message"]


def test_sent_scripts_run_sandboxed_with_their_limit(workers):
    app, _ = workers
    script = "squares = []; for (x in [1, 2, 3]) { squares.append(x * x); } result = squares;"
    ok = app.run_script.delay(source=script).get(timeout=WAIT)
    assert ok["ok"] and ok["value"] == [1, 4, 9]
    runaway = app.run_script.delay(source="while (true) { }", timeout=1.0).get(timeout=WAIT)
    assert runaway["timed_out"] is True and runaway["error"]["type"] == "MLTimeoutError"
    snoop = app.run_script.delay(source='import env; result = env.get("SECRET_TOKEN");').get(
        timeout=WAIT)
    assert snoop["error"]["type"] == "CapabilityError"


def test_the_script_prints_the_verdicts(workers):
    _, env = workers
    output = subprocess.run([sys.executable, "app.py"], cwd=HERE, env=env, timeout=WAIT,
                            capture_output=True, text=True, check=True).stdout
    assert output.splitlines() == [
        "A-1 ok",
        "A-2 flagged: total over 800.0",
        "A-3 flagged: card from another country; no items",
    ]
