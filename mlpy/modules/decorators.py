"""The decorators that turn a Python class into an ML module (``mlpy.ext``).

A module is a class decorated with :func:`ml_module`; the methods decorated with
:func:`ml_function` are what ML can call, constants declared with :func:`ml_constant` are what
ML can read. Nothing else -- plain attributes, undecorated methods, names starting with ``_`` --
is reachable from ML. The decorators only attach metadata: calling a decorated method from
Python behaves exactly as before.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_CAPABILITY = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\Z")


class ModuleDefinitionError(TypeError):
    """A mistake in a module definition, reported with the definition's file and line."""


def _where(obj: Any) -> str:
    try:
        return f"{inspect.getsourcefile(obj)}:{inspect.getsourcelines(obj)[1]}"
    except (TypeError, OSError):
        return getattr(obj, "__qualname__", repr(obj))


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].strip()


def _capabilities(values: Iterable[str], owner: Any) -> tuple[str, ...]:
    result = []
    for value in values:
        if not isinstance(value, str) or not _CAPABILITY.match(value):
            raise ModuleDefinitionError(
                f"{_where(owner)}: capability {value!r} is not of the form 'area.action'"
            )
        result.append(value)
    return tuple(result)


@dataclass(frozen=True)
class FunctionMetadata:
    name: str
    py_name: str
    description: str
    capabilities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "py_name": self.py_name, "description": self.description,
                "capabilities": list(self.capabilities)}


@dataclass(frozen=True)
class ConstantMetadata:
    name: str
    description: str


@dataclass(frozen=True)
class ModuleMetadata:
    name: str
    description: str
    version: str
    capabilities: tuple[str, ...]
    functions: dict[str, FunctionMetadata] = field(default_factory=dict)
    constants: dict[str, ConstantMetadata] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.description, "version": self.version,
            "capabilities": list(self.capabilities),
            "functions": sorted(self.functions), "constants": sorted(self.constants),
        }


class _Constant:
    def __init__(self, value: Any, description: str | None):
        self.value = value
        self.description = description or ""


def ml_constant(value: Any, description: str | None = None) -> Any:
    """Declare a read-only constant in a module class body."""
    return _Constant(value, description)


def ml_function(
    fn: Callable[..., Any] | None = None,
    /,
    description: str | None = None,
    *,
    name: str | None = None,
    capabilities: Iterable[str] = (),
) -> Any:
    """Expose a method of a module class to ML (bare ``@ml_function`` or called)."""

    def mark(target: Any) -> Any:
        inner = target.__func__ if isinstance(target, (staticmethod, classmethod)) else target
        if inspect.iscoroutinefunction(inner):
            raise ModuleDefinitionError(f"{_where(inner)}: async functions cannot be exposed")
        if not callable(inner):
            raise ModuleDefinitionError(f"{_where(target)}: ml_function needs a function")
        ml_name = name or inner.__name__
        if not _NAME.match(ml_name):
            raise ModuleDefinitionError(f"{_where(inner)}: '{ml_name}' is not a valid ML name")
        inner._ml_function = FunctionMetadata(
            ml_name, inner.__name__, description or _first_line(inner.__doc__),
            _capabilities(capabilities, inner),
        )
        return target

    if fn is not None and callable(fn) or isinstance(fn, (staticmethod, classmethod)):
        return mark(fn)
    if isinstance(fn, str):  # @ml_function("description")
        description = fn
    return mark


def ml_module(
    name: str,
    description: str | None = None,
    *,
    capabilities: Iterable[str] = (),
    version: str = "1.0.0",
) -> Callable[[type], type]:
    """Declare a class as the ML module ``name``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModuleDefinitionError(f"ml_module name {name!r} is not a valid ML name")

    def decorate(cls: type) -> type:
        functions: dict[str, FunctionMetadata] = {}
        constants: dict[str, ConstantMetadata] = {}
        for attr, value in list(vars(cls).items()):
            inner = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            meta = getattr(inner, "_ml_function", None)
            if meta is not None:
                if meta.name in functions or meta.name in constants:
                    raise ModuleDefinitionError(
                        f"{_where(inner)}: '{meta.name}' is exposed twice in module '{name}'"
                    )
                functions[meta.name] = meta
            elif isinstance(value, _Constant):
                if attr.startswith("_"):
                    raise ModuleDefinitionError(f"{_where(cls)}: constant '{attr}' is private")
                constants[attr] = ConstantMetadata(attr, value.description)
                setattr(cls, attr, value.value)
        cls._ml_module = ModuleMetadata(
            name, description if description is not None else _first_line(cls.__doc__),
            version, _capabilities(capabilities, cls), functions, constants,
        )
        return cls

    return decorate


@dataclass(frozen=True)
class ClassMetadata:
    """What ML may use on instances of a class: its declared methods and properties."""

    name: str
    description: str
    capabilities: tuple[str, ...]
    methods: dict[str, FunctionMetadata] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)  # name -> description

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "capabilities": list(self.capabilities), "methods": sorted(self.methods),
                "properties": sorted(self.properties)}


class _Property(property):
    """A property ML may read (see :func:`ml_property`)."""

    _ml_description = ""


def ml_property(fn: Callable[[Any], Any] | None = None, /, description: str | None = None
                ) -> Any:
    """Expose a read-only property of an ``ml_class`` instance to ML."""

    def mark(target: Callable[[Any], Any]) -> property:
        exposed = _Property(target)
        exposed._ml_description = description or _first_line(target.__doc__)
        return exposed

    if callable(fn):
        return mark(fn)
    if isinstance(fn, str):
        description = fn
    return mark


def _unwrap(value: Any) -> Any:
    return value.__func__ if isinstance(value, (staticmethod, classmethod)) else value


def _resolve(cls: type, attr: str) -> tuple[int, Any] | None:
    """Where Python finds the class attribute ``attr`` of ``cls``: the index in the MRO of the
    class whose body holds it, and the raw value there (no descriptor is invoked)."""
    for index, klass in enumerate(cls.__mro__):
        if attr in vars(klass):
            return index, vars(klass)[attr]
    return None


def _declarations(klass: type) -> dict[str, tuple[str, Any]]:
    """The ML names declared in the body of ``klass`` itself: name -> (attribute, value)."""
    found: dict[str, tuple[str, Any]] = {}
    for attr, value in vars(klass).items():
        meta = getattr(_unwrap(value), "_ml_function", None)
        if meta is not None:
            ml_name = meta.name
        elif isinstance(value, _Property):
            if attr.startswith("_"):
                raise ModuleDefinitionError(f"{_where(klass)}: property '{attr}' is private")
            ml_name = attr
        else:
            continue
        previous = found.get(ml_name)
        if previous is None:
            found[ml_name] = (attr, value)
        elif _unwrap(previous[1]) is not _unwrap(value):
            raise ModuleDefinitionError(
                f"{_where(_unwrap(value))}: '{ml_name}' is exposed twice in class "
                f"'{klass.__qualname__}'")
        elif attr == getattr(meta, "py_name", None):  # the same function under a 2nd name
            found[ml_name] = (attr, value)  # (an ML-name alias): keep its Python name
    return found


def ml_class(name: str | None = None, description: str | None = None, *,
             capabilities: Iterable[str] = ()) -> Callable[[type], type]:
    """Declare a class whose instances ML may use: only the methods marked with
    :func:`ml_function` and the properties marked with :func:`ml_property` are reachable;
    ``typeof`` names the value ``name``. Capabilities declared on the class or on a method
    are checked by the gate at every call of that method.

    Declarations are inherited: the members are collected through the class's MRO, from
    ``ml_class`` bases and from plain bases or mixins whose methods carry the decorators
    alike. For each ML name the most derived class that declares it wins (a subclass
    overrides a base's member by ML name, whatever its Python name or kind). The winner is
    exposed only if Python resolves its attribute on this class to the decorated function or
    property itself: a subclass that overrides the attribute without the decorator (a plain
    method, property or value) hides the ML name -- the base's declaration is not used in its
    place. ML reaches a method exposed under another ML name (``ml_function(name=...)``)
    through its Python attribute, so declaring it never changes what Python finds under
    either name; the class gets the ML name as an extra attribute only when nothing in the
    MRO has one, and a class more derived than the declaring one that defines an attribute
    of the ML name hides it too. Capabilities stay with what declared them: an inherited
    method keeps its own, and the class-level capabilities of ``ml_class`` bases apply to
    the subclass as well (a subclass cannot drop a requirement). Two declarations of one ML
    name in one class body are a :class:`ModuleDefinitionError`. Names
    starting with ``_`` are never reachable."""
    if name is not None and (not isinstance(name, str) or not _NAME.match(name)):
        raise ModuleDefinitionError(f"ml_class name {name!r} is not a valid ML name")

    def decorate(cls: type) -> type:
        methods: dict[str, FunctionMetadata] = {}
        properties: dict[str, str] = {}
        aliases: dict[str, Any] = {}
        attributes: dict[str, str] = {}  # ML name -> Python attribute, where they differ
        decided: set[str] = set()
        for index, klass in enumerate(cls.__mro__):
            for ml_name, (attr, value) in _declarations(klass).items():
                if ml_name in decided:
                    continue  # a more derived class declared it (or hid it)
                decided.add(ml_name)
                resolved = _resolve(cls, attr)
                if resolved is None or resolved[1] is not value:
                    continue  # overridden without the decorator: hidden
                if isinstance(value, _Property):
                    properties[ml_name] = value._ml_description
                    continue
                if ml_name != attr:
                    holder = _resolve(cls, ml_name)
                    if holder is None:
                        aliases[ml_name] = value  # Python may call it by its ML name too
                    elif _unwrap(holder[1]) is not _unwrap(value) and holder[0] < index:
                        continue  # a class more derived than the declaring one defines it
                    attributes[ml_name] = attr
                methods[ml_name] = _unwrap(value)._ml_function
        for ml_name, value in aliases.items():
            setattr(cls, ml_name, value)
        inherited = [cap for klass in cls.__mro__[1:]
                     for cap in getattr(vars(klass).get("_ml_class"), "capabilities", ())]
        cls._ml_class = ClassMetadata(
            name or cls.__name__, description if description is not None
            else _first_line(cls.__doc__),
            tuple(dict.fromkeys(_capabilities(capabilities, cls) + tuple(inherited))),
            methods, properties)
        cls._ml_members = frozenset(methods) | frozenset(properties)
        cls._ml_method_names = frozenset(meta.py_name for meta in methods.values())
        cls._ml_attributes = MappingProxyType(attributes)
        cls._ml_type_name = name or cls.__name__
        return cls

    return decorate


def get_class_metadata(obj: Any) -> ClassMetadata | None:
    return getattr(obj if isinstance(obj, type) else type(obj), "_ml_class", None)


def get_module_metadata(obj: Any) -> ModuleMetadata | None:
    return getattr(obj, "_ml_module", None)


def get_function_metadata(fn: Any) -> FunctionMetadata | None:
    inner = getattr(fn, "__func__", fn)
    return getattr(inner, "_ml_function", None)
