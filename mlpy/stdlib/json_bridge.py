"""ML module ``json``: JSON text to ML values and back; pure, so it needs no capability."""

from __future__ import annotations

from mlpy.ext import ml_function, ml_module
from mlpy.marshal import json_text, json_value
from mlpy.runtime.limits import check_length
from mlpy.runtime.values import expanded_size


def _sized(value, indent=0):
    """``value``, once its JSON text is known to stay within the size limit of strings (a
    structure that shares itself many times over would otherwise keep the encoder busy out
    of reach of every time limit)."""
    size = expanded_size(value)
    if indent:
        # each item may start a line indented by its depth
        size += size // 2 * (1 + indent * _nesting(value))
    check_length(size, 1)
    return value


def _nesting(value, memo=None) -> int:
    """How deeply arrays and objects nest in ``value`` (shared parts measured once)."""
    memo = {} if memo is None else memo
    if not isinstance(value, (list, dict)) or id(value) in memo:
        return memo.get(id(value), 0)
    memo[id(value)] = 1  # a cycle counts once; the encoder refuses cycles anyway
    children = value.values() if isinstance(value, dict) else value
    memo[id(value)] = 1 + max((_nesting(child, memo) for child in children), default=0)
    return memo[id(value)]


def _depth(value, limit: int, level: int = 1) -> None:
    if level > limit:
        raise ValueError(f"JSON object depth exceeds maximum allowed ({limit})")
    if isinstance(value, dict):
        for item in value.values():
            _depth(item, limit, level + 1)
    elif isinstance(value, list):
        for item in value:
            _depth(item, limit, level + 1)


@ml_module("json", "JSON parsing, serialization, and validation utilities")
class Json:
    @ml_function("Parse JSON text into ML values")
    def parse(self, text):
        if not isinstance(text, str):
            raise ValueError("JSON parsing failed: the input is not a string")
        try:
            return json_value(text)
        except (ValueError, RecursionError) as error:  # bad JSON, or a number too long
            raise ValueError(f"JSON parsing failed: {error}") from None

    @ml_function("Parse JSON text, refusing nesting deeper than maxDepth (at most 100)")
    def safeParse(self, text, maxDepth=100):
        value = self.parse(text)
        _depth(value, min(int(maxDepth), 100))
        return value

    @ml_function("Serialize a value as JSON text")
    def stringify(self, value):
        try:
            return json_text(_sized(value))
        except (TypeError, ValueError) as error:
            raise ValueError(f"JSON serialization failed: {error}") from None

    @ml_function("Serialize a value as indented JSON text")
    def prettyPrint(self, value, indent=4):
        if indent.__class__ is not int or not 0 <= indent <= 16:
            raise ValueError("prettyPrint indent must be a whole number from 0 to 16")
        try:
            return json_text(_sized(value, indent), indent=indent)
        except (TypeError, ValueError) as error:
            raise ValueError(f"JSON serialization failed: {error}") from None

    @ml_function("Whether a text is valid JSON")
    def validate(self, text):
        try:
            json_value(text)
        except (TypeError, ValueError, RecursionError):
            return False
        return True

    @ml_function("Whether a value is an object")
    def isObject(self, value):
        return isinstance(value, dict)

    @ml_function("Whether a value is an array")
    def isArray(self, value):
        return isinstance(value, list)

    @ml_function("Whether a value is a string")
    def isString(self, value):
        return isinstance(value, str)

    @ml_function("Whether a value is a number")
    def isNumber(self, value):
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    @ml_function("Whether a value is a boolean")
    def isBoolean(self, value):
        return isinstance(value, bool)

    @ml_function("Whether a value is null")
    def isNull(self, value):
        return value is None

    @ml_function("Array of an object's keys ([] for other values)")
    def keys(self, obj):
        return list(obj) if isinstance(obj, dict) else []

    @ml_function("Array of an object's values ([] for other values)")
    def values(self, obj):
        return list(obj.values()) if isinstance(obj, dict) else []

    @ml_function("Whether an object has a key")
    def hasKey(self, obj, key):
        return isinstance(obj, dict) and key in obj

    @ml_function("A key's value, or the default")
    def get(self, obj, key, default=None):
        return obj.get(key, default) if isinstance(obj, dict) else default

    @ml_function("New object: a copy of a updated with b")
    def merge(self, a, b):
        merged = dict(a) if isinstance(a, dict) else {}
        merged.update(b if isinstance(b, dict) else {})
        return merged
