"""The Celery app that the worker processes of tests/integration/test_celery.py run.

The broker and backend URL comes from ``MLPY_TEST_REDIS_URL``. Every task execution is
recorded in the Redis list ``mlpy:executions`` (task id and worker name), so the tests can
count executions per task id; a worker that is ready sets ``mlpy:ready:<name>``.
"""

from __future__ import annotations

import os

import redis
from celery import Celery, signals

from mlpy.integration.celery import ml_task

URL = os.environ.get("MLPY_TEST_REDIS_URL", "redis://127.0.0.1:6379")

app = Celery("mlpy_test_workers", broker=f"{URL}/0", backend=f"{URL}/1")
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],
    worker_prefetch_multiplier=1, task_track_started=True, result_expires=600,
    broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
    # A message whose worker died is delivered again after 3 s, checked every second.
    broker_transport_options={"visibility_timeout": 3, "unacked_restore_interval": 1,
                              "unacked_restore_throttle": 1},
)

SCORE = """
function score(order) {
    total = 0;
    for (line in order.lines) { total = total + line.price * line.qty; }
    return {id: order.id, total: total};
}
"""

score = ml_task(app, SCORE, function="score", name="tests.score")
run = ml_task(app, name="tests.run")
# A worker whose own engine grants env.read by default: tasks must not get it.
run_generous = ml_task(app, name="tests.run_generous",
                       engine_options={"capabilities": ["env.read"]})
limited = ml_task(app, name="tests.limited", allowed_grants=["env.read:MLPY_TEST_*"])
sandboxed = ml_task(app, name="tests.sandboxed", isolation="subprocess")
spin = ml_task(app, "function spin(n) { i = 0; while (i < n) { i = i + 1; } return i; }",
               function="spin", name="tests.spin")

_client = redis.Redis.from_url(f"{URL}/2")


def _export_spans_to_redis() -> None:
    """Trace the workers' executions; each finished span goes to the list ``mlpy:spans``
    as ``name trace_id parent_span_id`` (hex), for the test process to read."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    from mlpy.observability import otel

    class ToRedis(SpanExporter):
        def export(self, spans):
            for span in spans:
                parent = format(span.parent.span_id, "016x") if span.parent else "-"
                _client.rpush("mlpy:spans", f"{span.name} "
                              f"{format(span.context.trace_id, '032x')} {parent}")
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ToRedis()))
    otel.install(provider)


@signals.worker_init.connect
def _trace_in_the_worker(**_: object) -> None:
    """Only in a worker process: the test process imports this module too (to send tasks),
    and must not be left tracing."""
    try:
        _export_spans_to_redis()
    except ImportError:  # no OpenTelemetry SDK: the tracing test skips
        pass


@signals.task_prerun.connect
def _record(task_id: str = "", task: object = None, **_: object) -> None:
    _client.rpush("mlpy:executions", f"{task_id} {task.request.hostname}")


@signals.worker_ready.connect
def _ready(sender: object = None, **_: object) -> None:
    _client.set(f"mlpy:ready:{sender.hostname}", os.getpid())
