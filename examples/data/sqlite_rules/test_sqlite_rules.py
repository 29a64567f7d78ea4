"""Tests of the SQLite example: rules from the database, data through a gated host function."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_sqlite_rules_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture
def store(tmp_path):
    db = app.open_database(tmp_path / "rules.db")
    yield app.RuleStore(db, mlpy.Engine(timeout=5.0))
    db.close()


def test_tiers_are_computed_and_written_back(store):
    assert store.evaluate("loyalty", 1) == {"tier": "gold", "spent": 570.0, "orders": 2}
    assert store.evaluate("loyalty", 3) == {"tier": "basic", "spent": 0, "orders": 0}
    rows = store.db.execute("SELECT customer_id, tier FROM tiers ORDER BY customer_id")
    assert [tuple(row) for row in rows] == [(1, "gold"), (3, "basic")]


def test_a_new_version_in_the_database_is_compiled_and_used(store):
    first = store.program("loyalty")
    assert store.program("loyalty") is first  # compiled once per version
    with store.db:
        store.db.execute("UPDATE rules SET version = 2, source = ? WHERE name = 'loyalty'",
                         ('result = {tier: "gold", spent: 0, orders: 0};',))
    assert store.program("loyalty") is not first
    assert store.evaluate("loyalty", 2)["tier"] == "gold"


def test_an_error_names_the_rule_and_its_version(store):
    with store.db:
        store.db.execute("UPDATE rules SET version = 3, source = ? WHERE name = 'loyalty'",
                         ("orders = customer_orders(customer_id);\nresult = orders[0].amount;",))
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        store.evaluate("loyalty", 3)
    assert (caught.value.ml_file, caught.value.ml_line) == ("loyalty@v3.ml", 2)


def test_without_the_grant_the_rule_cannot_read_orders(store):
    result = store.engine.execute(store.program("loyalty"),
                                  {"customer_id": 1, "customer_orders": store.customer_orders})
    assert isinstance(result.error, mlpy.CapabilityError)
    assert result.error.required == "orders.read"


def test_ml_input_never_becomes_sql(store):
    hostile = "1 OR 1 = 1"
    variables = {"customer_id": hostile, "customer_orders": store.customer_orders}
    result = store.engine.execute("result = customer_orders(customer_id);", variables,
                                  capabilities=["orders.read"])
    assert isinstance(result.error, mlpy.MLHostError)  # int() refused it: no query ran


def test_main_prints_three_customers(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines()[-1] == (
        "[(1, 'gold', 570.0), (2, 'silver', 125.5), (3, 'basic', 0.0)]")
