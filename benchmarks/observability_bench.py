#!/usr/bin/env python
"""What metrics and tracing cost an execution: Engine.execute with nothing, metrics, tracing.

Usage::

    python benchmarks/observability_bench.py [--quick] [--repeats N] [--json out.json]

Measured in this run, on this machine: ``Engine.execute`` of a cached trivial program
(``result = 1;``, compiled once) in three set-ups, after a warm-up:

1. **nothing installed** -- the hooks are one flag test each;
2. **metrics** -- :func:`mlpy.observability.prometheus.install` on a fresh
   ``CollectorRegistry``;
3. **tracing** -- :func:`mlpy.observability.otel.install` on an SDK ``TracerProvider`` with a
   ``SimpleSpanProcessor`` and an in-memory exporter (so export is counted, not a network);
4. **tracing-batch** -- the same with a ``BatchSpanProcessor``, as production set-ups use
   (export leaves the calling thread).

Then, for comparison, the cost of one bare SDK span shaped like ``mlpy.execute`` with no mlpy
code at all: the floor that tracing cannot go below.

The set-ups take turns in blocks (nothing, metrics, tracing, nothing, ...), so a change in the
machine's load touches all three alike. Reported: p50 and p95 of each, and what metrics and
tracing add at p50 over nothing installed.

Targets (issue 13, Speed): nothing installed -- no measurable cost (compare the p50 with that
of a checkout without the hooks: run this script there, it then measures only the first
set-up); metrics <= 5 us per execution; tracing <= 30 us. They are reported, never enforced:
a busy machine makes the numbers worse, not the exit status. The exit status is 1 only if an
execution fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent

try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

PROGRAM = "result = 1;"
TARGET_METRICS_US = 5.0
TARGET_TRACING_US = 30.0
BLOCK = 200


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def timed(engine: mlpy.Engine, program: mlpy.Program, count: int) -> list[float]:
    """Seconds of ``count`` calls of Engine.execute."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        result = engine.execute(program)
        samples.append(time.perf_counter() - start)
        if not result.ok:
            raise SystemExit(f"an execution failed: {result.error}")
    return samples


def setups() -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """Each set-up's (install, uninstall); only "none" where the hooks do not exist."""
    found: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
        "none": (lambda: None, lambda: None)}
    try:
        from mlpy.observability import otel, prometheus
    except ImportError:
        return found
    try:
        from prometheus_client import CollectorRegistry

        found["metrics"] = (lambda: prometheus.install(registry=CollectorRegistry()),
                            prometheus.uninstall)
    except ImportError:
        print("prometheus_client is not installed: metrics not measured")
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))

        def tracing() -> None:
            exporter.clear()
            otel.install(tracer_provider=provider)

        found["tracing"] = (tracing, otel.uninstall)
        batched = TracerProvider()
        batched.add_span_processor(BatchSpanProcessor(exporter))

        def tracing_batch() -> None:
            batched.force_flush()
            exporter.clear()
            otel.install(tracer_provider=batched)

        found["tracing-batch"] = (tracing_batch, otel.uninstall)
    except ImportError:
        print("opentelemetry-sdk is not installed: tracing not measured")
    return found


def sdk_floor(count: int) -> list[float] | None:
    """Seconds of one OpenTelemetry SDK span shaped like mlpy.execute -- five attributes at
    the start (one a tuple), made current, four more at the end, ended, exported by a
    SimpleSpanProcessor to memory -- with no mlpy code: what tracing cannot go below."""
    try:
        from opentelemetry import context, trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )
    except ImportError:
        return None
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("floor")
    samples = []
    for index in range(count + BLOCK):
        start = time.perf_counter()
        span = tracer.start_span("mlpy.execute", attributes={
            "mlpy.execution.mode": "inprocess", "mlpy.capabilities": (),
            "mlpy.timeout_s": 1.0, "mlpy.callback.name": "", "mlpy.args.count": 0})
        token = context.attach(trace.set_span_in_context(span))
        span.set_attributes({"mlpy.status": "ok", "mlpy.execution.id": "0" * 32,
                             "mlpy.result.type": "number", "mlpy.steps": 0})
        context.detach(token)
        span.end()
        samples.append(time.perf_counter() - start)
        if index % BLOCK == 0:
            exporter.clear()
    return samples[BLOCK:]


def measure(count: int) -> dict[str, list[float]]:
    engine = mlpy.Engine()
    program = engine.compile(PROGRAM)
    chosen = setups()
    samples: dict[str, list[float]] = {name: [] for name in chosen}
    for install, uninstall in chosen.values():  # warm-up, each set-up once
        install()
        timed(engine, program, BLOCK)
        uninstall()
    while min(len(s) for s in samples.values()) < count:
        for name, (install, uninstall) in chosen.items():
            install()
            try:
                samples[name] += timed(engine, program, BLOCK)
            finally:
                uninstall()
    return samples


def us(seconds: float) -> str:
    return f"{seconds * 1e6:8.2f} us"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--repeats", type=int, help="executions per set-up (default 20000)")
    parser.add_argument("--json", type=Path, help="write every sample to this file")
    args = parser.parse_args(argv)
    count = args.repeats or (2000 if args.quick else 20000)

    print(f"mlpy {mlpy.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    samples = measure(count)
    print(f"\nEngine.execute of a cached {PROGRAM!r} ({count} runs per set-up)")
    base = percentile(samples["none"], 0.5)
    targets = {"metrics": TARGET_METRICS_US, "tracing": TARGET_TRACING_US,
               "tracing-batch": TARGET_TRACING_US}
    for name, values in samples.items():
        p50 = percentile(values, 0.5)
        line = f"   {name:<13} p50 {us(p50)}   p95 {us(percentile(values, 0.95))}"
        if name in targets:
            added = p50 - base
            verdict = "meets target" if added * 1e6 <= targets[name] else "over target"
            line += f"   added at p50 {us(added)} ({verdict}: <= {targets[name]:g} us)"
        print(line)
    floor = sdk_floor(count) if "tracing" in samples else None
    if floor is not None:
        print(f"   the OpenTelemetry SDK alone, one such span: p50 {us(percentile(floor, 0.5))}"
              f"   p95 {us(percentile(floor, 0.95))}")
    if args.json:
        args.json.write_text(json.dumps({**samples, "load": os.getloadavg()[0]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
