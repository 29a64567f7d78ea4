"""Tests of the quickstart example: the rules price real orders, and the CLI runs hello.ml."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_quickstart_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_gold_customers_get_ten_percent_and_free_shipping():
    order = {"tier": "gold", "items": [{"sku": "A-1", "price": 12.5, "qty": 4}]}
    assert app.price(order) == {"subtotal": 50.0, "discount": 5.0, "shipping": 0, "total": 45.0}


def test_small_silver_orders_pay_shipping():
    order = {"tier": "silver", "items": [{"sku": "B-7", "price": 30, "qty": 1}]}
    assert app.price(order) == {"subtotal": 30, "discount": 0, "shipping": 4.95, "total": 34.95}


def test_a_bad_quantity_is_an_ml_error_with_the_thrown_object():
    order = {"tier": "basic", "items": [{"sku": "C-3", "price": 9.99, "qty": 0}]}
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        app.price(order)
    error = caught.value
    assert error.kind == "thrown"
    assert error.payload == {"message": "quantity must be positive", "sku": "C-3"}
    assert (error.ml_file, error.ml_line) == ("rules.ml", 9)


def test_main_prints_the_priced_orders(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "gold: total 45.0 (discount 5.0, shipping 0)"
    assert lines[1] == "silver: total 34.95 (discount 0, shipping 4.95)"
    assert lines[2] == "rejected: quantity must be positive"
    assert lines[3] == "rules.ml:9:13: error: quantity must be positive [MLR001]"
    assert lines[6:] == ["hint: uncaught throw", "calls: <program> (line 29) -> subtotal (line 9)"]


def test_the_rules_declare_their_input():
    assert app.rules.inputs == ("order",)
    assert app.rules.functions == ("subtotal", "discount_rate", "shipping")


def test_hello_runs_with_the_cli():
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "hello.ml"], cwd=HERE,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, Ada!\nHello, Grace!\n"


def test_average_takes_its_input_from_the_cli():
    command = [sys.executable, "-m", "mlpy", "run", "average.ml"]
    done = subprocess.run([*command, "--var", "numbers=[4, 8, 15, 16, 23, 42]"], cwd=HERE,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "average: 18.0\n")
    done = subprocess.run([*command, "--var", "numbers=[]"], cwd=HERE, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("average.ml:6:19: error: division by zero")
