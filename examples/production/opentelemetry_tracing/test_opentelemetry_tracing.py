"""Tests of the tracing example, with the OpenTelemetry SDK's in-memory exporter: each
checkout is one trace with mlpy's spans nested where the work happened, a failing rule is
recorded on its span, and no span of mlpy carries the order's data."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

HERE = Path(__file__).resolve().parent
GOOD = {"lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]}
BAD = {"lines": [{"sku": "A-1", "qty": "two"}]}


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_production_tracing_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


@pytest.fixture
def exporter():
    return InMemorySpanExporter()


@pytest.fixture
def checkout(exporter):
    service = example.Checkout(example.tracer_provider(exporter))
    yield service
    service.close()  # uninstalls mlpy's tracing: later tests make no spans


def spans_named(exporter, name):
    return [span for span in exporter.get_finished_spans() if span.name == name]


def test_the_rule_is_compiled_once_at_startup_in_a_span_of_its_own(checkout, exporter):
    (compiled,) = spans_named(exporter, "mlpy.compile")
    assert compiled.parent is None and compiled.attributes["mlpy.source.name"] == "checkout.ml"
    assert compiled.attributes["mlpy.cache.hit"] is False


def test_a_checkout_is_one_trace_from_the_request_to_the_inventory(checkout, exporter):
    exporter.clear()
    assert checkout.handle(GOOD) == {"accepted": False, "missing": ["B-2"]}
    assert example.tree(exporter.get_finished_spans()) == [
        "POST /checkout [UNSET]",
        "  mlpy.execute [UNSET]",
        "    mlpy.host_call [UNSET]",
        "      inventory.lookup [UNSET]",
        "    mlpy.host_call [UNSET]",
        "      inventory.lookup [UNSET]",
    ]
    (execute,) = spans_named(exporter, "mlpy.execute")
    assert execute.attributes["mlpy.status"] == "ok"
    assert execute.attributes["mlpy.timeout_s"] == 2.0
    assert execute.attributes["mlpy.result.type"] == "object"
    calls = spans_named(exporter, "mlpy.host_call")
    assert [c.attributes["mlpy.host_function.name"] for c in calls] == ["stock", "stock"]
    assert len({span.context.trace_id for span in exporter.get_finished_spans()}) == 1


def test_a_failing_rule_is_an_error_span_with_its_ml_line(checkout, exporter):
    assert checkout.handle(BAD) == {"error": "MLR001"}
    (execute,) = spans_named(exporter, "mlpy.execute")
    assert execute.status.status_code.name == "ERROR"
    assert execute.attributes["mlpy.error.ml_file"] == "checkout.ml"
    assert execute.attributes["mlpy.error.ml_line"] == 4
    assert [event.name for event in execute.events] == ["exception"]
    (request,) = spans_named(exporter, "POST /checkout")
    assert request.status.status_code.name == "UNSET"  # the service answered, as designed


def test_concurrent_requests_keep_their_own_traces(checkout, exporter):
    exporter.clear()
    threads = [threading.Thread(target=checkout.handle, args=(GOOD,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    requests = {s.context.span_id: s.context.trace_id for s in spans_named(exporter,
                                                                             "POST /checkout")}
    executes = spans_named(exporter, "mlpy.execute")
    assert len(requests) == len(executes) == 8
    assert all(requests[e.parent.span_id] == e.context.trace_id for e in executes)


def test_mlpy_spans_carry_no_order_data(checkout, exporter):
    checkout.handle(GOOD)
    checkout.handle(BAD)
    for span in exporter.get_finished_spans():
        if span.name.startswith("mlpy."):
            text = repr(dict(span.attributes)) + repr([dict(e.attributes) for e in span.events
                                                       if e.name != "exception"])
            assert "A-1" not in text and "B-2" not in text, span.name
