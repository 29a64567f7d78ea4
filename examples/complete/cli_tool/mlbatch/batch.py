"""The batch itself: read the config, compile the rules once, check every file in parallel.

Nothing here knows about the terminal: :mod:`mlbatch.cli` shows progress and the summary.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlpy

FORMATS = {".csv": "csv", ".json": "json"}
RULE_INPUTS = ["input_path", "input_format", "output_path"]


class ConfigError(Exception):
    """The config file is missing, not TOML, or names something that is not there."""


# [config]
@dataclass(frozen=True)
class Config:
    rules: Path
    input: Path
    output: Path
    workers: int = 4
    limits: dict[str, float] = field(default_factory=dict)


LIMITS = {"timeout": float, "max_steps": int, "max_memory": int}


def load_config(path: Path) -> Config:
    """Read ``path``; every mistake is a ConfigError whose message names the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    base = path.parent
    for key in ("rules", "input", "output"):
        if not isinstance(data.get(key), str):
            raise ConfigError(f"{path}: '{key}' is missing (a path, relative to the config)")
    rules, folder = base / data["rules"], base / data["input"]
    if not rules.is_file():
        raise ConfigError(f"{path}: rules = {data['rules']!r}: there is no such file")
    if not folder.is_dir():
        raise ConfigError(f"{path}: input = {data['input']!r}: there is no such folder")
    workers = data.get("workers", 4)
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 64:
        raise ConfigError(f"{path}: workers = {workers!r}: give a whole number from 1 to 64")
    limits = data.get("limits", {})
    unknown = sorted(set(limits) - set(LIMITS))
    if unknown:
        raise ConfigError(f"{path}: [limits] has no setting {unknown[0]!r} "
                          f"(known: {', '.join(LIMITS)})")
    for name, value in limits.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{path}: [limits] {name} = {value!r}: give a positive number")
    return Config(rules=rules, input=folder, output=base / data["output"], workers=workers,
                  limits={name: LIMITS[name](value) for name, value in limits.items()})
# [/config]


@dataclass(frozen=True)
class FileOutcome:
    """What one input file gave: its counts and rejections, or the error that stopped it."""

    name: str
    accepted: int = 0
    rejected: tuple[dict[str, str], ...] = ()
    error: str | None = None  # the ML error's message: denied, over a limit, a bug in a rule
    error_code: str | None = None  # its stable code, such as MLCAP001


# [grants]
def grants_for(input_file: Path, output_file: Path) -> mlpy.CapabilitySet:
    """Exactly one file to read and one to write: a rule cannot peek at the next file,
    the config, or anything else on the machine."""
    return mlpy.Capabilities.parse([f"file.read:{os.path.realpath(input_file)}",
                                    f"file.write:{os.path.realpath(output_file)}"])
# [/grants]


# [check_file]
class Batch:
    """The rules compiled once, run on any number of files, from any number of threads."""

    def __init__(self, config: Config):
        self.config = config
        self.engine = mlpy.Engine(**config.limits)  # the limits apply to every file
        source = config.rules.read_text(encoding="utf-8")
        # Raises MLCompileError for a broken rule: the CLI exits 3 before any file is read.
        self.program = self.engine.compile(source, filename=config.rules.name,
                                           inputs=RULE_INPUTS)

    def files(self) -> list[Path]:
        return sorted(path for path in self.config.input.iterdir()
                      if path.is_file() and path.suffix.lower() in FORMATS)

    def check_file(self, path: Path) -> FileOutcome:
        output_file = self.config.output / f"{path.stem}.json"
        result = self.engine.execute(
            self.program,
            {"input_path": str(path), "input_format": FORMATS[path.suffix.lower()],
             "output_path": str(output_file)},
            capabilities=grants_for(path, output_file),
            execution_id=f"mlbatch:{path.name}")
        if not result.ok:  # every MLError a rule can raise ends here, as data
            return FileOutcome(path.name, error=result.error.message,
                               error_code=result.error.code)
        value: dict[str, Any] = result.value
        return FileOutcome(path.name, accepted=value["accepted"],
                           rejected=tuple(value["rejected"]))
# [/check_file]

    # [run]
    def run(self, workers: int | None = None,
            on_done: Callable[[FileOutcome], None] = lambda outcome: None) -> list[FileOutcome]:
        """Check every file on a pool of ``workers`` threads (the config's by default).

        Threads suffice: an Engine is safe to share, each execution carries its own grants,
        and no grant is inherited by a pool thread. The outcomes come back in file order,
        whatever order the files finished in, so a parallel run reads like a serial one.
        """
        self.config.output.mkdir(parents=True, exist_ok=True)
        files = self.files()
        with ThreadPoolExecutor(max_workers=workers or self.config.workers,
                                thread_name_prefix="mlbatch") as pool:
            futures = [pool.submit(self.check_file, path) for path in files]
            for future in as_completed(futures):  # progress as files finish
                on_done(future.result())
            return [future.result() for future in futures]
    # [/run]
