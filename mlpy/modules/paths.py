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

The project config is the first of ``pyproject.toml`` (table ``[tool.mlpy]``) or
``mlpy.json`` found walking up from the entry file's directory; its relative paths are
relative to the directory that holds it. The library never reads config files on its own:
this is for the command line and for hosts that ask (:func:`load_project_config`).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from mlpy.errors import MLConfigurationError

EXTENSION_KEY = "python_extension_paths"
ML_KEY = "ml_module_paths"
EXTENSION_VARIABLE = "MLPY_EXTENSION_PATHS"
ML_VARIABLE = "MLPY_ML_MODULE_PATHS"


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
    directory = Path(start).resolve()
    for folder in (directory, *directory.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _toml_table(pyproject)
            if table is not None:
                return _config(pyproject, table)
        config = folder / "mlpy.json"
        if config.is_file():
            return _config(config, _json_object(config))
    return None


def _toml_table(path: Path) -> Mapping[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise MLConfigurationError(f"{path}: cannot read the project config: {error}",
                                   code="E_CONFIG") from None
    table = data.get("tool", {}).get("mlpy")
    if table is not None and not isinstance(table, dict):
        raise MLConfigurationError(f"{path}: [tool.mlpy] must be a table", code="E_CONFIG")
    return table


def _json_object(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MLConfigurationError(f"{path}: cannot read the project config: {error}",
                                   code="E_CONFIG") from None
    if not isinstance(data, dict):
        raise MLConfigurationError(f"{path}: the config must be a JSON object", code="E_CONFIG")
    return data


def _config(path: Path, table: Mapping[str, Any]) -> ProjectConfig:
    def paths(key: str) -> tuple[Path, ...]:
        entries = table.get(key, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise MLConfigurationError(f"{path}: '{key}' must be a list of strings",
                                       code="E_CONFIG")
        return tuple((path.parent / Path(e).expanduser()) for e in entries)

    known = {EXTENSION_KEY, ML_KEY, "name"}
    warnings = tuple(f"{path}: unknown key '{key}' (ignored) [W_CONFIG_KEY]" for key in table
                     if key not in known)
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
