"""How values cross between Python and ML, both ways, and how a host type of its own does.

``types.ml`` prints the ML type of every kind of Python value it is given and returns one
value of every ML type; ``invoice.ml`` works with a ``Money`` class that declares the members
ML may use (``@ml_class``) and how it is written as JSON (``__ml_to_python__``). A dict with
a key that is not a string is refused with ``MLMarshalError``. Run it with ``python app.py``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import mlpy
from mlpy.ext import ml_class, ml_function, ml_property

HERE = Path(__file__).resolve().parent
engine = mlpy.Engine(timeout=1.0)


# [sample]
SAMPLE = {
    "whole": 42, "real": 2.5, "text": "Ada", "flag": True, "nothing": None,
    "raw": b"\x00\xff", "items": [1, 2], "pair": (1, 2), "tags": {"vip"}, "record": {"a": 1},
    "price": Decimal("1.10"),  # any other object: an opaque handle
}
# [/sample]


def inbound() -> str:
    """What ML sees for each Python type (the lines types.ml prints)."""
    result = engine.execute((HERE / "types.ml").read_text(encoding="utf-8"), SAMPLE,
                            filename="types.ml", capture_output=True)
    result.raise_for_error()
    return result.stdout


def outbound() -> dict[str, Any]:
    """The Python value of each ML type, as ``result.value`` gives it."""
    result = engine.execute((HERE / "types.ml").read_text(encoding="utf-8"), SAMPLE,
                            filename="types.ml", capture_output=True)
    return result.unwrap()


# [money]
@ml_class("Money")
class Money:
    """An amount in cents. ML reads only what is declared: currency, cents, times, plus."""

    def __init__(self, cents: int, currency: str):
        self._cents = cents
        self._currency = currency

    @ml_property("The ISO currency code")
    def currency(self) -> str:
        return self._currency

    @ml_property("The amount in cents")
    def cents(self) -> int:
        return self._cents

    @ml_function("This amount times a whole number")
    def times(self, factor: int) -> Money:
        return Money(self._cents * int(factor), self._currency)

    @ml_function("This amount plus some cents")
    def plus(self, cents: int) -> Money:
        return Money(self._cents + int(cents), self._currency)

    def __ml_to_python__(self) -> dict[str, Any]:
        """The JSON form of a Money in ExecutionResult.to_dict() and `mlpy run --json`."""
        return {"amount": str(Decimal(self._cents) / 100), "currency": self._currency}
# [/money]


# [invoice]
def invoice(price: Money, quantity: int, shipping_cents: int) -> mlpy.ExecutionResult:
    variables = {"unit_price": price, "quantity": quantity, "shipping_cents": shipping_cents}
    return engine.execute((HERE / "invoice.ml").read_text(encoding="utf-8"), variables,
                          filename="invoice.ml")
# [/invoice]


# [keys]
def by_month(totals: dict[int, float]) -> dict[str, float]:
    """Objects passed to ML have string keys: convert the keys before the call."""
    return {str(month): total for month, total in totals.items()}
# [/keys]


def main() -> None:
    print(inbound(), end="")
    values = outbound()
    print({name: type(value).__name__ for name, value in values.items()})
    print(values["double"](21))
    result = invoice(Money(1250, "EUR"), 3, 495)
    print(result.value["with_shipping"].cents, result.value["shown"])
    print(json.dumps(result.to_dict()["value"]))
    for refused in ({"totals": {1: 10.0}}, {"order": {"tags": {"vip"}}}):
        error = engine.execute("n = 1;", refused).error
        print(type(error).__name__, error.path, "-", error.message.split(";")[0])
    print(engine.execute("result = keys(totals);", {"totals": by_month({1: 10.0})}).value)


if __name__ == "__main__":
    main()
