"""Where modules are searched: command line, project config, environment, entry directory.

There are two lists: *extension paths* (directories of ``*_bridge.py`` files) and *ML module
roots* (directories under which ``import a.b;`` finds ``a/b.ml``). Each effective list is the
ordered concatenation of the command line's directories, the project config's, then the
environment's (``MLPY_EXTENSION_PATHS``, ``MLPY_ML_MODULE_PATHS``), and -- for ML roots only --
the directory of the entry ``.ml`` file, with duplicates (by real path) removed, the first
position kept; earlier entries win name clashes. ``isolated`` ignores the config and the
environment; ``local_imports=False`` drops the entry directory.

A directory on the command line that does not exist is a usage error; a missing one from the
config or the environment is a warning and is skipped (shared configs often list optional
directories).

The project config is found walking up from the entry file's directory (or the working
directory): the first directory holding one of :data:`CONFIG_FILE_NAMES` or a
``pyproject.toml`` with a ``[tool.mlpy]`` table wins, in that order of names (the others in
that directory are named in a warning); its relative paths are relative to the directory
that holds it. The library never reads config files on its own: this is for the command
line and for hosts that ask (:func:`load_project_config`, :meth:`mlpy.config.MLConfig.load`,
which both find files with :func:`find_config_file` and read them with
:func:`read_config_file`).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from mlpy.errors import MLConfigurationError, Span

EXTENSION_KEY = "python_extension_paths"
ML_KEY = "ml_module_paths"
EXTENSION_VARIABLE = "MLPY_EXTENSION_PATHS"
ML_VARIABLE = "MLPY_ML_MODULE_PATHS"
# Config file names in the order they win within one directory; a ``pyproject.toml`` with a
# ``[tool.mlpy]`` table comes last.
CONFIG_FILE_NAMES = ("mlpy.json", "mlpy.yaml", "mlpy.yml", ".mlpy.json", "mlpy.toml")
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class ProjectConfig:
    """The ``[tool.mlpy]`` table or ``mlpy.json`` object of a project."""

    path: Path
    extension_paths: tuple[Path, ...] = ()
    ml_module_paths: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchPath:
    path: Path
    origin: str  # "cli", "config:<file>", "env:<VARIABLE>" or "implicit"


@dataclass(frozen=True)
class ResolvedPaths:
    """Both search lists, each entry with where it came from."""

    extension_paths: tuple[SearchPath, ...] = ()
    ml_module_paths: tuple[SearchPath, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def extension_dirs(self) -> list[Path]:
        return [entry.path for entry in self.extension_paths]

    @property
    def ml_dirs(self) -> list[Path]:
        return [entry.path for entry in self.ml_module_paths]


def shown_path(path: str | os.PathLike[str] | None) -> str:
    """A path as a person best reads it: relative to the working directory when inside it."""
    if path is None:
        return "-"
    try:
        return str(Path(path).relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def load_project_config(start: str | os.PathLike[str]) -> ProjectConfig | None:
    """The project config of the nearest directory, from ``start`` up, that has one."""
    path, warnings = find_config_file(start)
    if path is None:
        return None
    config = _config(path, read_config_file(path))
    return ProjectConfig(config.path, config.extension_paths, config.ml_module_paths,
                         (*warnings, *config.warnings))


def find_config_file(start: str | os.PathLike[str]) -> tuple[Path | None, list[str]]:
    """The config file of the nearest directory, from ``start`` up, that has one, and a
    warning naming the files that directory also holds (which are not read)."""
    directory = Path(start).resolve()
    for folder in (directory, *directory.parents):
        found = [folder / name for name in CONFIG_FILE_NAMES if (folder / name).is_file()]
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _pyproject_table(pyproject) is not None:
            found.append(pyproject)
        if found:
            others = ", ".join(p.name for p in found[1:])
            warnings = [f"{folder}: several config files; using {found[0].name}, ignoring "
                        f"{others} [W_CONFIG_SEVERAL]"] if others else []
            return found[0], warnings
    return None, []


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping a config file holds: a JSON object, a YAML mapping (with PyYAML
    installed), a TOML document, or the ``[tool.mlpy]`` table of a ``pyproject.toml``.

    A file that cannot be read or parsed is an :class:`MLConfigurationError` naming it, and
    the line when the parser says which.
    """
    path = Path(path)
    if path.name == PYPROJECT:
        return dict(_pyproject_table(path) or {})
    if path.suffix == ".toml":
        data = _toml(path)
    elif path.suffix in (".yaml", ".yml"):
        data = _yaml(path)
    else:
        data = _json(path)
    if not isinstance(data, dict):
        raise MLConfigurationError(f"the config must be a mapping of keys to values, not "
                                   f"{type(data).__name__}", file=str(path), code="E_CONFIG")
    return data


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MLConfigurationError(f"cannot read the config file: {error}", file=str(path),
                                   code="E_CONFIG") from None


def _malformed(path: Path, text: str, why: str, line: int | None,
               column: int | None) -> MLConfigurationError:
    span = Span.point(line, column or 1) if line else None
    return MLConfigurationError(f"malformed config file: {why}", file=str(path), span=span,
                                source=text if span else None, code="E_CONFIG")


def _json(path: Path) -> Any:
    text = _text(path)
    try:
        return json.loads(text)
    except ValueError as error:
        raise _malformed(path, text, error.msg, error.lineno, error.colno) from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def _toml(path: Path) -> Any:
    text = _text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # Python 3.11 and 3.12 put the position only in the message.
        message = str(error)
        found = _TOML_POSITION.search(message)
        line, column = (int(found[1]), int(found[2])) if found else (None, None)
        raise _malformed(path, text, _TOML_POSITION.sub("", message), line, column) from None


def _yaml(path: Path) -> Any:
    try:
        import yaml  # optional: YAML configs need PyYAML, never a dependency of mlpy
    except ImportError:
        raise MLConfigurationError(
            "a YAML config file needs PyYAML, which is not installed", file=str(path),
            code="E_CONFIG", hints=["pip install pyyaml, or write the config as mlpy.json, "
                                    "mlpy.toml or [tool.mlpy] in pyproject.toml"]) from None
    text = _text(path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        why = " ".join(str(getattr(error, "problem", None) or error).split())
        raise _malformed(path, text, why, mark.line + 1 if mark else None,
                         mark.column + 1 if mark else None) from None


def _pyproject_table(path: Path) -> Mapping[str, Any] | None:
    table = _toml(path).get("tool", {}).get("mlpy")
    if table is not None and not isinstance(table, dict):
        raise MLConfigurationError("[tool.mlpy] must be a table", file=str(path),
                                   code="E_CONFIG")
    return table


def _config(path: Path, table: Mapping[str, Any]) -> ProjectConfig:
    def paths(key: str) -> tuple[Path, ...]:
        entries = table.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise MLConfigurationError(f"{path}: '{key}' must be a list of strings",
                                       code="E_CONFIG")
        return tuple((path.parent / Path(e).expanduser()) for e in entries)

    from mlpy.config import TOP_LEVEL_KEYS  # the options table; it builds on this module

    warnings = tuple(f"{path}: unknown key '{key}' (ignored) [W_CONFIG_KEY]" for key in table
                     if key not in TOP_LEVEL_KEYS)
    return ProjectConfig(path, paths(EXTENSION_KEY), paths(ML_KEY), warnings)


def resolve_module_paths(
    cli_extension: Iterable[str | os.PathLike[str]] = (),
    cli_ml: Iterable[str | os.PathLike[str]] = (),
    config: ProjectConfig | None = None,
    environ: Mapping[str, str] | None = None,
    entry_dir: str | os.PathLike[str] | None = None,
    *,
    isolated: bool = False,
) -> ResolvedPaths:
    """The ordered, de-duplicated directories of both lists, each with where it came from."""
    environ = os.environ if environ is None else environ
    warnings: list[str] = []
    if isolated:
        config, environ = None, {}
    if config is not None:
        warnings += config.warnings
    extension = _resolve(
        [(Path(p), "cli", "-E") for p in cli_extension]
        + [(p, f"config:{config.path}", "") for p in (config.extension_paths if config else ())]
        + _from_environment(environ, EXTENSION_VARIABLE), "extension path", warnings)
    ml = _resolve(
        [(Path(p), "cli", "-M") for p in cli_ml]
        + [(p, f"config:{config.path}", "") for p in (config.ml_module_paths if config else ())]
        + _from_environment(environ, ML_VARIABLE)
        + ([(Path(entry_dir), "implicit", "")] if entry_dir is not None else []),
        "ml module root", warnings)
    return ResolvedPaths(extension, ml, tuple(warnings))


def _from_environment(environ: Mapping[str, str], variable: str) -> list[tuple[Path, str, str]]:
    value = environ.get(variable, "")
    return [(Path(part.strip()), f"env:{variable}", "")
            for part in value.split(os.pathsep) if part.strip()]


def _resolve(candidates: list[tuple[Path, str, str]], what: str,
             warnings: list[str]) -> tuple[SearchPath, ...]:
    chosen: dict[Path, SearchPath] = {}
    for path, origin, flag in candidates:
        real = path.expanduser().resolve()
        if not real.is_dir():
            if flag:  # given on the command line: a mistake to report, not to skip
                raise MLConfigurationError(f"{flag} {path}: no such directory",
                                           code="E_PATH_INVALID")
            warnings.append(f"{what} {path} (from {origin}) does not exist; skipped "
                            "[W_PATH_MISSING]")
            continue
        chosen.setdefault(real, SearchPath(real, origin))
    return tuple(chosen.values())
