"""Tests of the async example: concurrent quotes, the async host function, a runaway rule."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy
from mlpy.aio import AsyncEngine

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_async_gather_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def quotes(orders):
    async def main():
        async with AsyncEngine(max_workers=2) as engine:
            return await asyncio.gather(*(app.quote(engine, order) for order in orders),
                                        return_exceptions=True)

    return asyncio.run(main())


def test_orders_are_priced_in_their_currency():
    priced = quotes(app.ORDERS[:3])
    assert priced == [{"order": 1, "currency": "EUR", "total": 50.0},
                      {"order": 2, "currency": "USD", "total": 43.2},
                      {"order": 3, "currency": "GBP", "total": 17.18}]


def test_a_failing_rate_lookup_is_an_ml_error_at_the_call():
    (error,) = quotes([app.ORDERS[3]])
    assert isinstance(error, mlpy.MLHostError)
    assert error.ml_file.endswith("quote.ml") and error.ml_line == 11
    assert "'JPY'" in error.message


def test_many_orders_share_the_workers():
    orders = [{"id": n, "currency": "USD", "items": [{"price": n, "qty": 1}]}
              for n in range(40)]
    assert [q["total"] for q in quotes(orders)] == [round(n * 1.08, 2) for n in range(40)]


def test_gathered_orders_run_at_the_same_time():
    # Each rate lookup waits until four lookups are in flight at once: that happens only if
    # the four executions run side by side, on the engine's four workers.
    async def main():
        arrived, all_here = 0, asyncio.Event()

        @mlpy.host_function
        async def exchange_rate(currency):
            nonlocal arrived
            arrived += 1
            if arrived == 4:
                all_here.set()
            await asyncio.wait_for(all_here.wait(), 60)
            return app.RATES[currency]

        async with AsyncEngine(max_workers=4) as engine:
            results = await asyncio.gather(*(
                engine.execute(app.RULES, variables={"order": order,
                                                     "exchange_rate": exchange_rate})
                for order in app.ORDERS[:3] + app.ORDERS[:1]))
        return results, {result.worker for result in results}

    results, workers = asyncio.run(main())
    assert all(result.success for result in results)
    assert len(workers) == 4


def test_the_app_runs():
    done = subprocess.run([sys.executable, str(HERE / "app.py")], capture_output=True,
                          text=True, timeout=120, check=True)
    lines = done.stdout.splitlines()
    assert lines[:5] == ["order 1: 50.0 EUR", "order 2: 43.2 USD", "order 3: 17.18 GBP",
                         "order 4 rejected: exchange_rate() failed: 'JPY'",
                         "runaway rule stopped: True"]
    assert "timeouts=1" in lines[5]


@pytest.mark.parametrize("currency", ["EUR", "GBP"])
def test_the_rules_run_with_a_plain_host_function_too(currency):
    rate = mlpy.host_function(lambda c: app.RATES[c], name="exchange_rate")
    result = mlpy.execute(app.RULES, {"order": {"id": 9, "currency": currency,
                                                "items": []}, "exchange_rate": rate})
    assert result.value == {"order": 9, "currency": currency, "total": 0}
