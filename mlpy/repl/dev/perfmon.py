"""``.perfmon``: the timings the registry and the session measure."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlpy.repl.commands import CommandError, command
from mlpy.repl.dev.state import dev_state, slow_ms

if TYPE_CHECKING:
    from mlpy.repl.session import MLREPLSession


# ----------------------------------------------------------------------------- perfmon


def _ms(seconds: float | None, flag_over: float | None = None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    mark = " !" if flag_over is not None and ms > flag_over else ""
    return f"{ms:.1f} ms{mark}"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def perf_report(session: "MLREPLSession") -> str:
    registry = session.registry
    stats = registry.stats()
    threshold = slow_ms(session)
    elapsed = int(time.time() - session.started)
    clock = f"{elapsed // 3600:02d}:{elapsed % 3600 // 60:02d}:{elapsed % 60:02d}"
    lines = [f"Performance — session {clock}, dev mode {'on' if session.dev_mode else 'off'}, "
             f"slow threshold {threshold:g} ms"]
    if stats.scans:
        lines.append(
            f"Discovery: {stats.scans} scan{'s' if stats.scans != 1 else ''} (last "
            f"{_ms(stats.scan_last)}, avg {_ms(stats.scan_avg)}), {stats.files} files, "
            f"{stats.files_cached} from cache; {stats.describes} describe"
            f"{'s' if stats.describes != 1 else ''} ({_ms(stats.describe_total)} total)")
    else:
        lines.append("Discovery: none yet")
    rows = [m for m in stats.modules.values()
            if m.load is not None or m.reloads or m.compile is not None or m.last_failure]
    if rows:
        width = max(len(m.name) for m in rows)
        lines.append(f"Modules:  {'':<{width}}{'':<10} {'describe':>10} {'load':>12} "
                     f"{'transpile':>12}  reloads (last)")
        order = {"stdlib": 0, "extension": 1, "ml": 2}
        for m in sorted(rows, key=lambda m: (order.get(m.kind, 9), m.name)):
            reloads = f"{m.reloads}" + (f" ({_ms(m.reload_last, threshold)})"
                                        if m.reloads else "")
            lines.append(f"  {m.name:<{width}}  {m.kind:<10}{_ms(m.describe):>10} "
                         f"{_ms(m.load, threshold):>12} {_ms(m.compile, threshold):>12}  "
                         f"{reloads}")
            if m.last_failure:
                lines.append(f"  {'':<{width}}  last failure: {m.last_failure}")
    else:
        lines.append("Modules: none yet")
    statements = list(session.statements)
    if statements:
        def phase(key: str) -> list[float]:
            return [s[key] for s in statements if s.get(key) is not None]
        parse, compile_, run, total = (phase(k) for k in ("parse", "compile", "run", "total"))
        lines.append(
            f"Statements: {len(statements)} — p50 parse {_percentile(parse, .5) * 1e3:.1f} / "
            f"compile {_percentile(compile_, .5) * 1e3:.1f} / run "
            f"{_percentile(run, .5) * 1e3:.1f} ms; p95 total "
            f"{_percentile(total, .95) * 1e3:.1f} ms")
        slowest = sorted(statements, key=lambda s: -s["total"])[:5]
        lines.append("Slowest:")
        for entry in slowest:
            text = " ".join(entry["text"].split())
            text = text if len(text) <= 40 else text[:39] + "…"
            mark = " !" if entry["total"] * 1e3 > threshold else ""
            lines.append(f"  {entry['total'] * 1e3:>7.1f} ms{mark}  {text}")
    else:
        lines.append("Statements: none yet")
    if stats.reload_failures:
        lines.append(f"Reload failures: {stats.reload_failures}")
    return "\n".join(lines)


@command("perfmon", "Development", ".perfmon [reset|threshold MS]", "Show timings",
         "Shows measured timings: index scans, each module's describe, load, transpile and "
         "reload times, and statement timings (p50/p95, slowest inputs). '!' marks values "
         "over the slow threshold. 'reset' clears the counters; 'threshold MS' sets the "
         "slow threshold for this session.", ".perfmon threshold 50")
def perfmon_command(session, args):
    if not args:
        return perf_report(session)
    word = args[0].lower()
    if word == "reset":
        if len(args) > 1:
            raise CommandError("'.perfmon reset' takes no more arguments")
        session.registry.reset_stats()
        statements = session.statements
        if statements is not None:
            statements.clear()
        return "Performance counters cleared."
    if word == "threshold":
        if len(args) != 2:
            raise CommandError("usage: .perfmon threshold MS")
        try:
            value = float(args[1])
        except ValueError:
            raise CommandError(f"'{args[1]}' is not a number of milliseconds") from None
        if not value > 0 or value != value or value == float("inf"):
            raise CommandError("the threshold must be a positive number of milliseconds")
        dev_state(session).slow_ms = value
        return f"Slow threshold: {value:g} ms."
    raise CommandError(f"unknown argument '{args[0]}' (.perfmon [reset|threshold MS])")
