"""OpenTelemetry tracing of a checkout: the request's span, mlpy's spans inside it, and the
spans of the host code that ML calls inside those.

The service configures OpenTelemetry as any service does (a ``TracerProvider`` with a span
processor and an exporter) and installs mlpy's tracing on it once. Each checkout is then one
trace: ``POST /checkout`` > ``mlpy.execute`` > ``mlpy.host_call`` > ``inventory.lookup``. A
rule that fails marks its span ``ERROR`` with the ML file and line. Here the exporter is the
SDK's in-memory one, so ``python app.py`` can print the trees; in production it is
``BatchSpanProcessor(OTLPSpanExporter())`` towards your collector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import mlpy
from mlpy.observability import otel

HERE = Path(__file__).resolve().parent
STOCK = {"A-1": 10, "B-2": 0}


# [tracing]
def tracer_provider(exporter: SpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


class Checkout:
    def __init__(self, provider: TracerProvider):
        # host_calls=True: a span per host function call, to see where a slow rule waits.
        self.tracing = otel.install(tracer_provider=provider, host_calls=True)
        self.tracer = provider.get_tracer("checkout")
        self.engine = mlpy.Engine(timeout=2.0)
        self.rule = self.engine.compile((HERE / "checkout.ml").read_text(encoding="utf-8"),
                                        filename="checkout.ml", inputs=["order", "stock"])
        self.stock = mlpy.host_function(self.lookup, name="stock")

    def lookup(self, sku: str) -> int:
        """The inventory service's call, traced as the service traces its own calls."""
        with self.tracer.start_as_current_span("inventory.lookup") as span:
            span.set_attribute("inventory.sku", sku)
            return STOCK.get(sku, 0)

    def handle(self, order: dict[str, Any]) -> dict[str, Any]:
        """What the web framework's handler would do, inside the request's span."""
        with self.tracer.start_as_current_span("POST /checkout"):
            result = self.engine.execute(self.rule, {"order": order, "stock": self.stock})
            if not result.ok:
                return {"error": result.error.code}
            return result.value

    def close(self) -> None:
        self.tracing.uninstall()
        self.engine.close()
# [/tracing]


def tree(spans: list[ReadableSpan]) -> list[str]:
    """The spans as an indented tree, children under their parent, in start order."""
    children: dict[Any, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda s: s.start_time):
        parent = span.parent.span_id if span.parent else None
        children.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(parent: Any, depth: int) -> None:
        for span in children.get(parent, []):
            lines.append("  " * depth + f"{span.name} [{span.status.status_code.name}]")
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return lines


def main() -> None:
    exporter = InMemorySpanExporter()
    checkout = Checkout(tracer_provider(exporter))
    try:
        for order in ({"lines": [{"sku": "A-1", "qty": 2}]},
                      {"lines": [{"sku": "B-2", "qty": "two"}]}):
            exporter.clear()
            print(checkout.handle(order))
            print("\n".join(tree(exporter.get_finished_spans())))
    finally:
        checkout.close()


if __name__ == "__main__":
    main()
