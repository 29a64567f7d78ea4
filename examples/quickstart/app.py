"""Price orders with business rules written in ML.

The rules live in ``rules.ml``, next to this file: the application compiles them once and runs
them for every order, passing the order in and reading the priced result out. Run it with
``python app.py``.
"""

from __future__ import annotations

from pathlib import Path

import mlpy

RULES = Path(__file__).with_name("rules.ml")

# [compile]
engine = mlpy.Engine(timeout=1.0)  # no script may run longer than a second
rules = engine.compile(RULES.read_text(encoding="utf-8"), filename="rules.ml",
                       inputs=["order"])
# [/compile]


# [price]
def price(order: dict) -> dict:
    """The priced order, or raise the MLError that stopped the rules."""
    result = engine.execute(rules, {"order": order})
    return result.unwrap()
# [/price]


ORDERS = [
    {"tier": "gold", "items": [{"sku": "A-1", "price": 12.5, "qty": 4}]},
    {"tier": "silver", "items": [{"sku": "B-7", "price": 30, "qty": 1}]},
    {"tier": "basic", "items": [{"sku": "C-3", "price": 9.99, "qty": 0}]},
]


# [main]
def main() -> None:
    for order in ORDERS:
        try:
            priced = price(order)
        except mlpy.MLError as error:
            print(f"rejected: {error.message}")
            print(error)
        else:
            print(f"{order['tier']}: total {priced['total']} "
                  f"(discount {priced['discount']}, shipping {priced['shipping']})")
# [/main]


if __name__ == "__main__":
    main()
