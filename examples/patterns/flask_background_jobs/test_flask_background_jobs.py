"""The background-jobs Flask service, driven through Flask's test client."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("flask")

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_flask_background_jobs_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def app():
    app = example.create_app()
    yield app
    jobs_engine, _ = app.extensions["report_jobs"]
    jobs_engine.shutdown(cancel_pending=True)


def queue(client, region, role=None):
    answer = client.post("/reports", json={"region": region},
                         headers={"X-Role": role} if role else {})
    assert answer.status_code == 202
    return answer


def finished(app, client, answer):
    """The job's answer once it has run (waiting on its future, never on a clock)."""
    _, jobs = app.extensions["report_jobs"]
    jobs[answer.json["id"]].result(timeout=30)
    return client.get(answer.headers["Location"])


def test_a_report_is_queued_at_once_and_fetched_when_done(app):
    client = app.test_client()
    answer = queue(client, "north", role="analyst")
    assert answer.headers["Location"] == f"/reports/{answer.json['id']}"
    done = finished(app, client, answer)
    assert done.status_code == 200
    assert done.json == {"status": "done", "report": {
        "region": "north", "orders": 2, "total": 200.5, "largest": "N-1"}}


def test_a_job_runs_under_the_grants_of_the_request_that_queued_it(app):
    client = app.test_client()
    # Queued in turn on the same two worker threads: the analyst's grants never stay behind.
    answers = [queue(client, "south", role=role) for role in ("analyst", None) * 3]
    results = [finished(app, client, answer) for answer in answers]
    assert [result.status_code for result in results] == [200, 403] * 3
    assert results[1].content_type == "application/problem+json"
    assert results[1].json["detail"] == (
        "report.ml:4:8: this needs the capability 'sales.read', which was not granted")


def test_a_running_job_answers_202_and_an_unknown_one_404(app):
    client = app.test_client()
    _, jobs = app.extensions["report_jobs"]
    jobs["pending"] = example.Future()  # a job that has not finished yet
    assert client.get("/reports/pending").status_code == 202
    assert client.get("/reports/pending").json == {"status": "running"}
    assert client.get("/reports/nobody").status_code == 404


def test_a_full_queue_is_answered_429_at_once(app, monkeypatch):
    client = app.test_client()
    release = threading.Event()

    class SlowSales(dict):  # the two workers wait here until the test lets them go
        def get(self, region, default=None):
            release.wait(timeout=30)
            return default

    monkeypatch.setattr(example, "SALES", SlowSales())
    jobs_engine, jobs = app.extensions["report_jobs"]
    try:
        for _ in range(2):  # both workers take a job, and wait
            queue(client, "north", role="analyst")
        deadline = time.monotonic() + 30
        while jobs_engine.stats().busy < 2:
            assert time.monotonic() < deadline, "the workers did not take the jobs"
            time.sleep(0.01)
        for _ in range(jobs_engine.max_pending):  # the queue fills up
            queue(client, "north", role="analyst")
        refused = client.post("/reports", json={"region": "north"},
                              headers={"X-Role": "analyst"})
        assert refused.status_code == 429
        assert refused.json["code"] == "backpressure"
    finally:
        release.set()


def test_readiness_follows_the_job_workers(app):
    client = app.test_client()
    assert client.get("/health/ready").status_code == 200
    jobs_engine, _ = app.extensions["report_jobs"]
    jobs_engine.shutdown()
    assert client.get("/health/ready").status_code == 503
