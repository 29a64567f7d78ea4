"""The ML builtin functions (language spec §9), available in every program without import.

They are plain Python functions registered under their ML names in :data:`BUILTINS`. Where the
spec keeps an ML twist on Python -- ``len`` of a number is 0, ``int("3.9")`` is 3,
``min([])`` is null -- the twist is here; everything else is Python's behaviour. Following
DESIGN D3/D6, results display as ML values and no tuple ever reaches ML code.
"""

from __future__ import annotations

import builtins as py
import operator
import re
import sys
from typing import Any, Callable, Iterator

from mlpy.integers import digits_value
from mlpy.runtime import gate, limits, ops, work
from mlpy.runtime.capabilities import CAPABILITY_NAME, EMPTY, CapabilitySet
from mlpy.runtime.state import current_state, grants_here, write_output
from mlpy.runtime.values import (
    DISPLAY_NAMES, ErrorValue, ModuleObject, declared_members, display, quoted, show_nested,
    typeof,
)

BUILTINS: dict[str, Callable[..., Any]] = {}
DESCRIPTIONS: dict[str, str] = {}

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+\Z")


def builtin(name: str, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__name__ = fn.__qualname__ = name
        BUILTINS[name] = fn
        DESCRIPTIONS[name] = description
        ops.TRUSTED.add(fn)
        return fn

    return register


_NO_DEFAULT = object()


# ----------------------------------------------------------------------------- input/output


@builtin("print", "Print value to console")
def print_(*values: Any) -> None:
    write_output(" ".join([display(v) for v in values]) + "\n")


@builtin("input", "Read one line of input, after showing an optional prompt "
                  "(needs console.read)")
def input_(prompt: Any = "") -> str:
    # Reading the host's standard input is an effect (and blocks), so it is granted.
    gate.check(input_._ml_capabilities, "input")
    if prompt != "":
        write_output(display(prompt))
    line = sys.stdin.readline()
    if not line:
        raise EOFError("end of input")
    return line[:-1] if line.endswith("\n") else line


input_._ml_capabilities = ("console.read",)


# ----------------------------------------------------------------------------- conversions


@builtin("int", "Convert to an integer (truncates toward zero)")
def int_(value: Any) -> int:
    if value.__class__ is str:
        text = value.strip()
        if _WHOLE_NUMBER.match(text):
            return digits_value(text)  # exact however long, up to the integer size limit
        try:
            return py.int(text)
        except ValueError:
            try:
                return py.int(py.float(text))
            except ValueError:
                raise ValueError(f"invalid literal for int() with base 10: {quoted(value)}") \
                    from None
    if value is None:
        raise TypeError("int() argument must be a string or a number, not null")
    return py.int(value)


@builtin("float", "Convert to a floating-point number")
def float_(value: Any) -> float:
    if value is None:
        raise TypeError("float() argument must be a string or a number, not null")
    return py.float(value)


@builtin("str", "Convert to text")
def str_(value: Any = "") -> str:
    return display(value)


@builtin("bool", "Truthiness of a value as a boolean")
def bool_(value: Any = False) -> bool:
    return py.bool(value)


@builtin("repr", "The text of a value as it appears inside an array (strings quoted)")
def repr_(value: Any) -> str:
    return show_nested(value)


@builtin("format", "Format a value with a Python format specification such as '.2f'")
def format_(value: Any, spec: str = "") -> str:
    if spec == "":
        return display(value)
    if not isinstance(spec, str):
        raise TypeError("format() spec must be a string")
    limits.check_format_spec(spec)
    return py.format(value, spec)


@builtin("chr", "The one-character string of a Unicode code point")
def chr_(code: int) -> str:
    return py.chr(code)


@builtin("ord", "The code point of a one-character string")
def ord_(char: str) -> int:
    return py.ord(char)


@builtin("hex", "Hexadecimal text of an integer, like '0xff'")
def hex_(number: int) -> str:
    return py.hex(number)


@builtin("oct", "Octal text of an integer, like '0o10'")
def oct_(number: int) -> str:
    return py.oct(number)


@builtin("bin", "Binary text of an integer, like '0b101'")
def bin_(number: int) -> str:
    return py.bin(number)


# ----------------------------------------------------------------------------- types


@builtin("typeof", "The type name of a value")
def typeof_(value: Any) -> str:
    return typeof(value)


@builtin("isinstance", "Whether typeof(value) equals the given type name")
def isinstance_(value: Any, type_name: str) -> bool:
    return typeof(value) == type_name


@builtin("callable", "Whether a value can be called")
def callable_(value: Any) -> bool:
    return value.__class__ is not ModuleObject and py.callable(value)


# ----------------------------------------------------------------------------- sequences


# len is the C function operator.length_hint: len() of a sized value, 0 for a value without
# a length (language spec §9) -- and as fast as Python's own len, which hot loops need.
BUILTINS["len"] = len_ = operator.length_hint
DESCRIPTIONS["len"] = "Length of a string, array or object (0 for other values)"
ops.TRUSTED.add(len_)
DISPLAY_NAMES[id(len_)] = "len"


@builtin("range", "Array of integers: range(stop), range(start, stop) or range(start, stop, step)")
def range_(*args: int) -> list[int]:
    numbers = py.range(*args)
    limits.check_length(py.len(numbers))
    return py.list(numbers)


def loop_range(fn: Any, *args: Any) -> Any:
    """What ``for (x in range(...))`` iterates over: when ``fn`` -- what the name ``range``
    holds -- is the builtin, the numbers themselves, after the same checks, without the
    array the loop never sees; otherwise whatever calling ``fn`` returns."""
    if fn is not range_:
        return fn(*args)
    numbers = py.range(*args)
    limits.check_length(py.len(numbers))
    return numbers


@builtin("enumerate", "Array of [index, value] pairs")
def enumerate_(sequence: Any, start: int = 0) -> list[list[Any]]:
    return [[i, v] for i, v in py.enumerate(sequence, start)]


@builtin("zip", "Array of arrays pairing the elements of the given arrays")
def zip_(*sequences: Any) -> list[list[Any]]:
    return [py.list(group) for group in py.zip(*sequences)]


@builtin("sorted", "New sorted array; sorted(a, true) sorts in descending order")
def sorted_(sequence: Any, reverse: bool = False) -> list[Any]:
    items = _items(sequence)
    work.check_sort(items)
    return py.sorted(items, reverse=py.bool(reverse))


def _items(sequence: Any) -> list | tuple:
    """The elements of an array, or of anything else that can be iterated, as an array:
    the builtins that work on all elements measure them first."""
    return sequence if sequence.__class__ in (list, tuple) else py.list(sequence)


@builtin("reversed", "New array with the elements in reverse order")
def reversed_(sequence: Any) -> list[Any]:
    return py.list(py.reversed(py.list(sequence)))


@builtin("keys", "Array of an object's keys")
def keys_(obj: Any) -> list[Any]:
    if not isinstance(obj, dict):
        raise AttributeError(f"keys() needs an object, not {typeof(obj)}")
    return py.list(obj)


@builtin("values", "Array of an object's values")
def values_(obj: Any) -> list[Any]:
    if not isinstance(obj, dict):
        raise AttributeError(f"values() needs an object, not {typeof(obj)}")
    return py.list(obj.values())


@builtin("sum", "Sum of the elements of an array, plus an optional start")
def sum_(sequence: Any, start: Any = 0) -> Any:
    return work.total(_items(sequence), start)


@builtin("all", "Whether every element is truthy")
def all_(sequence: Any) -> bool:
    return py.all(sequence)


@builtin("any", "Whether some element is truthy")
def any_(sequence: Any) -> bool:
    return py.any(sequence)


def _extreme(pick: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    if not args:
        return None
    if py.len(args) == 1:
        only = args[0]
        if only.__class__ is list:
            return work.extreme(pick, only) if only else None
        return only
    return work.extreme(pick, py.list(args))


@builtin("min", "Smallest of the arguments, or of one array's elements (null when empty)")
def min_(*args: Any) -> Any:
    return _extreme(py.min, args)


@builtin("max", "Largest of the arguments, or of one array's elements (null when empty)")
def max_(*args: Any) -> Any:
    return _extreme(py.max, args)


# ----------------------------------------------------------------------------- numbers


@builtin("abs", "Absolute value")
def abs_(number: Any) -> Any:
    return py.abs(number)


@builtin("round", "Round half to even; round(x, digits) keeps that many decimals")
def round_(number: Any, digits: int = 0) -> Any:
    if number.__class__ is int and digits.__class__ is int and digits < 0 \
            and -digits > number.bit_length() * 0.302 + 1:
        return 0  # 10 ** -digits is over twice the number: no need to compute that power
    return py.round(number, digits)


# ----------------------------------------------------------------------------- iterators


@builtin("iter", "An iterator over an array, string or object")
def iter_(sequence: Any) -> Iterator[Any]:
    return py.iter(sequence)


@builtin("next", "The next item of an iterator, or the default when it is exhausted")
def next_(iterator: Any, default: Any = _NO_DEFAULT) -> Any:
    try:
        return py.next(iterator)
    except StopIteration:
        if default is _NO_DEFAULT:
            raise RuntimeError(
                "Iterator exhausted - use default parameter to avoid error"
            ) from None
        return default


# ----------------------------------------------------------------------------- members


@builtin("hasattr", "Whether a member can be read on a value")
def hasattr_(value: Any, name: str) -> bool:
    if not isinstance(name, str) or name.startswith("_"):
        return isinstance(value, dict) and name in value
    if isinstance(value, dict):
        return name in value
    try:
        ops.ml_get(value, name)
    except (AttributeError, ops.SecurityError):
        return False
    return True


@builtin("getattr", "A member of a value, or the default when it cannot be read")
def getattr_(value: Any, name: str, default: Any = None) -> Any:
    if hasattr_(value, name):
        return value[name] if isinstance(value, dict) else ops.ml_get(value, name)
    return default


@builtin("methods", "Sorted names of the members ML can use on a value")
def methods_(value: Any) -> list[str]:
    cls = value.__class__
    if isinstance(value, dict):
        return py.sorted(k for k in value if isinstance(k, str))
    table = ops.METHODS.get(cls)
    if table is not None:
        return py.sorted(table)
    if cls is ModuleObject:
        return value._ml_members()
    if cls is ErrorValue:
        return ["message", "type"]
    members = declared_members(cls)
    return py.sorted(members) if members else []


@builtin("call", "Call a function with the given arguments")
def call_(fn: Any, *args: Any) -> Any:
    return ops.ml_call(fn, *args)


def _requirements(capabilities: Any) -> str:
    if capabilities:
        return "Requires: " + ", ".join(capabilities)
    return "Capabilities: None required"


@builtin("help", "A description of a builtin, module or function")
def help_(value: Any) -> str:
    if value.__class__ is ModuleObject:
        text = value._ml_description or f"Module {value._ml_name}"
        needed = list(dict.fromkeys(
            cap for member in value._ml_values()
            for cap in getattr(member, "_ml_capabilities", ())
        ))
        return text + ("\nRequires: " + ", ".join(needed) if needed else "")
    for name, fn in BUILTINS.items():
        if fn is value:
            return f"{DESCRIPTIONS[name]}\n{_requirements(())}"
    meta = getattr(getattr(value, "__func__", value), "_ml_function", None)
    description = getattr(value, "_ml_description", None) or (meta.description if meta else None)
    if description:
        return f"{description}\n{_requirements(getattr(value, '_ml_capabilities', ()))}"
    return f"No help available for {display(value)}"


# ----------------------------------------------------------------------------- modules


def _registry() -> Any:
    state = current_state()
    if state is None or state.registry is None:
        raise RuntimeError("module introspection needs a running execution")
    return state.registry


def _ml_modules_run() -> dict[str, Any]:
    """The ML modules this execution (or session) has run so far: the table the namespace
    of the calling ML code shares with its modules."""
    frame = sys._getframe(1)
    while frame is not None:
        if "__ml_ns__" in frame.f_globals:
            return frame.f_globals.get("__ml_loaded__", {})
        frame = frame.f_back
    return {}


@builtin("modules", "Sorted names of the modules imported so far")
def modules_() -> list[str]:
    return py.sorted({"builtin", *_registry().loaded_names(), *_ml_modules_run()})


@builtin("available_modules", "Sorted names of the modules that can be imported")
def available_modules_(kind: Any = None) -> list[str]:
    return _registry().available(kind)


@builtin("has_module", "Whether a module can be imported")
def has_module_(name: str) -> bool:
    return _registry().has(name)


@builtin("module_info", "An object describing a module, or null")
def module_info_(name: str) -> Any:
    info = _registry().info(name)
    if info is not None and info["kind"] == "ml":
        info["loaded"] = name in _ml_modules_run()
    return info


# ----------------------------------------------------------------------------- capabilities


def _held() -> CapabilitySet:
    state = current_state()
    return EMPTY if state is None else grants_here(state)


def _valid_name(name: Any) -> bool:
    return name.__class__ is str and CAPABILITY_NAME.match(name) is not None


@builtin("hasCapability",
         "Whether the running script holds a capability (on a resource, when one is given)")
def has_capability_(name: str, resource: Any = None) -> bool:
    if not _valid_name(name):
        return False
    return _held().allows(name, None if resource is None else str(resource))


@builtin("getCapabilities", "Sorted area.action names of the capabilities the script holds")
def get_capabilities_() -> list[str]:
    return py.sorted(_held().names())


@builtin("getCapabilityInfo", "An object describing a held capability, or null")
def get_capability_info_(name: str) -> Any:
    if not _valid_name(name):
        return None
    grant = _held().find(name)
    if grant is None:
        return None
    return {"type": name, "available": True, "scoped": grant.scope is not None,
            "usesLeft": grant.uses_left(),
            "expires": grant.expires_at.isoformat() if grant.expires_at else None}


@builtin("requiredCapabilities", "Array of the capabilities a function requires")
def required_capabilities_(fn: Any) -> list[str]:
    return py.list(getattr(fn, "_ml_capabilities", ()))
