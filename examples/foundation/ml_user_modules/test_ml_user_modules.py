"""Tests of the modules example: the shared ML modules price orders for the application and
for the report the CLI runs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_ml_user_modules_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_discounts_and_shipping_come_from_the_pricing_module():
    items = [{"price": 30, "qty": 2}]
    assert app.price({"tier": "gold", "items": items}) == 54.0
    assert app.price({"tier": "silver", "items": items}) == 57.0
    assert app.price({"tier": "basic", "items": items}) == 60.0
    assert app.price({"tier": "basic", "items": [{"price": 10, "qty": 1}]}) == 14.9


def test_the_modules_state_starts_afresh_in_each_execution():
    result = app.engine.execute("import shop.pricing;\nshop.pricing.total(order);\n"
                                "result = shop.pricing.priced;",
                                {"order": {"tier": "gold", "items": []}})
    assert result.value == 1
    again = app.engine.execute("import shop.pricing;\nresult = shop.pricing.priced;")
    assert again.value == 0


def test_the_report_runs_from_the_command_line_with_the_project_config():
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "-q", "report.ml"], cwd=HERE,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "gold: 49.90 EUR\nbasic: 24.88 EUR\norders priced: 2\n"


def test_main_prices_one_order_per_tier(capsys):
    app.main()
    assert capsys.readouterr().out == "gold 54.0\nsilver 57.0\nbasic 60.0\n"
