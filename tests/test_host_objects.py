"""Host objects reach ML as opaque handles: held, compared, shown and passed back, never
looked into -- so ML code never runs a host object's own methods."""

from __future__ import annotations

import os

import pytest

import mlpy
from mlpy import MLMarshalError, SecurityError


class Spy:
    """Records every protocol method ML might reach."""

    def __init__(self):
        self.calls = []

    def __getitem__(self, key):
        self.calls.append(("getitem", key))
        return 1

    def __setitem__(self, key, value):
        self.calls.append(("setitem", key, value))

    def __iter__(self):
        self.calls.append(("iter",))
        return iter([1])

    def __len__(self):
        self.calls.append(("len",))
        return 1

    def __contains__(self, item):
        self.calls.append(("contains", item))
        return True

    def secret(self):
        self.calls.append(("secret",))
        return "s"


@pytest.mark.parametrize("program", [
    "h[0];", "h.x = 1;", 'h["k"] = 2;', "for (x in h) { }", "len(h);", "sorted(h);",
    "h.secret();", "h.secret;", "f = h.secret; f();", "[a] = h;", "keys(h);", "h.__class__;",
])
def test_ml_cannot_look_into_a_host_object(program):
    spy = Spy()
    result = mlpy.execute(program, {"h": spy})
    assert not result.ok
    assert isinstance(result.error, (SecurityError, mlpy.MLCompileError, mlpy.MLRuntimeError))
    assert spy.calls == []


def test_a_mutable_host_mapping_such_as_the_environment_stays_untouched():
    before = dict(os.environ)
    result = mlpy.execute('e.PATH = "/evil"; e["X_ML"] = "1";', {"e": os.environ})
    assert isinstance(result.error, SecurityError)
    assert dict(os.environ) == before


def test_handles_can_be_held_compared_shown_and_passed_back():
    spy = Spy()
    seen = []

    @mlpy.host_function
    def use(handle):
        seen.append(handle)
        return handle.secret()

    result = mlpy.execute("""
        k = h;
        print(h, typeof(h), k == h, h == 1, [h]);
        result = use(h);
    """, {"h": spy, "use": use}, capture_output=True)
    assert result.stdout == "<object Spy> object true false [<object Spy>]\n"
    assert result.value == "s" and seen == [spy]
    assert result.globals["h"] is spy and result.globals["k"] is spy


def test_host_objects_returned_by_host_functions_become_handles():
    @mlpy.host_function
    def make():
        return Spy()

    result = mlpy.execute("o = make(); t = typeof(o); o[0];", {"make": make})
    assert isinstance(result.error, SecurityError) and result.globals["t"] == "object"


def test_host_objects_inside_containers_are_refused_with_where_they_are():
    result = mlpy.execute("x = 1;", {"data": {"rows": [1, Spy()]}})
    assert isinstance(result.error, MLMarshalError)
    assert "data['rows'][1]" in result.error.message


def test_plain_data_and_cycles_pass_by_reference():
    data = {"a": [1, 2.5, "x", None, True], "b": {"c": []}}
    data["b"]["self"] = data
    result = mlpy.execute('d.a.append(3); result = d.b.self.a[5];', {"d": data})
    assert result.value == 3 and data["a"][-1] == 3


def test_ml_functions_called_by_the_host_get_handles_for_host_objects():
    session = mlpy.Engine().session()
    session.exec("function peek(x) { return x[0]; } function kind(x) { return typeof(x); }")
    spy = Spy()
    with pytest.raises(SecurityError):
        session.call("peek", spy)
    assert session.call("kind", spy) == "object" and spy.calls == []
    assert session.call("peek", [7]) == 7
