"""Where extension modules are searched: command line, project config, environment.

The effective list is the ordered concatenation of the command line's directories, the
project config's, then ``MLPY_EXTENSION_PATHS``, with duplicates (by real path) removed, the
first position kept; earlier entries win name clashes. A directory on the command line that
does not exist is a usage error; a missing one from the config or the environment is a
warning and is skipped (shared configs often list optional directories).

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
from typing import Any, Mapping

from mlpy.errors import MLConfigurationError

CONFIG_KEY = "python_extension_paths"


@dataclass(frozen=True)
class ProjectConfig:
    """The ``[tool.mlpy]`` table or ``mlpy.json`` object of a project."""

    path: Path
    extension_paths: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchPath:
    path: Path
    origin: str  # "cli", "config:<file>" or "env:MLPY_EXTENSION_PATHS"


@dataclass(frozen=True)
class ResolvedPaths:
    extension_paths: tuple[SearchPath, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def directories(self) -> list[Path]:
        return [entry.path for entry in self.extension_paths]


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
        raise MLConfigurationError(f"{path}: cannot read the project config: {error}") from None
    table = data.get("tool", {}).get("mlpy")
    if table is not None and not isinstance(table, dict):
        raise MLConfigurationError(f"{path}: [tool.mlpy] must be a table")
    return table


def _json_object(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MLConfigurationError(f"{path}: cannot read the project config: {error}") from None
    if not isinstance(data, dict):
        raise MLConfigurationError(f"{path}: the config must be a JSON object")
    return data


def _config(path: Path, table: Mapping[str, Any]) -> ProjectConfig:
    entries = table.get(CONFIG_KEY, [])
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise MLConfigurationError(f"{path}: '{CONFIG_KEY}' must be a list of strings")
    known = {CONFIG_KEY, "ml_module_paths", "name"}
    warnings = tuple(f"{path}: unknown key '{key}' (ignored)" for key in table
                     if key not in known)
    return ProjectConfig(path, tuple((path.parent / e).expanduser() for e in entries), warnings)


def resolve_extension_paths(cli: tuple[str, ...] = (), config: ProjectConfig | None = None,
                            environ: Mapping[str, str] | None = None) -> ResolvedPaths:
    """The ordered, de-duplicated directories to search, each with where it came from."""
    environ = os.environ if environ is None else environ
    candidates: list[tuple[Path, str, bool]] = [(Path(p), "cli", True) for p in cli]
    if config is not None:
        candidates += [(p, f"config:{config.path}", False) for p in config.extension_paths]
    value = environ.get("MLPY_EXTENSION_PATHS", "")
    candidates += [(Path(part.strip()), "env:MLPY_EXTENSION_PATHS", False)
                   for part in value.split(os.pathsep) if part.strip()]
    chosen: dict[Path, SearchPath] = {}
    warnings = list(config.warnings) if config is not None else []
    for path, origin, required in candidates:
        real = path.expanduser().resolve()
        if not real.is_dir():
            if required:
                raise MLConfigurationError(f"-E {path}: no such directory")
            warnings.append(f"extension path {path} (from {origin}) does not exist; skipped")
            continue
        chosen.setdefault(real, SearchPath(real, origin))
    return ResolvedPaths(tuple(chosen.values()), tuple(warnings))
