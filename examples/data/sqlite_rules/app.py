"""Business rules stored in SQLite, run against data read through a host function.

The ``rules`` table holds each rule's ML source and version; ``RuleStore`` compiles a rule
once per version. ML never gets the connection: it calls ``customer_orders``, a host function
gated by the capability ``orders.read`` that runs one parameterised query. The result is
written back by the host, in its own transaction. Run it with ``python app.py``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import mlpy

HERE = Path(__file__).resolve().parent

SCHEMA = """
CREATE TABLE IF NOT EXISTS rules (name TEXT PRIMARY KEY, version INTEGER, source TEXT);
CREATE TABLE IF NOT EXISTS orders (customer_id INTEGER, amount REAL);
CREATE TABLE IF NOT EXISTS tiers (customer_id INTEGER PRIMARY KEY, tier TEXT, spent REAL);
"""


def open_database(path: str | Path) -> sqlite3.Connection:
    """A database with the schema, the loyalty rule and a few orders."""
    db = sqlite3.connect(path, check_same_thread=False)
    db.row_factory = sqlite3.Row
    with db:
        db.executescript(SCHEMA)
        db.execute("INSERT OR REPLACE INTO rules VALUES ('loyalty', 1, ?)",
                   ((HERE / "loyalty.ml").read_text(encoding="utf-8"),))
        db.executemany("INSERT INTO orders VALUES (?, ?)",
                       [(1, 320.0), (1, 250.0), (2, 80.0), (2, 45.5)])
    return db


class RuleStore:
    """Rules read from the database, compiled once per (name, version)."""

    def __init__(self, db: sqlite3.Connection, engine: mlpy.Engine):
        self.db = db
        self.engine = engine
        self._compiled: dict[tuple[str, int], mlpy.Program] = {}
        # [host-function]
        @mlpy.host_function(capabilities=["orders.read"])
        def customer_orders(customer_id: int) -> list[dict[str, Any]]:
            """The orders of one customer, as plain dicts (rows are not ML values)."""
            rows = db.execute("SELECT amount FROM orders WHERE customer_id = ?",
                              (int(customer_id),))
            return [dict(row) for row in rows]
        # [/host-function]
        self.customer_orders = customer_orders

    # [program]
    def program(self, name: str) -> mlpy.Program:
        row = self.db.execute("SELECT version, source FROM rules WHERE name = ?",
                              (name,)).fetchone()
        if row is None:
            raise KeyError(f"no rule named {name!r}")
        key = (name, row["version"])
        if key not in self._compiled:  # a new version is compiled on first use
            self._compiled[key] = self.engine.compile(
                row["source"], filename=f"{name}@v{row['version']}.ml", inputs=["customer_id"])
        return self._compiled[key]
    # [/program]

    # [evaluate]
    def evaluate(self, name: str, customer_id: int) -> dict[str, Any]:
        result = self.engine.execute(
            self.program(name),
            {"customer_id": customer_id, "customer_orders": self.customer_orders},
            capabilities=["orders.read"])
        decision = result.unwrap()
        with self.db:  # the host writes, in one transaction
            self.db.execute("INSERT OR REPLACE INTO tiers VALUES (?, ?, ?)",
                            (customer_id, decision["tier"], decision["spent"]))
        return decision
    # [/evaluate]


def main() -> None:
    store = RuleStore(open_database(":memory:"), mlpy.Engine(timeout=1.0))
    for customer_id in (1, 2, 3):
        print(customer_id, store.evaluate("loyalty", customer_id))
    print([tuple(row) for row in store.db.execute("SELECT * FROM tiers ORDER BY customer_id")])


if __name__ == "__main__":
    main()
