"""Share host data read-only with ``mlpy.frozen``: a rule cannot change what it is given.

The catalog is loaded once and shared by every execution. Passed as it is, a rule that
assigns into it changes the host's dict for every later request; passed ``frozen``, the
assignment is a catchable error in ML and the host's data stays as it was. Run it with
``python app.py``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent

# [catalog]
CATALOG = {"discount": 0.1, "items": {"pen": {"price": 2.0}, "ink": {"price": 5.0}}}
# [/catalog]

engine = mlpy.Engine(timeout=1.0)
rule = engine.compile((HERE / "pricing.ml").read_text(encoding="utf-8"), filename="pricing.ml",
                      inputs=["catalog", "sku", "qty"])


# [shared]
def price_shared(catalog: dict, sku: str, qty: int) -> mlpy.ExecutionResult:
    """Passed as it is: ML gets the host's dict itself, by reference."""
    return engine.execute(rule, {"catalog": catalog, "sku": sku, "qty": qty},
                          capture_output=True)


def price_frozen(catalog: dict, sku: str, qty: int) -> mlpy.ExecutionResult:
    """Passed frozen: ML gets a deep read-only copy; every change is refused."""
    return engine.execute(rule, {"catalog": mlpy.frozen(catalog), "sku": sku, "qty": qty},
                          capture_output=True)
# [/shared]


def main() -> None:
    catalog = copy.deepcopy(CATALOG)
    frozen = price_frozen(catalog, "pen", 10)
    print("frozen:", frozen.stdout.strip(), "| price", frozen.value, "| catalog", catalog)
    shared = price_shared(catalog, "pen", 10)
    print("shared:", repr(shared.stdout), "| price", shared.value, "| catalog", catalog)


if __name__ == "__main__":
    main()
