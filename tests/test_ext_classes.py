"""``ml_class`` and ``ml_property``: instances expose only what they declare, and their
guarded methods go through the gate however they are reached."""

from __future__ import annotations

import pytest

import mlpy
from mlpy import CapabilityError, SecurityError
from mlpy.ext import ModuleDefinitionError, get_class_metadata, ml_class, ml_function, ml_property


@ml_class("Counter", "A counter")
class Counter:
    def __init__(self):
        self.n = 0
        self._secret = 42

    @ml_function("Add one")
    def inc(self):
        self.n += 1
        return self.n

    @ml_function("Report the count", capabilities=["console.write"])
    def report(self):
        return f"count {self.n}"

    @ml_function("Reset to zero", name="resetAll")
    def reset_all(self):
        self.n = 0
        return True

    @ml_property("The count")
    def count(self):
        return self.n

    def hidden(self):
        return "not for ML"


@mlpy.host_function
def make():
    return Counter()


def run(source, **options):
    return mlpy.Engine(**options).execute(source, {"make": make})


def test_declared_members_work_and_typeof_names_the_class():
    result = run("c = make(); c.inc(); c.inc(); result = [c.count, typeof(c), str(c)];")
    assert result.value == [2, "Counter", "<object Counter>"]


@pytest.mark.parametrize("program, error", [
    ("c = make(); c.hidden();", mlpy.MLRuntimeError),
    ("c = make(); x = c.n;", mlpy.MLRuntimeError),
    ("c = make(); x = c._secret;", SecurityError),
    ("c = make(); c.count = 5;", mlpy.MLRuntimeError),
])
def test_undeclared_members_are_unreachable(program, error):
    assert isinstance(run(program).error, error)


@pytest.mark.parametrize("program", [
    "c = make(); result = c.report();",
    "c = make(); f = c.report; result = f();",
    "c = make(); o = {f: c.report}; result = o.f();",
])
def test_guarded_methods_are_checked_on_every_path(program):
    assert isinstance(run(program).error, CapabilityError)
    assert run(program, capabilities=["console.write"]).value == "count 0"


def test_a_method_exposed_under_another_name_is_callable_by_that_name():
    result = run("c = make(); c.inc(); r = c.resetAll(); f = c.resetAll; result = [r, f(), c.count];")
    assert result.value == [True, True, 0]
    assert isinstance(run("c = make(); c.reset_all();").error, mlpy.MLRuntimeError)


def test_metadata_and_definition_errors():
    meta = get_class_metadata(Counter)
    assert meta.to_dict() == {"name": "Counter", "description": "A counter",
                              "capabilities": [], "methods": ["inc", "report", "resetAll"],
                              "properties": ["count"]}
    with pytest.raises(ModuleDefinitionError):
        ml_class("not a name")
