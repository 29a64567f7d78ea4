"""``.memreport``: memory per module, process RSS, largest variables."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlpy.modules.memory import Footprint, human
from mlpy.repl.commands import CommandError, command
from mlpy.repl.dev.reload import ml_tables
from mlpy.runtime.values import ModuleObject

if TYPE_CHECKING:
    from mlpy.repl.session import MLREPLSession


# ----------------------------------------------------------------------------- memreport


def ml_footprints(session: "MLREPLSession") -> list[Footprint]:
    loaded, units, _ = ml_tables(session)
    stats = session.registry.stats().modules
    found = []
    for name, module in loaded.items():
        namespace = module._ml_live or {}
        unit = units.get(name)
        roots = tuple(v for k, v in namespace.items()
                      if not k.startswith("__") and v.__class__ is not ModuleObject)
        entry = stats.get(name)
        found.append(Footprint(
            name, "ml", roots=roots,
            files=(unit.code.co_filename,) if unit is not None else (),
            traced=bool(entry and entry.traced), own_modules=(f"mlpy._ml.{name}",),
            exclude=tuple(v for k, v in namespace.items() if k.startswith("__"))
            + tuple(loaded.values()) + (namespace,)))
    return found


def memory_report(session: "MLREPLSession", top: int = 10) -> str:
    from mlpy.modules.memory import build_report

    registry = session.registry
    footprints = ml_footprints(session)
    report = registry.memory_report(top=10 ** 6, extra=footprints)  # all: N is cut below
    variables = build_report([], 0, session.variables()).variables
    state = session._dev
    rss = f"process RSS {human(report.rss)}" if report.rss is not None else \
        "process RSS unknown"
    if report.tracing:
        since = state.tracing_since if state is not None and state.tracing_since else None
        when = f" since {time.strftime('%H:%M:%S', time.localtime(since))}" if since else ""
        tracing = f"allocation tracing on{when}"
    else:
        tracing = "allocation tracing off (.devmode on traces later loads)"
    lines = [f"Memory — {rss}; {tracing}"]
    modules = report.modules[:top]
    if not report.modules:
        lines.append("No modules loaded.")
    else:
        width = max(len(m.name) for m in modules)
        lines.append(f"Modules (top {top} of {len(report.modules)}):")
        for m in modules:
            how = m.method + (f" ({m.note})" if m.note else "")
            lines.append(f"  {m.name:<{width}}  {m.kind:<10} {human(m.size, m.complete):>11}"
                         f"    {how}")
    if variables:
        width = max(len(v.name) for v in variables)
        shape_width = max(len(v.shape) for v in variables)
        lines.append(f"Session variables (top {len(variables)}):")
        lines += [f"  {v.name:<{width}}  {v.shape:<{shape_width}}  "
                  f"{human(v.size, v.complete):>11}" for v in variables]
    return "\n".join(lines)


@command("memreport", "Development", ".memreport [N]", "Show memory per module",
         "Shows process memory, the N largest loaded modules (10 by default) and the five "
         "largest session variables. Modules loaded while allocation tracing was on "
         "(.devmode on) are measured from the traced allocations of their files; others are "
         "estimated from the objects they hold. Never loads a module.", ".memreport 5")
def memreport_command(session, args):
    top = 10
    if args:
        if not args[0].isdigit() or int(args[0]) < 1:
            raise CommandError(f"'{args[0]}' is not a positive number (.memreport [N])")
        top = int(args[0])
    return memory_report(session, top)
