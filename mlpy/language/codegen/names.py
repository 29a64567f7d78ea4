"""The names generated code uses to reach the runtime, and ML <-> Python identifiers."""

from __future__ import annotations

import keyword

# Runtime names the generated code uses; program.py binds each to its runtime object.
HELPERS = {
    "get": "__ml_get",  # ops.ml_get(obj, name)
    "method": "__ml_method",  # ops.ml_method(obj, name, *args)
    "call": "__ml_call",  # ops.ml_call(fn, *args)
    "str": "__ml_str",  # values.display
    "mod": "__ml_mod",  # ops.ml_mod(left, right)
    "mul": "__ml_mul",  # limits.ml_mul(left, right)
    "add": "__ml_add",  # limits.ml_add(left, right)
    "concat": "__ml_concat",  # limits.ml_concat(*parts)
    "range": "__ml_range",  # builtins.loop_range(fn, *args): a for loop's range
    "set_slice": "__ml_set_slice",  # limits.set_slice(target, start, stop, step, value)
    "int": "__ml_int",  # int
    "float": "__ml_float",  # float
    "value": "__ml_value",  # ops.identity
    "throw": "__ml_throw",  # ops.ml_throw(value) -> exception
    "catch": "__ml_catch",  # ops.ml_catch(exc) -> ErrorValue
    "unwinding": "__ml_unwinding",  # ops.ml_unwinding(exc)
    "guard": "__ml_guard",  # ops.guard_callable(value)
    "import": "__ml_import",  # registry.load(name): a standard-library or extension module
    "import_ml": "__ml_import_ml",  # runtime.imports.import_ml(name): an ML source module
    "import_package": "__ml_import_package",  # runtime.imports.import_package(prefix, names)
    "exit": "__ml_ProgramExit",  # ops.ProgramExit
    "Exception": "__ml_Exception",  # Exception
    "BaseException": "__ml_BaseException",  # BaseException
    "compress": "__ml_compress",  # itertools.compress
    "next": "__ml_next",  # next
    "len": "__ml_len",  # len
    "S": "__ml_S",  # str
    "L": "__ml_L",  # list
    "D": "__ml_D",  # dict
    "builtin": "__ml_builtin",  # the `builtin` module object
    "ticker": "__ml_T",  # state.CURRENT.get: the running execution's state, its ticker
    "enter": "__ml_enter",  # function.call_from_host(fn, *args): a host call's execution
}
SELF_PREFIX = "__ml_self_"  # the hidden name a function's prologue finds itself by
TICK_VAR = "__ml_tick"
TICKER_VAR = "__ml_t"  # a function's own reference to its execution's ticker
LAST = "__ml_last"  # the value of a final expression statement
KEYWORD_PREFIX = "__mlkw_"

PYTHON_RESERVED = frozenset(keyword.kwlist) | {"None", "True", "False"}


def py_name(name: str) -> str:
    """The Python identifier for an ML identifier (Python keywords are renamed)."""
    return KEYWORD_PREFIX + name if name in PYTHON_RESERVED else name


def ml_name(name: str) -> str:
    """The ML identifier for a Python identifier produced by :func:`py_name`."""
    return name[len(KEYWORD_PREFIX):] if name.startswith(KEYWORD_PREFIX) else name
