"""Tests of asyncio_dispatcher: results reach the board on the loop's thread, never a worker's."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path

import mlpy
from mlpy.integration.gui import AsyncioDispatcher

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_asyncio_dispatcher_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def priced(lines):
    """The board's rows and callback stats once every line of ``lines`` is priced."""
    async def main():
        board = app.OrderBoard(AsyncioDispatcher())
        for line in lines:
            board.add(*line)
        await asyncio.wait_for(board.updated.wait(), timeout=30)
        return board

    return asyncio.run(main())


def test_results_and_refusals_reach_the_board():
    board = priced([("PEN", 10, 1.5), ("DESK", 1, 240.0), ("LAMP", 0, 35.0)])
    assert board.rows == {"PEN": "15.00", "DESK": "216.00",
                          "LAMP": "refused: the quantity must be positive"}
    stats = board.price.stats
    assert isinstance(stats, mlpy.CallbackStats)
    assert (stats.calls, stats.errors) == (3, 1)


def test_the_rule_runs_on_a_worker_and_the_row_changes_on_the_loop_thread():
    seen = {}

    class Recording(app.OrderBoard):
        def show(self, sku, text):
            seen["show"] = threading.get_ident()
            super().show(sku, text)

    @mlpy.host_function
    def where() -> int:
        seen["ml"] = threading.get_ident()
        return 1

    async def main():
        board = Recording(AsyncioDispatcher())
        board.session.set("where", where)
        board.session.exec("old = price; function price(line) { where(); return old(line); }")
        board.add("PEN", 1, 2.0)
        await asyncio.wait_for(board.updated.wait(), timeout=30)
        return board, threading.get_ident()

    board, loop_thread = asyncio.run(main())
    assert board.rows == {"PEN": "2.00"}
    assert seen["show"] == loop_thread != seen["ml"]


def test_main_prints_the_board_before_and_after(capsys):
    asyncio.run(app.main())
    assert capsys.readouterr().out.splitlines()[-5:] == [
        "--", "DESK   216.00", "LAMP   refused: the quantity must be positive", "PEN    15.00",
        "priced 3 lines, 1 refused"]
