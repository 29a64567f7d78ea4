"""The diagnostic tools a host has: the checker, the health report, the audit log, DEBUG logs.

``findings()`` is ``mlpy check`` from Python (``Engine.check``); ``health()`` is
``mlpy.health.check``, what a readiness probe serves; ``audit_trail()`` reads the
``AuditLog`` of capability grants, uses and denials; ``debug_log()`` turns on mlpy's logger at
DEBUG for one failing execution, where the error's full report is logged. Run it with
``python app.py``.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import mlpy
from mlpy import health
from mlpy.observability.logging import configure

HERE = Path(__file__).resolve().parent


# [check]
def findings(name: str = "rules.ml") -> list[tuple[str, str, int, str]]:
    """What the compiler finds in a file, without running it: (severity, code, line, message)."""
    source = (HERE / name).read_text(encoding="utf-8")
    diagnostics: list[mlpy.Diagnostic] = mlpy.Engine().check(source, filename=name,
                                                             inputs=["order"])
    return [(d.severity, d.code, d.line, d.message) for d in diagnostics]
# [/check]


# [health]
def health_report(engine: mlpy.Engine) -> dict[str, Any]:
    """The engine's health: overall status, readiness and the status of each check."""
    report: mlpy.HealthReport = health.check(engine)
    return {"status": report.status, "ready": report.ready,
            "checks": {name: check["status"] for name, check in report.checks.items()}}
# [/health]


# [audit]
def audit_trail() -> list[tuple[str, str]]:
    """The capability events of a session: a grant, a use, a revoke, then a denial."""
    audit = mlpy.AuditLog(size=100, use_sample_rate=1.0)  # every use, not 1 % of them
    session = mlpy.Engine(audit=audit).session(name="nightly")
    session.grant("console.write")
    session.exec('import console; console.log("granted");', capture_output=True)
    session.revoke("console.write")
    session.exec('import console; console.log("revoked");', capture_output=True)
    return [(event["event"], event["requirement"]) for event in audit]
# [/audit]


# [debug-log]
def debug_log() -> list[str]:
    """mlpy's log records, at DEBUG, of one execution that fails."""
    stream = io.StringIO()
    handler = configure("DEBUG", "text", stream=stream)
    try:
        mlpy.Engine().execute("total = 1;\nresult = total / 0;", filename="fail.ml")
    finally:  # put the logger back as it was: a host configures logging once, at start
        logger = logging.getLogger("mlpy")
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    return stream.getvalue().splitlines()
# [/debug-log]


def main() -> None:
    for finding in findings():
        print(*finding)
    print(health_report(mlpy.Engine()))
    print(audit_trail())
    for line in debug_log():
        print(line.split(" ", 2)[2] if line[:1].isdigit() else line)


if __name__ == "__main__":
    main()
