"""Handle every way a script can fail, and answer the caller accordingly.

``convert(script, amount, currency)`` compiles and runs a currency-conversion script from
``scripts/``, and turns the outcome into an HTTP-style status and body: every failure is an
``MLError`` subclass, so one ``except`` clause per class decides what the caller is told and
what the operators log. Each script in ``scripts/`` fails a different way. Run it with
``python app.py``.

What the handler lets through is the host's own mistake, not the script's: a value that
cannot cross into ML (``MLMarshalError``) or a bad call of an ML function (``MLCallError``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import mlpy

SCRIPTS = Path(__file__).resolve().parent / "scripts"
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86}
log = logging.getLogger("converter")


@mlpy.host_function
def rate(currency: str) -> float:
    """The exchange rate from EUR; an unknown currency raises KeyError."""
    return RATES[currency]


engine = mlpy.Engine(timeout=0.5)


# [handle]
def describe(diagnostic: mlpy.Diagnostic) -> str:
    """One finding of the compiler, as the script's author is shown it."""
    return f"{diagnostic.line}:{diagnostic.column} {diagnostic.code} {diagnostic.message}"


def convert(script: str, amount: float, currency: str) -> tuple[int, dict[str, Any]]:
    """Run ``scripts/<script>`` and answer (status, body); never raises for a bad script."""
    try:
        program = engine.compile(SCRIPTS / script, filename=script,
                                 inputs=["amount", "currency", "rate"])
        value = engine.execute(program, {"amount": amount, "currency": currency,
                                         "rate": rate}).unwrap()
    except mlpy.MLCompileError as error:  # syntax, unknown names, security: the author's fix
        problems = [describe(diagnostic) for diagnostic in error.diagnostics]
        return 400, {"error": type(error).__name__, "problems": problems}
    except mlpy.MLLimitError as error:    # ran too long or too big: not the caller's fault
        return 503, {"error": type(error).__name__, "code": error.code}
    except mlpy.MLHostError as error:     # our own function failed: log the Python cause
        log.error("host function failed in %s: %r", script, error.__cause__)
        return 502, {"error": "MLHostError", "message": error.message}
    except mlpy.MLRuntimeError as error:  # the script failed, or threw on purpose
        if error.kind == "thrown" and isinstance(error.payload, dict):
            return 422, {"error": error.payload.get("code"), "message": error.message}
        return 500, {"error": error.kind, "at": f"{error.ml_file}:{error.ml_line}"}
    return 200, {"value": value}
# [/handle]


def main() -> None:
    logging.basicConfig(stream=sys.stdout, format="log: %(name)s: %(message)s")
    for script, amount in (("convert.ml", 100), ("typo.ml", 100), ("syntax.ml", 100),
                           ("escape.ml", 100), ("negative.ml", -5),
                           ("unknown_currency.ml", 100), ("spin.ml", 100)):
        status, body = convert(script, amount, "USD")
        print(f"{script}: {status} {body}")


if __name__ == "__main__":
    main()
