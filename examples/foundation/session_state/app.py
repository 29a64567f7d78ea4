"""Keep state between calls: one session per shopper, holding that shopper's cart.

``cart.ml`` defines a ``cart`` and the functions that change it. A ``Session`` runs it once
and keeps its top-level variables, so every later call -- ``session.call``, an
``MLFunction`` handle, ``session.eval`` -- sees what the previous calls left. Each shopper
gets a session of their own: no state is shared. Run it with ``python app.py``.
"""

from __future__ import annotations

from pathlib import Path

import mlpy

CART = Path(__file__).with_name("cart.ml")
PRICES = {"tea": 3.5, "cake": 2.25, "jam": 4.0}

engine = mlpy.Engine(timeout=0.5)


# [session]
class Shopper:
    """One shopper's cart: a session that ran cart.ml, and handles on its functions."""

    def __init__(self, prices: dict[str, float]):
        # frozen: the rules can read the price list but never change the host's copy
        self.session: mlpy.Session = engine.load(CART, {"prices": mlpy.frozen(prices)})
        self.add = self.session.function("add")  # an MLFunction: a plain Python callable

    def total(self) -> float:
        return self.session.call("total")

    def cart(self) -> dict[str, int]:
        return self.session.snapshot()["cart"]
# [/session]


def main() -> None:
    ada, grace = Shopper(PRICES), Shopper(PRICES)
    ada.add("tea", 2)
    ada.add(sku="cake", qty=1)
    grace.add("jam", 3)
    print("ada:", ada.cart(), ada.total())
    print("grace:", grace.cart(), grace.total())
    ada.session.call("remove", "tea")
    print("ada after remove:", ada.cart(), ada.session.eval("total() * 2"))
    try:
        ada.add("caviar", 1)
    except mlpy.MLRuntimeError as error:
        print("refused:", error.message, error.payload["code"])
    ada.session.reset()
    print("after reset:", ada.session.names())


if __name__ == "__main__":
    main()
