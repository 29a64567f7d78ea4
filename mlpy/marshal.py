"""The wire form of ML values: JSON with tagged extensions (integration spec 2.5).

Results that leave the process -- ``ExecutionResult.to_dict()``, ``mlpy run --json`` -- are
encoded here. Plain JSON values pass as they are; NaN and infinities, bytes, dates and
integers too long for the interpreter to write as text get a ``{"$ml": ...}`` tag; a value
with no JSON form (a function, a host object, a cycle) is an
:class:`~mlpy.errors.MLMarshalError` naming where it sits, never a silent ``str()``.

:func:`json_text` and :func:`json_value` are ``json.dumps`` and ``json.loads`` for ML
values: the same text, except that integers of any length ML allows are written and read in
full (Python's own encoder and decoder stop at 4,300 digits).
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from typing import Any, Callable, Iterator

from mlpy.errors import MLMarshalError
from mlpy.integers import digits_value, fits_text, int_text
from mlpy.runtime.values import HostObject, expanded_size, quoted

# The largest wire form to build, in characters of JSON text (about).
MAX_WIRE = 64 << 20


def to_wire(value, path: str = "$", depth: int = 0, seen: frozenset = frozenset()):
    """A JSON-safe copy of an ML result per the wire rules (integration spec 2.5)."""
    if depth == 0 and isinstance(value, (list, tuple, dict)):
        size = expanded_size(value, MAX_WIRE)  # before copying anything
        if size > MAX_WIRE:
            raise MLMarshalError(
                f"the value at {path} would take more than {MAX_WIRE:,} characters as JSON "
                "(parts of it may be shared many times over)", path=path)
    if depth > 512:
        raise MLMarshalError(f"value at {path} is nested more than 512 levels deep", path=path)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        # json.dumps cannot write what the interpreter will not turn into text
        return value if fits_text(value) else {"$ml": "int", "v": int_text(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return {"$ml": "float", "v": text}
    if isinstance(value, (bytes, bytearray)):
        return {"$ml": "bytes", "b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime.timedelta):
        return {"$ml": "timedelta", "v": value.total_seconds()}
    for kind in (datetime.datetime, datetime.date, datetime.time):
        if isinstance(value, kind):
            return {"$ml": kind.__name__, "v": value.isoformat()}
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        if id(value) in seen:
            raise MLMarshalError(f"value at {path} contains itself", path=path)
        seen = seen | {id(value)}
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise MLMarshalError(f"object at {path} has a non-string key "
                                         f"{quoted(key)}", path=path)
                out[key] = to_wire(item, f"{path}.{key}", depth + 1, seen)
            return {"$ml": "dict", "v": out} if "$ml" in out else out
        return [to_wire(item, f"{path}[{i}]", depth + 1, seen) for i, item in enumerate(value)]
    if value.__class__ is HostObject:  # a handle ML built into an array or object
        value = value._value
    converter = getattr(type(value), "__ml_to_python__", None)
    if converter is not None:
        return to_wire(converter(value), path, depth + 1, seen)
    kind = "a function" if callable(value) else f"a {type(value).__name__} value"
    raise MLMarshalError(f"the result at {path} is {kind}, which has no JSON form", path=path)


# ----------------------------------------------------------------------------- JSON text


def json_value(text: str | bytes) -> Any:
    """``json.loads(text)``, reading integers of any length up to the ML size limit (a longer
    one is a ValueError, refused before it is converted)."""
    return json.loads(text, parse_int=digits_value)


def json_text(value: Any, *, indent: int | None = None,
              default: Callable[[Any], Any] | None = None) -> str:
    """``json.dumps(value, indent=indent, default=default)``, writing integers of any length
    in full."""
    try:
        return json.dumps(value, indent=indent, default=default)
    except ValueError:  # perhaps an integer too long for the encoder: write it ourselves
        return "".join(_json_parts(value, indent, default, 0, set()))


def _json_parts(value: Any, indent: int | None, default: Callable[[Any], Any] | None,
                level: int, active: set[int]) -> Iterator[str]:
    """The text json.dumps writes for ``value``, piece by piece (the same separators, the
    same errors), with every integer written out however long."""
    if isinstance(value, int) and not isinstance(value, bool):
        yield int_text(value)
    elif isinstance(value, (list, tuple, dict)):
        yield from _json_container(value, indent, default, level, active)
    elif value is None or isinstance(value, (str, float, bool)):
        yield json.dumps(value)
    elif default is None:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    else:
        yield from _json_parts(default(value), indent, default, level, active)


def _json_container(value: Any, indent: int | None, default: Callable[[Any], Any] | None,
                    level: int, active: set[int]) -> Iterator[str]:
    is_object = isinstance(value, dict)
    opening, closing = ("{", "}") if is_object else ("[", "]")
    if not value:
        yield opening + closing
        return
    if id(value) in active:
        raise ValueError("Circular reference detected")
    active.add(id(value))
    if indent is None:
        start, separator, end = opening, ", ", closing
    else:
        inner = "\n" + " " * (indent * (level + 1))
        outer = "\n" + " " * (indent * level)
        start, separator, end = opening + inner, "," + inner, outer + closing
    yield start
    for position, item in enumerate(value.items() if is_object else value):
        if position:
            yield separator
        if is_object:
            key, item = item
            yield json.dumps(_json_key(key)) + ": "
        yield from _json_parts(item, indent, default, level + 1, active)
    yield end
    active.discard(id(value))


def _json_key(key: Any) -> str:
    """The text json.dumps makes of an object key."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, float)):
        return json.dumps(key)
    if isinstance(key, int):
        return int_text(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
