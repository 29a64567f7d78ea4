"""The FastAPI service to copy, driven through FastAPI's TestClient (which runs the lifespan)
and, for concurrent requests, through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")
httpx = pytest.importorskip("httpx")

with warnings.catch_warnings():  # Starlette's TestClient may warn about its httpx version
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_fastapi_dependency_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations there
    spec.loader.exec_module(module)
    return module


example = _load_app()
ORDER = {"currency": "USD", "items": [{"sku": "A-1", "price": 20, "qty": 3}]}
ENDLESS = {"items": [{"sku": "A-1", "price": 20, "qty": 10**12}]}  # one loop step per unit


@pytest.fixture
def client():
    with TestClient(example.create_app()) as client:  # starts and stops the AsyncEngine
        yield client


def quote(client, key, order=ORDER):
    return client.post("/quote", json=order, headers={"X-Api-Key": key})


def executions(client) -> dict[str, float]:
    """mlpy_executions_total of the scrape, by status."""
    return {sample.labels["status"]: sample.value
            for family in text_string_to_metric_families(client.get("/metrics").text)
            for sample in family.samples if sample.name == "mlpy_executions_total"}


# [grants-test]
def test_only_the_pro_plan_may_convert_currencies(client):
    assert quote(client, "key-pro").json() == {"currency": "USD", "total": 64.8}
    refused = quote(client, "key-basic")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == {
        "type": "about:blank", "title": "Forbidden", "status": 403, "code": "MLCAP001",
        "detail": "quote.ml:32:38: this needs the capability 'fx.read', which was not granted"}


def test_an_unknown_key_is_refused_before_any_ml_runs(client):
    assert quote(client, "key-nobody").status_code == 401
    assert quote(client, "").status_code == 401
    assert executions(client) == {}
# [/grants-test]


def test_volume_pricing_lowers_the_unit_price_from_the_eleventh_unit(client):
    answer = quote(client, "key-basic", {"items": [{"sku": "A-1", "price": 20, "qty": 30}]})
    assert answer.json() == {"currency": "EUR", "total": 560.54}


def test_a_rule_that_throws_is_a_400_with_its_position(client):
    bad = quote(client, "key-basic", {"items": [{"sku": "A-1", "price": 20, "qty": 0}]})
    assert bad.status_code == 400
    assert bad.json()["detail"] == "quote.ml:12:9: quantity must be positive"


def test_a_malformed_order_is_refused_by_the_model_before_any_ml_runs(client):
    answer = quote(client, "key-basic", {"items": [{"sku": "A-1", "price": "a lot"}]})
    assert answer.status_code == 422
    assert executions(client) == {}


# [timeout-test]
def test_a_quote_that_overruns_its_time_is_stopped_and_answered_504(client):
    started = time.monotonic()
    stuck = quote(client, "key-basic", ENDLESS)
    assert stuck.status_code == 504
    assert stuck.json()["code"] == "MLL001"
    assert stuck.json()["detail"].endswith("the execution ran longer than 0.5 s")
    # Stopped by its limit, not by the step backstop (which would take far longer).
    assert time.monotonic() - started < 30
    assert quote(client, "key-pro").status_code == 200
# [/timeout-test]


# [metrics-test]
def test_the_metrics_count_every_quote_by_outcome(client):
    quote(client, "key-pro")
    quote(client, "key-basic")
    quote(client, "key-basic", ENDLESS)
    assert executions(client) == {"ok": 1.0, "capability_denied": 1.0, "timeout": 1.0}
    scraped = client.get("/metrics").text
    assert 'mlpy_capability_violations_total{capability="fx.read"} 1.0' in scraped
    assert 'mlpy_executor_pending{executor="quotes"} 0.0' in scraped
# [/metrics-test]


def test_the_health_routes_report_a_ready_engine(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["executor"] == "healthy"


def test_a_test_may_replace_the_grants_dependency():
    app = example.create_app()
    app.dependency_overrides[example.request_grants] = lambda: example.PLAN_GRANTS["pro"]
    with TestClient(app) as client:
        assert quote(client, "any key at all").json()["currency"] == "USD"


async def _concurrently(app, requests):
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):  # the lifespan the server would run
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await asyncio.gather(*(
                http.post("/quote", json=order, headers={"X-Api-Key": key})
                for key, order in requests))


def test_concurrent_requests_never_see_each_others_grants():
    keys = ["key-pro", "key-basic"] * 25
    answers = asyncio.run(_concurrently(example.create_app(), [(k, ORDER) for k in keys]))
    statuses = [(key, answer.status_code) for key, answer in zip(keys, answers)]
    assert statuses == [(key, 200 if key == "key-pro" else 403) for key in keys]


def test_endless_quotes_free_their_workers_and_the_service_goes_on():
    # Six endless quotes on four workers: each is stopped at its limit, none holds a worker.
    requests = [("key-basic", ENDLESS)] * 6 + [("key-pro", ORDER)]
    answers = asyncio.run(_concurrently(example.create_app(), requests))
    assert [answer.status_code for answer in answers] == [504] * 6 + [200]
