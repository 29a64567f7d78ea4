"""Runtime helpers for the places where ML and Python differ, and the call gate.

Generated code uses native Python operations wherever ML and Python agree. It calls these
helpers only for member reads on values (``o.name``), method calls on values (``s.upper()``),
calls of values the compiler cannot prove safe (``f(x)`` where ``f`` is a variable), string
concatenation next to a literal, ``throw`` and ``except``.

What ML can reach on a value is an allow-list keyed by the value's exact type:

* ``dict`` (an ML object): its keys, as data -- ``o.name`` reads key ``"name"``, ``null`` when
  missing; ``o.f(x)`` calls the function stored under ``"f"``.
* ``str`` and ``list``: the methods in :data:`STRING_METHODS` / :data:`ARRAY_METHODS`, and
  ``length``.
* modules: their exported members; caught errors: ``message``, ``type`` and the thrown keys;
  classes that declare ``_ml_members``: those members.

Names starting with ``_`` are never reachable on anything but an ML object's keys.
"""

from __future__ import annotations

from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

from mlpy.errors import (
    MLError, MLLimitError, MLMarshalError, MLResourceError, SecurityError,
)
from mlpy.integers import fits_text
from mlpy.runtime.gate import GuardedFunction
from mlpy.runtime.limits import CHECKED_METHODS, LARGE, check_percent, check_time
from mlpy.runtime.messages import describe
from mlpy.runtime.state import current_state, depth_error
from mlpy.runtime.work import COMPARING_METHODS
from mlpy.runtime.values import (
    ErrorValue, FrozenArray, FrozenObject, HostObject, ModuleObject, declared_members,
    display, quoted, show_nested, typeof,
)

STRING_METHODS = frozenset(
    "upper lower strip lstrip rstrip replace split rsplit join startswith endswith find rfind "
    "index rindex count isdigit isalpha isalnum isspace istitle isupper islower capitalize "
    "title swapcase center ljust rjust".split()
)
ARRAY_METHODS = frozenset(
    "append extend insert remove pop index count sort reverse clear copy".split()
)

# Only reachable on an object that holds a non-string key (a stdlib groupBy result, `o[1] = x`):
# such an object is a plain map, not a record (language spec 3.2, 4.10).
MAP_METHODS = frozenset("get keys values items pop popitem update clear setdefault".split())

METHODS: dict[type, dict[str, Any]] = {
    str: {name: getattr(str, name) for name in STRING_METHODS} | CHECKED_METHODS[str],
    list: {name: getattr(list, name) for name in ARRAY_METHODS} | CHECKED_METHODS[list]
    | COMPARING_METHODS,
    # a frozen array's changing methods refuse (see values.FrozenArray)
    FrozenArray: {name: getattr(FrozenArray, name) for name in ARRAY_METHODS}
    | {"index": COMPARING_METHODS["index"], "count": COMPARING_METHODS["count"]},
}

# Methods other languages have, and what ML calls them.
_RENAMED = {
    "push": "append(x)", "toUpperCase": "upper()", "toLowerCase": "lower()", "trim": "strip()",
    "includes": "count(x) > 0, or s.find(x) >= 0 on strings", "indexOf": "index(x) or find(x)",
    "length": "the .length property or len(x)", "toString": "str(x)", "map": "functional.map",
    "filter": "functional.filter", "forEach": "a for loop", "concat": "a + b", "slice": "a[i:j]",
    "keys": "keys(o)", "values": "values(o)", "get": "o.key or o[\"key\"]", "items": "keys(o)",
    "trimStart": "lstrip()", "trimEnd": "rstrip()", "substring": "s[i:j]", "charAt": "s[i]",
    "shift": "pop(0)", "unshift": "insert(0, x)",
}

# The builtins, which ML may call by value (module functions are known by their metadata).
TRUSTED: set[Any] = set()


class MLThrown(Exception):
    """What ``throw value;`` raises; ``payload`` is the thrown value."""

    def __init__(self, payload: Any):
        self.payload = payload
        if isinstance(payload, dict):
            message = payload.get("message")
            text = display(message) if message is not None else "User-defined exception"
        else:
            text = display(payload)
        super().__init__(text)
        self.message = text


class ProgramExit(BaseException):
    """A ``return`` at the top level of a program: ends it quietly."""

    def __init__(self, value: Any = None):
        super().__init__()
        self.value = value


# ----------------------------------------------------------------------------- members


def _no_member(obj: Any, name: str, what: str = "member") -> AttributeError:
    if obj is None:
        return AttributeError(f"cannot read {what} '{name}' of null")
    message = f"{typeof(obj)} has no {what} '{name}'"
    error = AttributeError(message)
    if name in _RENAMED:
        error.ml_hint = f"in ML, use {_RENAMED[name]}"  # type: ignore[attr-defined]
    return error


def _private(name: str) -> SecurityError:
    return SecurityError(
        f"access to '{name}' is not allowed: names starting with '_' are private",
        code="MLSEC101",
    )


def _map_method(obj: dict, name: str) -> Any:
    """The dict method ``name`` if ``obj`` is a plain map (holds a non-string key), else None."""
    if name in MAP_METHODS and not all(k.__class__ is str for k in obj):
        method = getattr(obj, name)
        if name in ("keys", "values", "items"):  # no views or tuples reach ML (D6)
            return lambda: [list(i) if i.__class__ is tuple else i for i in method()]
        if name == "popitem":
            return lambda: list(method())
        return method
    return None


def ml_get(obj: Any, name: str) -> Any:
    """``obj.name`` for any value (the compiler inlines the common cases)."""
    cls = obj.__class__
    if cls is dict or cls is FrozenObject:
        if name in obj:
            return obj[name]
        return _map_method(obj, name)
    if name == "length" and (cls is str or cls is list or cls is tuple or cls is bytes
                             or cls is FrozenArray):
        return len(obj)
    if name[:1] == "_":
        raise _private(name)
    table = METHODS.get(cls)
    if table is not None:
        method = table.get(name)
        if method is None:
            raise _no_member(obj, name)
        if method.__class__ is FunctionType:  # a size-checked method stays checked
            return MethodType(method, obj)
        return getattr(obj, name)
    if cls is ModuleObject:
        try:
            return obj.__dict__[name]
        except KeyError:
            return obj.__getattr__(name)  # an ML module's live export, or AttributeError
    if cls is ErrorValue:
        return obj.member(name)
    if cls is HostObject:
        obj._refuse()
    members = declared_members(cls)
    if members is not None and name in members:
        return _class_member(obj, cls, name)
    raise _no_member(obj, name)


def _class_member(obj: Any, cls: type, name: str) -> Any:
    """A declared member of an ``ml_class`` instance; a method that needs capabilities comes
    wrapped in the gate, so it is checked however ML later calls it."""
    attributes = getattr(cls, "_ml_attributes", None)  # ML name -> Python name, where differ
    value = getattr(obj, attributes.get(name, name) if attributes else name)
    meta = getattr(cls, "_ml_class", None)
    method = meta.methods.get(name) if meta is not None else None
    if method is not None:
        required = tuple(dict.fromkeys(meta.capabilities + method.capabilities))
        if required:
            return GuardedFunction(value, name, f"{meta.name}.{name}", required,
                                   method.description)
    return value


def ml_method(obj: Any, name: str, *args: Any) -> Any:
    """``obj.name(args)`` for any value."""
    cls = obj.__class__
    if cls is dict or cls is FrozenObject:
        try:
            fn = obj[name]
        except KeyError:
            method = _map_method(obj, name)
            if method is None:
                raise _no_member(obj, name, "property") from None
            return method(*args)
        return ml_call(fn, *args)
    table = METHODS.get(cls)
    if table is not None:
        method = table.get(name)
        if method is None:
            raise _no_member(obj, name, "method")
        result = method(obj, *args)
        if len(obj) >= LARGE:  # a method's work grows with its receiver
            check_time()
        return result
    return ml_call(ml_get(obj, name), *args)


def identity(value: Any) -> Any:
    return value


# ----------------------------------------------------------------------------- the call gate


def ml_call(fn: Any, *args: Any) -> Any:
    """Call a value the compiler could not prove safe: ML functions, builtins, module
    functions and allow-listed methods pass; any other host callable is refused.

    ML functions take steps of their own; after any other call the deadline and the cancel
    flag are looked at again, so a long native call cannot end the program unnoticed."""
    if fn.__class__ is FunctionType and "__ml_ns__" in fn.__globals__:
        return fn(*args)
    if fn in TRUSTED if fn.__class__ is FunctionType else _callable_by_ml(fn):
        result = fn(*args)
        check_time()
        return result
    if not callable(fn):
        raise TypeError(f"{typeof(fn)} is not a function")
    raise SecurityError(
        f"calling {display(fn)} is not allowed: it is not an ML function, a builtin or a "
        "module member",
        code="MLSEC102",
    )


def _callable_by_ml(fn: Any) -> bool:
    cls = fn.__class__
    if getattr(cls, "_ml_callable", False):
        return True
    try:
        if fn in TRUSTED:
            return True
    except TypeError:  # unhashable
        return False
    if cls is BuiltinFunctionType or cls is MethodType:
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", "")
        table = METHODS.get(owner.__class__)
        if table is not None and name in table:
            return True
        if cls is MethodType and _exported(fn, owner):
            return True
        members = declared_members(owner.__class__)
        if members is not None and name in members:
            return True
        # a method an ml_class exposes under another ML name (ml_function(name=...))
        return members is not None and name in owner.__class__.__dict__.get(
            "_ml_method_names", ())
    return False


def _exported(method: MethodType, owner: Any) -> bool:
    """A method a module class exports with ``@ml_function`` (the decorators' metadata sits
    on the function and on the class; no registration that outlives the module is needed)."""
    return (getattr(method.__func__, "_ml_function", None) is not None
            and getattr(type(owner), "_ml_module", None) is not None)


# ----------------------------------------------------------------------------- the boundary

_SCALARS = frozenset({type(None), bool, int, float, str, bytes})
_HELD = (ModuleObject, ErrorValue, HostObject)
_CONTAINERS = frozenset({list, dict, tuple, FrozenArray, FrozenObject})


def admit(value: Any, path: str = "value") -> Any:
    """``value`` as ML may hold it, for a value coming from the host.

    Numbers, strings, booleans, null, arrays and objects pass as they are (by reference);
    a host callable ML may not call is replaced by one that refuses; any other host object
    becomes an opaque :class:`HostObject`. Inside arrays and objects only ML values and
    functions may appear, and objects have string keys: anything else raises
    :class:`MLMarshalError` naming where, since wrapping or converting it would mean copying
    the host's container.
    """
    cls = value.__class__
    if cls in _SCALARS:
        return value
    if cls in _CONTAINERS:
        _check_nested(value, path)
        return value
    if cls is set or cls is frozenset:  # a read-only snapshot, in iteration order
        snapshot = tuple(value)
        _check_nested(snapshot, path)
        return snapshot
    if callable(value) and not isinstance(value, type):
        return guard_callable(value)
    if cls in _HELD or declared_members(cls) is not None:
        return value
    return HostObject(value)


def _check_nested(value: Any, path: str) -> None:
    """Check every array and object reachable from ``value``, each once: the walk costs as
    much as the value is large (shared and cyclic parts are not walked again, and any depth
    is fine), and happens when the value crosses, not again when the host changes it."""
    seen: set[int] = set()
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        is_object = isinstance(item, dict)
        for key, child in item.items() if is_object else enumerate(item):
            if is_object and key.__class__ is not str:
                raise MLMarshalError(
                    f"{where} has the key {quoted(key)}, which is not a string; objects "
                    "passed to ML have string keys", path=where,
                    hints=["convert the keys with str(), or pass the pairs as an array "
                           "of [key, value] arrays"])
            cls = child.__class__
            if cls in _SCALARS:
                continue
            inner = f"{where}[{key!r}]"
            if cls in _CONTAINERS:
                stack.append((child, inner))
            elif not (cls in _HELD or callable(child) and not isinstance(child, type)
                      or declared_members(cls) is not None):
                raise MLMarshalError(
                    f"{inner} is a host object ({cls.__name__}); arrays and objects passed "
                    "to ML may hold only numbers, strings, booleans, null, arrays, objects "
                    "and functions", path=inner,
                    hints=["pass it as a variable of its own (ML gets an opaque handle), "
                           "or convert it to plain data"])


def release(value: Any) -> Any:
    """The host's object behind an opaque handle (anything else unchanged)."""
    return value._value if value.__class__ is HostObject else value


def guard_callable(value: Any) -> Any:
    """Bind ``value`` to a name that compiled code may call directly: a host callable that ML
    may not call is replaced by one that refuses."""
    if callable(value) and not (
        (value.__class__ is FunctionType and "__ml_ns__" in value.__globals__)
        or _callable_by_ml(value)
    ):
        return _Refused(value)
    return value


class _Refused:
    _ml_callable = True
    __slots__ = ("_target",)

    def __init__(self, target: Any):
        self._target = target

    def __call__(self, *args: Any) -> Any:
        raise SecurityError(
            f"calling {display(self._target)} is not allowed: it is not an ML function, "
            "a builtin or a module member", code="MLSEC102",
        )


# ----------------------------------------------------------------------------- formatting
# `%` shows every value in its ML display (D3) -- never a Python repr or a host object's
# address -- and its errors name ML types: the wrappers below carry the ML type name as
# their class name, which is what Python's messages show ("... required, not array").


class _Shown:
    """A value as `%s` shows it: the one ML display format."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __str__(self) -> str:
        return display(self.value)

    def __repr__(self) -> str:
        return show_nested(self.value)


class _ShownBool(int):
    """A boolean for `%`: `%s` shows true/false, `%d` still sees 1/0."""

    def __str__(self) -> str:
        return "true" if self else "false"

    __repr__ = __str__


class _LongInt(_Shown):
    """An integer too long for Python's decimal formatting: `%s` shows it in full, `%x` and
    `%o` format it, and `%d` is refused with an error that says so."""

    __slots__ = ()

    def __index__(self) -> int:
        return self.value


class _ShownObject:
    """An object as `%(key)s` reads it: each value as `%` sees a single value; the object
    itself, in its ML display, where a conversion names no key."""

    __slots__ = ("items",)

    def __init__(self, items: dict):
        self.items = items

    def __getitem__(self, key: Any) -> Any:
        return _for_format(self.items[key])

    def __str__(self) -> str:
        return display(self.items)

    def __repr__(self) -> str:
        return show_nested(self.items)


_ShownObject.__name__ = "object"
_SHOWN_TYPES: dict[str, type] = {}


def _for_format(value: Any) -> Any:
    cls = value.__class__
    if cls is int:
        return value if fits_text(value) else _LongInt(value)
    if cls is float or cls is str:
        return value
    if cls is bool:
        return _ShownBool(value)
    name = typeof(value)
    shown = _SHOWN_TYPES.get(name)
    if shown is None:
        shown = _SHOWN_TYPES[name] = type(name, (_Shown,), {"__slots__": ()})
    return shown(value)


def ml_mod(left: Any, right: Any) -> Any:
    """``left % right``: modulo, or printf-style formatting with ML display on a string."""
    if left.__class__ is not str:
        return left % right
    mapping = right.__class__ is dict or right.__class__ is FrozenObject
    check_percent(left, right, mapping)
    return left % (_ShownObject(right) if mapping else (_for_format(right),))


# ----------------------------------------------------------------------------- errors


def ml_throw(value: Any) -> BaseException:
    """The exception ``throw value;`` raises (rethrowing a caught error keeps its type)."""
    if value.__class__ is ErrorValue:
        return value.exception
    return MLThrown(value)


def ml_catch(exc: BaseException) -> ErrorValue:
    """What ``except (e)`` binds; limits (and a tripped execution) are raised again."""
    state = current_state()
    if state is not None and state.tripped is not None:
        if exc is state.tripped and state.trip_traceback is None:
            state.trip_traceback = exc.__traceback__  # where it happened, for the report
        raise state.tripped
    limit = _as_limit(exc, state)
    if limit is None:
        return error_value(exc)
    if state is not None:  # from now on nothing may swallow it, not even finally
        _record(state, limit, exc)
    if limit is exc or isinstance(exc, MemoryError):
        raise exc  # the engine frees the program's data when it sees a MemoryError
    raise limit from exc


def ml_unwinding(exc: BaseException) -> None:
    """Called when an error is on its way to a ``finally`` block: a limit -- a limit error,
    Python's own recursion limit, the host running out of memory -- is recorded as the
    execution's trip, so a ``return``, ``break`` or ``continue`` in the block (or an error it
    throws) cannot swallow it."""
    state = current_state()
    limit = _as_limit(exc, state) if state is not None else None
    if limit is not None:
        _record(state, limit, exc)


def _as_limit(exc: BaseException, state: Any) -> MLLimitError | None:
    """The limit ``exc`` stands for, or None for an error ML code may catch."""
    if isinstance(exc, MLLimitError):
        return exc
    if isinstance(exc, RecursionError):
        error = recursion_error(state)
        error.__cause__ = exc
        return error
    if isinstance(exc, MemoryError):
        return MLResourceError("memory limit reached: the host ran out of memory",
                               resource="memory")
    return None


def _record(state: Any, limit: MLLimitError, exc: BaseException) -> None:
    state.trip(limit)
    if state.tripped is limit and state.trip_traceback is None:
        state.trip_traceback = exc.__traceback__  # where it happened, for the report


def recursion_error(state: Any = None) -> MLResourceError:
    """The depth limit, when Python's own recursion limit was reached first (calls through
    helpers and host functions add frames the ML depth check does not see)."""
    return depth_error(getattr(state, "max_depth", None))


def error_value(exc: BaseException) -> ErrorValue:
    if isinstance(exc, MLThrown):
        return ErrorValue(exc.message, "Error", exc.payload, exc)
    if isinstance(exc, MLError):
        return ErrorValue(exc.message, type(exc).__name__, None, exc)
    return ErrorValue(describe(exc)[0], type(exc).__name__, None, exc)
