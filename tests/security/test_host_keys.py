"""Objects the host passes to ML have string keys (integration spec 2.5, T4).

A dict with any other key -- a number, a boolean, null, a tuple, a subclass of str with its
own hashing -- anywhere inside a value that crosses into ML is an MLMarshalError naming where
it sits, on every way in: variables, Session.set, a session's variables, the result of a
host function. The whole value is checked once as it crosses (shared parts once, any depth).
"""

from __future__ import annotations

import pytest

import mlpy
from mlpy import MLMarshalError


class Key(str):
    """A string key whose hashing is the host's own code."""

    def __hash__(self) -> int:
        return 1


KEYS = {"int": 1, "float": 1.5, "bool": True, "null": None, "tuple": (1, 2),
        "str subclass": Key("k"), "long int": 10 ** 5000, "frozenset": frozenset({1})}

# Where the bad object sits in the value, and the path the error names (for variable "data").
PLACES = {
    "the value itself": (lambda bad: bad, "data"),
    "in an object": (lambda bad: {"a": bad}, "data['a']"),
    "in an array": (lambda bad: [1, bad], "data[1]"),
    "in a tuple": (lambda bad: ("x", bad), "data[1]"),
    "deep": (lambda bad: {"a": [{"b": [bad]}]}, "data['a'][0]['b'][0]"),
    "frozen": (lambda bad: mlpy.frozen({"a": bad}), "data['a']"),
}


def entries(value):
    """Each way a host value crosses into ML, as a function that hands ``value`` over."""
    @mlpy.host_function
    def give():
        return value

    return {
        "variables": lambda: mlpy.execute("result = 1;", {"data": value}).unwrap(),
        "Engine.execute": lambda: mlpy.Engine().execute("result = 1;", {"data": value}).unwrap(),
        "Session.set": lambda: mlpy.Engine().session().set("data", value),
        "session variables": lambda: mlpy.Engine().session({"data": value}),
        "Engine.load": lambda: mlpy.Engine().load("x = 1;", {"data": value}),
        "host function result": lambda: mlpy.execute("data = give();", {"give": give}).unwrap(),
    }


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("key", sorted(KEYS))
def test_a_non_string_key_is_refused_with_its_path(key, place):
    build, path = PLACES[place]
    value = build({KEYS[key]: "v"})
    for name, hand_over in entries(value).items():
        with pytest.raises(MLMarshalError) as caught:
            hand_over()
        error = caught.value
        expected = path.replace("data", "the result of give()") if name == "host function " \
            "result" else path
        assert error.path == expected, (name, error.path)
        assert "not a string" in error.message, error.message
        assert len(error.message) < 300  # a long key is not written out in full


def test_string_keys_pass_by_reference():
    data = {"a": [{"b": 1}], "c": {}}
    result = mlpy.execute('data.a[0].b = 2; data.c["new"] = true; result = data;', {"data": data})
    assert result.ok, result.error
    assert result.value is data and data == {"a": [{"b": 2}], "c": {"new": True}}


def test_shared_and_cyclic_values_are_checked_once():
    shared = {"k": 1}
    layer = [shared] * 2
    for _ in range(60):  # 2**60 paths to `shared`, 60 distinct arrays
        layer = [layer, layer]
    cyclic: dict = {"a": 1}
    cyclic["self"] = cyclic
    result = mlpy.execute("result = len(a) + len(c);", {"a": layer, "c": cyclic}, timeout=10)
    assert result.ok and result.value == 4, result.error
    bad = {"x": {1: 2}}
    layer = [bad]
    for _ in range(60):
        layer = [layer, layer]
    with pytest.raises(MLMarshalError) as caught:
        mlpy.execute("result = 1;", {"a": layer}, timeout=10).unwrap()
    assert caught.value.path.endswith("['x']")


def test_a_deep_value_is_checked_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert mlpy.execute("result = 1;", {"d": deep}).ok
    deep = [{2: 3}]
    for _ in range(100_000):
        deep = [deep]
    assert isinstance(mlpy.execute("result = 1;", {"d": deep}).error, MLMarshalError)


def test_ml_code_may_still_make_objects_with_other_keys():
    # a map built by the program (o[1] = x) is the program's own; only the host's are checked
    result = mlpy.execute("o = {}; o[1] = 'one'; result = o[1];")
    assert result.ok and result.value == "one"
