"""What crosses the pipe between a SandboxPool and its workers: frames, values and errors.

A frame is a 4-byte big-endian length followed by that many bytes of ASCII JSON. Values
inside frames use the wire rules of :mod:`mlpy.marshal` (``to_wire`` on the way out,
:func:`from_wire` here on the way in), so decoding is exact for everything the rules allow.
One private extension keeps integers exact past Python's limit on decimal conversion: an
integer too long to print travels as ``{"$ml": "int", "hex": "..."}`` (user dicts with a
``"$ml"`` key are escaped by ``to_wire``, so the tag cannot collide with data).

Errors travel as ``MLError.to_dict()`` plus what rebuilding the same error needs -- the full
span, the source when it is not the submitted program, the ML call stack, the thrown payload
and the class-specific fields -- and are rebuilt with
:func:`mlpy.errors.error_from_dict`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
import struct
from typing import Any

from mlpy.errors import MLError, MLMarshalError, error_from_dict
from mlpy.integers import digits_value
from mlpy.marshal import to_wire
from mlpy.program import fingerprint

HEADER = struct.Struct(">I")
# The exit status of a worker that ran out of memory outside the ML program.
EXIT_OUT_OF_MEMORY = 86
# Integers longer than this many bits may exceed the interpreter's decimal-conversion
# limit (at least 640 digits wherever it is enabled), so they travel as hex.
_BIG_INT_BITS = 2000
_ERROR_FIELDS = ("execution_id", "kind", "required", "resource", "limit", "elapsed", "path")


class ProtocolViolation(Exception):
    """A frame that is not what the protocol allows (internal; callers classify it)."""


# ----------------------------------------------------------------------------- frames


def encode_frame(frame: dict[str, Any]) -> bytes:
    """The bytes of one frame, header included."""
    try:
        text = json.dumps(frame, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError:  # an integer too long to print: send it as hex
        text = json.dumps(_hex_big_ints(frame), ensure_ascii=True, allow_nan=False,
                          separators=(",", ":"))
    body = text.encode("ascii")
    return HEADER.pack(len(body)) + body


def decode_frame(body: bytes) -> dict[str, Any]:
    """The frame in ``body`` (the bytes after the header); ProtocolViolation if malformed."""
    try:
        frame = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ProtocolViolation(f"a frame is not valid JSON ({error})") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolViolation("a frame is not an object with a 'type'")
    return frame


def _hex_big_ints(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"$ml": "int", "hex": hex(value)} if value.bit_length() > _BIG_INT_BITS else value
    if isinstance(value, list):
        return [_hex_big_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _hex_big_ints(item) for key, item in value.items()}
    return value


def task_fingerprint(source: str, filename: str, inputs: tuple[str, ...]) -> str:
    """What the pool and the worker both compute for a program; equal only when the source,
    the file name, the inputs and the mlpy and grammar versions all agree."""
    return fingerprint(source, filename, ("sandbox", tuple(inputs)))


# ----------------------------------------------------------------------------- values


def from_wire(value: Any, path: str = "$") -> Any:
    """The Python value of a wire-form value: the inverse of :func:`mlpy.marshal.to_wire`."""
    if isinstance(value, list):
        return [from_wire(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    tag = value.get("$ml")
    if tag is None:
        return {key: from_wire(item, f"{path}.{key}") for key, item in value.items()}
    try:
        return _decode_tagged(tag, value, path)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise MLMarshalError(f"the wire value at {path} is a malformed {tag!r} value",
                             path=path) from None


def _decode_tagged(tag: Any, value: dict[str, Any], path: str) -> Any:
    if tag == "dict":
        return {key: from_wire(item, f"{path}.{key}") for key, item in value["v"].items()}
    if tag == "float":
        return float({"nan": "nan", "inf": "inf", "-inf": "-inf"}[value["v"]])
    if tag == "bytes":
        return base64.b64decode(value["b64"], validate=True)
    if tag == "int":  # to_wire's decimal form, or this module's own hex form
        return digits_value(value["v"]) if "v" in value else int(value["hex"], 16)
    if tag == "timedelta":
        return datetime.timedelta(seconds=value["v"])
    if tag in ("datetime", "date", "time"):
        return getattr(datetime, tag).fromisoformat(value["v"])
    raise MLMarshalError(f"the wire value at {path} has the unknown tag {tag!r}", path=path)


def variables_to_wire(variables: dict[str, Any]) -> dict[str, Any]:
    """Host variables in wire form; a value with no wire form is an MLMarshalError naming it."""
    wire = {}
    for name, value in variables.items():
        if not isinstance(name, str):
            raise MLMarshalError(f"variable name {name!r} is not a string", path=str(name))
        try:
            wire[name] = to_wire(value, f"$.{name}")
        except MLMarshalError as error:
            raise MLMarshalError(
                f"variable '{name}' cannot be passed to a sandboxed execution: the value at "
                f"{error.path} has no wire form (only data -- null, booleans, numbers, "
                "strings, bytes, dates, arrays and objects -- crosses into a worker)",
                path=error.path) from None
    return wire


# ----------------------------------------------------------------------------- errors


def error_to_wire(error: MLError, submitted_source: str | None) -> dict[str, Any]:
    """Everything needed to rebuild ``error`` in another process (see the module docstring)."""
    data = error.to_dict()
    span = error.span
    data["span"] = [span.line, span.column, span.end_line, span.end_column] if span else None
    if error.source is not None and error.source == submitted_source:
        data["same_source"] = True
    else:
        data["source"] = error.source
    data["cwe"] = error.cwe
    for name in _ERROR_FIELDS:
        if hasattr(error, name):
            data[name] = _plain(getattr(error, name))
    frames = getattr(error, "ml_traceback", None)
    if frames:
        data["ml_traceback"] = [frame.to_dict() for frame in frames]
    if hasattr(error, "payload"):
        try:
            data["payload"] = to_wire(error.payload, "$.payload")
        except MLMarshalError:
            data["payload"] = None  # a thrown function or host object stays in the worker
    if error.__cause__ is not None:
        data["cause"] = type(error.__cause__).__name__
    return data


def error_from_wire(data: Any, submitted_source: str | None) -> MLError:
    """The MLError a worker reported; ProtocolViolation if ``data`` is not an error."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        raise ProtocolViolation("an error frame carries no error")
    data = dict(data)
    if data.pop("same_source", False):
        data["source"] = submitted_source
    if "payload" in data:
        data["payload"] = from_wire(data["payload"], "$.payload")
    try:
        return error_from_dict(data)
    except (TypeError, ValueError, KeyError) as problem:
        raise ProtocolViolation(f"an error could not be rebuilt ({problem})") from None


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return str(value)
