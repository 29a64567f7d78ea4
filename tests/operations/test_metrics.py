"""Prometheus metrics (integration spec 9.2, T29): every metric and label of the table,
read by scraping a real prometheus_client registry and parsing its exposition text; the
cardinality rule; the legacy names; install and uninstall; and a listener that raises never
breaking an execution.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading

import pytest

pytest.importorskip("prometheus_client")

from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import mlpy  # noqa: E402
from mlpy.aio import AsyncEngine  # noqa: E402
from mlpy.callbacks import ml_callback  # noqa: E402
from mlpy.errors import MLSecurityError, MLSyntaxError  # noqa: E402
from mlpy.observability import events, prometheus  # noqa: E402
from tests.support import wait_until  # noqa: E402

SPEC_METRICS = {
    "mlpy_executions_total": ("counter", {"mode", "status"}),
    "mlpy_execution_duration_seconds": ("histogram", {"mode", "status"}),
    "mlpy_execution_queue_seconds": ("histogram", {"mode"}),
    "mlpy_executions_in_flight": ("gauge", {"mode"}),
    "mlpy_executor_pending": ("gauge", {"executor"}),
    "mlpy_executor_workers": ("gauge", {"executor", "state"}),
    "mlpy_compile_duration_seconds": ("histogram", {"cache"}),
    "mlpy_compile_total": ("counter", {"result"}),
    "mlpy_program_cache_entries": ("gauge", set()),
    "mlpy_callback_invocations_total": ("counter", {"callback", "status"}),
    "mlpy_callback_duration_seconds": ("histogram", {"callback"}),
    "mlpy_capability_checks_total": ("counter", {"capability", "result"}),
    "mlpy_capability_violations_total": ("counter", {"capability"}),
    "mlpy_sandbox_workers": ("gauge", {"state"}),
    "mlpy_sandbox_restarts_total": ("counter", {"reason"}),
    "mlpy_sandbox_memory_peak_bytes": ("histogram", set()),
    "mlpy_sessions_active": ("gauge", set()),
}
ALLOWED = {
    "mode": set(events.MODES),
    "status": set(events.STATUSES),
    "cache": {"hit", "miss"},
    "state": {"idle", "busy", "stuck", "starting"},
    "reason": set(events.RESTART_REASONS),
}
RESULTS = {"mlpy_compile_total": {"ok", "syntax_error", "security_rejected"},
           "mlpy_capability_checks_total": {"allowed", "denied"}}
AREA_ACTION = re.compile(r"[a-z_][a-z0-9_]*\.[a-z_*][a-z0-9_*]*\Z")


@pytest.fixture
def registry():
    registry = CollectorRegistry()
    handle = prometheus.install(registry=registry)
    yield registry
    handle.uninstall()


def scrape(registry: CollectorRegistry) -> dict[str, object]:
    """The families of one scrape, by name, parsed from the exposition text."""
    text = generate_latest(registry).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(registry: CollectorRegistry, sample: str, **labels: str) -> float:
    """One sample's value from a scrape (0 when the series does not exist yet)."""
    for family in scrape(registry).values():
        for found in family.samples:
            if found.name == sample and found.labels == labels:
                return found.value
    return 0.0


# ----------------------------------------------------------------------------- in-process


def test_inprocess_executions_by_status_with_durations(registry):
    engine = mlpy.Engine()
    program = engine.compile("result = 1;")
    for _ in range(3):
        assert engine.execute(program).ok
    assert not engine.execute('result = 1 + "a" * {};').ok
    assert value(registry, "mlpy_executions_total", mode="inprocess", status="ok") == 3
    assert value(registry, "mlpy_executions_total", mode="inprocess", status="ml_error") == 1
    assert value(registry, "mlpy_execution_duration_seconds_count", mode="inprocess",
                 status="ok") == 3
    assert value(registry, "mlpy_executions_in_flight", mode="inprocess") == 0
    assert value(registry, "mlpy_program_cache_entries") >= 1


def test_timeout_status(registry):
    engine = mlpy.Engine()
    assert not engine.execute("while (true) { }", timeout=0.2).ok
    assert value(registry, "mlpy_executions_total", mode="inprocess", status="timeout") == 1


def test_in_flight_while_an_execution_runs(registry, blocker):
    block, entered, release = blocker
    engine = mlpy.Engine()
    worker = threading.Thread(target=engine.execute, args=("result = block();",),
                              kwargs={"variables": {"block": block}})
    worker.start()
    entered.wait(30)
    assert value(registry, "mlpy_executions_in_flight", mode="inprocess") == 1
    release.set()
    worker.join(30)
    assert value(registry, "mlpy_executions_in_flight", mode="inprocess") == 0


def test_an_execution_running_at_install_time_is_counted_but_never_in_flight(blocker):
    """It started observed (another listener was installed) before the metrics were."""
    block, entered, release = blocker
    engine = mlpy.Engine()
    other = events.Listener()
    events.add_listener(other)
    worker = threading.Thread(target=engine.execute, args=("result = block();",),
                              kwargs={"variables": {"block": block}})
    worker.start()
    entered.wait(30)
    registry = CollectorRegistry()
    handle = prometheus.install(registry=registry)
    try:
        release.set()
        worker.join(30)
        assert value(registry, "mlpy_executions_total", mode="inprocess", status="ok") == 1
        assert value(registry, "mlpy_executions_in_flight", mode="inprocess") == 0
    finally:
        handle.uninstall()
        events.remove_listener(other)


def test_compile_hits_misses_and_results(registry):
    engine = mlpy.Engine()
    engine.compile("result = 2;")
    engine.compile("result = 2;")
    with pytest.raises(MLSyntaxError):
        engine.compile("y = (2;")
    with pytest.raises(MLSecurityError):
        engine.compile("x = __import__;")
    assert value(registry, "mlpy_compile_duration_seconds_count", cache="miss") == 3
    assert value(registry, "mlpy_compile_duration_seconds_count", cache="hit") == 1
    assert value(registry, "mlpy_compile_total", result="ok") == 2
    assert value(registry, "mlpy_compile_total", result="syntax_error") == 1
    assert value(registry, "mlpy_compile_total", result="security_rejected") == 1


def test_capability_checks_allowed_denied_and_violations(registry, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("hello")
    engine = mlpy.Engine()
    read = f"import file; result = file.read({str(data)!r});"
    assert engine.execute(read, capabilities=[f"file.read:{data}"]).value == "hello"
    denied = engine.execute(read)
    assert denied.error.code == "MLCAP001"
    # allowed twice: at the gate when file.read is called, and for its path
    assert value(registry, "mlpy_capability_checks_total", capability="file.read",
                 result="allowed") == 2
    assert value(registry, "mlpy_capability_checks_total", capability="file.read",
                 result="denied") == 1
    assert value(registry, "mlpy_capability_violations_total", capability="file.read") == 1
    assert value(registry, "mlpy_executions_total", mode="inprocess",
                 status="capability_denied") == 1


# ----------------------------------------------------------------------------- async


def test_async_mode_queue_in_flight_pending_and_workers(registry, blocker):
    block, entered, release = blocker

    async def main():
        async with AsyncEngine(max_workers=1, max_pending=1,
                               thread_name_prefix="rules") as engine:
            running = asyncio.create_task(
                engine.execute("result = block();", variables={"block": block}))
            await asyncio.to_thread(entered.wait, 30)
            queued = asyncio.create_task(engine.execute("result = 2;"))
            await asyncio.to_thread(wait_until, lambda: engine.stats().queued == 1)
            during = {
                "pending": value(registry, "mlpy_executor_pending", executor="rules"),
                "busy": value(registry, "mlpy_executor_workers", executor="rules",
                              state="busy"),
                "idle": value(registry, "mlpy_executor_workers", executor="rules",
                              state="idle"),
                "in_flight": value(registry, "mlpy_executions_in_flight", mode="async"),
            }
            refused = await engine.execute("result = 3;")  # the queue is full
            release.set()
            return during, refused, await running, await queued

    during, refused, running, queued = asyncio.run(main())
    assert during == {"pending": 1, "busy": 1, "idle": 0, "in_flight": 1}
    assert running.value == "released" and queued.value == 2
    assert refused.error_info.code == "backpressure"
    assert value(registry, "mlpy_executions_total", mode="async", status="ok") == 2
    assert value(registry, "mlpy_executions_total", mode="async", status="backpressure") == 1
    assert value(registry, "mlpy_execution_queue_seconds_count", mode="async") == 3
    assert value(registry, "mlpy_execution_queue_seconds_sum", mode="async") > 0
    assert value(registry, "mlpy_executions_in_flight", mode="async") == 0
    # an async execution is counted once, as async, not again as in-process
    assert value(registry, "mlpy_executions_total", mode="inprocess", status="ok") == 0


def test_async_cancelled_in_the_queue(registry, blocker):
    block, entered, release = blocker

    async def main():
        async with AsyncEngine(max_workers=1) as engine:
            running = asyncio.create_task(
                engine.execute("result = block();", variables={"block": block}))
            await asyncio.to_thread(entered.wait, 30)
            queued = engine.submit("result = 2;")
            await asyncio.to_thread(wait_until, lambda: engine.stats().queued == 1)
            queued.cancel()
            release.set()
            await running

    asyncio.run(main())
    assert value(registry, "mlpy_executions_total", mode="async", status="cancelled") == 1
    assert value(registry, "mlpy_executions_in_flight", mode="async") == 0


# ----------------------------------------------------------------------------- sandbox


@pytest.fixture
def sandboxed():
    from mlpy.sandbox import SandboxConfig

    config = SandboxConfig(pool_size=1, max_tasks_per_worker=2, wall_timeout=20.0,
                           cpu_timeout=10.0, memory_limit="400MB")
    engine = mlpy.Engine(isolation="subprocess", sandbox=config)
    yield engine
    engine.close()


def test_sandbox_runs_workers_restarts_and_memory(registry, sandboxed):
    engine = sandboxed
    for _ in range(2):  # the second run is the worker's last: it is recycled
        assert engine.execute("result = 40 + 2;", timeout=10).value == 42
    assert value(registry, "mlpy_executions_total", mode="sandbox", status="ok") == 2
    assert value(registry, "mlpy_execution_queue_seconds_count", mode="sandbox") == 2
    assert value(registry, "mlpy_sandbox_restarts_total", reason="recycle") == 1
    assert value(registry, "mlpy_sandbox_memory_peak_bytes_count") == 2
    assert value(registry, "mlpy_sandbox_memory_peak_bytes_sum") > 1_000_000
    states = {state: value(registry, "mlpy_sandbox_workers", state=state)
              for state in ("starting", "idle", "busy")}
    assert sum(states.values()) == 1 and states["busy"] == 0  # the replacement, warm or not
    stopped = engine.execute("while (true) { }", timeout=0.5)
    assert stopped.error.code == "MLE_TIMEOUT" or type(stopped.error).__name__ == \
        "MLTimeoutError"
    assert value(registry, "mlpy_sandbox_restarts_total", reason="timeout") == 1
    assert value(registry, "mlpy_executions_total", mode="sandbox", status="timeout") == 1


def test_sandbox_capability_checks_reported_from_the_worker(registry, sandboxed):
    denied = sandboxed.execute("import file; result = file.read('/etc/hostname');",
                               timeout=10)
    assert denied.error.code == "MLCAP001"
    assert value(registry, "mlpy_capability_violations_total", capability="file.read") == 1
    assert value(registry, "mlpy_executions_total", mode="sandbox",
                 status="capability_denied") == 1


# ----------------------------------------------------------------------------- callbacks, sessions


def test_callbacks_and_sessions(registry):
    engine = mlpy.Engine()
    session = engine.session()
    assert value(registry, "mlpy_sessions_active") == 1
    session.exec("function add(a, b) { return a + b; } function boom() { return 1 / {}; }")
    add, boom = ml_callback(session, "add"), ml_callback(session, "boom", default_return=0)
    assert add(2, 3) == 5 and add(1, 1) == 2
    assert boom() == 0
    assert value(registry, "mlpy_callback_invocations_total", callback="add",
                 status="ok") == 2
    assert value(registry, "mlpy_callback_invocations_total", callback="boom",
                 status="ml_error") == 1
    assert value(registry, "mlpy_callback_duration_seconds_count", callback="add") == 2
    assert value(registry, "mlpy_executions_total", mode="callback", status="ok") == 2
    assert value(registry, "mlpy_executions_total", mode="session", status="ok") == 1
    session.close()
    assert value(registry, "mlpy_sessions_active") == 0


def test_callback_label_past_the_bound_is_other(registry, monkeypatch):
    monkeypatch.setattr(prometheus, "LABEL_LIMIT", 3)
    # the label sets are made at install: a fresh install sees the patched bound
    small = CollectorRegistry()
    handle = prometheus.install(registry=small)
    try:
        session = mlpy.Engine().session()
        names = [f"f{i}" for i in range(6)]
        session.exec(" ".join(f"function {n}() {{ return 1; }}" for n in names))
        for name in names:
            ml_callback(session, name)()
        kept = {s.labels["callback"]
                for s in scrape(small)["mlpy_callback_invocations"].samples
                if s.name == "mlpy_callback_invocations_total"}
        assert kept == {"f0", "f1", "f2", "other"}
        assert value(small, "mlpy_callback_invocations_total", callback="other",
                     status="ok") == 3
    finally:
        handle.uninstall()


# ----------------------------------------------------------------------------- the whole table


def test_every_metric_exists_and_no_label_value_is_outside_its_set(registry, sandboxed,
                                                                   tmp_path):
    """T29: one execution of each mode, with ids, paths, program text and user data in
    every input; then every metric of the table is there with exactly its labels, and
    every label value is from its allowed set."""
    secret = "SECRET-7f3a"
    path = tmp_path / f"{secret}.txt"
    path.write_text(secret)
    engine = mlpy.Engine()
    program = f"import file; note = {secret!r}; result = file.read({str(path)!r});"
    engine.execute(program, capabilities=[f"file.read:{path}"], execution_id=f"id-{secret}")
    engine.execute(program, execution_id=f"id2-{secret}")  # denied: resource is the path
    declared = engine.execute(  # refused before it starts: the declared path is user data
        f'capability Reports {{ resource "/srv/{secret}/*.csv"; allow read; }} result = 1;')
    assert declared.error.code == "MLCAP001"
    sandboxed.execute(program, execution_id=f"sb-{secret}", timeout=10)
    session = engine.session({"user": secret})
    session.exec(f"function rule(x) {{ return x + {secret!r}; }}")
    ml_callback(session, "rule")(secret)

    async def on_async():
        async with AsyncEngine(max_workers=1) as async_engine:
            await async_engine.execute(program, execution_id=f"as-{secret}")

    asyncio.run(on_async())
    families = scrape(registry)
    for name, (kind, labels) in SPEC_METRICS.items():
        family = families.get(name.removesuffix("_total"))
        assert family is not None, f"{name} is not exported"
        assert family.type == kind, name
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            assert set(sample.labels) - {"le"} == labels, (name, sample.labels)
    for family in families.values():
        if family.name.endswith("_created"):  # the text format's own: creation times
            continue
        for sample in family.samples:
            for label, shown in sample.labels.items():
                assert secret not in shown and "SECRET" not in shown.upper(), sample
                assert "/" not in shown and "id-" not in shown, sample
                if label in ALLOWED:
                    assert shown in ALLOWED[label], sample
                elif label == "result":
                    assert shown in RESULTS[family.name + "_total"], sample
                elif label == "capability":
                    assert shown == "other" or AREA_ACTION.match(shown), sample
                elif label == "callback":
                    assert shown in {"rule", "other"}, sample
                elif label == "executor":
                    assert shown == "mlpy-worker", sample
                else:
                    assert label == "le", sample


# ----------------------------------------------------------------------------- legacy names


def test_legacy_names_from_the_same_events():
    registry = CollectorRegistry()
    handle = prometheus.install(registry=registry, legacy_names=True)
    try:
        async def main():
            async with AsyncEngine(max_workers=1) as engine:
                await engine.execute("result = 1;")
                await engine.execute("result = 1 / {};")

        asyncio.run(main())
        session = mlpy.Engine().session()
        session.exec("function add(a, b) { return a + b; }")
        ml_callback(session, "add")(1, 2)
        session.exec("import file; result = file.read('/etc/hostname');")
        assert value(registry, "mlpy_async_executions_total", status="ok") == 1
        assert value(registry, "mlpy_async_executions_total", status="error") == 1
        assert value(registry, "mlpy_async_execution_duration_seconds_count") == 2
        buckets = {s.labels["le"] for s in scrape(registry)[
            "mlpy_async_execution_duration_seconds"].samples if "le" in s.labels}
        assert buckets == {"0.01", "0.05", "0.1", "0.5", "1.0", "5.0", "10.0", "+Inf"}
        assert value(registry, "mlpy_active_async_executions") == 0
        assert value(registry, "mlpy_callback_invocations_total", callback="add",
                     function_name="add", status="ok") == 1
        assert value(registry, "mlpy_callback_duration_seconds_count", callback="add",
                     function_name="add") == 1
        assert value(registry, "mlpy_capability_violations_total", capability="file.read",
                     capability_type="file.read") == 1
        assert value(registry, "mlpy_repl_sessions_active") == 1
        assert value(registry, "mlpy_sessions_active") == 1
    finally:
        handle.uninstall()


# ----------------------------------------------------------------------------- install


def test_uninstall_removes_everything_and_stops_collecting():
    registry = CollectorRegistry()
    handle = prometheus.install(registry=registry, namespace="rules")
    engine = mlpy.Engine()
    engine.execute("result = 1;")
    assert value(registry, "rules_executions_total", mode="inprocess", status="ok") == 1
    handle.uninstall()
    assert not events.ACTIVE
    assert generate_latest(registry) == b""
    again = prometheus.install(registry=registry, namespace="rules")  # the names are free
    try:
        assert value(registry, "rules_executions_total", mode="inprocess", status="ok") == 0
    finally:
        prometheus.uninstall()
    assert not events.ACTIVE and again.registry is registry


def test_installing_twice_on_one_registry_is_an_error_that_leaves_it_as_it_was():
    registry = CollectorRegistry()
    handle = prometheus.install(registry=registry)
    try:
        before = generate_latest(registry)
        with pytest.raises(ValueError, match="Duplicated"):
            prometheus.install(registry=registry)
        assert generate_latest(registry) == before
        assert len(events.listeners()) == 1
    finally:
        handle.uninstall()


def test_gauges_read_engines_made_before_the_install():
    async_engine = AsyncEngine(max_workers=2, thread_name_prefix="early")
    try:
        registry = CollectorRegistry()
        handle = prometheus.install(registry=registry, engines=[async_engine])
        try:
            assert async_engine.submit("result = 1;").result(30).value == 1
            assert value(registry, "mlpy_executor_pending", executor="early") == 0
            assert value(registry, "mlpy_executor_workers", executor="early",
                         state="idle") >= 1
        finally:
            handle.uninstall()
    finally:
        async_engine.shutdown()


def test_without_prometheus_client_the_import_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.delitem(sys.modules, "mlpy.observability.prometheus")
    with pytest.raises(ImportError, match=r"mlpy\[prometheus\]"):
        import mlpy.observability.prometheus  # noqa: F401


# ----------------------------------------------------------------------------- failing listeners


class Broken(events.Listener):
    """A listener that raises in every event."""


def _fail(self, *args):
    raise RuntimeError("broken listener")


for _name in events._EVENTS:
    setattr(Broken, _name, _fail)


def test_a_listener_that_raises_never_breaks_an_execution(caplog, sandboxed):
    broken = Broken()
    events.add_listener(broken)
    try:
        with caplog.at_level(logging.WARNING, logger="mlpy.observability"):
            engine = mlpy.Engine()
            assert engine.execute("result = 1 + 1;").value == 2
            assert engine.execute("result = 1 + 1;").value == 2
            assert engine.execute("result = 1 / {};").error is not None
            assert sandboxed.execute("result = 3;", timeout=10).value == 3
            session = engine.session()
            session.exec("function add(a, b) { return a + b; }")
            assert ml_callback(session, "add")(2, 2) == 4
            with AsyncEngine(max_workers=1) as async_engine:
                assert async_engine.submit("result = 5;").result(30).value == 5
            session.close()
    finally:
        events.remove_listener(broken)
    warnings = [r for r in caplog.records if r.name == "mlpy.observability"]
    assert len(warnings) == 1 and "broken" in warnings[0].exc_text  # once per listener
    assert not events.ACTIVE
