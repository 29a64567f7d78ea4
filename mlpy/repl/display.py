"""How the REPL shows a value: ML syntax a reader could type back in.

Strings are double-quoted with ``\\n``, ``\\t``, ``\\"`` and ``\\\\`` escaped; objects are
``{"key": value}``; functions show their parameters (``<function greet(name)>``); containers
stay on one line when they fit in ``width`` columns and are indented by two spaces per level
otherwise. Values too large to write out are refused by the same size check ``print`` uses.
"""

from __future__ import annotations

import inspect
import math
from types import FunctionType
from typing import Any

from mlpy.runtime.values import (
    ErrorValue, FrozenArray, FrozenObject, HostObject, ModuleObject, expanded_size, display,
    MAX_DISPLAY,
)
from mlpy.errors import MLResourceError
from mlpy.function import MLFunction
from mlpy.integers import int_text

_OBJECTS = (dict, FrozenObject)
_ARRAYS = (list, tuple, FrozenArray)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_MAX_DEPTH = 100


def ml_repr(value: Any, width: int = 80) -> str:
    """``value`` as the REPL echoes it."""
    if value.__class__ in _OBJECTS or value.__class__ in _ARRAYS:
        size = expanded_size(value)
        if size > MAX_DISPLAY:
            raise MLResourceError(f"this value would take about {size:,} characters to show",
                                  resource="memory", limit=MAX_DISPLAY)
    return _pretty(value, 0, width, set())


def short_repr(value: Any, limit: int = 60) -> str:
    """One line, cut to ``limit`` characters with an ellipsis (``.vars``, ``.history``)."""
    try:
        text = _inline(value, 0, set())
    except MLResourceError:
        return "<too large to show>"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(char, char) for char in text) + '"'


def _pretty(value: Any, indent: int, width: int, active: set[int]) -> str:
    line = _inline(value, 0, active)
    is_container = value.__class__ in _OBJECTS or value.__class__ in _ARRAYS
    if not is_container or indent + len(line) <= width or not len(value):
        return line
    key = id(value)
    if key in active:
        return "{...}" if value.__class__ in _OBJECTS else "[...]"
    active.add(key)
    pad = " " * (indent + 2)
    try:
        if value.__class__ in _OBJECTS:
            items = [f"{pad}{_key(k)}: {_pretty(v, indent + 2, width, active)}"
                     for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
        items = [pad + _pretty(item, indent + 2, width, active) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    finally:
        active.discard(key)


def _key(key: Any) -> str:
    return quote(key) if isinstance(key, str) else _inline(key, 0, set())


def _inline(value: Any, depth: int, active: set[int]) -> str:
    cls = value.__class__
    if cls is str:
        return quote(value)
    if cls is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if cls is int:
        return int_text(value)
    if cls is float:
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if cls in _OBJECTS or cls in _ARRAYS:
        if depth > _MAX_DEPTH:
            return "..."
        key = id(value)
        if key in active:
            return "{...}" if cls in _OBJECTS else "[...]"
        active.add(key)
        try:
            if cls in _OBJECTS:
                return "{" + ", ".join(f"{_key(k)}: {_inline(v, depth + 1, active)}"
                                       for k, v in value.items()) + "}"
            return "[" + ", ".join(_inline(item, depth + 1, active) for item in value) + "]"
        finally:
            active.discard(key)
    if cls is MLFunction and value._fn is not None:
        value, cls = value._fn, FunctionType  # an ML function as the host holds it
    if cls is FunctionType:
        return f"<function {_signature(value)}>"
    if cls is ModuleObject or cls is ErrorValue or cls is HostObject:
        return display(value)
    type_name = getattr(cls, "_ml_type_name", None)
    if type_name:  # an ml_class instance: its name, and its own text when it has one
        shown = cls._ml_display(value) if getattr(cls, "_ml_display", None) else ""
        return f"<{type_name} {shown}>" if shown else f"<{type_name}>"
    return display(value)


def _signature(fn: FunctionType) -> str:
    name = display(fn)[len("<function "):-1]
    try:
        params = [p.name[len("__mlkw_"):] if p.name.startswith("__mlkw_") else p.name
                  for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError):
        return name
    return f"{name}({', '.join(params)})"
