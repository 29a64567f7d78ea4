"""What ML users read when a Python operation in ML code fails.

ML code runs as Python, so a failing operation raises a Python exception that speaks
Python: ``'>=' not supported between instances of 'str' and 'int'``, ``float division by
zero``, ``list index out of range``. :func:`describe` gives each its one ML wording -- the
same whether the error is caught (``e.message``, ``str(e)``) or ends the program (the
report, the REPL, the command line) -- with ML type names (``string``, ``number``,
``array``, ``object``, ``null``) and a hint where newcomers need one.

Only known shapes of Python's messages are rewritten, from the table below: a message a
module wrote on purpose, or a value the message quotes (a key, a string that is not a
number), stays as it is.
"""

from __future__ import annotations

import re
from typing import Callable

from mlpy.runtime.values import quoted

# Python's type names as ML calls them; other names (a host class, say) stay as they are.
ML_TYPE_NAMES = {
    "int": "number", "float": "number", "str": "string", "list": "array", "tuple": "array",
    "dict": "object", "NoneType": "null", "None": "null", "bool": "boolean", "bytes": "bytes",
    "function": "function", "builtin_function_or_method": "function", "method": "function",
    "FrozenArray": "array", "FrozenObject": "object", "HostObject": "object",
    "ModuleObject": "module", "ErrorValue": "error", "set": "array", "frozenset": "array",
}

_ADD_HINT = ("to join text, convert with str(value) (\"total: \" + str(n)); to add numbers, "
             "convert with int(value) or float(value)")
_INDEX_HINT = "indexes run from 0 to len(a) - 1; negative ones count from the end"
_KEY_HINT = "o.key gives null for a missing key; o[\"key\"] requires it to exist"


def ml_type(name: str) -> str:
    return ML_TYPE_NAMES.get(name, name)


def a(name: str) -> str:
    """``name`` (a Python type name) as ML says it after a verb: "a number", "an array"."""
    shown = ml_type(name)
    if shown == "null":
        return shown
    return ("an " if shown[0] in "aeiou" else "a ") + shown


# (exception class, message pattern, ML wording, hint). Groups named t, t1, t2 are Python
# type names (quoted or not in the pattern); a wording may say {t}, {a_t} (with an article)
# or {kind_t} (the same, but "a float" for a float: where integers are needed, the
# difference between numbers is the point).
_T = r"'?(?P<{}>[\w-]+)'?"
_RULES: list[tuple[type | tuple[type, ...], str, str, str | None]] = [
    (ZeroDivisionError, r"(float |integer )?(division|floor division)( or modulo)? by zero",
     "division by zero", None),
    (ZeroDivisionError, r"(float |integer )?modulo( by zero)?", "modulo by zero", None),
    (ZeroDivisionError, r"float divmod\(\)", "division by zero", None),
    (TypeError, r"can only concatenate str \(not \"(?P<t>\w+)\"\) to str",
     "cannot add {a_t} to a string", _ADD_HINT),
    (TypeError, r"can only concatenate (?P<t1>list|tuple) \(not \"(?P<t>\w+)\"\) to \w+",
     "cannot add {a_t} to an array", None),
    (TypeError, r"unsupported operand type\(s\) for \+: 'str' and " + _T.format("t2"),
     "unsupported operand types for +: string and {t2}", _ADD_HINT),
    (TypeError, r"unsupported operand type\(s\) for \+: " + _T.format("t1") + " and 'str'",
     "unsupported operand types for +: {t1} and string", _ADD_HINT),
    (TypeError, r"unsupported operand type\(s\) for (?P<op>\S+): " + _T.format("t1")
     + " and " + _T.format("t2"), "unsupported operand types for {op}: {t1} and {t2}", None),
    (TypeError, r"'(?P<op>[^']+)' not supported between instances of " + _T.format("t1")
     + " and " + _T.format("t2"), "'{op}' not supported between instances of {t1} and {t2}",
     None),
    (TypeError, r"bad operand type for (?P<op>.+): " + _T.format("t"),
     "bad operand type for {op}: {t}", None),
    (TypeError, r"can't multiply sequence by non-int of type " + _T.format("t"),
     "a string or array can only be repeated by an integer, not by {kind_t}", None),
    (TypeError, _T.format("t") + r" object is not (?P<what>subscriptable|iterable|callable|"
     r"reversible|an iterator)", "{t} is not {what}", None),
    (TypeError, _T.format("t") + r" object cannot be interpreted as an integer",
     "{kind_t} cannot be interpreted as an integer", None),
    (TypeError, _T.format("t") + r" object does not support item (?P<what>assignment|deletion)",
     "{t} does not support item {what}", None),
    (TypeError, r"unhashable type: " + _T.format("t"), "{t} cannot be used as a key", None),
    (TypeError, r"object of type " + _T.format("t") + r" has no len\(\)",
     "{t} has no length", None),
    (TypeError, r"argument of type " + _T.format("t") + r" is not iterable",
     "{t} is not iterable", None),
    (TypeError, r"cannot unpack non-iterable (?P<t>\w+) object",
     "cannot unpack non-iterable {t}", None),
    (TypeError, r"(?P<t1>list|tuple|string) indices must be integers( or slices)?, not "
     + _T.format("t"), "{t1} indices must be integers, not {t}", None),
    (TypeError, r"slice indices must be integers or None or have an __index__ method",
     "slice indices must be integers or null", None),
    (TypeError, r"sequence item (?P<n>\d+): expected str instance, (?P<t>\w+) found",
     "join needs strings: item {n} is {a_t}", None),
    (TypeError, r"(?P<fn>\w+) first arg must be str or a tuple of str, not (?P<t>\w+)",
     "{fn} first argument must be a string, not {t}", None),
    (TypeError, r"(?P<fn>int|float)\(\) argument must be a string(, a bytes-like object)? "
     r"or a (real )?number, not " + _T.format("t"),
     "{fn}() argument must be a string or a number, not {t}", None),
    (TypeError, r"ord\(\) expected string of length 1, but (?P<t>\w+) found",
     "ord() expected string of length 1, but {t} found", None),
    (TypeError, r"type (?P<t>\w+) doesn't define __round__ method", "cannot round {a_t}", None),
    (TypeError, r"Unknown format code '(?P<code>.)' for object of type " + _T.format("t"),
     "unknown format code '{code}' for {a_t}", None),
    (TypeError, r"%(?P<code>\w) format: an? (?P<need>real number|integer) is required, not "
     r"(?P<t>\w+)", "%{code} format: a number is required, not {t}", None),
    (ValueError, r"Unknown format code '(?P<code>.)' for object of type " + _T.format("t"),
     "unknown format code '{code}' for {a_t}", None),
    (TypeError, r"(?P<head>.*)must be (?P<t1>\w+)( or (?P<t2>\w+))?, not " + _T.format("t"),
     "{head}must be {t1}{or_t2}, not {t}", None),
    (IndexError, r"(list|tuple) index out of range", "array index out of range", _INDEX_HINT),
    (IndexError, r"list assignment index out of range", "array assignment index out of range",
     _INDEX_HINT),
    (IndexError, r"string index out of range", "string index out of range", _INDEX_HINT),
    (IndexError, r"pop from empty list", "pop from an empty array", None),
    (IndexError, r"pop index out of range", "pop index out of range", _INDEX_HINT),
    (ValueError, r"(?P<value>.*) is not in (list|tuple)", "{value} is not in the array", None),
    (ValueError, r"list\.remove\(x\): x not in list", "remove(x): x is not in the array", None),
    (ValueError, r"range\(\) arg 3 must not be zero", "range() step must not be zero", None),
    (ValueError, r"chr\(\) arg not in range\(0x110000\)",
     "chr() needs a code point from 0 to 1114111", None),
    (ValueError, r"cannot convert float NaN to integer", "cannot convert NaN to an integer",
     None),
    (ValueError, r"Exceeds the limit \((?P<n>\d+) digits\) for integer string conversion.*",
     "an integer of more than {n} digits cannot be formatted in decimal: show it with "
     "str(x) or %s", None),
    (OverflowError, r"cannot convert float infinity to integer",
     "cannot convert infinity to an integer", None),
    (OverflowError, r"int too large to convert to float",
     "integer too large to convert to a float", None),
    (OverflowError, r"(Python )?int too (large|big) to convert.*", "integer too large", None),
    ((IndexError, OverflowError), r"cannot fit 'int' into an index-sized integer",
     "integer too large for an index", None),
]
_QUOTED_TYPE = re.compile(r"'(%s)'" % "|".join(
    map(re.escape, ("int", "float", "str", "list", "dict", "NoneType", "tuple", "bool"))))
_COMPILED = [(kind, re.compile(pattern + r"\Z", re.S), wording, hint)
             for kind, pattern, wording, hint in _RULES]


def _fields(match: re.Match[str]) -> dict[str, str]:
    fields = {key: value or "" for key, value in match.groupdict().items()}
    for key in ("t", "t1", "t2"):
        if key in fields:
            fields[key] = ml_type(fields[key])
            fields["a_" + key] = a(match[key]) if match[key] else ""
            fields["kind_" + key] = "a float" if match[key] == "float" else fields["a_" + key]
    fields["or_t2"] = f" or {fields['t2']}" if fields.get("t2") else ""
    if "value" in fields:
        fields["value"] = {"None": "null", "True": "true", "False": "false"}.get(
            fields["value"], fields["value"])
    return fields


def _key_error(exc: BaseException) -> tuple[str, list[str]] | None:
    if not exc.args:
        return None
    return f"key {quoted(exc.args[0])} not found", [_KEY_HINT]


def _unbound_local(exc: BaseException) -> tuple[str, list[str]] | None:
    name = re.search(r"'([^']+)'", str(exc))
    if name is None:
        return None
    var = re.sub(r"^__mlkw_", "", name.group(1))
    return f"'{var}' is used before it is assigned", [
        f"'{var}' is assigned in this function, so it is local to it; write `nonlocal {var};` "
        f"to update the outer '{var}'"]


def _name_error(exc: BaseException) -> tuple[str, list[str]] | None:
    name = re.search(r"'([^']+)'", str(exc))
    if name is None:
        return None
    return f"'{re.sub(r'^__mlkw_', '', name.group(1))}' is not defined", []


def _attribute_error(exc: BaseException) -> tuple[str, list[str]] | None:
    hint = getattr(exc, "ml_hint", None)
    return str(exc), [hint] if hint else []


# Exceptions whose wording depends on more than their text (UnboundLocalError before
# NameError, its base class).
_SPECIAL: dict[type, Callable[[BaseException], tuple[str, list[str]] | None]] = {
    KeyError: _key_error, UnboundLocalError: _unbound_local, NameError: _name_error,
    AttributeError: _attribute_error,
}


def describe(exc: BaseException) -> tuple[str, list[str]]:
    """The ML message and hints for a Python exception raised while ML code ran."""
    for kind, handler in _SPECIAL.items():
        if isinstance(exc, kind):
            found = handler(exc)
            if found is not None:
                return found
    message = str(exc)
    for kind, pattern, wording, hint in _COMPILED:
        if isinstance(exc, kind):
            match = pattern.match(message)
            if match is not None:
                return wording.format(**_fields(match)), [hint] if hint else []
    if isinstance(exc, TypeError):
        return _other_type_error(message), []
    return message, []


def _other_type_error(message: str) -> str:
    """A TypeError of a shape not in the table: Python's type names in quotes become ML's,
    and a call's error names the function as ML does."""
    message = _QUOTED_TYPE.sub(lambda m: ml_type(m[1]), message)
    message = message.replace("<lambda>()", "anonymous function")
    message = re.sub(r"__ml_arrow\d+\(\)", "anonymous function", message)
    return re.sub(r"__mlkw_(\w+)", r"\1", message)
