"""The wire form of ML values: JSON with tagged extensions (integration spec 2.5).

Results that leave the process -- ``ExecutionResult.to_dict()``, ``mlpy run --json`` -- are
encoded here. Plain JSON values pass as they are; NaN and infinities, bytes and dates get a
``{"$ml": ...}`` tag; a value with no JSON form (a function, a host object, a cycle) is an
:class:`~mlpy.errors.MLMarshalError` naming where it sits, never a silent ``str()``.
"""

from __future__ import annotations

import base64
import datetime
import math

from mlpy.errors import MLMarshalError
from mlpy.runtime.values import expanded_size

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
    if value is None or isinstance(value, (bool, int, str)):
        return value
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
                    raise MLMarshalError(f"object at {path} has a non-string key {key!r}",
                                         path=path)
                out[key] = to_wire(item, f"{path}.{key}", depth + 1, seen)
            return {"$ml": "dict", "v": out} if "$ml" in out else out
        return [to_wire(item, f"{path}[{i}]", depth + 1, seen) for i, item in enumerate(value)]
    converter = getattr(type(value), "__ml_to_python__", None)
    if converter is not None:
        return to_wire(converter(value), path, depth + 1, seen)
    kind = "a function" if callable(value) else f"a {type(value).__name__} value"
    raise MLMarshalError(f"the result at {path} is {kind}, which has no JSON form", path=path)
