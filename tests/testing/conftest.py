"""Running a user's test file against the mlpy pytest plugin, as a user's suite would.

``user_suite(source)`` writes ``source`` as ``test_user.py`` in a pytester directory, runs
pytest on it in this process with the plugin loaded, and returns a :class:`Suite`: the
pytester ``RunResult`` plus, per test name, its outcome and failure text. The test files of
this directory name their user tests ``test_right_*`` (must pass) and ``test_wrong_*`` (must
fail); :meth:`Suite.check` asserts exactly that, so every helper is shown both to pass on the
right behaviour and to fail on the wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pytest

# Loaded before any user suite runs, so that pytester's module snapshot keeps these objects
# (a user suite importing them first would have them dropped afterwards).
import mlpy.aio  # noqa: F401
import mlpy.callbacks  # noqa: F401
import mlpy.sandbox  # noqa: F401
import mlpy.testing  # noqa: F401


def plugin_args() -> tuple[str, ...]:
    """``-p mlpy.testing.plugin`` unless the ``pytest11`` entry point already loads it
    (loading it twice under two names is an error)."""
    installed = any(ep.value == "mlpy.testing.plugin" for ep in entry_points(group="pytest11"))
    return () if installed else ("-p", "mlpy.testing.plugin")


@dataclass
class Suite:
    run: Any  # pytester.RunResult
    outcomes: dict[str, tuple[str, str]]  # test name -> (outcome, failure text)

    def text(self, name: str) -> str:
        return self.outcomes[name][1]

    def check(self) -> "Suite":
        """Every ``test_right_*`` passed and every ``test_wrong_*`` failed."""
        assert self.outcomes, self.run.stdout.str()
        for name, (outcome, text) in self.outcomes.items():
            if name.startswith("test_right"):
                assert outcome == "passed", f"{name} should pass:\n{text}"
            elif name.startswith("test_wrong"):
                assert outcome == "failed", f"{name} should fail, it {outcome}"
        return self


@pytest.fixture
def user_suite(pytester: pytest.Pytester):
    def run(source: str, *args: str) -> Suite:
        pytester.makepyfile(test_user=source)
        arguments = (*plugin_args(), "-p", "no:cacheprovider", *args)
        result = pytester.runpytest_inprocess(*arguments)
        outcomes: dict[str, tuple[str, str]] = {}
        for report in result.reprec.getreports("pytest_runtest_logreport"):
            name = report.nodeid.split("::")[-1]
            previous = outcomes.get(name)
            if previous is not None and previous[0] == "failed":
                continue  # a failure in setup, call or teardown is the test's outcome
            if report.failed:
                outcomes[name] = ("failed", str(report.longrepr))
            elif report.when == "call" or previous is None:
                outcomes[name] = (report.outcome, "")
        return Suite(result, outcomes)

    return run
