"""A pricing service whose rules are ML (pricing.ml): the application test_pricing.py tests.

The service loads the rules into a session granted to read its rates file only, and quotes
orders through an ML callback; a failing rule gives an "unavailable" quote, never an error
for the caller. Run it with ``python app.py``; test it with ``pytest`` (test_pricing.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlpy

HERE = Path(__file__).resolve().parent
RULES = HERE / "pricing.ml"
RATES = HERE / "data" / "rates.json"


# [service]
class PricingService:
    def __init__(self, session: mlpy.Session | None = None, *,
                 engine: mlpy.Engine | None = None, rates: Path = RATES):
        if session is None:
            engine = engine or mlpy.Engine(timeout=1.0)
            session = engine.load(RULES, capabilities=[f"file.read:{rates.parent}/**"])
        self.session = session
        self.rates = session.call("load_rates", str(rates))
        self._quote = mlpy.ml_callback(session, "quote", default_return=None)

    def quote(self, order: dict[str, Any]) -> dict[str, Any]:
        total = self._quote(order, self.rates)
        if total is None:
            return {"status": "unavailable"}
        return {"status": "ok", "total": round(total, 2)}
# [/service]


if __name__ == "__main__":
    order = {"tier": "gold", "items": [{"price": 10, "qty": 3}, {"price": 2.5, "qty": 2}]}
    print(PricingService().quote(order))
