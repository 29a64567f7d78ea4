"""OpenTelemetry spans of mlpy's work (integration spec §9.3; extra ``mlpy[otel]``).

:func:`install` listens to :mod:`mlpy.observability.events` and turns them into spans of
the tracer ``mlpy``: ``mlpy.compile``, ``mlpy.execute`` (every mode but callbacks),
``mlpy.callback``, ``mlpy.sandbox.run`` (a child of the execution, built from the figures
the worker process returned: it needs no exporter of its own) and, with
``host_calls=True``, ``mlpy.host_call``. An execution's span is the current span while it
runs, so spans the host's own code starts inside it (a host function, a callback) nest
under it, and it nests under whatever span was current where the execution was started --
an AsyncEngine job runs in a copy of its submitter's context, and a sandboxed run's frame
carries the W3C ``traceparent`` of the caller's span.

Errors: the span's status is ERROR and the exception is recorded with ``mlpy.error.code``,
``mlpy.error.ml_file`` and ``mlpy.error.ml_line``; a capability denial adds the event
``mlpy.capability.denied`` to the current span (``mlpy.resource`` only when it is not
redacted).
"""

from __future__ import annotations

import threading
from typing import Any

import mlpy
from mlpy.observability import events

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace import Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "mlpy.observability.otel needs opentelemetry-api (and an SDK to export spans): "
        "install the extra with pip install 'mlpy[otel]'") from missing

__all__ = ["TracingHandle", "install", "uninstall"]

_PROPAGATOR = TraceContextTextMapPropagator()
# Legacy (mlpy 2.0 proposal) span names by mode.
_LEGACY_NAMES = {"async": "async_ml_execute", "callback": "ml_callback"}


class _Tracing(events.Listener):
    def __init__(self, tracer: Any, legacy: bool, host_calls: bool):
        self.tracer = tracer
        self.legacy = legacy
        self.host_calls = host_calls
        # Sorted grant names per (immutable) CapabilitySet: the same sets recur.
        self._granted: dict[int, tuple[Any, tuple[str, ...]]] = {}

    # ------------------------------------------------------------------ compiles

    def compiled(self, event: events.Compile) -> None:
        span = self.tracer.start_span("mlpy.compile", start_time=event.start_ns, attributes={
            "mlpy.source.name": event.source_name, "mlpy.source.bytes": event.source_bytes,
            "mlpy.cache.hit": event.cache_hit, "mlpy.diagnostics.errors": event.errors,
            "mlpy.diagnostics.warnings": event.warnings})
        if event.result != "ok":
            span.set_status(Status(StatusCode.ERROR, event.result))
        span.end(end_time=event.start_ns + int(event.duration * 1e9))

    # ------------------------------------------------------------------ executions

    def execution_started(self, run: events.Execution) -> None:
        attributes: dict[str, Any] = {"mlpy.execution.mode": run.mode}
        if run.timeout is not None:
            attributes["mlpy.timeout_s"] = float(run.timeout)
        if run.execution_id:
            attributes["mlpy.execution.id"] = run.execution_id
        grants = run.grants()
        if grants is not None:
            attributes["mlpy.capabilities"] = self._names(grants)
        if run.mode == "callback":
            name = "mlpy.callback"
            attributes.update({"mlpy.callback.name": run.callback or "",
                               "mlpy.function.name": run.function or "",
                               "mlpy.args.count": run.args_count or 0})
        else:
            name = "mlpy.execute"
        if run.queue_time:
            attributes["mlpy.queue_s"] = run.queue_time
        legacy = None
        if self.legacy and run.mode in _LEGACY_NAMES:
            legacy = self.tracer.start_span(_LEGACY_NAMES[run.mode],
                                            attributes=_legacy_start(run))
        span = self.tracer.start_span(name, attributes=attributes)
        token = otel_context.attach(trace.set_span_in_context(span))
        run.data[self] = (span, token, legacy)

    def execution_finished(self, run: events.Execution) -> None:
        span, token, legacy = run.data.pop(self, (None, None, None))
        if span is None:
            return
        try:
            ended: dict[str, Any] = {"mlpy.status": run.status}
            if run.execution_id:
                ended["mlpy.execution.id"] = run.execution_id
            if run.steps is not None:
                ended["mlpy.steps"] = run.steps
            if run.error is not None:
                _failed(span, run.error)
            else:
                ended["mlpy.result.type"] = run.result_type
            span.set_attributes(ended)
        finally:
            otel_context.detach(token)
            span.end()
        if legacy is not None:
            if run.execution_id:
                legacy.set_attribute("ml.execution_id", run.execution_id)
            if run.result_type is not None:
                legacy.set_attribute("ml.result_type", run.result_type)
            if run.error is not None:
                _failed(legacy, run.error)
            else:
                legacy.set_status(Status(StatusCode.OK))
            legacy.end()

    def _names(self, grants: Any) -> tuple[str, ...]:
        known = self._granted.get(id(grants))
        if known is not None and known[0] is grants:
            return known[1]
        names = tuple(sorted(grants.names()))
        if len(self._granted) > 256:  # a bound, not a cache policy: sets rarely vary
            self._granted.clear()
        self._granted[id(grants)] = (grants, names)
        return names

    # ------------------------------------------------------------------ the rest

    def capability_checked(self, name: str, allowed: bool, resource: str | None) -> None:
        if allowed:
            return
        attributes = {"mlpy.capability": name}
        if resource is not None:
            attributes["mlpy.resource"] = resource
        trace.get_current_span().add_event("mlpy.capability.denied", attributes)

    def sandbox_ran(self, run: events.SandboxRun) -> None:
        attributes: dict[str, Any] = {"process.pid": run.pid,
                                      "mlpy.sandbox.exit_reason": run.exit_reason}
        if run.max_rss_bytes is not None:
            attributes["mlpy.sandbox.max_rss_bytes"] = int(run.max_rss_bytes)
        if run.cpu_time is not None:
            attributes["mlpy.sandbox.cpu_time_s"] = float(run.cpu_time)
        span = self.tracer.start_span("mlpy.sandbox.run", start_time=run.start_ns,
                                      attributes=attributes)
        if run.exit_reason != "completed":
            span.set_status(Status(StatusCode.ERROR, run.exit_reason))
        span.end(end_time=max(run.end_ns, run.start_ns))

    def host_call_started(self, call: events.HostCall) -> None:
        if not self.host_calls:
            return
        span = self.tracer.start_span("mlpy.host_call",
                                      attributes={"mlpy.host_function.name": call.name})
        call.data[self] = (span, otel_context.attach(trace.set_span_in_context(span)))

    def host_call_finished(self, call: events.HostCall) -> None:
        span, token = call.data.pop(self, (None, None))
        if span is None:
            return
        if call.error is not None:
            _failed(span, call.error)
        otel_context.detach(token)
        span.end()

    def trace_context(self) -> dict[str, str]:
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier)
        return carrier


def _legacy_start(run: events.Execution) -> dict[str, Any]:
    if run.mode == "callback":
        return {"ml.function_name": run.function or "", "ml.args_count": run.args_count or 0}
    attributes: dict[str, Any] = {}
    if run.code_length is not None:
        attributes["ml.code_length"] = run.code_length
    if run.timeout is not None:
        attributes["ml.timeout"] = float(run.timeout)
    return attributes


def _failed(span: Any, error: BaseException) -> None:
    """Status ERROR and the exception, with its ML code and position when it has them."""
    attributes: dict[str, Any] = {}
    for key, name in (("mlpy.error.code", "code"), ("mlpy.error.ml_file", "ml_file"),
                      ("mlpy.error.ml_line", "ml_line")):
        value = getattr(error, name, None)
        if value is not None:
            attributes[key] = value
    span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}"))
    span.record_exception(error, attributes=attributes)
    for key, value in attributes.items():
        span.set_attribute(key, value)


class TracingHandle:
    """What :func:`install` returns: ``tracer``, and :meth:`uninstall`."""

    def __init__(self, listener: _Tracing):
        self._listener = listener
        self.tracer = listener.tracer

    def uninstall(self) -> None:
        """Stop making spans (idempotent)."""
        events.remove_listener(self._listener)
        with _installed_lock:
            if self in _installed:
                _installed.remove(self)


_installed: list[TracingHandle] = []
_installed_lock = threading.Lock()


def install(tracer_provider: Any = None, legacy_names: bool = False,
            host_calls: bool = False) -> TracingHandle:
    """Start making spans with the tracer ``mlpy`` of ``tracer_provider`` (default: the
    global provider, ``opentelemetry.trace.get_tracer_provider()``).

    ``legacy_names=True`` also makes the mlpy 2.0 proposal spans ``async_ml_execute`` and
    ``ml_callback`` (siblings of the ``mlpy.*`` spans, with the ``ml.*`` attributes);
    ``host_calls=True`` makes a ``mlpy.host_call`` span per host function call (off by
    default: a chatty program calls many).
    """
    provider = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
    tracer = provider.get_tracer("mlpy", mlpy.__version__)
    handle = TracingHandle(_Tracing(tracer, legacy_names, host_calls))
    with _installed_lock:
        _installed.append(handle)
    events.add_listener(handle._listener)
    return handle


def uninstall() -> None:
    """Remove every installation made by :func:`install` in this process."""
    for handle in list(_installed):
        handle.uninstall()
