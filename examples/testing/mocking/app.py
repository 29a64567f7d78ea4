"""Fraud screening with ML rules: the service that test_mocking.py tests with stand-ins.

``Screening`` scores an order on an AsyncEngine (the ``risk`` rule, with a 0.5 s limit) and
asks the rule ``needs_review`` of a rules session, called as a callback. It fails safe: an
order whose scoring fails or times out, or whose review rule fails, goes to review; it is
never accepted by accident. The tests replace the AsyncEngine with a MockAsyncExecutor and
the session with a MockSession, to produce the failures that are hard to provoke for real.
Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import mlpy
from mlpy.aio import AsyncEngine

HERE = Path(__file__).resolve().parent
RULES = (HERE / "screening.ml").read_text(encoding="utf-8")
SCORE = RULES + "\nresult = risk(order);"


# [service]
class Screening:
    def __init__(self, executor: AsyncEngine, rules: mlpy.Session):
        self.executor = executor
        # A review rule that fails sends the order to review (default_return=True).
        self.needs_review = mlpy.ml_callback(rules, "needs_review", default_return=True)

    async def screen(self, order: dict[str, Any]) -> dict[str, Any]:
        scored = await self.executor.execute(SCORE, variables={"order": order}, timeout=0.5,
                                             capabilities=[])
        if scored.timed_out:
            return {"decision": "review", "reason": "scoring timed out"}
        if not scored.success:
            return {"decision": "review", "reason": f"scoring failed: {scored.error_info.code}"}
        review = self.needs_review(order, scored.value)
        return {"decision": "review" if review else "accept", "score": scored.value}
# [/service]


def real_screening(engine: mlpy.Engine) -> Screening:
    """The service as production builds it: the real engines and rules."""
    return Screening(AsyncEngine(engine, max_workers=2), engine.load(RULES))


async def main() -> None:
    engine = mlpy.Engine()
    screening = real_screening(engine)
    try:
        for order in ({"total": 80, "country": "FR", "card_country": "FR", "first_order": False},
                      {"total": 1500, "country": "FR", "card_country": "US",
                       "first_order": True}):
            print(await screening.screen(order))
    finally:
        await screening.executor.aclose()
        engine.close()


if __name__ == "__main__":
    asyncio.run(main())
