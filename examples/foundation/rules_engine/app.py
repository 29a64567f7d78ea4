"""A rules engine: business rules as ML files that the application runs against each order.

Every file in ``rules/`` is one rule with a ``check(order, customer)`` function that returns
a decision or ``null``. The application loads each file once into a session of its own
(compiled once; a broken rule stops the start-up, not a request), then asks the rules in
file-name order: the first decision wins, and no decision means "approve". The rules see
the order and the customer frozen, so one rule cannot change what the next one sees, and
they reach the order history only through a host function that needs ``orders.read``. A
rule that fails makes the order go to review, with the failure in the reason. Run it with
``python app.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlpy

RULES = Path(__file__).resolve().parent / "rules"
HISTORY = {"c-1": [{"id": "o-90", "total": 120}], "c-2": []}  # stands in for a database


# [host-function]
@mlpy.host_function(capabilities=["orders.read"])
def past_orders(customer_id: str) -> list[dict[str, Any]]:
    """The customer's earlier orders; the rules get a copy, never the host's list."""
    return [dict(order) for order in HISTORY.get(customer_id, [])]
# [/host-function]


@dataclass(frozen=True)
class Decision:
    decision: str  # "approve", "review" or "refuse"
    reason: str
    rule: str | None = None


# [rules]
class RuleSet:
    """The rules of a folder, each loaded once into its own session."""

    def __init__(self, folder: Path = RULES, engine: mlpy.Engine | None = None):
        self.engine = engine or mlpy.Engine(timeout=0.2, max_steps=100_000)
        self.rules: list[tuple[str, mlpy.MLFunction]] = []
        for path in sorted(folder.glob("*.ml")):
            session = self.engine.load(path, {"past_orders": past_orders},
                                       capabilities=["orders.read"])
            self.rules.append((path.stem, session.function("check")))

    def decide(self, order: dict[str, Any], customer: dict[str, Any]) -> Decision:
        facts = (mlpy.frozen(order), mlpy.frozen(customer))  # read-only for every rule
        for name, check in self.rules:
            try:
                found = check(*facts)
            except mlpy.MLError as error:  # fail safe: a broken rule sends the order to review
                return Decision("review", f"rule failed: {error.message}", name)
            if found is not None:
                return Decision(found["decision"], found["reason"], name)
        return Decision("approve", "no rule objected")
# [/rules]


ORDERS = [
    ({"id": "o-1", "total": 80, "ship_to": "FR"}, {"id": "c-1", "credit_limit": 1000}),
    ({"id": "o-2", "total": 80, "ship_to": "XX"}, {"id": "c-1", "credit_limit": 1000}),
    ({"id": "o-3", "total": 1500, "ship_to": "DE"}, {"id": "c-1", "credit_limit": 1000}),
    ({"id": "o-4", "total": 700, "ship_to": "DE"}, {"id": "c-2", "credit_limit": 1000}),
]


def main() -> None:
    rules = RuleSet()
    print("rules:", ", ".join(name for name, _ in rules.rules))
    for order, customer in ORDERS:
        decision = rules.decide(order, customer)
        print(f"{order['id']}: {decision.decision} ({decision.reason})"
              + (f" [{decision.rule}]" if decision.rule else ""))


if __name__ == "__main__":
    main()
