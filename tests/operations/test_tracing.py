"""OpenTelemetry tracing (integration spec 9.3): the spans and their attributes, errors and
denials recorded, nesting in the caller's context -- across AsyncEngine workers and into
sandbox processes (``traceparent`` in the run frame) -- legacy names and host-call spans.
Spans are read from the SDK's in-memory exporter.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import StatusCode  # noqa: E402

import mlpy  # noqa: E402
from mlpy.aio import AsyncEngine  # noqa: E402
from mlpy.callbacks import ml_callback  # noqa: E402
from mlpy.observability import events, otel  # noqa: E402


@pytest.fixture
def provider():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.exporter = exporter
    yield provider
    otel.uninstall()
    assert not events.ACTIVE


@pytest.fixture
def spans(provider):
    """Install tracing; the fixture's value reads the finished spans by name."""
    otel.install(tracer_provider=provider)
    return Spans(provider)


class Spans:
    def __init__(self, provider):
        self.provider = provider
        self.tracer = provider.get_tracer("test")

    def all(self):
        return list(self.provider.exporter.get_finished_spans())

    def named(self, name):
        return [span for span in self.all() if span.name == name]

    def one(self, name):
        found = self.named(name)
        assert len(found) == 1, [span.name for span in self.all()]
        return found[0]


def parent_of(span):
    return span.parent.span_id if span.parent is not None else None


def test_compile_span_attributes(spans):
    engine = mlpy.Engine()
    engine.compile("x = 1;\nresult = x;", filename="rules.ml")
    engine.compile("x = 1;\nresult = x;", filename="rules.ml")
    first, second = spans.named("mlpy.compile")
    assert dict(first.attributes) == {
        "mlpy.source.name": "rules.ml", "mlpy.source.bytes": 18, "mlpy.cache.hit": False,
        "mlpy.diagnostics.errors": 0, "mlpy.diagnostics.warnings": 0}
    assert second.attributes["mlpy.cache.hit"] is True
    assert first.end_time >= first.start_time


def test_compile_error_span(spans):
    with pytest.raises(mlpy.MLSyntaxError):
        mlpy.Engine().compile("y = (2;")
    span = spans.one("mlpy.compile")
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["mlpy.diagnostics.errors"] >= 1


def test_execute_span_nests_in_the_callers_span_with_its_attributes(spans):
    engine = mlpy.Engine(capabilities=["console.log", "file.read:/srv/*"])
    with spans.tracer.start_as_current_span("request") as request:
        result = engine.execute("result = [1, 2, 3];", timeout=5, execution_id="e-1")
    execute = spans.one("mlpy.execute")
    assert result.value == [1, 2, 3]
    assert parent_of(execute) == request.get_span_context().span_id
    assert execute.context.trace_id == request.get_span_context().trace_id
    attributes = dict(execute.attributes)
    assert attributes["mlpy.execution.id"] == "e-1"
    assert attributes["mlpy.execution.mode"] == "inprocess"
    assert attributes["mlpy.timeout_s"] == 5.0
    assert attributes["mlpy.status"] == "ok"
    assert attributes["mlpy.result.type"] == "array"
    assert attributes["mlpy.capabilities"] == ("console.log", "file.read")
    assert isinstance(attributes["mlpy.steps"], int)
    assert execute.status.status_code != StatusCode.ERROR
    # the compile made inside the execution is its child
    assert parent_of(spans.one("mlpy.compile")) == execute.context.span_id


def test_an_ml_error_is_status_error_with_the_exception_recorded(spans):
    result = mlpy.Engine().execute("x = 1;\nresult = x / {};", filename="calc.ml")
    execute = spans.one("mlpy.execute")
    assert not result.ok
    assert execute.status.status_code == StatusCode.ERROR
    assert execute.attributes["mlpy.status"] == "ml_error"
    (exception,) = [e for e in execute.events if e.name == "exception"]
    assert exception.attributes["exception.type"].endswith(type(result.error).__name__)
    assert exception.attributes["mlpy.error.code"] == result.error.code
    assert exception.attributes["mlpy.error.ml_file"] == "calc.ml"
    assert exception.attributes["mlpy.error.ml_line"] == 2


def test_a_denial_is_an_event_on_the_current_span(spans, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    result = mlpy.Engine().execute(f"import file; result = file.read({str(secret)!r});")
    execute = spans.one("mlpy.execute")
    assert result.error.code == "MLCAP001"
    assert execute.attributes["mlpy.status"] == "capability_denied"
    (denied,) = [e for e in execute.events if e.name == "mlpy.capability.denied"]
    assert denied.attributes["mlpy.capability"] == "file.read"


def test_callback_span(spans):
    session = mlpy.Engine().session()
    session.exec("function add(a, b) { return a + b; }")
    add = ml_callback(session, "add", timeout=3)
    with spans.tracer.start_as_current_span("click") as click:
        assert add(2, 3) == 5
    callback = spans.one("mlpy.callback")
    assert parent_of(callback) == click.get_span_context().span_id
    attributes = dict(callback.attributes)
    assert attributes["mlpy.callback.name"] == "add"
    assert attributes["mlpy.function.name"] == "add"
    assert attributes["mlpy.args.count"] == 2
    assert attributes["mlpy.execution.mode"] == "callback"
    assert attributes["mlpy.status"] == "ok"
    assert attributes["mlpy.result.type"] == "number"
    assert attributes["mlpy.timeout_s"] == 3.0


def test_async_engine_spans_nest_across_worker_threads(spans):
    async def main():
        async with AsyncEngine(max_workers=2) as engine:
            with spans.tracer.start_as_current_span("handler") as handler:
                results = await asyncio.gather(
                    engine.execute("result = 1;", execution_id="a-1"),
                    engine.execute("result = 1 / {};", execution_id="a-2"))
            return handler, results

    handler, results = asyncio.run(main())
    executes = sorted(spans.named("mlpy.execute"),
                      key=lambda span: span.attributes["mlpy.execution.id"])
    assert [r.success for r in results] == [True, False]
    assert len(executes) == 2
    for span in executes:
        assert parent_of(span) == handler.get_span_context().span_id
        assert span.attributes["mlpy.execution.mode"] == "async"
    assert executes[1].status.status_code == StatusCode.ERROR


def test_a_refused_async_execution_is_an_error_span_in_the_callers_trace(spans):
    import threading

    release, entered = threading.Event(), threading.Event()

    @mlpy.host_function
    def block() -> None:
        entered.set()
        release.wait(60)

    async def main():
        async with AsyncEngine(max_workers=1, max_pending=1) as engine:
            running = asyncio.create_task(
                engine.execute("block();", variables={"block": block}))
            await asyncio.to_thread(entered.wait, 30)
            queued = asyncio.create_task(engine.execute("result = 1;"))
            while engine.stats().queued < 1:
                await asyncio.sleep(0.005)
            with spans.tracer.start_as_current_span("handler") as handler:
                refused = await engine.execute("result = 2;")
            release.set()
            await running, await queued
            return handler, refused

    try:
        handler, refused = asyncio.run(main())
    finally:
        release.set()
    assert refused.error_info.code == "backpressure"
    (span,) = [s for s in spans.named("mlpy.execute")
               if s.attributes["mlpy.status"] == "backpressure"]
    assert parent_of(span) == handler.get_span_context().span_id
    assert span.status.status_code == StatusCode.ERROR


@pytest.fixture
def sandboxed():
    from mlpy.sandbox import SandboxConfig

    engine = mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(
        pool_size=1, wall_timeout=20.0, cpu_timeout=10.0))
    yield engine
    engine.close()


def test_sandbox_run_span_and_traceparent(spans, sandboxed, monkeypatch):
    from mlpy.sandbox import pool as pool_module

    sent = []
    encode = pool_module.encode_frame
    monkeypatch.setattr(pool_module, "encode_frame",
                        lambda frame: sent.append(frame) or encode(frame))
    with spans.tracer.start_as_current_span("job") as job:
        result = sandboxed.execute("result = 6 * 7;", timeout=10)
    assert result.value == 42
    execute, run = spans.one("mlpy.execute"), spans.one("mlpy.sandbox.run")
    assert parent_of(execute) == job.get_span_context().span_id
    assert parent_of(run) == execute.context.span_id
    assert execute.attributes["mlpy.execution.mode"] == "sandbox"
    attributes = dict(run.attributes)
    assert attributes["process.pid"] == result.usage["worker_pid"]
    assert attributes["mlpy.sandbox.exit_reason"] == "completed"
    assert attributes["mlpy.sandbox.max_rss_bytes"] > 1_000_000
    assert attributes["mlpy.sandbox.cpu_time_s"] >= 0
    assert execute.start_time <= run.start_time <= run.end_time <= execute.end_time
    # the run frame carried the caller's trace: W3C traceparent of the execute span
    (frame,) = [f for f in sent if f.get("type") == "run"]
    version, trace_id, parent_id, flags = frame["trace"]["traceparent"].split("-")
    assert int(trace_id, 16) == job.get_span_context().trace_id
    assert int(parent_id, 16) == execute.context.span_id


def test_sandbox_worker_stopped_at_its_time_limit(spans, sandboxed):
    result = sandboxed.execute("while (true) { }", timeout=0.5)
    execute, run = spans.one("mlpy.execute"), spans.one("mlpy.sandbox.run")
    assert execute.attributes["mlpy.status"] == "timeout"
    assert execute.status.status_code == StatusCode.ERROR
    assert parent_of(run) == execute.context.span_id
    assert not result.ok


def test_no_trace_in_the_run_frame_when_nothing_traces(sandboxed, monkeypatch):
    from mlpy.sandbox import pool as pool_module

    sent = []
    encode = pool_module.encode_frame
    monkeypatch.setattr(pool_module, "encode_frame",
                        lambda frame: sent.append(frame) or encode(frame))
    assert sandboxed.execute("result = 1;", timeout=10).value == 1
    assert "trace" not in [f for f in sent if f.get("type") == "run"][0]


def test_legacy_span_names(provider):
    otel.install(tracer_provider=provider, legacy_names=True)
    spans = Spans(provider)
    session = mlpy.Engine().session()
    session.exec("function add(a, b) { return a + b; }")
    ml_callback(session, "add")(1, 2)

    async def main():
        async with AsyncEngine(max_workers=1) as engine:
            return await engine.execute("result = 'ok';", execution_id="legacy-1", timeout=4)

    assert asyncio.run(main()).value == "ok"
    legacy = spans.one("async_ml_execute")
    assert dict(legacy.attributes) == {"ml.code_length": len("result = 'ok';"), "ml.timeout": 4.0,
                                       "ml.execution_id": "legacy-1",
                                       "ml.result_type": "string"}
    assert legacy.status.status_code == StatusCode.OK
    callback = spans.one("ml_callback")
    assert callback.attributes["ml.function_name"] == "add"
    assert callback.attributes["ml.args_count"] == 2
    assert spans.named("mlpy.execute") and spans.named("mlpy.callback")


def test_host_call_spans_only_when_asked_for(provider):
    @mlpy.host_function
    def double(x):
        return x * 2

    otel.install(tracer_provider=provider)
    spans = Spans(provider)
    engine = mlpy.Engine()
    assert engine.execute("result = double(2);", {"double": double}).value == 4
    assert spans.named("mlpy.host_call") == []
    otel.uninstall()
    otel.install(tracer_provider=provider, host_calls=True)
    assert engine.execute("result = double(3);", {"double": double}).value == 6
    (call,) = spans.named("mlpy.host_call")
    execute = spans.named("mlpy.execute")[-1]
    assert call.attributes["mlpy.host_function.name"] == "double"
    assert parent_of(call) == execute.context.span_id


def test_uninstall_stops_the_spans(provider):
    handle = otel.install(tracer_provider=provider)
    handle.uninstall()
    mlpy.Engine().execute("result = 1;")
    assert provider.exporter.get_finished_spans() == ()
    assert not events.ACTIVE


def test_without_opentelemetry_the_import_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.delitem(sys.modules, "mlpy.observability.otel")
    with pytest.raises(ImportError, match=r"mlpy\[otel\]"):
        import mlpy.observability.otel  # noqa: F401
