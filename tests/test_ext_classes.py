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


# ----------------------------------------------------------------------------- inheritance


class Shape:
    """A plain base (no ``ml_class``) whose members carry the decorators."""

    def __init__(self, side=2):
        self.side = side

    @ml_function("The area")
    def area(self):
        return self.side * self.side

    @ml_function("The name")
    def name(self):
        return "shape"

    @ml_function("Describe it", name="describe")
    def describe_shape(self):
        return f"a {self.name()}"

    @ml_function("Scale it")
    def scale(self, k):
        return self.side * k

    @ml_function("Secret, with capabilities", capabilities=["console.write"])
    def secret(self):
        return "guarded"

    @ml_property("The side")
    def size(self):
        return self.side

    @ml_property("The perimeter")
    def perimeter(self):
        return 4 * self.side

    def _private(self):
        return "private"

    def helper(self):
        return "undecorated"


@ml_class("Square")
class Square(Shape):
    @ml_function("The name, overridden")
    def name(self):  # same ML name, decorated again: the subclass's wins
        return "square"

    @ml_function("Double, exposed as the base's ML name", name="area")
    def doubled_area(self):  # a different Python name for an ML name the base declares
        return 2 * self.side * self.side

    def scale(self, k):  # overridden without the decorator: `scale` is hidden
        return -1

    def describe(self):  # defines the base's ML-name alias: `describe` is hidden
        return "undecorated"

    perimeter = property(lambda self: -1)  # a plain property hides `perimeter`


@ml_class("Base")
class Base:
    @ml_function("Greet", capabilities=["console.write"])
    def greet(self):
        return "hello"

    @ml_function("Answer")
    def answer(self):
        return 42


@ml_class("Derived")
class Derived(Base):
    @ml_function("Own")
    def own(self):
        return "own"


@mlpy.host_function
def make_square():
    return Square()


@mlpy.host_function
def make_derived():
    return Derived()


def run_with(source, **options):
    values = {"square": make_square, "derived": make_derived}
    return mlpy.Engine(**options).execute(source, values)


def test_inherited_members_are_reachable():
    result = run_with("d = derived(); result = [d.answer(), d.own(), typeof(d), methods(d)];")
    assert result.value == [42, "own", "Derived", ["answer", "greet", "own"]]
    result = run_with("s = square(); result = [s.size, s.name(), typeof(s)];")
    assert result.value == [2, "square", "Square"]


def test_a_subclass_declaration_overrides_by_ml_name():
    result = run_with("s = square(); f = s.area; result = [s.area(), f(), s.name()];")
    assert result.value == [8, 8, "square"]
    meta = get_class_metadata(Square)
    assert meta.methods["area"].py_name == "doubled_area"
    assert meta.methods["name"].description == "The name, overridden"
    # declaring an ML name never changes what Python finds under either name
    assert Shape().area() == 4 and Square().area() == 4 and Square().doubled_area() == 8
    assert Square().describe_shape() == "a square" and Square().describe() == "undecorated"
    assert isinstance(run_with("s = square(); s.doubled_area();").error, mlpy.MLRuntimeError)


@pytest.mark.parametrize("member", ["s.scale(2)", "s.describe()", "s.perimeter",
                                    "s.helper()", "s.describe_shape()"])
def test_an_undecorated_override_hides_the_ml_name(member):
    assert isinstance(run_with(f"s = square(); x = {member};").error, mlpy.MLRuntimeError)
    assert get_class_metadata(Square).to_dict()["methods"] == ["area", "name", "secret"]
    assert get_class_metadata(Square).to_dict()["properties"] == ["size"]


@pytest.mark.parametrize("member", ["s._private()", "s._private", "s._ml_class",
                                    "s.__init__", "s.__class__"])
def test_private_base_members_are_unreachable(member):
    error = run_with(f"s = square(); x = {member};").error
    assert isinstance(error, (SecurityError, mlpy.MLSecurityError))


@pytest.mark.parametrize("program", [
    "d = derived(); result = d.greet();",
    "d = derived(); f = d.greet; result = f();",
    "s = square(); result = s.secret();",
    "s = square(); o = {f: s.secret}; result = o.f();",
])
def test_an_inherited_guarded_method_still_needs_its_capability(program):
    assert isinstance(run_with(program).error, CapabilityError)
    assert run_with(program, capabilities=["console.write"]).value in ("hello", "guarded")


def test_class_capabilities_of_an_ml_class_base_are_inherited():
    @ml_class("Guarded", capabilities=["console.write"])
    class Guarded:
        @ml_function("Value")
        def value(self):
            return 1

    @ml_class("Child")
    class Child(Guarded):
        @ml_function("Other")
        def other(self):
            return 2

    assert get_class_metadata(Child).capabilities == ("console.write",)
    holder = {"c": Child()}
    engine = mlpy.Engine()
    assert isinstance(engine.execute("result = c.value();", holder).error, CapabilityError)
    granted = mlpy.Engine(capabilities=["console.write"])
    assert granted.execute("result = [c.value(), c.other()];", holder).value == [1, 2]


def _thing_counting():
    @ml_class("Counting")
    class Thing(Base):
        @ml_function("Count")
        def count(self):
            return 1

    return Thing


def _thing_naming():
    @ml_class("Naming")
    class Thing:
        @ml_function("Name")
        def label(self):
            return "thing"

        def answer(self):  # undecorated here; declared on the other Thing's base
            return "undecorated"

    return Thing


def test_classes_with_the_same_python_name_do_not_share_tables():
    first, second = _thing_counting(), _thing_naming()
    assert first.__name__ == second.__name__ == "Thing"
    assert first._ml_members == {"answer", "greet", "count"}
    assert second._ml_members == {"label"}
    values = {"a": first(), "b": second()}
    engine = mlpy.Engine()
    result = engine.execute("result = [a.count(), a.answer(), b.label(), typeof(a), typeof(b)];",
                            values)
    assert result.value == [1, 42, "thing", "Counting", "Naming"]
    for program in ("x = a.label();", "x = b.count();", "x = b.answer();"):
        assert isinstance(engine.execute(program, values).error, mlpy.MLRuntimeError)


def test_an_ml_name_exposed_twice_in_one_class_is_a_definition_error():
    with pytest.raises(ModuleDefinitionError, match="exposed twice"):
        @ml_class("Twice")
        class Twice:
            @ml_function("One", name="same")
            def one(self):
                return 1

            @ml_function("Two", name="same")
            def two(self):
                return 2


def test_an_ml_name_alias_is_inherited_and_hidden_by_an_undecorated_override():
    @ml_class("QuietCounter")
    class QuietCounter(Counter):
        pass

    @ml_class("LoudCounter")
    class LoudCounter(Counter):
        def reset_all(self):  # undecorated: `resetAll` is no longer reachable
            return "loud"

    values = {"q": QuietCounter(), "l": LoudCounter()}
    engine = mlpy.Engine()
    assert engine.execute("q.inc(); result = [q.resetAll(), q.count];", values).value == [True, 0]
    assert isinstance(engine.execute("x = l.resetAll();", values).error, mlpy.MLRuntimeError)
    assert engine.execute("result = l.inc();", values).value == 1
    assert Counter().resetAll() is True  # the ML name stays a Python attribute when free


def test_an_ml_name_declared_beside_a_plain_attribute_of_that_name():
    @ml_class("Clash")
    class Clash:
        @ml_function("Exposed as foo", name="foo")
        def bar(self):
            return "declared"

        def foo(self):
            return "plain"

    engine = mlpy.Engine()
    assert engine.execute("result = c.foo();", {"c": Clash()}).value == "declared"
    assert Clash().foo() == "plain"  # Python's attribute is left alone


def test_an_undecorated_subclass_is_an_opaque_handle_not_its_base():
    # Tables are keyed by type identity: a subclass the host did not decorate does not
    # inherit the trust of its ml_class base, so its undecorated overrides stay unreachable.
    @ml_class("Base")
    class Base:
        @ml_function("declared")
        def value(self):
            return "declared"

    class Undecorated(Base):
        def value(self):
            return "undecorated override"

    engine = mlpy.Engine()
    values = {"base": Base(), "sub": Undecorated()}
    assert engine.execute("result = base.value();", values).value == "declared"
    assert engine.execute("result = typeof(sub);", values).value == "object"
    error = engine.execute("result = sub.value();", values).error
    assert "host object" in error.message
    assert engine.execute("result = methods(sub);", values).value == []
