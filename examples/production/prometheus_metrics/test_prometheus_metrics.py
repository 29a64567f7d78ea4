"""Tests of the monitoring example: requests are scored, and /metrics shows them."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

with warnings.catch_warnings():  # Starlette prefers httpx2 for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

HERE = Path(__file__).resolve().parent


@pytest.fixture
def example():
    # Loaded by path under a unique name (every example has an app.py), afresh for each
    # test, and its metrics removed afterwards: they are installed when it is loaded.
    spec = importlib.util.spec_from_file_location("examples_production_prometheus_metrics_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    module.metrics.uninstall()


def samples(client) -> dict[tuple, float]:
    response = client.get("/metrics/")
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def test_scores_and_counts_the_executions(example):
    with TestClient(example.app) as client:
        assert client.post("/score", json={"visits": 3}).json() == {"score": 6}
        assert client.post("/score", json={"visits": 30}).json() == {"score": 20}
        assert "error" in client.post("/score", json={"visits": "many"}).json()
        found = samples(client)
    assert found["mlpy_executions_total", (("mode", "async"), ("status", "ok"))] == 2
    assert found["mlpy_executions_total", (("mode", "async"), ("status", "ml_error"))] == 1
    assert found["mlpy_executor_pending", (("executor", "scoring"),)] == 0
    assert found["mlpy_executions_in_flight", (("mode", "async"),)] == 0
