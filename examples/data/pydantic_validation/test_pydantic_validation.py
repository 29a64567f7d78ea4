"""Tests of the pydantic example: models check what goes into ML and what comes back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("pydantic")

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_pydantic_validation_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()
GOOD = {"income": 60000, "monthly_payment": 900, "years_employed": 3}


def test_a_good_application_is_approved_with_a_validated_decision():
    decision = app.decide(GOOD)
    assert isinstance(decision, app.Decision)
    assert (decision.approved, decision.score, decision.reasons) == (True, 100, [])


def test_a_weak_application_is_refused_with_a_reason():
    decision = app.decide({**GOOD, "years_employed": 0, "previous_defaults": ["2019"]})
    assert (decision.approved, decision.score) == (False, 50)
    assert decision.reasons == ["score 50 is below 70"]


def test_bad_input_never_reaches_ml():
    with pytest.raises(app.ValidationError) as caught:
        app.decide({**GOOD, "monthly_payment": 0})
    assert caught.value.errors()[0]["loc"] == ("monthly_payment",)


def test_a_rule_returning_the_wrong_shape_is_refused():
    with pytest.raises(app.RuleOutputError) as caught:
        app.decide(GOOD, rule="broken_scoring.ml")
    fields = {error["loc"][0] for error in caught.value.__cause__.errors()}
    assert fields == {"approved", "score", "reasons"}


def test_main_prints_each_case(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "approved=True score=100 reasons=[]"
    assert lines[2] == "bad input: ('monthly_payment',) Input should be greater than 0"
    assert lines[3].startswith("broken_scoring.ml returned an invalid decision")
