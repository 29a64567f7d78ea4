"""Tests of the pricing microservice: a real gRPC server on a free localhost port with a real
client channel, REST through FastAPI's TestClient, both over one PricingService."""

from __future__ import annotations

import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

grpc = pytest.importorskip("grpc")
pytest.importorskip("grpc_health")
pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")

from fastapi.testclient import TestClient
from grpc_health.v1 import health_pb2, health_pb2_grpc

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # the service is not installed: import it from its folder

from pricing_service import core
from pricing_service.core import PricingService
from pricing_service.grpc_api import SERVICE, create_grpc_server, evaluate_stub
from pricing_service.rest import create_rest_app

from mlpy.observability import prometheus

# The service installs mlpy's metrics when it is imported, as a service does at start-up;
# pytest imports this module while collecting, long before it runs, so they are taken out
# here and installed for this module's tests only (other tests expect nothing installed).
core.MLPY_METRICS.uninstall()


@pytest.fixture(scope="module", autouse=True)
def _service_metrics():
    core.MLPY_METRICS = prometheus.install(registry=core.REGISTRY)
    yield
    core.MLPY_METRICS.uninstall()


# Rules that misbehave on purpose, beside the real one, to reach each limit.
SPIN = "while (true) { }\n"
HOARD = 'parts = [];\nwhile (true) { parts.append("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); }\n'
ORDER = {"items": [{"sku": "A-1", "price": 60, "qty": 2}, {"sku": "B-2", "price": 5,
                                                          "qty": 1}]}
EXPECTED = {"subtotal": 125.0, "discount": 0.1, "currency": "EUR", "total": 112.5}


def make_service(folder: Path, **options) -> PricingService:
    rules = folder / "rules"
    rules.mkdir()
    shutil.copy(PROJECT / "rules" / "quote.ml", rules)
    (rules / "spin.ml").write_text(SPIN, encoding="utf-8")
    (rules / "hoard.ml").write_text(HOARD, encoding="utf-8")
    options = {"workers": 2, "max_pending": 8, "timeout": 0.5, "max_steps": 10**12,
               "max_memory": 2_000_000, **options}  # 10**12 steps: time ends spin.ml
    return PricingService(rules, **options)


@pytest.fixture
def service(tmp_path):
    made = make_service(tmp_path)
    yield made
    made.close()


@contextmanager
def grpc_channel(service: PricingService):
    server, port = create_grpc_server(service)  # 127.0.0.1:0: a free port
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as opened:
            yield opened
    finally:
        server.stop(grace=None)


@pytest.fixture
def rest(service):
    return TestClient(create_rest_app(service))


@pytest.fixture
def channel(service):
    with grpc_channel(service) as opened:
        yield opened


def via_rest(rest, rule, order, key=None):
    response = rest.post(f"/v1/rules/{rule}", json={"order": order},
                         headers={"x-api-key": key} if key else {})
    return response.status_code, response.json()


def via_grpc(channel, rule, order, key=None):
    """(status code, value or error detail) of one real gRPC call."""
    metadata = (("x-api-key", key),) if key else ()
    try:
        reply = evaluate_stub(channel)({"rule": rule, "order": order}, metadata=metadata,
                                       timeout=30)
    except grpc.RpcError as error:
        return error.code(), error.details()
    return grpc.StatusCode.OK, reply


def test_a_rule_gives_the_same_answer_on_both_apis(rest, channel):
    status, body = via_rest(rest, "quote", ORDER, "shop-key")
    assert (status, body) == (200, {"rule": "quote", "value": EXPECTED})
    assert via_grpc(channel, "quote", ORDER, "shop-key") == (grpc.StatusCode.OK,
                                                             {"rule": "quote", "value": EXPECTED})


def test_grants_are_per_call_from_the_callers_key(rest, channel):
    usd = {**ORDER, "currency": "USD"}
    assert via_rest(rest, "quote", usd, "partner-key")[1]["value"]["total"] == 121.5
    assert via_grpc(channel, "quote", usd, "partner-key")[1]["value"]["total"] == 121.5
    status, body = via_rest(rest, "quote", usd, "shop-key")
    assert status == 403 and body["code"] == "MLCAP001" and "rates.read" in body["detail"]
    code, detail = via_grpc(channel, "quote", usd)  # no key: no grants
    assert code == grpc.StatusCode.PERMISSION_DENIED and "rates.read" in detail


def test_concurrent_callers_never_see_each_others_grants(channel):
    usd = {**ORDER, "currency": "USD"}
    keys = ["partner-key", "shop-key"] * 12
    with ThreadPoolExecutor(max_workers=4) as pool:  # well within 2 running + 8 waiting
        codes = list(pool.map(lambda key: via_grpc(channel, "quote", usd, key)[0], keys))
    assert codes == [grpc.StatusCode.OK if key == "partner-key"
                     else grpc.StatusCode.PERMISSION_DENIED for key in keys]


def test_the_time_limit_is_deadline_exceeded_and_504(rest, channel):
    status, body = via_rest(rest, "spin", {})
    assert status == 504 and body["code"].startswith("MLL")
    code, _ = via_grpc(channel, "spin", {})  # the client allows 30 s: the server's 0.5 s ends it
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED


def test_the_memory_limit_is_resource_exhausted_and_413(rest, channel):
    assert via_rest(rest, "hoard", {})[0] == 413
    assert via_grpc(channel, "hoard", {})[0] == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_full_queue_is_resource_exhausted_and_429(tmp_path):
    service = make_service(tmp_path, timeout=30.0)  # the held calls must not time out
    gate = threading.Event()
    try:
        running = threading.Semaphore(0)

        def hold() -> bool:
            running.release()
            return gate.wait(30)

        # Two workers busy and eight calls waiting: the executor refuses any more at once.
        held = [service.executor.submit_call(hold) for _ in range(2)]
        assert running.acquire(timeout=30) and running.acquire(timeout=30)
        held += [service.executor.submit_call(hold) for _ in range(8)]
        assert service.executor.stats().queued == 8
        rest = TestClient(create_rest_app(service))
        with grpc_channel(service) as channel:
            assert via_rest(rest, "quote", ORDER)[0] == 429
            assert via_grpc(channel, "quote", ORDER)[0] == grpc.StatusCode.RESOURCE_EXHAUSTED
            gate.set()
            assert all(future.result(timeout=30) for future in held)
            assert via_grpc(channel, "quote", ORDER)[0] == grpc.StatusCode.OK  # drained
    finally:
        gate.set()
        service.close()


def test_bad_input_is_invalid_argument_and_400(rest, channel):
    zero = {"items": [{"sku": "A-1", "price": 60, "qty": 0}]}
    status, body = via_rest(rest, "quote", zero)
    assert status == 400 and "qty of A-1 must be positive" in body["detail"]
    code, detail = via_grpc(channel, "quote", zero)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "qty of A-1 must be positive" in detail
    assert via_rest(rest, "quote", ["not", "an", "object"])[0] == 400
    raw = channel.unary_unary(f"/{SERVICE}/Evaluate")  # bytes in and out: not JSON text
    with pytest.raises(grpc.RpcError) as refused:
        raw(b"{not json", timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_an_unknown_rule_is_not_found_and_404(rest, channel):
    assert via_rest(rest, "nope", ORDER)[0] == 404
    assert via_grpc(channel, "nope", ORDER)[0] == grpc.StatusCode.NOT_FOUND


def test_health_on_both_apis(rest, channel):
    assert rest.get("/health").status_code == 200
    ready = rest.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    stub = health_pb2_grpc.HealthStub(channel)
    for name in ("", SERVICE):
        reply = stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=30)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_metrics_count_the_calls_of_both_apis(rest, channel):
    via_rest(rest, "quote", ORDER)
    via_grpc(channel, "quote", {**ORDER, "currency": "USD"})
    text = rest.get("/metrics").text
    assert 'pricing_requests_total{outcome="ok",rule="quote",transport="rest"}' in text
    assert 'pricing_requests_total{outcome="MLCAP001",rule="quote",transport="grpc"}' in text
    assert "mlpy_executions_total" in text
