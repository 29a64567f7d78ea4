"""MLConfig: every mlpy setting in one documented table, and where each value came from.

The table
    :data:`OPTIONS` lists every key once: its section, type, default, allowed values, what it
    does and what reads it. The class, the error messages, the "did you mean" suggestions and
    the reference table in ``docs/operations/configuration.md`` (:func:`reference_table`, kept
    equal by a test) all come from it. To add a key: add an :class:`Option` here, read it
    where it takes effect (for Engine settings, :meth:`MLConfig.engine_options`; for
    AsyncEngine, :meth:`MLConfig.async_options`; anything else reads ``cfg.get(key)``), and
    regenerate the docs table.

Sources, lowest to highest
    The built-in default; the config file; the file's ``environments.<name>`` overlay chosen
    by ``environment=`` or ``MLPY_ENV``; the environment (``MLPY__SECTION__KEY``, plus
    ``MLPY_EXTENSION_PATHS``, ``MLPY_ML_MODULE_PATHS`` and ``MLPY_DEBUG``); the command line;
    the Python API. A higher source replaces a lower one's value -- lists and mappings
    included -- with two exceptions: ``security.deny`` is the union of every source's (a
    lower layer's deny can only be removed by editing that layer), and the two module path
    lists are concatenated in the order of the module-system spec: API, command line,
    overlay, file, environment, duplicates removed by real path (the first kept).

Provenance
    :meth:`MLConfig.explain` says where a value came from: ``default``, ``file:<path>``,
    ``file:<path>#environments.<name>``, ``env:<VAR>``, ``cli:<flag>`` or ``api``; combined
    lists name every contributing source, joined by ``" + "``.

Files
    Found as the module system finds its project config (:func:`mlpy.modules.paths.
    find_config_file`): walking up from ``start_dir`` (default: the working directory), the
    first directory with ``mlpy.json``, ``mlpy.yaml``, ``mlpy.yml``, ``.mlpy.json``,
    ``mlpy.toml`` or a ``pyproject.toml`` with ``[tool.mlpy]`` wins, in that order. Path
    values (the module path lists) expand ``${VAR}`` and ``~`` and are relative to the
    directory of the file they are written in; from the environment, the command line and
    the API they are relative to the working directory.

Bad values
    A value of the wrong type or outside its allowed values is an
    :class:`~mlpy.errors.MLConfigurationError` naming the source (file, variable or flag),
    the key and what was expected, raised when the config is loaded. An unknown key is a
    warning (:class:`MLConfigWarning`, also kept in :attr:`MLConfig.warnings`) with the
    closest known key, never a failure.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import inspect
import json
import os
import re
import threading
import warnings as _warnings
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from mlpy.errors import MLConfigurationError
from mlpy.modules.paths import (
    EXTENSION_KEY, EXTENSION_VARIABLE, ML_KEY, ML_VARIABLE, find_config_file, read_config_file,
)

ENV_PREFIX = "MLPY__"
CONFIG_VARIABLE = "MLPY_CONFIG"
ENVIRONMENT_VARIABLE = "MLPY_ENV"
DEBUG_VARIABLE = "MLPY_DEBUG"
ENVIRONMENTS = "environments"
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class MLConfigWarning(UserWarning):
    """A config source holds a key mlpy does not know (the message names the closest one),
    or names more than one config file in a directory."""


@dataclass(frozen=True)
class Option:
    """One configuration key. ``type`` is one of ``bool``, ``int``, ``number``, ``str``,
    ``size`` (bytes as an int, or a string such as ``"256MB"``), ``list[str]``,
    ``list[path]`` (directories; see the module docstring), ``profiles`` (profile name ->
    list of capability strings) or ``environments`` (overlay name -> partial config)."""

    key: str
    type: str
    default: Any
    description: str
    used_by: str = "stored; read with cfg.get()"
    choices: tuple[Any, ...] = ()
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None  # an exclusive lower bound

    @property
    def section(self) -> str:
        return self.key.rpartition(".")[0].partition(".")[0] or "(top level)"

    @property
    def range(self) -> str:
        """The bounds of a number, e.g. ``>= 1``; empty when it has none."""
        if self.above is not None:
            return f"> {_shown(self.above)}"
        if self.minimum is not None and self.maximum is not None:
            return f"{_shown(self.minimum)} .. {_shown(self.maximum)}"
        if self.minimum is not None:
            return f">= {_shown(self.minimum)}"
        return ""

    @property
    def allowed(self) -> str:
        """The allowed values, as the docs table shows them."""
        text = ", ".join(_shown(c) for c in self.choices) or self.range
        if self.nullable:
            text = f"{text}, null" if text else "null"
        return text


def _shown(value: Any) -> str:
    """A value as it is written in a JSON config file."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return json.dumps(value) if not isinstance(value, str) or value == "" else value


_INFO = "informational project metadata"

# Every key mlpy reads from a config, in the order of the reference table.
OPTIONS: tuple[Option, ...] = (
    Option("name", "str", None, f"Project name ({_INFO}).", "not read", nullable=True),
    Option("version", "str", None, f"Project version ({_INFO}).", "not read", nullable=True),
    Option("description", "str", None, f"Project description ({_INFO}).", "not read",
           nullable=True),
    Option("author", "str", None, f"Project author ({_INFO}).", "not read", nullable=True),
    Option("license", "str", None, f"Project license ({_INFO}).", "not read", nullable=True),
    Option(EXTENSION_KEY, "list[path]", (), "Directories searched for `*_bridge.py` extension "
           "modules; concatenated across sources.", "Engine(extension_paths=)"),
    Option(ML_KEY, "list[path]", (), "Roots under which `import a.b;` finds `a/b.ml`; "
           "concatenated across sources.", "Engine(ml_module_paths=)"),
    Option("compiler.strict_security", "bool", True, "Reject programs with critical or high "
           "static security findings (always on: false is refused).", "always on",
           choices=(True,)),
    Option("compiler.source_maps", "bool", True, "Report errors at ML lines and columns.",
           "always on"),
    Option("compiler.ticks", "bool", True, "Cooperative timeout and cancel checks in "
           "generated code (always on: limits depend on them, false is refused).",
           "always on", choices=(True,)),
    Option("compiler.cache.enabled", "bool", True, "Keep compiled programs for reuse.",
           "Engine(cache_size=0 when false)"),
    Option("compiler.cache.max_entries", "int", 512, "Compiled programs kept per engine.",
           "Engine(cache_size=)", minimum=1),
    Option("compiler.cache.disk", "bool", False, "Also keep compiled programs in the user "
           "cache directory."),
    Option("security.default_capabilities", "list[str]", (), "Grants of every execution "
           "that passes none of its own.", "Engine(capabilities=)"),
    Option("security.deny", "list[str]", (), "Capabilities no execution gets, whatever it "
           "is granted; the union across sources.", "Engine(deny=)"),
    Option("security.profiles", "profiles", {}, "Named capability sets, selected with "
           "`capabilities=\"profile:<name>\"`.", "Engine(profiles=)"),
    Option("security.capability_errors_catchable", "bool", True, "Whether ML `try` can catch "
           "a capability error."),
    Option("security.redact_resources", "bool", False, "Hide paths, URLs and names in audit "
           "events and denial messages.", "Engine(audit=AuditLog(redact=))"),
    Option("security.audit.enabled", "bool", True, "Record grants, revokes, denials and "
           "sampled uses.", "Engine(audit=)"),
    Option("security.audit.buffer", "int", 10000, "Audit events kept in memory.",
           "Engine(audit=AuditLog(size=))", minimum=1),
    Option("security.audit.sample_use", "number", 0.01, "Fraction of capability uses "
           "recorded.", "Engine(audit=AuditLog(use_sample_rate=))", minimum=0, maximum=1),
    Option("runtime.isolation", "str", "inprocess", "Where programs run.",
           "Engine(isolation=)", choices=("inprocess", "subprocess")),
    Option("runtime.timeout", "number", 30.0, "Wall-time limit of an execution, in seconds.",
           "Engine(timeout=)", nullable=True, above=0),
    Option("runtime.max_steps", "int", None, "Step budget of an execution.",
           "Engine(max_steps=)", nullable=True, minimum=1),
    Option("runtime.max_recursion", "int", 500, "Deepest nesting of calls.",
           "Engine(max_depth=)", minimum=1, maximum=10000),
    Option("runtime.result_name", "str", "result", "The variable whose value is "
           "`ExecutionResult.value`."),
    Option("runtime.result_mode", "str", "plain", "How results cross to Python.",
           choices=("plain", "raw")),
    Option("runtime.capture_output", "bool", False, "Keep what programs print in the result "
           "instead of writing it."),
    Option("async.max_workers", "int", 4, "Executions an AsyncEngine runs at once.",
           "AsyncEngine(max_workers=)", minimum=1),
    Option("async.max_pending", "int", 1000, "Executions that may wait for a worker.",
           "AsyncEngine(max_pending=)", nullable=True, minimum=1),
    Option("async.default_timeout", "number", 30.0, "Time limit of each async run, in "
           "seconds.", "AsyncEngine(default_timeout=)", nullable=True, above=0),
    Option("async.cancel_grace", "number", 1.0, "Seconds a cancelled job may take before its "
           "thread is replaced.", "AsyncEngine(cancel_grace=)", minimum=0),
    Option("sandbox.memory_limit", "size", "256MB", "Address space of a worker process.",
           "SandboxConfig(memory_limit=)"),
    Option("sandbox.cpu_timeout", "number", 30.0, "CPU seconds of one sandboxed execution.",
           "SandboxConfig(cpu_timeout=)", above=0),
    Option("sandbox.wall_timeout", "number", 30.0, "Wall seconds of one sandboxed execution "
           "(null: cpu_timeout).", "SandboxConfig(wall_timeout=)", nullable=True, above=0),
    Option("sandbox.file_size_limit", "size", "10MB", "Largest file a worker may write.",
           "SandboxConfig(file_size_limit=)"),
    Option("sandbox.max_output", "size", "1MB", "Bytes kept of each output stream.",
           "SandboxConfig(max_output=)"),
    Option("sandbox.pool_size", "int", 2, "Warm worker processes.",
           "SandboxConfig(pool_size=)", minimum=1),
    Option("sandbox.max_tasks_per_worker", "int", 100, "Executions before a worker is "
           "replaced.", "SandboxConfig(max_tasks_per_worker=)", minimum=1),
    Option("sandbox.network_isolation", "str", "capability", "`capability`: network grants "
           "are denied; `os`: also a network namespace per worker.",
           "SandboxConfig(network_isolation=)", choices=("capability", "os")),
    Option("sandbox.env_passthrough", "list[str]", (), "Host environment variables copied "
           "into workers.", "SandboxConfig(env_passthrough=)"),
    Option("sandbox.require_limits", "bool", True, "Refuse to start when the OS cannot apply "
           "a limit.", "SandboxConfig(require_limits=)"),
    Option("observability.metrics.enabled", "bool", False, "Export Prometheus metrics."),
    Option("observability.metrics.legacy_names", "bool", False, "Also export the 2.0 "
           "reference's metric names."),
    Option("observability.tracing.enabled", "bool", False, "Emit OpenTelemetry spans."),
    Option("observability.tracing.legacy_names", "bool", False, "Also use the 2.0 reference's "
           "span names."),
    Option("observability.logging.level", "str", "WARNING", "Level of the `mlpy` logger.",
           choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    Option("observability.logging.format", "str", "text", "Format of the `mlpy` logger's "
           "records.", choices=("text", "json")),
    Option("debug.enabled", "bool", False, "Debugging support (also set by `MLPY_DEBUG=1`)."),
    Option(ENVIRONMENTS, "environments", {}, "Overlays: `environments.<name>` is a partial "
           "config applied over the file when `MLPY_ENV` or `environment=` names it.",
           "MLConfig.load(environment=)"),
)

_BY_KEY: dict[str, Option] = {option.key: option for option in OPTIONS}
_VALUES = tuple(o for o in OPTIONS if o.key != ENVIRONMENTS)
# Every prefix of a key, e.g. "compiler" and "compiler.cache": a mapping may set them.
_SECTIONS = frozenset(o.key.rsplit(".", n)[0] for o in _VALUES
                      for n in range(1, o.key.count(".") + 1))
TOP_LEVEL_KEYS = frozenset(o.key.partition(".")[0] for o in OPTIONS)
_PATH_LISTS = (EXTENSION_KEY, ML_KEY)
# Where a source ranks; later layers of the same rank win.
_RANKS = {"default": 0, "file": 1, "overlay": 2, "env": 3, "cli": 4, "api": 5}
# The module path lists concatenate in the module-system order: API, CLI, overlay, file, env.
_PATH_ORDER = {"api": 0, "cli": 1, "overlay": 2, "file": 3, "env": 4, "default": 5}


# ----------------------------------------------------------------------------- values


def _expected(option: Option) -> str:
    kinds = {
        "bool": "true or false", "int": "an integer", "number": "a number",
        "str": "a string", "size": "a size (bytes, or a string such as \"256MB\")",
        "list[str]": "a list of strings", "list[path]": "a list of strings",
        "profiles": "a mapping of profile names to lists of capability strings",
        "environments": "a mapping of environment names to partial configs",
    }
    if option.choices:
        text = "one of " + ", ".join(_shown(c) for c in option.choices)
    else:
        text = kinds[option.type] + (f" {option.range}" if option.range else "")
    return text + (" or null" if option.nullable else "")


def _strings(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _valid(option: Option, value: Any) -> Any:
    """``value`` made immutable, or ``_INVALID`` when it does not fit ``option``."""
    if value is None:
        return None if option.nullable else _INVALID
    kind = option.type
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "size":
        ok = _size(value)
    elif kind in ("list[str]", "list[path]"):
        ok, value = _strings(value), tuple(value) if _strings(value) else value
    elif kind == "profiles":
        ok = isinstance(value, Mapping) and all(
            isinstance(k, str) and _strings(v) for k, v in value.items())
        value = MappingProxyType({k: tuple(v) for k, v in value.items()}) if ok else value
    else:  # pragma: no cover - every type of the table is handled above
        raise AssertionError(kind)
    if not ok or (option.choices and value not in option.choices):
        return _INVALID
    if isinstance(value, (int, float)) and not isinstance(value, bool) and kind != "size":
        if ((option.minimum is not None and value < option.minimum)
                or (option.maximum is not None and value > option.maximum)
                or (option.above is not None and value <= option.above)):
            return _INVALID
    return value


_INVALID: Any = object()


def _size(value: Any) -> bool:
    from mlpy.sandbox.config import parse_size  # the sandbox's own rule for sizes

    try:
        parse_size(value)
    except MLConfigurationError:
        return False
    return True


@dataclass(frozen=True)
class _Source:
    """Where values come from: ``name`` is the provenance string; ``file`` the config file
    (relative paths start at its directory) or None (they start at the working directory)."""

    name: str
    file: Path | None = None

    @property
    def rank(self) -> str:
        if "#" in self.name:
            return "overlay"
        return self.name.partition(":")[0]


def _check(option: Option, value: Any, source: _Source, env: Mapping[str, str]) -> Any:
    checked = _valid(option, value)
    if checked is _INVALID:
        where = "" if source.file is not None else f"{source.name}: "
        raise MLConfigurationError(
            f"{where}{option.key}: expected {_expected(option)}, got {value!r}",
            file=str(source.file) if source.file is not None else None, code="E_CONFIG",
            hints=[f"{option.key}: {option.description}"])
    if option.type == "list[path]":
        checked = tuple(_path(entry, option.key, source, env) for entry in checked)
    return checked


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _path(entry: str, key: str, source: _Source, env: Mapping[str, str]) -> str:
    """A path value made absolute: ``${VAR}`` and ``~`` expanded, relative to its file."""
    def variable(match: re.Match[str]) -> str:
        name = match[1]
        if name not in env:
            raise MLConfigurationError(
                f"{'' if source.file else source.name + ': '}{key}: {entry!r} uses ${{{name}}}, "
                "which is not set", file=str(source.file) if source.file else None,
                code="E_CONFIG")
        return env[name]

    path = Path(_VARIABLE.sub(variable, entry)).expanduser()
    base = source.file.parent if source.file is not None else Path.cwd()
    return str(path if path.is_absolute() else base / path)


# ----------------------------------------------------------------------------- sources


def _suggestion(key: str) -> str:
    names = [*(o.key for o in OPTIONS), *_SECTIONS]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if not close:  # a key at the wrong level: "max_workers" for "async.max_workers"
        leaf = key.rpartition(".")[2]
        close = [o.key for o in OPTIONS if o.key.rpartition(".")[2] == leaf][:1]
    return f"; did you mean '{close[0]}'?" if close else ""


def _flatten(data: Mapping[str, Any], source: _Source, env: Mapping[str, str],
             problems: list[str], prefix: str = "", overlay: bool = False) -> dict[str, Any]:
    """Dotted key -> checked value for a (nested, or dotted-key) mapping of one source."""
    values: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        option = _BY_KEY.get(key)
        if key == ENVIRONMENTS:
            if overlay:
                problems.append(f"{source.name}: '{ENVIRONMENTS}' inside an overlay is "
                                "ignored (overlays do not nest)")
            continue  # read by _overlays
        if option is not None:
            values[key] = _check(option, value, source, env)
        elif key in _SECTIONS and isinstance(value, Mapping):
            values.update(_flatten(value, source, env, problems, key + ".", overlay))
        elif key in _SECTIONS:
            raise MLConfigurationError(
                f"{'' if source.file else source.name + ': '}{key}: expected a mapping "
                f"(a section), got {value!r}",
                file=str(source.file) if source.file else None, code="E_CONFIG")
        else:
            problems.append(f"{source.name}: unknown key '{key}' (ignored){_suggestion(key)}")
    return values


def _overlays(data: Mapping[str, Any], file: Path, env: Mapping[str, str],
              problems: list[str]) -> dict[str, tuple[_Source, dict[str, Any]]]:
    overlays = data.get(ENVIRONMENTS, {})
    if not isinstance(overlays, Mapping) or not all(
            isinstance(v, Mapping) for v in overlays.values()):
        raise MLConfigurationError(
            f"{ENVIRONMENTS}: expected {_expected(_BY_KEY[ENVIRONMENTS])}, got {overlays!r}",
            file=str(file), code="E_CONFIG")
    found = {}
    for name, table in overlays.items():
        source = _Source(f"file:{file}#{ENVIRONMENTS}.{name}", file)
        found[str(name)] = (source, _flatten(table, source, env, problems, overlay=True))
    return found


def _environment_value(option: Option, text: str) -> Any:
    """A variable's text as a value: bool words for bool keys, the text itself for string
    keys, else JSON when it parses (``8``, ``null``, ``["a"]``) and the text otherwise."""
    word = text.strip().lower()
    if option.type == "bool" and word in _TRUE + _FALSE:
        return word in _TRUE
    if option.nullable and word == "null":
        return None
    if option.type == "str":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _environment_layers(variables: Mapping[str, str], env: Mapping[str, str],
                        problems: list[str]) -> list[tuple[_Source, dict[str, Any]]]:
    """The layers of the ``MLPY_*`` settings among ``variables`` (``env`` expands paths)."""
    layers = []
    for variable in sorted(variables):
        text = variables[variable]
        source = _Source(f"env:{variable}")
        if variable in (EXTENSION_VARIABLE, ML_VARIABLE):
            parts = [p.strip() for p in text.split(os.pathsep) if p.strip()]
            key = EXTENSION_KEY if variable == EXTENSION_VARIABLE else ML_KEY
            layers.append((source, {key: _check(_BY_KEY[key], parts, source, env)}))
        elif variable == DEBUG_VARIABLE:
            layers.append((source, {"debug.enabled": text.strip().lower() not in
                                    ("", *_FALSE)}))
        elif variable.startswith(ENV_PREFIX):
            key = ".".join(variable[len(ENV_PREFIX):].lower().split("__"))
            option = _BY_KEY.get(key)
            if option is not None and key != ENVIRONMENTS:
                layers.append((source, {key: _check(
                    option, _environment_value(option, text), source, env)}))
            elif key in _SECTIONS:  # a whole section as JSON: MLPY__COMPILER__CACHE='{...}'
                try:
                    value = json.loads(text)
                except ValueError:
                    value = text  # not a mapping: _flatten says so
                layers.append((source, _flatten({key: value}, source, env, problems)))
            else:
                hint = _suggestion(key)
                if hint:
                    close = hint.split("'")[1]
                    hint = f"; did you mean {ENV_PREFIX}{'__'.join(close.upper().split('.'))}?"
                problems.append(f"{source.name}: unknown key '{key}' (ignored){hint}")
    return layers


# ----------------------------------------------------------------------------- the config


@dataclass(frozen=True)
class Explanation:
    """A value in effect and where it came from. ``layers`` are every source that set the
    key, highest precedence first, with the value each gave (the default last)."""

    key: str
    value: Any
    source: str
    layers: tuple[tuple[str, Any], ...]
    description: str

    def __str__(self) -> str:
        return f"{self.key} = {_shown(_plain(self.value))}  ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``key``, ``value``, ``source``, ``layers`` (``[{source, value}]``,
        highest first), ``description``."""
        return {"key": self.key, "value": _plain(self.value), "source": self.source,
                "layers": [{"source": s, "value": _plain(v)} for s, v in self.layers],
                "description": self.description}


@dataclass(frozen=True)
class _Layer:
    source: _Source
    values: Mapping[str, Any]


class MLConfig:
    """mlpy's settings: immutable, validated, each value with its provenance.

    Make one with :meth:`load` (files, environment, overrides) or ``MLConfig()`` (the
    defaults, plus ``overrides`` as API values); derive changed ones with
    :meth:`with_overrides`. ``files`` are the config files read, ``environment`` the overlay
    applied (or None), ``warnings`` what was ignored and why. See the module docstring for
    the sources and their precedence.
    """

    __slots__ = ("_layers", "_values", "files", "environment", "environments", "warnings")

    def __init__(self, overrides: Mapping[str, Any] | None = None):
        self._setup((), None, (), {}, ())
        if overrides:
            config = self.with_overrides(overrides)
            self._setup(config._layers, None, (), {}, config.warnings)

    def _setup(self, layers: Iterable[_Layer], environment: str | None,
               files: Iterable[Path], environments: Mapping[str, Any],
               warnings: Iterable[str]) -> None:
        defaults = _Layer(_Source("default"), {o.key: o.default for o in _VALUES})
        layers = (defaults, *(layer for layer in layers if layer.source.name != "default"))
        # Stable: layers of one rank keep their order, so the later one wins.
        ordered = tuple(sorted(layers, key=lambda layer: _RANKS[layer.source.rank]))
        set_ = object.__setattr__
        set_(self, "_layers", ordered)
        set_(self, "_values", {o.key: _combine(o.key, ordered) for o in _VALUES})
        set_(self, "files", tuple(files))
        set_(self, "environment", environment)
        set_(self, "environments", MappingProxyType(dict(environments)))
        set_(self, "warnings", tuple(warnings))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("MLConfig is immutable; with_overrides() returns a changed copy")

    __delattr__ = __setattr__  # type: ignore[assignment]

    # ------------------------------------------------------------------ making one

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *,
             start_dir: str | os.PathLike[str] | None = None, environment: str | None = None,
             env: Mapping[str, str] = os.environ, overrides: Mapping[str, Any] | None = None,
             isolated: bool = False) -> "MLConfig":
        """The config of a project: ``path`` (else ``MLPY_CONFIG``, else the file found from
        ``start_dir`` up), its ``environments.<environment or MLPY_ENV>`` overlay, the
        ``MLPY_*`` variables of ``env``, then ``overrides`` (API values).

        ``isolated`` reads no variables and finds no file (an explicit ``path`` and
        ``environment`` still count). Unknown keys warn; bad values raise
        :class:`~mlpy.errors.MLConfigurationError`.
        """
        env = dict(env)  # expands ${VAR} in paths, even when isolated
        settings = {} if isolated else env  # where MLPY_* settings are read
        problems: list[str] = []
        file = _chosen_file(path, settings, start_dir, isolated, problems)
        layers: list[_Layer] = []
        overlays: dict[str, tuple[_Source, dict[str, Any]]] = {}
        if file is not None:
            data = read_config_file(file)
            source = _Source(f"file:{file}", file)
            layers.append(_Layer(source, _flatten(data, source, env, problems)))
            overlays = _overlays(data, file, env, problems)
        name = environment if environment is not None else (
            settings.get(ENVIRONMENT_VARIABLE) or None)
        if name is not None:
            layers.append(_Layer(*_overlay(name, overlays, file, environment is None)))
        layers += [_Layer(s, v) for s, v in _environment_layers(settings, env, problems)]
        if overrides:
            source = _Source("api")
            layers.append(_Layer(source, _flatten(overrides, source, env, problems)))
        for problem in problems:
            _warnings.warn(problem, MLConfigWarning, stacklevel=2)
        config = cls.__new__(cls)
        config._setup(layers, name, () if file is None else (file,),
                      {n: _nested(v) for n, (_, v) in overlays.items()}, problems)
        return config

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "api") -> "MLConfig":
        """A copy with ``overrides`` (nested sections or dotted keys) on top, from
        ``source``: ``"api"`` (default), ``"cli:<flag>"`` (a command line passes one call per
        flag, e.g. ``with_overrides({"runtime.timeout": 5}, source="cli:--timeout")``) or
        ``"env:<VAR>"``. Values rank by their source, so an ``api`` value made earlier still
        beats a later ``cli`` one."""
        origin = _Source(source)
        if origin.rank not in ("api", "cli", "env") or (origin.rank != "api") != (":" in source):
            raise MLConfigurationError(
                f"override source must be 'api', 'cli:<flag>' or 'env:<VAR>', not {source!r}")
        problems: list[str] = []
        values = _flatten(overrides, origin, os.environ, problems)
        for problem in problems:
            _warnings.warn(problem, MLConfigWarning, stacklevel=2)
        config = type(self).__new__(type(self))
        config._setup((*self._layers, _Layer(origin, values)), self.environment, self.files,
                      self.environments, (*self.warnings, *problems))
        return config

    # ------------------------------------------------------------------ reading

    def get(self, key: str) -> Any:
        """The value of a key (``"async.max_workers"``), or of a section as a read-only
        mapping (``"observability.metrics"``)."""
        if key in self._values:
            return self._values[key][0]
        if key in _SECTIONS:
            return MappingProxyType(_nested({k[len(key) + 1:]: v for k, (v, _, _) in
                                             self._values.items() if k.startswith(key + ".")},
                                            plain=False))
        raise MLConfigurationError(f"unknown config key '{key}'{_suggestion(key)}")

    def __getitem__(self, key: str) -> Any:
        return self.get(key)

    def explain(self, key: str) -> Explanation:
        """The value of ``key`` and where it came from (see :class:`Explanation`)."""
        if key not in self._values:
            self.get(key)  # the error, with a suggestion
            raise MLConfigurationError(f"'{key}' is a section: explain one of its keys")
        value, source, layers = self._values[key]
        return Explanation(key, value, source, layers, _BY_KEY[key].description)

    def to_dict(self) -> dict[str, Any]:
        """Every value in effect as plain JSON-ready data (nested sections, lists), with the
        file's overlays under ``environments``: a complete config a file could hold."""
        data = _nested({k: v for k, (v, _, _) in self._values.items()})
        data[ENVIRONMENTS] = {name: _plain(table) for name, table in self.environments.items()}
        return data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MLConfig) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        changed = {k: v for k, (v, s, _) in self._values.items() if s != "default"}
        return f"MLConfig({_plain(changed)!r})"

    # ------------------------------------------------------------------ applying

    def engine_options(self) -> dict[str, Any]:
        """The :class:`~mlpy.Engine` keyword arguments this config sets (``Engine(cfg)``
        uses them; its explicit keyword arguments win)."""
        from mlpy.runtime.gate import AuditLog

        get = self.get
        audit = get("security.audit.enabled")
        return {
            "capabilities": get("security.default_capabilities"),
            "deny": get("security.deny"),
            "profiles": dict(get("security.profiles")),
            "timeout": get("runtime.timeout"),
            "max_steps": get("runtime.max_steps"),
            "max_depth": get("runtime.max_recursion"),
            "cache_size": get("compiler.cache.max_entries") if get("compiler.cache.enabled")
            else 0,
            "isolation": get("runtime.isolation"),
            "audit": AuditLog(get("security.audit.buffer") if audit else 0,
                              use_sample_rate=get("security.audit.sample_use") if audit else 0,
                              redact=get("security.redact_resources")),
            "sandbox": self.sandbox_config(),
            "extension_paths": get(EXTENSION_KEY),
            "ml_module_paths": get(ML_KEY),
        }

    def sandbox_config(self, **changes: Any) -> Any:
        """The :class:`~mlpy.sandbox.SandboxConfig` of the ``sandbox`` section, with
        ``changes`` (its field names) applied."""
        from mlpy.sandbox.config import SandboxConfig

        get = self.get
        settings = dict(
            memory_limit=get("sandbox.memory_limit"),
            cpu_timeout=get("sandbox.cpu_timeout"),
            wall_timeout=get("sandbox.wall_timeout"),
            file_size_limit=get("sandbox.file_size_limit"),
            max_output=get("sandbox.max_output"),
            pool_size=get("sandbox.pool_size"),
            max_tasks_per_worker=get("sandbox.max_tasks_per_worker"),
            network_isolation={"capability": "none", "os": "os"}[
                get("sandbox.network_isolation")],
            env_passthrough=get("sandbox.env_passthrough"),
            require_limits=get("sandbox.require_limits"))
        return SandboxConfig(**{**settings, **changes})

    def async_options(self) -> dict[str, Any]:
        """The :class:`~mlpy.aio.AsyncEngine` keyword arguments this config sets."""
        return {
            "max_workers": self.get("async.max_workers"),
            "max_pending": self.get("async.max_pending"),
            "default_timeout": self.get("async.default_timeout"),
            "cancel_grace": self.get("async.cancel_grace"),
            "isolation": self.get("runtime.isolation"),
            "strict_security": self.get("compiler.strict_security"),
        }


def _chosen_file(path: str | os.PathLike[str] | None, env: Mapping[str, str],
                 start_dir: str | os.PathLike[str] | None, isolated: bool,
                 problems: list[str]) -> Path | None:
    named_by = "path="
    if path is None and env.get(CONFIG_VARIABLE):
        path, named_by = env[CONFIG_VARIABLE], CONFIG_VARIABLE
    if path is not None:
        file = Path(path).expanduser().resolve()
        if not file.is_file():
            raise MLConfigurationError(f"{named_by} names {os.fspath(path)!r}: no such config "
                                       "file", file=str(file), code="E_CONFIG")
        return file
    if isolated:
        return None
    found, several = find_config_file(start_dir if start_dir is not None else Path.cwd())
    problems += several
    return found


def _overlay(name: str, overlays: Mapping[str, tuple[_Source, dict[str, Any]]],
             file: Path | None, from_variable: bool) -> tuple[_Source, dict[str, Any]]:
    if name in overlays:
        return overlays[name]
    asked = f"{ENVIRONMENT_VARIABLE}={name}" if from_variable else f"environment={name!r}"
    where = f"{file} defines " + (", ".join(sorted(overlays)) or "none") if file else \
        "no config file was found"
    raise MLConfigurationError(f"{asked} names an environment overlay that does not exist "
                               f"({where})", file=str(file) if file else None, code="E_CONFIG",
                               hints=[f"add '{ENVIRONMENTS}: {{{name}: {{...}}}}' to the "
                                      "config file, or unset the name"])


def _combine(key: str, layers: tuple[_Layer, ...]) -> tuple[Any, str, tuple[tuple[str, Any], ...]]:
    """(value in effect, its provenance, every (source, value) that set it, highest first)."""
    setting = [(layer.source, layer.values[key]) for layer in layers if key in layer.values]
    history = tuple((source.name, value) for source, value in reversed(setting))
    if key == "security.deny":
        given = [(s, v) for s, v in setting if v]
        union = tuple(dict.fromkeys(item for _, value in given for item in value))
        return union, _joined(s for s, _ in given), history
    if key in _PATH_LISTS:
        given = sorted(((s, v) for s, v in setting if v), key=lambda sv: _PATH_ORDER[sv[0].rank])
        seen: dict[str, str] = {}
        for _, value in given:
            for entry in value:
                seen.setdefault(os.path.realpath(entry), entry)
        return tuple(seen.values()), _joined(s for s, _ in given), history
    source, value = setting[-1]
    return value, source.name, history


def _joined(sources: Iterable[_Source]) -> str:
    return " + ".join(s.name for s in sources) or "default"


def _plain(value: Any) -> Any:
    """Immutable config values as JSON-ready data."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _nested(flat: Mapping[str, Any], plain: bool = True) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        *sections, leaf = key.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = _plain(value) if plain else value
    return tree


# ----------------------------------------------------------------------------- applying


def as_config(config: "MLConfig | str | os.PathLike[str]") -> MLConfig:
    """``config`` as an :class:`MLConfig`: one is taken as it is, a path is loaded with
    :meth:`MLConfig.load` (so its overlay and the ``MLPY_*`` variables count too)."""
    if isinstance(config, MLConfig):
        return config
    if isinstance(config, (str, os.PathLike)):
        return MLConfig.load(config)
    raise MLConfigurationError(f"config= takes an MLConfig or the path of a config file, not "
                               f"{type(config).__name__}", code="E_CONFIG")


def takes_config(merge: Callable[[MLConfig, dict[str, Any]], dict[str, Any]]) -> Callable:
    """Give an ``__init__`` with a ``config`` parameter its settings from the config.

    When ``config`` is given, ``merge(config, given)`` -- ``given`` being the arguments the
    caller passed explicitly, which win -- makes the arguments ``__init__`` is called with,
    and the config's observability settings are applied first (:func:`apply_observability`),
    so that a metrics collector sees the object being made. Without ``config`` the call goes
    through untouched.
    """
    def decorate(init: Callable) -> Callable:
        signature = inspect.signature(init)

        @functools.wraps(init)
        def with_config(self: Any, *args: Any, **kwargs: Any) -> None:
            if not args and kwargs.get("config") is None:
                return init(self, **kwargs)
            given = dict(signature.bind(self, *args, **kwargs).arguments)
            given.pop(next(iter(signature.parameters)))  # self
            config = given.pop("config", None)
            if config is None:
                return init(self, *args, **kwargs)
            config = as_config(config)
            arguments = merge(config, given)
            apply_observability(config)
            return init(self, config=config, **arguments)

        return with_config
    return decorate


def engine_arguments(config: MLConfig, given: dict[str, Any]) -> dict[str, Any]:
    """The :class:`~mlpy.Engine` arguments of ``config`` with the ``given`` ones winning,
    except that denies add up (a config's deny is never lifted by an argument) and the
    module directories given come first, before the config's; a ``registry`` given is
    used as it is."""
    options = config.engine_options()
    given = dict(given)
    if "deny" in given:
        deny = given.pop("deny")
        options["deny"] = (*([deny] if isinstance(deny, str) else deny), *options["deny"])
    extension, ml = options.pop("extension_paths"), options.pop("ml_module_paths")
    if given.get("registry") is None:
        from mlpy.modules.registry import ModuleRegistry

        # The config's lists already hold MLPY_EXTENSION_PATHS / MLPY_ML_MODULE_PATHS (unless
        # it was loaded isolated): the registry is made here so the engine does not add them
        # a second time.
        options["registry"] = ModuleRegistry([*given.pop("extension_paths", ()), *extension],
                                             [*given.pop("ml_module_paths", ()), *ml])
    return {**options, **given}


def async_arguments(config: MLConfig, given: dict[str, Any]) -> dict[str, Any]:
    """The :class:`~mlpy.aio.AsyncEngine` arguments of ``config``, the ``given`` ones
    winning (the engine it makes gets the config too)."""
    return {**config.async_options(), **given}


# (config key prefix, module under mlpy.observability, extra, package the extra brings)
_INSTALLERS = (("metrics", "prometheus", "prometheus", "prometheus_client"),
               ("tracing", "otel", "otel", "opentelemetry.trace"))
_installed: set[str] = set()
_install_lock = threading.Lock()


def apply_observability(config: MLConfig) -> None:
    """Put the config's observability settings in force, for the whole process.

    Logging: when the config sets ``observability.logging.level`` or ``.format`` (any
    source but the default), :func:`mlpy.observability.logging.configure` installs its
    handler on the ``mlpy`` logger (never the root logger); a config that sets neither
    leaves logging to the application. Metrics and tracing: when enabled, the ``install``
    of :mod:`mlpy.observability.prometheus` / :mod:`mlpy.observability.otel` runs, once
    per process; when their extra is missing, an :class:`~mlpy.errors.MLConfigurationError`
    names it.
    """
    apply_logging(config)
    for section, module, _, _ in _INSTALLERS:
        if not config.get(f"observability.{section}.enabled"):
            continue
        with _install_lock:
            if module in _installed:
                continue
            install = _installer(config, section)
            try:
                install(legacy_names=config.get(f"observability.{section}.legacy_names"))
            except ImportError as error:
                raise _missing_extra(config, section, error) from None
            _installed.add(module)


def apply_logging(config: MLConfig) -> bool:
    """Configure the ``mlpy`` logger from ``observability.logging`` when the config sets it
    (see :func:`apply_observability`); whether it did."""
    keys = ("observability.logging.level", "observability.logging.format")
    if all(config.explain(key).source == "default" for key in keys):
        return False
    from mlpy.observability.logging import configure

    configure(config.get(keys[0]), config.get(keys[1]))
    return True


def check_observability(config: MLConfig) -> None:
    """Raise what :func:`apply_observability` would for a missing extra, installing
    nothing (``mlpy config validate``)."""
    for section, _, _, _ in _INSTALLERS:
        if config.get(f"observability.{section}.enabled"):
            _installer(config, section)


def _installer(config: MLConfig, section: str) -> Callable[..., Any]:
    module, package = next((m, p) for s, m, _, p in _INSTALLERS if s == section)
    try:
        if importlib.util.find_spec(package) is None:
            raise ImportError(f"No module named {package!r}")
        return importlib.import_module(f"mlpy.observability.{module}").install
    except (ImportError, AttributeError) as error:
        raise _missing_extra(config, section, error) from None


def _missing_extra(config: MLConfig, section: str, why: BaseException) -> MLConfigurationError:
    extra = next(e for s, _, e, _ in _INSTALLERS if s == section)
    key = f"observability.{section}.enabled"
    return MLConfigurationError(
        f"{key} is true ({config.explain(key).source}), but {section} need mlpy's "
        f"'{extra}' extra, which is not installed ({why})", code="E_CONFIG",
        hints=[f"pip install 'mlpy[{extra}]', or set {key} to false"])


# ----------------------------------------------------------------------------- docs


# Variables that set a key besides its MLPY__SECTION__KEY one.
_OTHER_VARIABLES = {EXTENSION_KEY: EXTENSION_VARIABLE, ML_KEY: ML_VARIABLE,
                    "debug.enabled": DEBUG_VARIABLE}


def environment_variables(key: str) -> list[str]:
    """The environment variables that set ``key`` (``MLPY__SECTION__KEY`` first)."""
    variables = [ENV_PREFIX + "__".join(key.upper().split("."))]
    if key in _OTHER_VARIABLES:
        variables.append(_OTHER_VARIABLES[key])
    return variables


def reference_table() -> str:
    """The options reference of ``docs/operations/configuration.md`` as Markdown (a test
    keeps the page equal to it)."""
    rows = ["| Key | Type | Default | Allowed | Environment variable | Description | Applies to |",
            "|---|---|---|---|---|---|---|"]
    for option in OPTIONS:
        default = _shown(_plain(option.default))
        variables = ", ".join(f"`{name}`" for name in environment_variables(option.key))
        if option.key == ENVIRONMENTS:
            variables = "(file only)"
        rows.append(f"| `{option.key}` | {option.type} | `{default}` | {option.allowed} | "
                    f"{variables} | {option.description} | {option.used_by} |")
    return "\n".join(rows) + "\n"
