"""Tests of callback_sort_key: ML functions as the key of sorted() and the test of filter()."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_callback_sort_key_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()
KETTLE, TOASTER, BLENDER, MIXER, GRILL = app.CATALOGUE


def test_the_key_is_the_ml_score():
    assert app.relevance(BLENDER) == 88 - 9 + 15
    assert app.relevance(TOASTER) < 0  # sold out


def test_products_are_ranked_by_the_ml_rule():
    assert app.ranked([KETTLE, TOASTER, BLENDER, GRILL]) == [
        "blender", "kettle", "grill", "toaster"]


def test_a_product_the_rule_cannot_score_goes_last_and_is_logged(caplog):
    errors_before = app.relevance.stats.errors
    with caplog.at_level(logging.WARNING, logger="mlpy.callbacks"):
        assert app.ranked([MIXER, GRILL, KETTLE]) == ["kettle", "grill", "mixer"]
    assert app.relevance.stats.errors == errors_before + 1
    [warning] = caplog.records
    assert warning.execution_id  # the swallowed error names its execution


def test_filter_keeps_what_is_in_stock():
    assert app.available(app.CATALOGUE) == ["kettle", "blender", "mixer", "grill"]
    assert app.in_stock({"name": "no stock field"}) is False  # the rule failed: the default


def test_a_rule_that_never_ends_meets_the_time_limit():
    rules = mlpy.Engine(timeout=0.05).load("function relevance(p) { while (true) {} }")
    stuck = mlpy.ml_callback(rules, "relevance", default_return=float("-inf"))
    assert sorted([1, 2], key=stuck) == [1, 2]  # both scored -inf, within the limit
    assert stuck.stats.errors == 2


def test_main_prints_the_ranking(capsys):
    app.main()
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "ranked: ['blender', 'kettle', 'grill', 'toaster', 'mixer']",
        "available: ['kettle', 'blender', 'mixer', 'grill']",
        "best: blender",
    ]
    assert out[3].startswith("relevance: ")
