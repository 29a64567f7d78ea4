"""ML module ``env``: the process environment, one variable name at a time.

The variable name is the resource: ``env.read:APP_*`` lets a script read ``APP_MODE`` but not
``HOME``, and ``all()`` returns only the variables the scope admits. ``set`` and ``delete``
change the environment of the whole host process (as the reference does), so they need
``env.write`` on the name.
"""

from __future__ import annotations

import os
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_function, ml_module
from mlpy.runtime.values import display, typeof
from mlpy.stdlib._fs import admits

_TRUE = frozenset({"true", "1", "yes", "on"})


def _name(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"an environment variable name must be a string, not {typeof(key)}")
    if not key or "=" in key or "\0" in key:
        raise ValueError(f"{key!r} is not a valid environment variable name")
    return key


def _read(key: Any) -> str | None:
    """The value of a variable the script may read, or None when it is not set."""
    name = _name(key)
    require("env.read", name)
    return os.environ.get(name)


def _parsed(key: Any, default: Any, parse) -> Any:
    value = _read(key)
    if value is None:
        return default
    try:
        return parse(value)
    except ValueError:
        return default


@ml_module("env", "Environment variable access and management")
class Env:
    """Each function checks ``env.read`` or ``env.write`` on the variable's name."""

    @ml_function("The value of a variable, or the default when it is not set",
                 capabilities=["env.read"])
    def get(self, key, default=None):
        value = _read(key)
        return default if value is None else value

    @ml_function("The value of a variable; a RuntimeError (Required environment variable not "
                 "set: KEY) when it is not set", name="require",
                 capabilities=["env.read"])
    def require_(self, key):
        value = _read(key)
        if value is None:
            raise RuntimeError(f"Required environment variable not set: {key}")
        return value

    @ml_function("Whether a variable is set", capabilities=["env.read"])
    def has(self, key):
        return _read(key) is not None

    @ml_function("An object of the variables the scope admits, sorted by name",
                 capabilities=["env.read"])
    def all(self):
        admitted = admits("env.read")
        return {name: value for name, value in sorted(os.environ.items()) if admitted(name)}

    @ml_function("A variable as an integer; the default when unset or not an integer",
                 capabilities=["env.read"])
    def get_int(self, key, default=0):
        return _parsed(key, default, int)

    @ml_function("A variable as a number; the default when unset or not a number",
                 capabilities=["env.read"])
    def get_float(self, key, default=0.0):
        return _parsed(key, default, float)

    @ml_function("A variable as a boolean: true for true, 1, yes or on (any case), otherwise "
                 "false; the default when unset",
                 capabilities=["env.read"])
    def get_bool(self, key, default=False):
        value = _read(key)
        return default if value is None else value.lower() in _TRUE

    @ml_function("Set a variable to the text of a value, as str() shows it",
                 capabilities=["env.write"])
    def set(self, key, value):
        name = _name(key)
        require("env.write", name)
        os.environ[name] = display(value)

    @ml_function("Remove a variable if it is set", capabilities=["env.write"])
    def delete(self, key):
        name = _name(key)
        require("env.write", name)
        os.environ.pop(name, None)
