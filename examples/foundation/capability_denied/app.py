"""What a denial looks like: a script calls something its execution was not granted.

``notify.ml`` sends an e-mail through the host function ``send_email``, which needs the
capability ``email.send``, and logs with ``console.log``, which needs ``console.write``.
The service runs it with the grants of each request. A missing ``email.send`` stops the
script with a ``CapabilityError`` that names the capability and the ML line; the missing
``console.write`` is caught by the script itself, which carries on. Run it with
``python app.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlpy

SCRIPT = Path(__file__).with_name("notify.ml")
OUTBOX: list[tuple[str, str]] = []


# [service]
@mlpy.host_function(capabilities=["email.send"])
def send_email(to: str, subject: str) -> None:
    """Queue an e-mail; the gate checks email.send before this body runs."""
    OUTBOX.append((to, subject))


# No default grants: each request brings its own. The audit log keeps the last 1,000
# capability events (every denial, 1 % of the uses) and sends each to the mlpy.audit logger.
engine = mlpy.Engine(timeout=1.0, audit=mlpy.AuditLog(size=1_000))
program = engine.compile(SCRIPT, filename="notify.ml", inputs=["customer", "send_email"])
CUSTOMER = {"name": "Ada", "email": "ada@example.com"}


def notify(grants: list[str]) -> dict[str, Any]:
    """Run notify.ml under ``grants``; a denial becomes a 403 answer for the caller."""
    # A web middleware would open this scope for the request; the execution, given no
    # capabilities= of its own, runs with the scope's grants.
    with mlpy.capability_scope(grants):
        result = engine.execute(program, {"customer": CUSTOMER, "send_email": send_email},
                                capture_output=True)
    error = result.error
    if isinstance(error, mlpy.CapabilityError):
        return {"status": 403, "code": error.code, "required": error.required,
                "at": f"{error.ml_file}:{error.ml_line}:{error.ml_column}"}
    result.raise_for_error()  # any other failure is a bug in the script: let it surface
    return {"status": 200, "result": result.value, "log": result.stdout}
# [/service]


def main() -> None:
    for warning in engine.check(SCRIPT.read_text(encoding="utf-8"), filename="notify.ml",
                                inputs=["customer", "send_email"]):
        print("check:", warning.code, f"line {warning.line}:", warning.message)
    for grants in ([], ["email.send"], ["email.send", "console.write"]):
        print(grants, "->", notify(grants))
    denied = engine.execute(program, {"customer": CUSTOMER, "send_email": send_email})
    print(denied.error)


if __name__ == "__main__":
    main()
