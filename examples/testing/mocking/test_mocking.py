"""Tests of the screening service with its engines replaced by stand-ins: every path of
``Screening.screen`` -- accepted, reviewed, scoring failed, scoring timed out, review rule
failed -- and what the service passes to the engine. One test runs the real rules, so the
stand-ins cannot drift from what the rules do."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import mlpy
from mlpy.testing import MockAsyncExecutor, MockSession, assert_callback_returns

HERE = Path(__file__).resolve().parent
ORDER = {"total": 80, "country": "FR", "card_country": "FR", "first_order": False}
BIG = {"total": 1500, "country": "FR", "card_country": "US", "first_order": True}


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_testing_mocking_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


def review_rule(answer=None, raises: Exception | None = None) -> MockSession:
    """A rules session whose needs_review is a Python stand-in."""
    rules = MockSession()

    def needs_review(order, score):
        if raises is not None:
            raise raises
        return answer

    rules.define("needs_review", needs_review)
    return rules


def screen(executor, rules, order=ORDER):
    return asyncio.run(example.Screening(executor, rules).screen(order))


# [executor]
def test_a_low_score_that_needs_no_review_is_accepted():
    executor = MockAsyncExecutor(results=[10])
    rules = review_rule(answer=False)
    assert screen(executor, rules) == {"decision": "accept", "score": 10}
    # What the service asked of the engine: the order, a time limit, and no grants.
    request = executor.last_call
    assert request.variables == {"order": ORDER}
    assert request.timeout == 0.5 and request.capabilities == []
    assert rules.calls[0].args == (ORDER, 10)


def test_the_score_can_depend_on_the_request():
    executor = MockAsyncExecutor(
        side_effect=lambda source, **request: 90 if request["variables"]["order"]["total"] > 1000
        else 0)
    rules = review_rule(answer=True)
    assert screen(executor, rules, BIG) == {"decision": "review", "score": 90}
    assert executor.call_count == 1


def test_a_failing_score_sends_the_order_to_review():
    executor = MockAsyncExecutor(results=[mlpy.MLRuntimeError("the rule failed")])
    rules = review_rule(answer=False)
    assert screen(executor, rules) == {"decision": "review",
                                       "reason": "scoring failed: MLR001"}
    assert rules.calls == []  # the review rule is not asked without a score


def test_a_full_queue_sends_the_order_to_review():
    executor = MockAsyncExecutor(results=[mlpy.MLBackpressureError("the queue is full")])
    assert screen(executor, review_rule(answer=False)) == {
        "decision": "review", "reason": "scoring failed: backpressure"}


def test_a_score_that_takes_too_long_sends_the_order_to_review():
    executor = MockAsyncExecutor(delay=60)  # answers after 60 s; the service waits 0.5 s
    assert screen(executor, review_rule(answer=False)) == {"decision": "review",
                                                            "reason": "scoring timed out"}
# [/executor]


# [session]
def test_a_failing_review_rule_sends_the_order_to_review():
    rules = review_rule(raises=ConnectionError("rules store unreachable"))
    result = screen(MockAsyncExecutor(results=[10]), rules)
    assert result == {"decision": "review", "score": 10}
    assert isinstance(rules.calls[0].exception, ConnectionError)


def test_the_stand_ins_agree_with_the_real_rules(ml_engine):
    rules = ml_engine.load(example.RULES)
    assert_callback_returns(rules, "needs_review", (ORDER, 10), False)
    assert_callback_returns(rules, "needs_review", (BIG, 90), True)
    assert_callback_returns(rules, "risk", (BIG,), 90)
# [/session]
