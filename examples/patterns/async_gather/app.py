"""Quote many orders concurrently from asyncio, with pricing rules written in ML.

The rules live in ``quote.ml``. Each order is priced by one execution on an
:class:`~mlpy.aio.AsyncEngine`; the exchange rate comes from an ``async def`` host function
(standing for a database or HTTP call), which runs on the application's event loop while the
ML code waits for it. Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import mlpy
from mlpy.aio import AsyncEngine

# Compiled once, when the application starts; every execution reuses the program.
RULES = mlpy.compile(Path(__file__).with_name("quote.ml"), inputs=["order", "exchange_rate"])
RATES = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86}


# [host]
@mlpy.host_function
async def exchange_rate(currency: str) -> float:
    """The rate from euros to ``currency``, fetched without blocking the event loop."""
    await asyncio.sleep(0.01)  # stands for an awaited database or HTTP call
    return RATES[currency]
# [/host]


# [quote]
async def quote(engine: AsyncEngine, order: dict) -> dict:
    """The priced order, or raise the MLError that stopped the rules."""
    result = await engine.execute(
        RULES, variables={"order": order, "exchange_rate": exchange_rate})
    return result.unwrap()
# [/quote]


ORDERS = [
    {"id": 1, "currency": "EUR", "items": [{"price": 12.5, "qty": 4}]},
    {"id": 2, "currency": "USD", "items": [{"price": 30, "qty": 1}, {"price": 2, "qty": 5}]},
    {"id": 3, "currency": "GBP", "items": [{"price": 9.99, "qty": 2}]},
    {"id": 4, "currency": "JPY", "items": [{"price": 1, "qty": 1}]},
]


# [main]
async def main() -> None:
    async with AsyncEngine(max_workers=4, default_timeout=2.0) as engine:
        outcomes = await asyncio.gather(*(quote(engine, order) for order in ORDERS),
                                        return_exceptions=True)
        for order, outcome in zip(ORDERS, outcomes):
            if isinstance(outcome, mlpy.MLError):
                print(f"order {order['id']} rejected: {outcome.message}")
            else:
                print(f"order {outcome['order']}: {outcome['total']} {outcome['currency']}")
        runaway = await engine.execute("while (true) {}", timeout=0.2)
        print("runaway rule stopped:", runaway.timed_out)
        print(engine.stats())
# [/main]


if __name__ == "__main__":
    asyncio.run(main())
