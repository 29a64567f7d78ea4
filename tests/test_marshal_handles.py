"""The wire form of results that hold host objects (``ExecutionResult.to_dict``).

A host object's opaque handle may end up anywhere in a result: at the top (``result = h;``)
or inside an array or object the program built (``result = [h];``). Either way its JSON form
is its type's ``__ml_to_python__``, and a type without one is an MLMarshalError that names
the type, never mlpy's handle class.
"""

from __future__ import annotations

import pytest

import mlpy


class Point:
    def __init__(self, x: int, y: int):
        self.x, self.y = x, y

    def __ml_to_python__(self) -> dict:
        return {"x": self.x, "y": self.y}


class Opaque:
    pass


POINT = {"x": 1, "y": 2}


@pytest.mark.parametrize(("source", "expected"), [
    ("result = p;", POINT),
    ("result = [p];", [POINT]),
    ("result = {at: p};", {"at": POINT}),
    ("result = {path: [p, p]};", {"path": [POINT, POINT]}),
])
def test_a_handle_anywhere_in_a_result_is_written_by_its_converter(source, expected):
    assert mlpy.execute(source, {"p": Point(1, 2)}).to_dict()["value"] == expected


def test_a_nested_handle_without_a_converter_names_its_type():
    result = mlpy.execute("result = [o];", {"o": Opaque()})
    with pytest.raises(mlpy.MLMarshalError) as caught:
        result.to_dict()
    assert caught.value.message == "the result at $[0] is a Opaque value, which has no JSON form"
    assert caught.value.path == "$[0]"
