"""Timings the session records for ``.perfmon`` and ``.modinfo``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpy.repl.dev.state import slow_ms

if TYPE_CHECKING:
    from mlpy.repl.session import MLREPLSession


# ----------------------------------------------------------------------------- timings


def module_timings(session: "MLREPLSession", name: str) -> str:
    """``Load: 4.2 ms   Reloads: 1 (last 3.9 ms)`` for ``.modinfo``."""
    entry = session.registry.stats().modules.get(name)
    if entry is None:
        return ""
    parts = []
    if entry.describe is not None:
        parts.append(f"Describe: {entry.describe * 1e3:.1f} ms")
    if entry.compile is not None:
        parts.append(f"Transpile: {entry.compile * 1e3:.1f} ms")
    if entry.load is not None:
        parts.append(f"Load: {entry.load * 1e3:.1f} ms")
    if entry.reloads:
        parts.append(f"Reloads: {entry.reloads} (last {entry.reload_last * 1e3:.1f} ms, "
                     f"avg {entry.reload_avg * 1e3:.1f} ms)")
    if entry.last_failure:
        parts.append(f"Last failure: {entry.last_failure}")
    return "   ".join(parts)


def record_statement(session: "MLREPLSession", text: str, timings: dict[str, Any],
                     program: Any) -> None:
    """Keep the phases of one input (the last 1000) and warn about a slow one in dev
    mode."""
    statements = session.statements
    entry: dict[str, Any] = {"text": text, "total": timings.get("total", 0.0),
                             "run": timings.get("run")}
    if program is not None and "run" in timings:
        phases = program.timings
        entry["parse"] = phases.get("parse")
        entry["compile"] = sum(phases.get(k, 0.0) for k in ("analyze", "generate", "compile"))
    statements.append(entry)
    if session.dev_mode and entry["total"] * 1e3 > slow_ms(session):
        first = " ".join(text.split())
        first = first if len(first) <= 40 else first[:39] + "…"
        session.output(f"[slow] statement {entry['total'] * 1e3:.1f} ms: {first}\n")
