"""Tests of the analytics service through FastAPI's TestClient: the rules of every endpoint,
per-tenant grants under concurrent requests, a runaway rule's 504 while the rest is served,
anomalies on a real data set, the OpenAPI schema and the Prometheus scrape.

Run them with ``pytest`` in this folder (``pytest examples/complete/fastapi_analytics``).
"""

from __future__ import annotations

import csv
import importlib.util
import shutil
import statistics
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")

with warnings.catch_warnings():  # Starlette may prefer another httpx for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

HERE = Path(__file__).resolve().parent
PRO = {"X-Api-Key": "key-acme"}
BASIC = {"X-Api-Key": "key-globex"}
OTHER_BASIC = {"X-Api-Key": "key-initech"}


def _load_app():
    # Loaded by path under a unique name: every example has an app.py. Registered before it
    # runs, as an import would: its dataclasses and pydantic models look their module up.
    name = "examples_complete_fastapi_analytics_app"
    spec = importlib.util.spec_from_file_location(name, HERE / "app.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def client():
    with TestClient(example.create_app()) as client:  # runs the lifespan
        yield client


def nile_events() -> list[dict]:
    """The annual flow of the Nile at Aswan, 1871-1970 (10^8 m^3), one event a year."""
    with open(HERE / "data" / "nile_flow.csv", newline="", encoding="utf-8") as file:
        return [{"metric": "nile.flow", "value": float(row["flow"]),
                 "timestamp": datetime(int(row["year"]), 1, 1, tzinfo=UTC).timestamp()}
                for row in csv.DictReader(file)]


def year_of(timestamp: float) -> int:
    return datetime.fromtimestamp(timestamp, tz=UTC).year


def test_an_event_passes_the_rules_or_is_rejected_with_the_problems(client):
    accepted = client.post("/events", json={"metric": "orders.count", "value": 3}, headers=PRO)
    assert accepted.status_code == 201
    assert accepted.json()["metric"] == "orders.count" and accepted.json()["value"] == 3.0
    refused = client.post("/events", json={"metric": "Orders.count", "value": -1.5,
                                           "timestamp": time.time() + 3600}, headers=PRO)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["problems"] == [
        "metric must be lower case, start with a letter, without spaces",
        "a .count metric takes whole numbers from 0", "timestamp is in the future"]
    negative = client.post("/events", json={"metric": "orders.count", "value": -1},
                           headers=PRO)
    assert negative.json()["problems"] == ["a .count metric takes whole numbers from 0"]
    assert client.post("/events", json={"metric": "x", "value": "many"},
                       headers=PRO).status_code == 422  # pydantic's check, before any rule
    assert client.post("/events", json={"metric": "x", "value": 1}).status_code == 401
    assert client.get("/metrics/1h", headers=PRO).json()["orders.count"]["count"] == 1


def test_metrics_cover_only_the_window(client):
    now = time.time()
    recent = [4.0, 8.0, 15.0, 16.0, 23.0, 42.0]
    for value in recent:
        client.post("/events", json={"metric": "latency.ms", "value": value,
                                     "timestamp": now - 60}, headers=PRO)
    client.post("/events", json={"metric": "latency.ms", "value": 1000.0,
                                 "timestamp": now - 7200}, headers=PRO)
    hour = client.get("/metrics/1h", headers=PRO).json()["latency.ms"]
    assert hour["count"] == 6 and hour["sum"] == sum(recent)
    assert hour["mean"] == round(statistics.mean(recent), 3)
    assert hour["stddev"] == round(statistics.pstdev(recent), 3)
    assert (hour["min"], hour["max"], hour["p50"], hour["p95"]) == (4.0, 42.0, 15.0, 42.0)
    assert client.get("/metrics/1d", headers=PRO).json()["latency.ms"]["count"] == 7
    assert client.get("/metrics/1h", headers=BASIC).json() == {}  # another tenant's data
    assert client.get("/metrics/forever", headers=PRO).status_code == 422


def test_anomalies_of_the_nile_flow_are_found_by_a_background_batch(client):
    events = nile_events()
    started = client.post("/events/batch", json={"events": events}, headers=BASIC)
    assert started.status_code == 202 and started.json()["status"] == "checking"
    # TestClient returns once the response and the background task are done.
    batch = client.get(started.headers["location"], headers=BASIC).json()
    assert batch["status"] == "done" and batch["accepted"] == 100 and batch["rejected"] == []
    values = [event["value"] for event in events]
    mean, stddev = statistics.mean(values), statistics.pstdev(values)
    expected = {year_of(event["timestamp"]) for event in events
                if abs(event["value"] - mean) / stddev >= 2.5}
    assert batch["anomalies"] == {"nile.flow": len(expected)}
    found = client.get("/anomalies", params={"metric": "nile.flow"}, headers=BASIC).json()
    assert {year_of(anomaly["timestamp"]) for anomaly in found} == expected
    low = {year_of(a["timestamp"]): a for a in found if a["direction"] == "low"}
    assert low[1913]["value"] == 456.0 and low[1913]["z"] < -2.5  # the 1913 flood failure
    stricter = client.get("/anomalies", params={"metric": "nile.flow", "threshold": 2.7},
                          headers=BASIC).json()
    assert [year_of(a["timestamp"]) for a in stricter] == [1913]
    # Another tenant neither sees the data nor the batch.
    assert client.get("/anomalies", params={"metric": "nile.flow"},
                      headers=OTHER_BASIC).json() == []
    assert client.get(started.headers["location"], headers=OTHER_BASIC).status_code == 404


def test_a_batch_rejects_each_bad_event_with_its_index(client):
    started = client.post("/events/batch", headers=PRO, json={"events": [
        {"metric": "cpu.load", "value": 0.5}, {"metric": "9lives", "value": 1},
        {"metric": "cpu.load", "value": 2e12}]})
    batch = client.get(started.headers["location"], headers=PRO).json()
    assert batch["accepted"] == 1
    assert [(item["index"], len(item["problems"])) for item in batch["rejected"]] == [(1, 1),
                                                                                     (2, 1)]


def test_each_tenant_gets_its_plans_grants_under_concurrent_requests(client):
    for headers, metric in ((PRO, "pro.metric"), (BASIC, "basic.metric"),
                            (OTHER_BASIC, "other.metric")):
        for value in (1.0, 2.0, 3.0):
            client.post("/events", json={"metric": metric, "value": value}, headers=headers)
    requests = [PRO, BASIC, OTHER_BASIC] * 12
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda h: client.get("/dashboard", headers=h), requests))
    for headers, answer in zip(requests, answers):
        assert answer.status_code == 200, answer.text
        board = answer.json()
        (card,) = board["cards"]  # its own metric only
        if headers is PRO:
            assert board["features"] == ["analytics.forecast"]
            assert card["metric"] == "pro.metric" and card["forecast"] == 4.0
        else:
            assert board["features"] == []
            assert card["forecast"] is None
            assert card["metric"] == ("basic.metric" if headers is BASIC else "other.metric")


def test_a_basic_plan_cannot_forecast_even_if_its_rule_tries(tmp_path):
    rules = copy_rules(tmp_path)
    greedy = (rules / "dashboard.ml").read_text().replace(
        'may_forecast = hasCapability("analytics.forecast");', "may_forecast = true;")
    (rules / "dashboard.ml").write_text(greedy)
    with TestClient(example.create_app(rules_dir=rules)) as client:
        for value in (1.0, 2.0):
            client.post("/events", json={"metric": "m", "value": value}, headers=BASIC)
            client.post("/events", json={"metric": "m", "value": value}, headers=PRO)
        denied = client.get("/dashboard", headers=BASIC)
        assert denied.status_code == 403
        assert denied.headers["content-type"].startswith("application/problem+json")
        assert "analytics.forecast" in denied.text
        assert client.get("/dashboard", headers=PRO).json()["cards"][0]["forecast"] == 3.0


def test_a_rule_that_throws_is_a_problem_and_rejects_only_its_event_in_a_batch(tmp_path):
    rules = copy_rules(tmp_path)
    unlucky = (rules / "validate.ml").read_text().replace(
        "function process_event(event, now) {",
        'function process_event(event, now) {\n    if (event.value == 13) { throw {message: "unlucky"}; }')
    (rules / "validate.ml").write_text(unlucky)
    with TestClient(example.create_app(rules_dir=rules)) as client:
        thrown = client.post("/events", json={"metric": "m", "value": 13}, headers=PRO)
        assert thrown.status_code == 400
        assert thrown.headers["content-type"].startswith("application/problem+json")
        assert thrown.json()["detail"].endswith("unlucky")
        started = client.post("/events/batch", headers=PRO, json={"events": [
            {"metric": "m", "value": 13}, {"metric": "m", "value": 1}]})
        batch = client.get(started.headers["location"], headers=PRO).json()
        assert batch["accepted"] == 1
        assert batch["rejected"] == [{"index": 0, "problems": ["MLRuntimeError: unlucky"]}]
        assert client.get("/metrics/1h", headers=PRO).json()["m"]["count"] == 1


def copy_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(HERE / "rules", rules)
    return rules


def test_a_runaway_rule_is_a_504_while_other_requests_are_served(tmp_path):
    rules = copy_rules(tmp_path)
    (rules / "anomalies.ml").write_text(
        "function detect_anomalies(points, threshold) { while (true) { } }\n")
    with TestClient(example.create_app(rules_dir=rules)) as client:  # mlpy.toml's 2 s limit
        ml = client.app.state.mlpy
        answers = {}
        runaway = threading.Thread(target=lambda: answers.update(
            stuck=client.get("/anomalies", params={"metric": "m"}, headers=PRO)))
        runaway.start()
        deadline = time.monotonic() + 30
        while ml.stats().busy == 0 and time.monotonic() < deadline:  # wait till it runs
            time.sleep(0.01)
        assert ml.stats().busy == 1
        # Meanwhile the other workers serve everyone else.
        for value in (1.0, 2.0, 3.0):
            served = client.post("/events", json={"metric": "m", "value": value},
                                 headers=BASIC)
            assert served.status_code == 201
        assert client.get("/metrics/1h", headers=BASIC).json()["m"]["count"] == 3
        assert client.get("/health").status_code == 200
        runaway.join(timeout=60)
        stuck = answers["stuck"]
        assert stuck.status_code == 504
        assert stuck.headers["content-type"].startswith("application/problem+json")
        assert stuck.json()["detail"].startswith("anomalies.ml:1:")  # where it was stopped
        assert "time limit" in stuck.json()["detail"]
        assert client.get("/health/ready").status_code == 200  # the worker was freed
        assert ml.stats().timeouts == 1


def test_the_openapi_schema_lists_the_endpoints_and_their_models(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/events", "/events/batch", "/events/batch/{batch_id}", "/metrics/{window}",
            "/anomalies", "/dashboard", "/health", "/health/ready"} <= set(paths)
    assert set(paths["/events"]) == {"post"} and "get" in paths["/dashboard"]
    event = schema["components"]["schemas"]["Event"]
    assert event["required"] == ["metric", "value"]
    assert set(event["properties"]) == {"metric", "value", "timestamp", "tags"}
    window = paths["/metrics/{window}"]["get"]["parameters"][0]
    assert window["name"] == "window" and window["schema"]["pattern"] == example.WINDOW
    dashboard = paths["/dashboard"]["get"]["responses"]["200"]["content"]["application/json"]
    assert dashboard["schema"] == {"$ref": "#/components/schemas/Dashboard"}
    assert "/metrics/prometheus" not in paths  # a scrape target, not an API


def test_the_prometheus_scrape_shows_the_rules_runs(client):
    client.post("/events", json={"metric": "cpu.load", "value": 0.5}, headers=PRO)
    client.get("/dashboard", headers=PRO)
    scrape = client.get("/metrics/prometheus")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    samples = dict(line.rsplit(" ", 1) for line in scrape.text.splitlines()
                   if line and not line.startswith("#"))
    assert float(samples['mlpy_executions_total{mode="session",status="ok"}']) >= 4
    assert float(samples['mlpy_program_cache_entries']) >= 4  # the four rules
    assert 'mlpy_executor_workers{executor="analytics",state="busy"}' in samples
