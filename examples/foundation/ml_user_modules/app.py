"""Price orders with ML modules shared by several programs.

The pricing rules live in ``lib/shop/*.ml``, a tree of ML modules that ``report.ml`` (run with
``mlpy run report.ml``) and this application both import. The engine is told where the
modules are; the compiled modules stay in memory and are compiled again only when a file
changes. Run it with ``python app.py``.
"""

from __future__ import annotations

from pathlib import Path

import mlpy

LIB = Path(__file__).with_name("lib")

# [engine]
engine = mlpy.Engine(ml_module_paths=[LIB], timeout=1.0)
rules = engine.compile("import shop.pricing;\nresult = shop.pricing.total(order);",
                       filename="price.ml", inputs=["order"])
# [/engine]


def price(order: dict) -> float:
    """The order's total, or raise the MLError that stopped the rules."""
    return engine.execute(rules, {"order": order}).unwrap()


def main() -> None:
    for tier in ("gold", "silver", "basic"):
        print(tier, price({"tier": tier, "items": [{"price": 30, "qty": 2}]}))


if __name__ == "__main__":
    main()
