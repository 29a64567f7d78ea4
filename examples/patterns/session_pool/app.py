"""Warm sessions for an asyncio service: a ``SessionPool``.

Every checkout runs ``setup.ml`` (the tax table, helper functions) and then the request's own
short script, which may set a coupon. Building a session and running the setup for every
request would cost more than the checkout itself; sharing one session between requests would
let one customer's coupon reach the next. A pool does neither: it runs the setup once per
session at start-up, lends each session to one request at a time, and rolls it back to the
state after the setup when the request gives it back. ``stats()`` (a ``SessionPoolStats``)
tells how many sessions are lent and how many requests wait. Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import mlpy
from mlpy.aio import SessionPool, SessionPoolStats

SETUP = Path(__file__).with_name("setup.ml").read_text(encoding="utf-8")


# [pool]
def checkout_pool(size: int = 2) -> SessionPool:
    """``size`` sessions, set up once each: as many checkouts run at once, the rest wait."""
    engine = mlpy.Engine(timeout=1.0)  # a checkout is quick; a second means a broken script
    return engine.session_pool(size, setup=SETUP)
# [/pool]


# [checkout]
async def checkout(pool: SessionPool, items: list[dict[str, Any]], script: str = "") -> float:
    """The total of ``items`` after the request's ``script`` (say, ``coupon = 10;``)."""
    async with pool.acquire() as session:  # waits for a free session without blocking the loop
        # A session's calls are synchronous: run them on a thread, not on the event loop.
        if script:  # a script that fails raises here: its error is the request's answer
            (await asyncio.to_thread(session.exec, script)).raise_for_error()
        return await asyncio.to_thread(session.call, "checkout", items)
# [/checkout]


BASKET = [{"kind": "food", "price": 4.0, "qty": 3}, {"kind": "books", "price": 12.5, "qty": 1}]


async def main() -> None:
    pool = checkout_pool()
    try:
        print("with a coupon:", await checkout(pool, BASKET, "coupon = 10;"))
        print("the next customer:", await checkout(pool, BASKET))
        totals = await asyncio.gather(*(checkout(pool, BASKET) for _ in range(5)))
        print("five at once on two sessions:", totals)
        stats: SessionPoolStats = pool.stats()
        print(f"sessions: {stats.size}, lent: {stats.in_use}, waiting: {stats.waiters}")
    finally:
        pool.close()


if __name__ == "__main__":
    asyncio.run(main())
