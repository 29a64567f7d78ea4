"""The ``ml-module`` directive: a standard-library module's reference, generated from its
metadata so that it cannot drift from the code.

Used in a MyST page as::

    ```{ml-module} math
    ```

it renders, from the ``@ml_module`` class of ``mlpy/stdlib/<name>_bridge.py``:

* a table of the module's functions: the call in ML form (``math.pow(x, y)``, parameters from
  the Python signature, defaults spelled as ML spells them), the capabilities a call needs
  (the module's and the function's) and the function's description;
* a table of its constants (name, value as ML shows it, description), when it has any;
* for each value type declared with ``@ml_class`` in the same bridge file, a table of the
  methods and properties ML may use on it.

Every function gets a target: ``{ref}`math.pow``` links to its row (labels are lower-cased
by Sphinx, so ``{ref}`datetime.parseISO``` works as written).

The functions that build the rows (:func:`function_rows`, :func:`constant_rows`,
:func:`class_tables`) need no Sphinx and are what ``tests/test_docs_stdlib.py`` checks.
"""

from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from mlpy.modules.decorators import ModuleMetadata, get_module_metadata
from mlpy.modules.registry import ModuleRegistry
from mlpy.runtime.values import show_nested

NO_CAPABILITY = "none"


@dataclass(frozen=True)
class Row:
    """One row of a reference table. ``anchor`` is the label of a function row, else ''."""

    name: str
    signature: str
    capability: str
    description: str
    anchor: str = ""
    aliases: tuple[str, ...] = ()  # other ML names sharing the row (same call, same text)
    alias_anchors: tuple[str, ...] = ()  # their labels, for function rows

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class ClassTable:
    name: str
    description: str
    rows: list[Row]


# ------------------------------------------------------------------- reading the metadata


def bridge(name: str) -> Any:
    """The Python module of the standard-library module ``name``."""
    if name not in ModuleRegistry().available("stdlib"):
        raise ValueError(f"'{name}' is not a standard-library module")
    return importlib.import_module(f"mlpy.stdlib.{name}_bridge")


def module_class(name: str) -> type:
    """The ``@ml_module`` class of the standard-library module ``name``."""
    for value in vars(bridge(name)).values():
        meta = get_module_metadata(value)
        if isinstance(value, type) and meta is not None and meta.name == name:
            return value
    raise ValueError(f"mlpy/stdlib/{name}_bridge.py declares no ml_module '{name}'")


def value_classes(name: str) -> list[type]:
    """The ``@ml_class`` value types declared in the module's bridge file, in file order."""
    python_module = bridge(name)
    return [value for value in vars(python_module).values()
            if isinstance(value, type) and "_ml_class" in vars(value)
            and value.__module__ == python_module.__name__]


def ml_literal(value: Any) -> str:
    """``value`` as ML source spells it: ``null``, ``true``, ``"text"``, ``[1, 2]``."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return show_nested(value)


def _ml_name(name: str) -> str:
    """A Python parameter name as ML code would write it: ``from_`` is ``from``."""
    return name[:-1] if name.endswith("_") and name[:-1] else name


def parameters(cls: type, py_name: str) -> str:
    """The parameter list of a method in ML form, without ``self``: ``x, base = null,
    ...rest``."""
    raw = inspect.getattr_static(cls, py_name)
    function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    if isinstance(raw, property):
        return ""
    listed = list(inspect.signature(function).parameters.values())
    if not isinstance(raw, staticmethod) and listed:
        listed = listed[1:]  # self (or cls)
    parts = []
    for parameter in listed:
        if parameter.kind is parameter.VAR_POSITIONAL:
            parts.append(f"...{parameter.name}")
        elif parameter.kind is parameter.VAR_KEYWORD:
            continue  # ML calls pass no keyword arguments
        elif parameter.default is parameter.empty:
            parts.append(_ml_name(parameter.name))
        else:
            parts.append(f"{_ml_name(parameter.name)} = {ml_literal(parameter.default)}")
    return ", ".join(parts)


def _capability(*groups: tuple[str, ...]) -> str:
    needed = tuple(dict.fromkeys(cap for group in groups for cap in group))
    return ", ".join(needed) if needed else NO_CAPABILITY


def _target(cls: type, py_name: str) -> Any:
    """The Python function behind a method, through ``functools.wraps`` wrappers (an
    alias made by wrapping is found where the function it wraps is defined)."""
    raw = inspect.getattr_static(cls, py_name)
    raw = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    return inspect.unwrap(raw)


def _rows(cls: type, functions: Any, prefix: str, capabilities: tuple[str, ...],
          anchored: bool) -> list[Row]:
    """Rows for ``functions`` (FunctionMetadata, in order). ML names whose rows would be
    the same -- same parameters, capabilities and description: an alias and the function it
    names -- share the first one's row."""
    groups: dict[Any, list[Any]] = {}
    for function in functions:
        key = (function.description, function.capabilities,
               parameters(cls, function.py_name))
        groups.setdefault(key, []).append(function)
    rows = []
    for first, *others in groups.values():
        anchor = f"{prefix}{first.name}" if anchored else ""
        rows.append(Row(
            first.name, f"{prefix}{first.name}({parameters(cls, first.py_name)})",
            _capability(capabilities, first.capabilities), first.description, anchor,
            tuple(other.name for other in others),
            tuple(f"{prefix}{other.name}" for other in others) if anchored else ()))
    return rows


def function_rows(name: str) -> list[Row]:
    """One row per function of module ``name``, in declaration order (aliases share the
    row of the function they name)."""
    cls = module_class(name)
    meta: ModuleMetadata = cls._ml_module
    return _rows(cls, meta.functions.values(), f"{name}.", meta.capabilities, True)


def constant_rows(name: str) -> list[Row]:
    """One row per constant of module ``name``: its value as ML spells it."""
    cls = module_class(name)
    return [Row(constant.name, f"{name}.{constant.name}", ml_literal(getattr(cls, constant.name)),
                constant.description)
            for constant in cls._ml_module.constants.values()]


def _line(cls: type, attr: str) -> tuple[str, int]:
    raw = inspect.getattr_static(cls, attr)
    target = raw.fget if isinstance(raw, property) else _target(cls, attr)
    code = getattr(target, "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code else ("", 0)


def class_tables(name: str) -> list[ClassTable]:
    """For each value type of module ``name``: its methods (``addDays(n)``) and properties
    (``name``), in source order (inherited ones included), with the capabilities a call
    needs and their descriptions."""
    tables = []
    for cls in value_classes(name):
        meta = cls._ml_class
        methods = sorted(meta.methods.values(), key=lambda m: _line(cls, m.py_name))
        rows = _rows(cls, methods, "", meta.capabilities, False)
        rows += [Row(prop, prop, _capability(meta.capabilities), description)
                 for prop, description in sorted(meta.properties.items(),
                                                 key=lambda item: _line(cls, item[0]))]
        tables.append(ClassTable(meta.name, meta.description, rows))
    return tables


# ----------------------------------------------------------------------------- rendering


def _table(header: list[str], rows: list[list[nodes.Node]], widths: list[int],
           ids: list[list[str]] | None = None) -> nodes.table:
    table = nodes.table(classes=["ml-reference"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.paragraph(text=text) for text in header])
    body = nodes.tbody()
    group += body
    for index, cells in enumerate(rows):
        row = _row(cells)
        if ids:  # on the first cell: HTML puts the ids after the first in <span>s
            row.children[0]["ids"].extend(ids[index])
        body += row
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.paragraph) else nodes.paragraph("", "", cell)
        row += entry
    return row


def _code(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def _signature_cell(row: Row) -> nodes.paragraph:
    """The call, then the other names of the same function (``also from_timestamp``)."""
    cell = nodes.paragraph()
    cell += _code(row.signature)
    if row.aliases:
        module = row.anchor[:-len(row.name)] if row.anchor else ""
        cell += nodes.Text("; also ")
        for index, alias in enumerate(row.aliases):
            if index:
                cell += nodes.Text(", ")
            cell += _code(f"{module}{alias}")
    return cell


def _capability_cell(text: str) -> nodes.paragraph:
    if text == NO_CAPABILITY:
        return nodes.paragraph(text=text)
    cell = nodes.paragraph()
    for index, capability in enumerate(text.split(", ")):
        if index:
            cell += nodes.Text(", ")
        cell += _code(capability)
    return cell


def _description(text: str) -> nodes.paragraph:
    """A description as a sentence (the metadata's carry no final full stop), its quotes and
    dots as ``help()`` shows them (no smart quotes: ``"UTC"`` is what the code returns)."""
    paragraph = nodes.paragraph(text=text if text.endswith((".", "!", "?")) else f"{text}.")
    paragraph["support_smartquotes"] = False
    return paragraph


class MLModuleDirective(SphinxDirective):
    """``{ml-module} NAME``: the generated reference of a standard-library module."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        try:
            functions = function_rows(name)
        except ValueError as error:
            raise self.error(str(error)) from None
        std = self.env.get_domain("std")
        ids = []
        for row in functions:
            row_ids = []
            for anchor in (row.anchor, *row.alias_anchors):
                node_id = nodes.make_id(f"ml-{anchor}")
                row_ids.append(node_id)
                std.note_hyperlink_target(anchor.lower(), self.env.docname, node_id, anchor)
            ids.append(row_ids)
        result: list[nodes.Node] = [_table(
            ["function", "capability", "description"],
            [[_signature_cell(row), _capability_cell(row.capability),
              _description(row.description)] for row in functions],
            [35, 15, 50], ids)]

        constants = constant_rows(name)
        if constants:
            result.append(nodes.rubric(text="Constants"))
            result.append(_table(
                ["constant", "value", "description"],
                [[_code(row.signature), _code(row.capability), _description(row.description)]
                 for row in constants],
                [35, 15, 50]))

        for table in class_tables(name):
            rubric = nodes.rubric()
            rubric += _code(table.name)
            rubric += nodes.Text(" values")
            result.append(rubric)
            if table.description:
                result.append(_description(table.description))
            with_capability = any(row.capability != NO_CAPABILITY for row in table.rows)
            header = ["member", "capability", "description"] if with_capability \
                else ["member", "description"]
            rows = []
            for row in table.rows:
                cells = [_signature_cell(row)]
                if with_capability:
                    cells.append(_capability_cell(row.capability))
                cells.append(_description(row.description))
                rows.append(cells)
            result.append(_table(header, rows, [35, 15, 50] if with_capability else [35, 65]))
        return result


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("ml-module", MLModuleDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
