"""ML module ``log``: leveled log records written to the execution's output, and to files.

Records go through the running execution's output (as ``print`` and ``console`` do), so
``capture_output`` collects them and ``max_output`` bounds them. The default logger's settings
(level, format, timestamps, files) belong to the program (:mod:`mlpy.stdlib._program`): they
last for the execution, or for the session that runs it, go with the ML functions the host
keeps from it, and never leak into another execution or into the host's ``logging``. Loggers
made with ``create_logger`` carry their own settings. A file added with ``add_file`` needs
``file.write`` on its canonical path, checked when it is added and again for every record
(the grant may have been revoked since), and is opened without following symbolic links; the
grant's ``max_bytes`` bounds the size the file may grow to.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from mlpy.capabilities import require
from mlpy.ext import ml_class, ml_function, ml_module, ml_property
from mlpy.marshal import json_text
from mlpy.runtime.state import write_output
from mlpy.runtime.values import display, typeof
from mlpy.stdlib._fs import Target, target
from mlpy.stdlib._files import _append_file
from mlpy.stdlib._program import program_value

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50
_LEVELS = {"DEBUG": DEBUG, "INFO": INFO, "WARN": WARNING, "WARNING": WARNING,
           "ERROR": ERROR, "CRITICAL": CRITICAL}
_TEXT_NAMES = {DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARNING", ERROR: "ERROR",
               CRITICAL: "CRITICAL"}
_JSON_NAMES = {DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARN", ERROR: "ERROR",
               CRITICAL: "CRITICAL"}
DEFAULT_NAME = "ml"


class _Settings:
    """One logger's configuration."""

    __slots__ = ("files", "json", "level", "name", "timestamp")

    def __init__(self, name: str):
        self.name = name
        self.level = INFO
        self.json = False
        self.timestamp = True
        self.files: list[Target] = []


def _message(value: Any) -> str:
    return value if isinstance(value, str) else display(value)


def _format(settings: _Settings, level: int, msg: Any, data: Any) -> str:
    text = _message(msg)
    if data is not None and not isinstance(data, dict):
        raise TypeError(f"data must be an object, not {typeof(data)}")
    if settings.json:
        record: dict[str, Any] = {"message": text, "level": _JSON_NAMES[level],
                                  "logger": settings.name}
        if settings.timestamp:
            record["timestamp"] = datetime.now(UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        if data is not None:
            record["data"] = data
        return json_text(record, default=display)
    if data:
        text += " | " + ", ".join(f"{_message(k)}={display(v)}" for k, v in data.items())
    line = f"{_TEXT_NAMES[level]}: {text}"
    if settings.timestamp:
        line = time.strftime("[%Y-%m-%d %H:%M:%S] ") + line
    return line


def _append(where: Target, line: str) -> None:
    grant = require("file.write", where.real, shown=where.shown)
    _append_file(where, line.encode("utf-8"), grant, action="write")


def _emit(settings: _Settings, level: int, msg: Any, data: Any) -> None:
    if level < settings.level:
        return
    line = _format(settings, level, msg, data) + "\n"
    write_output(line)
    for where in settings.files:
        _append(where, line)


def _set_level(settings: _Settings, level: Any) -> None:
    if not isinstance(level, str):
        raise TypeError(f"level must be a string, not {typeof(level)}")
    settings.level = _LEVELS.get(level.strip().upper(), INFO)


def _add_file(settings: _Settings, path: Any) -> None:
    where = target(path)
    require("file.write", where.real, shown=where.shown)
    if where not in settings.files:
        settings.files.append(where)


@ml_class("Logger", "A named logger with its own level, format and files")
class Logger:
    """Returned by ``log.create_logger(name)``; its methods need ``log.write`` like the
    module's (``add_file`` also ``file.write``)."""

    def __init__(self, name: str):
        self._settings = _Settings(name)

    @ml_property("The logger's name")
    def name(self):
        return self._settings.name

    @ml_function("Log at DEBUG level", capabilities=["log.write"])
    def debug(self, msg, data=None):
        _emit(self._settings, DEBUG, msg, data)

    @ml_function("Log at INFO level", capabilities=["log.write"])
    def info(self, msg, data=None):
        _emit(self._settings, INFO, msg, data)

    @ml_function("Log at WARNING level (WARN in JSON records)", capabilities=["log.write"])
    def warn(self, msg, data=None):
        _emit(self._settings, WARNING, msg, data)

    @ml_function("Log at ERROR level", capabilities=["log.write"])
    def error(self, msg, data=None):
        _emit(self._settings, ERROR, msg, data)

    @ml_function("Log at CRITICAL level", capabilities=["log.write"])
    def critical(self, msg, data=None):
        _emit(self._settings, CRITICAL, msg, data)

    @ml_function("Set the lowest level logged: DEBUG, INFO, WARN or WARNING, ERROR or CRITICAL, "
                 "in any case (anything else means INFO)", capabilities=["log.write"])
    def set_level(self, level):
        _set_level(self._settings, level)

    @ml_function("'json' for JSON records, anything else for text", capabilities=["log.write"])
    def set_format(self, kind):
        self._settings.json = kind == "json"

    @ml_function("Whether records carry a timestamp (default true)", capabilities=["log.write"])
    def set_timestamp(self, enabled):
        self._settings.timestamp = bool(enabled)

    @ml_function("Also append every record to a file (created with its parent directories)",
                 capabilities=["log.write", "file.write"])
    def add_file(self, path):
        _add_file(self._settings, path)

    @ml_function("Whether DEBUG records are logged")
    def is_debug(self):
        return self._settings.level <= DEBUG

    def __repr__(self) -> str:
        return f"<Logger {self._settings.name}>"


@ml_module("log", "Structured logging with levels, formatting, and multiple outputs")
class Log:
    """The default logger; its settings live in the running program's namespace."""

    def __init__(self):
        self._host = _Settings(DEFAULT_NAME)  # for host code calling the module directly

    def _settings(self) -> _Settings:
        return program_value("__ml_log__", lambda: _Settings(DEFAULT_NAME), self._host)

    @ml_function("Log at DEBUG level", capabilities=["log.write"])
    def debug(self, msg, data=None):
        _emit(self._settings(), DEBUG, msg, data)

    @ml_function("Log at INFO level", capabilities=["log.write"])
    def info(self, msg, data=None):
        _emit(self._settings(), INFO, msg, data)

    @ml_function("Log at WARNING level (WARN in JSON records)", capabilities=["log.write"])
    def warn(self, msg, data=None):
        _emit(self._settings(), WARNING, msg, data)

    @ml_function("Log at ERROR level", capabilities=["log.write"])
    def error(self, msg, data=None):
        _emit(self._settings(), ERROR, msg, data)

    @ml_function("Log at CRITICAL level", capabilities=["log.write"])
    def critical(self, msg, data=None):
        _emit(self._settings(), CRITICAL, msg, data)

    @ml_function("Set the lowest level logged: DEBUG, INFO, WARN or WARNING, ERROR or CRITICAL, "
                 "in any case (anything else means INFO)",
                 capabilities=["log.write"])
    def set_level(self, level):
        _set_level(self._settings(), level)

    @ml_function("'json' for JSON records, anything else for text", capabilities=["log.write"])
    def set_format(self, kind):
        self._settings().json = kind == "json"

    @ml_function("Whether records carry a timestamp (default true)", capabilities=["log.write"])
    def set_timestamp(self, enabled):
        self._settings().timestamp = bool(enabled)

    @ml_function("Also append every record to a file (created with its parent directories)",
                 capabilities=["log.write", "file.write"])
    def add_file(self, path):
        _add_file(self._settings(), path)

    @ml_function("Whether DEBUG records are logged")
    def is_debug(self):
        return self._settings().level <= DEBUG

    @ml_function("A new named logger with its own settings")
    def create_logger(self, name):
        if not isinstance(name, str) or not name:
            raise TypeError(f"a logger name must be a non-empty string, not {typeof(name)}")
        return Logger(name)
