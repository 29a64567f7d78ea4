"""Deliver ML results to an asyncio program's state: a terminal order board.

An asyncio program -- a prompt_toolkit or Textual app, a terminal dashboard, a bot -- keeps its
state on the event loop's thread, as a Tk or Qt program keeps its widgets on the GUI thread.
The ML pricing rule (``pricing.ml``) runs as a callback on a worker thread
(``MLCallbackWrapper.submit``), and each result comes back to the loop through an
``AsyncioDispatcher``: ``on_result`` and ``on_error`` run on the loop's thread, so the board
needs no lock. The board knows only the ``Dispatcher`` protocol, so the same class works
under a ``TkDispatcher`` or a ``QtDispatcher``. Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import mlpy
from mlpy.integration.gui import AsyncioDispatcher, Dispatcher

engine = mlpy.Engine(timeout=1.0)  # pricing one line takes microseconds; a second is a bug


# [board]
class OrderBoard:
    """What the screen shows: one row per order line. Touched only on the UI thread."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.session = engine.load(Path(__file__).with_name("pricing.ml"))
        self.price: mlpy.MLCallbackWrapper = mlpy.ml_callback(self.session, "price")
        self.rows: dict[str, str] = {}
        self.ui_thread = threading.get_ident()
        self.updated = asyncio.Event()  # only for the demo: lets main() await the rows

    def add(self, sku: str, qty: int, unit_price: float) -> None:
        """Show the line as pending and price it off the UI thread."""
        self.rows[sku] = "pricing..."
        self.price.submit({"qty": qty, "unit_price": unit_price}, dispatcher=self.dispatcher,
                          on_result=lambda total: self.show(sku, f"{total:.2f}"),
                          on_error=lambda error: self.show(sku, f"refused: {error.message}"))

    def show(self, sku: str, text: str) -> None:
        """Runs on the UI thread, posted by the dispatcher."""
        assert threading.get_ident() == self.ui_thread, "a row changed off the UI thread"
        self.rows[sku] = text
        if "pricing..." not in self.rows.values():
            self.updated.set()

    def render(self) -> str:
        return "\n".join(f"{sku:<6} {text}" for sku, text in sorted(self.rows.items()))
# [/board]


# [main]
async def main() -> None:
    board = OrderBoard(AsyncioDispatcher())  # created in the loop: posts run on it
    board.add("PEN", 10, 1.5)
    board.add("DESK", 1, 240.0)
    board.add("LAMP", 0, 35.0)
    print(board.render())
    await asyncio.wait_for(board.updated.wait(), timeout=30)
    print("--")
    print(board.render())
    stats: mlpy.CallbackStats = board.price.stats
    print(f"priced {stats.calls} lines, {stats.errors} refused")
# [/main]


if __name__ == "__main__":
    asyncio.run(main())
