"""Tests of rules_engine: the first rule that decides wins, the rules cannot change the
facts or the host's data, a failing or runaway rule sends the order to review, and a broken
rule file stops the start-up."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_rules_engine_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


app = _load_app()
GOOD = {"id": "c-1", "credit_limit": 1000}


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(app.RULES, tmp_path / "rules")
    return tmp_path / "rules"


def add_rule(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.ml").write_text(f"function check(order, customer) {{\n{body}\n}}\n")


def test_the_first_rule_that_decides_wins():
    rules = app.RuleSet()
    order = {"id": "o", "total": 5000, "ship_to": "YY"}  # blocked and over the limit
    assert rules.decide(order, GOOD) == app.Decision("refuse", "no shipping to YY",
                                                     "10_blocked_country")


def test_no_objection_approves_and_the_history_comes_from_the_host():
    rules = app.RuleSet()
    assert rules.decide({"total": 700, "ship_to": "DE"}, GOOD).decision == "approve"
    new = {"id": "c-2", "credit_limit": 1000}
    assert rules.decide({"total": 700, "ship_to": "DE"}, new).rule == "30_new_customer"


def test_a_rule_cannot_change_the_facts_the_next_rule_sees(folder):
    add_rule(folder, "15_tamper", "    order.total = 0;\n    return null;")
    order = {"id": "o", "total": 5000, "ship_to": "DE"}
    decision = app.RuleSet(folder).decide(order, GOOD)
    assert (decision.decision, decision.rule) == ("review", "15_tamper")
    assert "read-only" in decision.reason
    assert order["total"] == 5000


def test_a_rule_cannot_change_the_hosts_history(folder):
    add_rule(folder, "05_wipe", '    past_orders("c-1").clear();\n    return null;')
    assert app.RuleSet(folder).decide({"total": 1, "ship_to": "FR"}, GOOD).decision == "approve"
    assert app.HISTORY["c-1"] == [{"id": "o-90", "total": 120}]


def test_a_runaway_rule_is_stopped_and_sends_the_order_to_review(folder):
    add_rule(folder, "01_spin", "    while (true) { }")
    decision = app.RuleSet(folder).decide({"total": 1, "ship_to": "FR"}, GOOD)
    assert (decision.decision, decision.rule) == ("review", "01_spin")
    assert decision.reason.startswith("rule failed: ")


def test_a_rule_without_the_grant_cannot_read_the_history(folder):
    assert isinstance(app.past_orders, mlpy.HostFunction)
    rules = app.RuleSet(folder)
    asked = rules.engine.execute("result = requiredCapabilities(f);", {"f": app.past_orders})
    assert asked.value == ["orders.read"]
    session = rules.engine.load(folder / "30_new_customer.ml", {"past_orders": app.past_orders},
                                capabilities=[])
    with pytest.raises(mlpy.CapabilityError) as caught:
        session.call("check", {"total": 700}, {"id": "c-2"})
    assert caught.value.required == "orders.read"


def test_a_python_function_not_marked_as_a_host_function_is_refused(folder):
    session = app.RuleSet(folder).engine.load(folder / "30_new_customer.ml",
                                              {"past_orders": app.past_orders.__wrapped__},
                                              capabilities=["orders.read"])
    with pytest.raises(mlpy.SecurityError):
        session.call("check", {"total": 700}, {"id": "c-2"})


def test_a_broken_rule_file_stops_the_start_up(folder):
    (folder / "40_broken.ml").write_text("function check(order, customer) {\n    return ;;\n")
    with pytest.raises(mlpy.MLSyntaxError) as caught:
        app.RuleSet(folder)
    assert caught.value.ml_file.endswith("40_broken.ml")


def test_main_prints_a_decision_per_order(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines() == [
        "rules: 10_blocked_country, 20_credit_limit, 30_new_customer",
        "o-1: approve (no rule objected)",
        "o-2: refuse (no shipping to XX) [10_blocked_country]",
        "o-3: review (total 1500 is above the credit limit 1000) [20_credit_limit]",
        "o-4: review (large first order) [30_new_customer]"]
