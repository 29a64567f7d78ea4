"""ML values as Python objects, how they display (DESIGN D3) and what ``typeof`` says (D4).

ML values *are* Python objects: numbers are ``int``/``float``, strings ``str``, booleans
``bool``, ``null`` is ``None``, arrays are ``list``, objects are ``dict``, functions are Python
functions. There is one display format everywhere -- ``print``, ``str()``, concatenation and
inside containers: ``true``, ``false``, ``null``, numbers as Python prints them, strings quoted
only inside containers.
"""

from __future__ import annotations

from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, Mapping

from mlpy.errors import MLResourceError, SecurityError
from mlpy.integers import int_text


class ErrorValue:
    """What ``except (e)`` binds: the message, the error type and a thrown object's keys.

    ``e.message`` is the text, ``e.type`` names the error (``"ZeroDivisionError"``,
    ``"CapabilityError"``, or ``"Error"`` for a thrown value), and a thrown object's own keys
    read as members. ``str(e)`` is the message; ``typeof(e)`` is ``"error"``.
    """

    __slots__ = ("message", "type", "payload", "exception")

    def __init__(self, message: str, type_name: str, payload: Any, exception: BaseException):
        self.message = message
        self.type = type_name
        self.payload = payload
        self.exception = exception

    def member(self, name: str) -> Any:
        if isinstance(self.payload, dict) and name in self.payload:
            return self.payload[name]
        if name == "message":
            return self.message
        if name == "type":
            return self.type
        if name == "payload":
            return self.payload
        return None

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<error {self.type}: {self.message}>"

    def _ml_held(self) -> tuple[Any, ...]:
        """The values the error keeps alive, for the memory budget."""
        return self.message, self.payload


class ModuleObject:
    """An imported module as ML sees it: only its exported members are attributes.

    The class defines no public attributes of its own, so reading ``m.name`` natively can only
    reach what the module exported (names starting with ``_`` are refused by the compiler).
    A module written in ML is *live*: its exports are read from its namespace when asked for,
    so ``m.count`` shows what the module's own functions last assigned.
    """

    def __init__(self, name: str, members: dict[str, Any], description: str = "", *,
                 live: dict[str, Any] | None = None, exports: Mapping[str, str] | None = None,
                 package: tuple[str, ...] = ()):
        self.__dict__.update(members)
        object.__setattr__(self, "_ml_name", name)
        object.__setattr__(self, "_ml_description", description)
        object.__setattr__(self, "_ml_live", live)  # the namespace of an ML module
        object.__setattr__(self, "_ml_exports", exports or {})  # ML name -> namespace key
        object.__setattr__(self, "_ml_package", package)  # a package: the modules under it

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"module '{self._ml_name}' is read-only")

    def __setitem__(self, name: str, value: Any) -> None:  # `m.x = 1` through a variable
        raise TypeError(f"module '{self._ml_name}' is read-only")

    def __getattr__(self, name: str) -> Any:  # only called for names not in __dict__
        key = self._ml_exports.get(name)
        if key is not None:
            try:
                return self._ml_live[key]
            except KeyError:
                raise AttributeError(f"'{name}' of module '{self._ml_name}' is not assigned "
                                     "yet") from None
        raise AttributeError(f"module '{self._ml_name}' has no member '{name}'")

    def _ml_members(self) -> list[str]:
        return sorted({k for k in self.__dict__ if not k.startswith("_")} | set(self._ml_exports))

    def _ml_values(self) -> list[Any]:
        return [getattr(self, name, None) for name in self._ml_members()]

    def __repr__(self) -> str:
        return f"<module {self._ml_name}>"


class HostObject:
    """A host value ML may hold but not look into (an opaque handle).

    Host objects that are not ML values (numbers, strings, booleans, null, arrays, objects,
    functions, modules) reach ML wrapped in this class: ML code can store one, compare it
    (by identity), show it (``<object TypeName>``) and pass it back to host functions, which
    get the original object. Everything else -- members, indexing, iteration, ``len`` --
    is refused, so ML never runs the host object's own code.
    """

    __slots__ = ("_value",)
    _ml_type_name = "object"

    def __init__(self, value: Any):
        self._value = value

    def __eq__(self, other: object) -> bool:
        return other.__class__ is HostObject and other._value is self._value

    def __hash__(self) -> int:
        return id(self._value)

    def __bool__(self) -> bool:
        return True

    def _refuse(self, *args: Any) -> Any:
        raise SecurityError(
            f"{self._ml_display()} is a host object: ML can hold it and pass it to host "
            "functions, but not look into it", code="MLSEC103")

    __getitem__ = __setitem__ = __delitem__ = __iter__ = __len__ = __contains__ = _refuse

    def _ml_display(self) -> str:
        return f"<object {type(self._value).__name__}>"

    def __repr__(self) -> str:
        return self._ml_display()


# ----------------------------------------------------------------------------- frozen data


def _refuse_change(self: Any, *args: Any, **kwargs: Any) -> Any:
    kind = "array" if isinstance(self, list) else "object"
    raise TypeError(f"this {kind} is read-only: the host passed it frozen")


class FrozenArray(list):
    """A read-only array (see :func:`frozen`): reading works as for a list, changing fails."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse_change
    append = extend = insert = remove = pop = clear = sort = reverse = _refuse_change


class FrozenObject(dict):
    """A read-only object (see :func:`frozen`): reading works as for a dict, changing fails."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse_change
    pop = popitem = clear = update = setdefault = _refuse_change


def frozen(value: Any) -> Any:
    """A deep, read-only copy of host data for ML: arrays and objects at every level refuse
    to change (a catchable error in ML), everything else reads as usual.

    Pass it in ``variables=`` when ML code must not change what the host shares with it.
    """
    cls = value.__class__
    if cls is dict or cls is FrozenObject:
        return FrozenObject({key: frozen(item) for key, item in value.items()})
    if cls in (list, tuple, FrozenArray, set, frozenset):
        return FrozenArray(frozen(item) for item in value)
    return value


# Names to show for builtins implemented by a C function under another name (len).
DISPLAY_NAMES: dict[int, str] = {}

# ----------------------------------------------------------------------------- typeof

_TYPE_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    tuple: "array",
    dict: "object",
    bytes: "bytes",
    FrozenArray: "array",
    FrozenObject: "object",
    type(None): "null",
    ErrorValue: "error",
    ModuleObject: "module",
    FunctionType: "function",
    BuiltinFunctionType: "function",
    MethodType: "function",
}


def declared_members(cls: type) -> frozenset[str] | None:
    """The members ML may use on instances of ``cls``: those of an ``ml_class`` -- declared
    on the class itself. A subclass that was not decorated inherits the attribute in Python,
    but not the trust: its instances are opaque handles (tables are keyed by type identity)."""
    return cls.__dict__.get("_ml_members")


def typeof(value: Any) -> str:
    """The ML type name of ``value`` (D4: ``typeof(null)`` is ``"null"``)."""
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    ml_type = type(value).__dict__.get("_ml_type_name")
    if ml_type:
        return ml_type
    if callable(value):
        return "function"
    return "object"


# ----------------------------------------------------------------------------- display


def display(value: Any) -> str:
    """The text of ``value`` as ``print`` and ``str()`` show it (strings unquoted)."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is int and -_ONE_DIGIT <= value <= _ONE_DIGIT:  # Python's text, and short
        return int.__repr__(value)
    if cls is float:
        return float.__repr__(value)
    return _render(value, 0)


_ONE_DIGIT = (1 << 30) - 1


def show_nested(value: Any) -> str:
    """The text of ``value`` inside a container (strings quoted), as ``repr()`` shows it."""
    return _render(value, 1)


def quoted(value: Any, limit: int = 60) -> str:
    """``value`` as a message quotes it -- as ``repr()`` shows it, strings in quotes -- cut
    to about ``limit`` characters (a key, say, may be a string of millions)."""
    if value.__class__ is str and len(value) > limit:
        return repr(value[:limit])[:-1] + f"...' ({len(value):,} characters)"
    try:
        text = show_nested(value)
    except MLResourceError:
        return "<a value too large to show>"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


_MAX_DEPTH = 200
_CONTAINER_TYPES = (list, tuple, dict, FrozenArray, FrozenObject)
_OBJECT_TYPES = (dict, FrozenObject)
# The longest text a display may produce (the size limit of strings).
MAX_DISPLAY = 1 << 24


def _render(value: Any, depth: int) -> str:
    if value.__class__ in _CONTAINER_TYPES:
        size = expanded_size(value)
        if size > MAX_DISPLAY:
            raise MLResourceError(
                f"size limit reached: showing this value would take about {size:,} "
                f"characters, over the limit of {MAX_DISPLAY:,}",
                resource="memory", limit=MAX_DISPLAY,
                hints=["a value that holds the same array many times over shows each copy; "
                       "show a part of it"])
    return _show(value, depth, set())


def expanded_size(value: Any, limit: int = MAX_DISPLAY) -> int:
    """About how many characters ``value`` takes when written out in full, every shared
    part once per place it appears (cycles count once); stops counting past ``limit``.

    Measured without writing anything, in time proportional to the distinct values, so a
    structure that shares itself exponentially is refused at once.
    """
    memo: dict[int, int] = {}

    def size(item: Any, depth: int, active: set[int]) -> int:
        cls = item.__class__
        if cls is str:
            return len(item) + 2
        if cls is int:
            return max(item.bit_length() * 3 // 10, 8)  # about its digits
        if cls not in _CONTAINER_TYPES:
            return 8
        key = id(item)
        if key in memo:
            return memo[key]
        if key in active or depth > _MAX_DEPTH:
            return 5
        active.add(key)
        total = 2 + 2 * len(item)
        children = item.items() if cls in _OBJECT_TYPES else (
            (None, child) for child in item)
        for name, child in children:
            total += size(child, depth + 1, active) + (0 if name is None else size(
                name, depth + 1, active))
            if total > limit:
                break
        active.discard(key)
        memo[key] = total
        return total

    return size(value, 0, set())


def _show(value: Any, depth: int, active: set[int]) -> str:
    cls = value.__class__
    if cls is str:
        return value if depth == 0 else repr(value)
    if cls is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if cls is int:
        return int_text(value)
    if cls is float:
        return repr(value)
    if depth > _MAX_DEPTH:
        return "..."
    if cls in _CONTAINER_TYPES:
        key = id(value)
        if key in active:  # a value that contains itself
            return "{...}" if cls in _OBJECT_TYPES else "[...]"
        active.add(key)
        try:
            if cls in _OBJECT_TYPES:
                return "{" + ", ".join(
                    f"{_show(k, depth + 1, active)}: {_show(v, depth + 1, active)}"
                    for k, v in value.items()) + "}"
            return "[" + ", ".join(_show(item, depth + 1, active) for item in value) + "]"
        finally:
            active.discard(key)
    if cls is ErrorValue:
        return value.message
    if cls is FunctionType:
        return f"<function {_function_name(value)}>"
    if cls is ModuleObject:
        return repr(value)
    if cls is bytes:
        return repr(value)
    custom = getattr(cls, "_ml_display", None)
    if custom is not None:
        return custom(value)
    if callable(value):
        name = DISPLAY_NAMES.get(id(value)) or getattr(value, "__name__", "?")
        return f"<function {name}>"
    return f"<object {cls.__name__}>"


def _function_name(fn: FunctionType) -> str:
    name = fn.__name__
    if name == "<lambda>" or name.startswith("__ml_arrow"):
        return "anonymous"
    return name[len("__mlkw_"):] if name.startswith("__mlkw_") else name
