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
   ``SimpleSpanProcessor`` and an in-memory exporter (so export is counted, not a network).

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
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
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
    except ImportError:
        print("opentelemetry-sdk is not installed: tracing not measured")
    return found


def measure(count: int) -> dict[str, list[float]]:
    engine = mlpy.Engine()
    program = engine.compile(PROGRAM)
    chosen = setups()
    samples: dict[str, list[float]] = {name: [] for name in chosen}
    for name, (install, uninstall) in chosen.items():  # warm-up, each set-up once
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
    targets = {"metrics": TARGET_METRICS_US, "tracing": TARGET_TRACING_US}
    for name, values in samples.items():
        p50 = percentile(values, 0.5)
        line = f"   {name:<8} p50 {us(p50)}   p95 {us(percentile(values, 0.95))}"
        if name in targets:
            added = p50 - base
            verdict = "meets target" if added * 1e6 <= targets[name] else "over target"
            line += f"   added at p50 {us(added)} ({verdict}: <= {targets[name]:g} us)"
        print(line)
    if args.json:
        args.json.write_text(json.dumps({**samples, "load": os.getloadavg()[0]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
