"""Prometheus metrics of mlpy's work (integration spec §9.2; extra ``mlpy[prometheus]``).

:func:`install` registers the metrics on a ``prometheus_client`` registry and listens to
:mod:`mlpy.observability.events`; :func:`uninstall` (or the handle's ``uninstall()``)
removes them again. The execution series (counts, durations, queue times, in flight,
callbacks) are kept here under one lock as the events arrive and read when the registry is
scraped; compiles, capability checks and the sandbox's restarts and memory use are
prometheus_client metrics updated as they happen; the gauges that describe state --
executor queues and workers, sandbox workers, open sessions, program cache entries -- are
read at scrape time from the engines, AsyncEngines and sessions this process created after
the install (plus the ``engines`` given).

Cardinality: label values come only from fixed sets (modes, statuses, cache, results,
worker states, restart reasons) or from names the host's code chooses (callback names,
capability names ``area.action``, AsyncEngine ``thread_name_prefix``); never program text,
hashes, execution ids, user data, file paths or scopes. Each chosen-name label keeps the
first :data:`LABEL_LIMIT` distinct values it sees and reports every later one as
``other``, and a value that is not a plain name (``[A-Za-z_][A-Za-z0-9_.-]*``, at most 64
characters) is ``other`` from the start: callbacks made with names built from data make
one series, not one per name.
"""

from __future__ import annotations

import re
import threading
import weakref
from bisect import bisect_left
from typing import Any, Iterable, Iterator

from mlpy.observability import events

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
    from prometheus_client.core import (
        CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily,
    )
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "mlpy.observability.prometheus needs prometheus_client: install the extra "
        "with pip install 'mlpy[prometheus]'") from missing

__all__ = ["LABEL_LIMIT", "MetricsHandle", "install", "uninstall"]

# Distinct values one chosen-name label (callback, capability, executor) keeps.
LABEL_LIMIT = 100
OTHER = "other"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}\Z")

EXECUTION_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
MEMORY_BUCKETS = tuple(float(2 ** power) for power in range(24, 32))  # 16 MiB .. 2 GiB
LEGACY_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10)


class _Bounded:
    """A label's values: the first ``limit`` distinct plain names, then ``other``."""

    def __init__(self) -> None:
        self._limit = LABEL_LIMIT
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: Any) -> str:
        if value in self._seen:
            return value
        if not isinstance(value, str) or not _NAME.match(value):
            return OTHER
        with self._lock:
            if len(self._seen) >= self._limit:
                return OTHER
            self._seen.add(value)
        return value


class _Metrics(events.Listener):
    """The §9.2 metrics, updated from the events."""

    def __init__(self, registry: CollectorRegistry, namespace: str, legacy: bool):
        self.collectors: list[Any] = []  # what to unregister again

        def full(name: str) -> str:
            return f"{namespace}_{name}"

        def made(metric: Any) -> Any:
            self.collectors.append(metric)
            return metric

        def counter(name: str, text: str, labels: Iterable[str] = ()) -> Counter:
            # prometheus_client adds _total itself.
            return made(Counter(full(name).removesuffix("_total"), text, tuple(labels),
                                registry=registry))

        def histogram(name: str, text: str, labels: Iterable[str] = (),
                      buckets: tuple = EXECUTION_BUCKETS) -> Histogram:
            return made(Histogram(full(name), text, tuple(labels), buckets=buckets,
                                  registry=registry))

        self.legacy = legacy
        self.capability_label = _Bounded()
        # With legacy names the shared name carries the proposal's label too (one metric
        # of a name per registry): capability_type = capability.
        violation_labels = ("capability", "capability_type") if legacy else ("capability",)
        self.compile_duration = histogram("compile_duration_seconds", "Compile time, cache "
                                          "hits included.", ("cache",))
        self.compiles = counter("compile_total", "Compiles, by result.", ("result",))
        self.checks = counter("capability_checks_total", "Capability gate decisions.",
                              ("capability", "result"))
        self.violations = counter("capability_violations_total", "Capability denials.",
                                  violation_labels)
        self.restarts = counter("sandbox_restarts_total", "Sandbox workers replaced, by "
                                "reason.", ("reason",))
        self.memory_peak = histogram("sandbox_memory_peak_bytes", "Peak resident memory of "
                                     "a sandbox worker after an execution.",
                                     buckets=MEMORY_BUCKETS)
        self.executions = _Executions(namespace, legacy)

    # ------------------------------------------------------------------ events

    def execution_started(self, run: events.Execution) -> None:
        run.data[self] = True  # in flight as far as these metrics know
        self.executions.started(run.mode)

    def execution_finished(self, run: events.Execution) -> None:
        # One that started before the install is counted, but was never in flight here.
        self.executions.finished(run, run.data.pop(self, False))

    def compiled(self, event: events.Compile) -> None:
        self.compile_duration.labels("hit" if event.cache_hit else "miss").observe(
            event.duration)
        self.compiles.labels(event.result).inc()

    def capability_checked(self, name: str, allowed: bool, resource: str | None) -> None:
        label = self.capability_label(name)
        self.checks.labels(label, "allowed" if allowed else "denied").inc()
        if not allowed:
            self.violations.labels(*((label, label) if self.legacy else (label,))).inc()

    def sandbox_ran(self, run: events.SandboxRun) -> None:
        if run.max_rss_bytes:
            self.memory_peak.observe(run.max_rss_bytes)

    def sandbox_restarted(self, reason: str) -> None:
        self.restarts.labels(reason).inc()


class _Series:
    """One histogram series: the count in each bucket (the last is +Inf) and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(EXECUTION_BUCKETS) + 1)
        self.total = 0.0

    def cumulative(self, bounds: tuple = EXECUTION_BUCKETS) -> list[tuple[str, int]]:
        """The ``le`` buckets of ``bounds`` (each one of EXECUTION_BUCKETS) and +Inf."""
        found, running = [], 0
        wanted = set(bounds)
        for bound, count in zip(EXECUTION_BUCKETS, self.counts[:-1], strict=True):
            running += count
            if bound in wanted:
                found.append((_le(bound), running))
        found.append(("+Inf", running + self.counts[-1]))
        return found

    def add(self, other: "_Series") -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.total += other.total


def _le(bound: float) -> str:
    return repr(float(bound))


class _Executions:
    """The execution metrics (counts, durations, queue times, in flight, callbacks) kept
    here under one lock and exposed at scrape time: an execution costs one lock and a few
    additions rather than a prometheus_client call per metric. The legacy async metrics
    are derived from the same series (their buckets are among EXECUTION_BUCKETS)."""

    def __init__(self, namespace: str, legacy: bool):
        self.namespace = namespace
        self.legacy = legacy
        self.callback_label = _Bounded()
        self._lock = threading.Lock()
        self._running = dict.fromkeys(events.MODES, 0)
        self._ended: dict[tuple[str, str], _Series] = {}
        self._queued: dict[str, _Series] = {}
        self._callbacks: dict[tuple[str, str], _Series] = {}  # (label, status)

    def started(self, mode: str) -> None:
        with self._lock:
            self._running[mode] += 1

    def finished(self, run: events.Execution, was_started: bool) -> None:
        mode, duration = run.mode, run.duration
        slot = bisect_left(EXECUTION_BUCKETS, duration)
        callback = self.callback_label(run.callback) if mode == "callback" else None
        with self._lock:
            if was_started:
                self._running[mode] -= 1
            series = self._ended.get((mode, run.status))
            if series is None:
                series = self._ended[mode, run.status] = _Series()
            series.counts[slot] += 1
            series.total += duration
            if mode == "async" or mode == "sandbox":
                waited = self._queued.get(mode)
                if waited is None:
                    waited = self._queued[mode] = _Series()
                waited.counts[bisect_left(EXECUTION_BUCKETS, run.queue_time)] += 1
                waited.total += run.queue_time
            elif callback is not None:
                calls = self._callbacks.get((callback, run.status))
                if calls is None:
                    calls = self._callbacks[callback, run.status] = _Series()
                calls.counts[slot] += 1
                calls.total += duration

    def collect(self) -> list[Any]:
        name = f"{self.namespace}_"
        with self._lock:
            running = dict(self._running)
            ended = {key: _copy(series) for key, series in self._ended.items()}
            queued = {key: _copy(series) for key, series in self._queued.items()}
            callbacks = {key: _copy(series) for key, series in self._callbacks.items()}
        total = CounterMetricFamily(name + "executions_total", "Executions that ended, by "
                                    "mode and status.", labels=("mode", "status"))
        duration = HistogramMetricFamily(name + "execution_duration_seconds", "Wall time "
                                         "of executions.", labels=("mode", "status"))
        for labels, series in sorted(ended.items()):
            total.add_metric(labels, sum(series.counts))
            duration.add_metric(labels, series.cumulative(), series.total)
        waits = HistogramMetricFamily(name + "execution_queue_seconds", "Time executions "
                                      "waited for a worker (async and sandbox).",
                                      labels=("mode",))
        for mode, series in sorted(queued.items()):
            waits.add_metric((mode,), series.cumulative(), series.total)
        in_flight = GaugeMetricFamily(name + "executions_in_flight", "Executions running "
                                      "now.", labels=("mode",))
        for mode, count in running.items():
            in_flight.add_metric((mode,), count)
        found = [total, duration, waits, in_flight, *self._callback_families(callbacks)]
        if self.legacy:
            found += _legacy_async(name, ended, running["async"])
        return found

    def _callback_families(self, callbacks: dict[tuple[str, str], _Series]) -> list[Any]:
        # With legacy names: function_name, the proposal's label, is the callback name.
        labels = ("callback", "function_name") if self.legacy else ("callback",)
        name = f"{self.namespace}_"
        calls = CounterMetricFamily(name + "callback_invocations_total", "Callback calls, "
                                    "by callback and status.", labels=(*labels, "status"))
        duration = HistogramMetricFamily(name + "callback_duration_seconds", "Wall time of "
                                         "callback calls.", labels=labels)
        by_name: dict[str, _Series] = {}
        for (callback, status), series in sorted(callbacks.items()):
            names = (callback,) * len(labels)
            calls.add_metric((*names, status), sum(series.counts))
            by_name.setdefault(callback, _Series()).add(series)
        for callback, series in by_name.items():
            duration.add_metric((callback,) * len(labels), series.cumulative(), series.total)
        return [calls, duration]


def _copy(series: _Series) -> _Series:
    copy = _Series()
    copy.counts, copy.total = list(series.counts), series.total
    return copy


def _legacy_async(name: str, ended: dict[tuple[str, str], _Series], running: int
                  ) -> list[Any]:
    """The proposal's async metrics, from the async series: status ok or error."""
    total = CounterMetricFamily(name + "async_executions_total", "Async executions "
                                "(proposal name).", labels=("status",))
    merged = _Series()
    by_status: dict[str, int] = {}
    for (mode, status), series in ended.items():
        if mode == "async":
            outcome = "ok" if status == "ok" else "error"
            by_status[outcome] = by_status.get(outcome, 0) + sum(series.counts)
            merged.add(series)
    for outcome, count in sorted(by_status.items()):
        total.add_metric((outcome,), count)
    duration = HistogramMetricFamily(name + "async_execution_duration_seconds", "Async "
                                     "execution time (proposal name).")
    duration.add_metric((), merged.cumulative(LEGACY_BUCKETS), merged.total)
    active = GaugeMetricFamily(name + "active_async_executions", "Async executions running "
                               "now (proposal name).")
    active.add_metric((), running)
    return [total, duration, active]


class _State:
    """The gauges read at scrape time, and the objects they are read from."""

    def __init__(self, namespace: str, engines: Iterable[Any], legacy: bool):
        self.namespace = namespace
        self.legacy = legacy
        self.executor_label = _Bounded()
        self.engines: weakref.WeakSet[Any] = weakref.WeakSet()
        self.sessions: weakref.WeakSet[Any] = weakref.WeakSet()
        for engine in engines:
            self.engine_created(engine)

    def engine_created(self, engine: Any) -> None:
        self.engines.add(engine)
        inner = getattr(engine, "engine", None)  # an AsyncEngine's Engine: cache, sandbox
        if inner is not None:
            self.engines.add(inner)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        name = f"{self.namespace}_"
        pending = GaugeMetricFamily(name + "executor_pending", "Jobs waiting for an "
                                    "AsyncEngine worker.", labels=("executor",))
        workers = GaugeMetricFamily(name + "executor_workers", "AsyncEngine worker threads "
                                    "by state.", labels=("executor", "state"))
        sandbox = GaugeMetricFamily(name + "sandbox_workers", "Sandbox worker processes by "
                                    "state.", labels=("state",))
        cache = GaugeMetricFamily(name + "program_cache_entries", "Compiled programs held "
                                  "in engine caches.")
        queued: dict[str, int] = {}
        threads: dict[tuple[str, str], int] = {}
        processes = dict.fromkeys(("starting", "idle", "busy"), 0)
        entries = 0
        for engine in list(self.engines):
            if hasattr(engine, "stats") and hasattr(engine, "thread_name_prefix"):
                self._executor(engine, queued, threads)
            else:
                entries += len(getattr(engine, "_cache", ()))
                pool = getattr(engine, "_pool", None)
                if pool is not None and not pool.closed:
                    _sandbox_states(pool, processes)
        for executor, count in queued.items():
            pending.add_metric((executor,), count)
        for labels, count in threads.items():
            workers.add_metric(labels, count)
        for state, count in processes.items():
            sandbox.add_metric((state,), count)
        cache.add_metric((), entries)
        open_sessions = len(list(self.sessions))
        sessions = GaugeMetricFamily(name + "sessions_active", "Open sessions.")
        sessions.add_metric((), open_sessions)
        found = [pending, workers, sandbox, cache, sessions]
        if self.legacy:
            repl = GaugeMetricFamily(name + "repl_sessions_active", "Open sessions "
                                     "(proposal name).")
            repl.add_metric((), open_sessions)
            found.append(repl)
        return iter(found)

    def _executor(self, engine: Any, queued: dict[str, int],
                  threads: dict[tuple[str, str], int]) -> None:
        if engine.closed:
            return
        stats = engine.stats()
        label = self.executor_label(engine.thread_name_prefix)
        queued[label] = queued.get(label, 0) + stats.queued
        for state, count in (("idle", max(stats.workers - stats.busy, 0)),
                             ("busy", stats.busy), ("stuck", stats.stuck)):
            threads[label, state] = threads.get((label, state), 0) + count


def _sandbox_states(pool: Any, counts: dict[str, int]) -> None:
    for worker in pool.workers():
        state = "starting" if not worker["ready"] else "busy" if worker["busy"] else "idle"
        counts[state] += 1


class _Collector:
    """What is read at scrape time -- the execution series and the state gauges -- as a
    prometheus_client collector."""

    def __init__(self, executions: _Executions, state: _State):
        self._executions = executions
        self._state = state

    def collect(self) -> Iterator[Any]:
        yield from self._executions.collect()
        yield from self._state.collect()

    def describe(self) -> list[Any]:  # lets the registry check names without collecting
        namespace, legacy = self._state.namespace, self._state.legacy
        return [*_Executions(namespace, legacy).collect(),
                *_State(namespace, (), legacy).collect()]


class _Listener(_Metrics):
    """The metrics plus the bookkeeping of the objects the gauges read."""

    def __init__(self, registry: CollectorRegistry, namespace: str, legacy: bool,
                 state: _State):
        self.state = state
        try:
            super().__init__(registry, namespace, legacy)
            collector = _Collector(self.executions, state)
            registry.register(collector)
        except BaseException:  # a name taken: leave the registry as it was
            for metric in getattr(self, "collectors", ()):
                registry.unregister(metric)
            raise
        self.collectors.append(collector)

    def engine_created(self, engine: Any) -> None:
        self.state.engine_created(engine)

    def session_opened(self, session: Any) -> None:
        self.state.sessions.add(session)

    def session_closed(self, session: Any) -> None:
        self.state.sessions.discard(session)


class MetricsHandle:
    """What :func:`install` returns: ``registry``, and :meth:`uninstall`."""

    def __init__(self, registry: CollectorRegistry, listener: _Listener,
                 collectors: list[Any]):
        self.registry = registry
        self._listener = listener
        self._collectors = collectors

    def uninstall(self) -> None:
        """Stop listening and remove the metrics from the registry (idempotent)."""
        events.remove_listener(self._listener)
        for collector in self._collectors:
            try:
                self.registry.unregister(collector)
            except KeyError:
                pass
        self._collectors = []
        with _installed_lock:
            if self in _installed:
                _installed.remove(self)


_installed: list[MetricsHandle] = []
_installed_lock = threading.Lock()


def install(registry: CollectorRegistry | None = None, namespace: str = "mlpy",
            engines: Iterable[Any] | None = None, legacy_names: bool = False
            ) -> MetricsHandle:
    """Register mlpy's metrics on ``registry`` (default: prometheus_client's global one)
    and start collecting.

    ``namespace`` is the metric name prefix. ``engines`` are Engines and AsyncEngines made
    before this call whose state the gauges should read (those made later are found on
    their own). ``legacy_names=True`` also exports the mlpy 2.0 proposal names. Installing
    twice on one registry raises prometheus_client's duplicate-name ValueError.
    """
    registry = REGISTRY if registry is None else registry
    if not isinstance(namespace, str) or not re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*",
                                                          namespace):
        raise ValueError(f"namespace must be a metric name prefix, not {namespace!r}")
    state = _State(namespace, engines or (), legacy_names)
    listener = _Listener(registry, namespace, legacy_names, state)
    handle = MetricsHandle(registry, listener, list(listener.collectors))
    with _installed_lock:
        _installed.append(handle)
    events.add_listener(listener)
    return handle


def uninstall() -> None:
    """Remove every installation made by :func:`install` in this process."""
    for handle in list(_installed):
        handle.uninstall()
