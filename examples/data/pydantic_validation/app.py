"""Validate what goes into ML and what comes out of it with pydantic models.

The host parses the request into ``Application`` (bad input never reaches ML), passes
``model_dump()`` -- plain dicts, lists, numbers and strings, which is all ML takes -- and
checks the rule's result against ``Decision`` before trusting it. A rule that returns the
wrong shape fails with a clear error instead of a bad decision. Needs pydantic
(``pip install pydantic``). Run it with ``python app.py``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

import mlpy

HERE = Path(__file__).resolve().parent
engine = mlpy.Engine(timeout=1.0)


# [models]
class Application(BaseModel):
    """What the rule may assume about its input."""

    income: float = Field(ge=0)
    monthly_payment: float = Field(gt=0)
    years_employed: int = Field(ge=0)
    previous_defaults: list[str] = []


class Decision(BaseModel):
    """What the host accepts from the rule."""

    approved: bool
    score: int = Field(ge=0, le=100)
    reasons: list[str]
# [/models]


class RuleOutputError(Exception):
    """The rule returned something that is not a Decision."""


# [decide]
def decide(payload: dict, rule: str = "scoring.ml") -> Decision:
    application = Application.model_validate(payload)  # raises ValidationError on bad input
    # the engine caches the compiled rule: later calls cost a fingerprint lookup
    program = engine.compile((HERE / rule).read_text(encoding="utf-8"), filename=rule,
                             inputs=["application"])
    value = engine.execute(program, {"application": application.model_dump()}).unwrap()
    try:
        return Decision.model_validate(value, strict=True)  # no "yes" for True
    except ValidationError as error:
        raise RuleOutputError(f"{rule} returned an invalid decision: {error}") from error
# [/decide]


def main() -> None:
    good = {"income": 60000, "monthly_payment": 900, "years_employed": 3}
    print(decide(good))
    print(decide({**good, "years_employed": 0, "previous_defaults": ["2019"]}))
    try:
        decide({**good, "monthly_payment": 0})
    except ValidationError as error:
        print("bad input:", error.errors()[0]["loc"], error.errors()[0]["msg"])
    try:
        decide(good, rule="broken_scoring.ml")
    except RuleOutputError as error:
        print(str(error).splitlines()[0])


if __name__ == "__main__":
    main()
