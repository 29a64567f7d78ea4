"""mlpy's loggers, the ``execution_id`` on every record, and a JSON formatter.

The logger tree
---------------
Every logger mlpy writes to is a child of ``mlpy``, so one ``logging.getLogger("mlpy")``
setting governs them all. :data:`TREE` names them and what each one reports. mlpy itself
only adds a ``NullHandler`` to ``mlpy`` (a library logs, the application decides where
logs go); :func:`configure` is the one place that adds a real handler, and only to the
``mlpy`` logger, never to the root logger.

Levels
------
An ML program that fails is a result, not a failure of the system: its errors (syntax,
runtime, capability denied, bad values) are logged at DEBUG. Limits -- timeouts,
cancellation, resource limits -- and backpressure are INFO. A host function that raised, a
worker thread set aside as stuck, a sandbox execution that failed are WARNING; failures of
mlpy's own machinery (a sandbox worker that crashed, a handler or listener that raised) are
ERROR. ML source text and the values of ML variables never appear in a record above
DEBUG: such records name an error by :func:`describe` (type, code, ML position) and carry
the same facts as fields (:func:`error_fields`); the full report, with its excerpt of the
source, is a separate DEBUG record. (A host function's own exception, logged at WARNING
or ERROR with its traceback, says whatever the host function put in it; audit events at
INFO name the resource a call asked for unless the engine's ``AuditLog(redact=True)``.)

The execution id on every record
--------------------------------
:class:`ExecutionIdFilter` sets ``record.execution_id`` to the id of the ML execution
running in the current context (None outside executions), unless the record already has
one (records written outside the execution about it, by the AsyncEngine's watchdog for
instance, pass ``extra={"execution_id": ...}``). A filter attached to a logger sees only
the records logged *through that logger*, not those of its children, so the filter is
attached to every logger of :data:`TREE` when this module is imported (the engine
imports it, so the filters are in place before any execution), and to the handler
:func:`configure` installs, which then also covers records of other ``mlpy.*`` loggers. A handler of the application's own sees the attribute on every
record of the tree; adding ``ExecutionIdFilter()`` to it gives the application's own
records -- from a host function ML code called, say -- the id of the execution too. No
``logging.setLogRecordFactory`` is involved: the process-wide factory stays the
application's.

The id is read without creating one: an execution that never asked for an id (a host
calling an ML function directly, say) is logged with None rather than given an id only
because something logged.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
import traceback
from typing import IO, Any

from mlpy.errors import (
    MLBackpressureError, MLConfigurationError, MLError, MLHostError, MLLimitError,
    MLSandboxError,
)
from mlpy.runtime.state import CURRENT

# The loggers mlpy writes to, and what each one reports.
TREE = {
    "mlpy": "the root of the tree; configure() installs its handler here",
    "mlpy.engine": "how executions ended: ML errors (DEBUG), limits (INFO), host and "
                   "sandbox failures (WARNING)",
    "mlpy.async": "the AsyncEngine: jobs refused by backpressure (INFO), worker threads set "
                  "aside as stuck (WARNING), the executor turning unhealthy (ERROR)",
    "mlpy.capabilities": "denied calls, with what was asked for (DEBUG)",
    "mlpy.audit": "the engine's audit events: grant, revoke, deny, sampled use (INFO)",
    "mlpy.sandbox": "sandbox worker processes stopped at a limit (INFO) or crashed (ERROR)",
    "mlpy.compiler": "the parser being built (DEBUG), an unusable parser cache directory "
                     "(WARNING); programs that fail to compile are logged by mlpy.engine",
    "mlpy.modules": "module discovery problems (WARNING), event listeners that raised (ERROR)",
    "mlpy.callbacks": "swallowed callback errors (WARNING), result handlers that raised "
                      "(ERROR)",
    "mlpy.gui": "work posted to a UI thread that raised (ERROR) or was not delivered (DEBUG)",
    "mlpy.integration": "web requests whose ML failed, at the level of the HTTP status",
}

# The standard attributes of a LogRecord; any other attribute came in through ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "execution_id", "taskName"}


class ExecutionIdFilter(logging.Filter):
    """Sets ``record.execution_id``: the current ML execution's id, or None (see the
    module). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "execution_id", None) is None:
            record.execution_id = current_execution_id()
        return True


def current_execution_id() -> str | None:
    """The id of the ML execution running in this context, None outside executions; never
    creates an id for an execution that has none yet."""
    state = CURRENT.get()
    if state.idle:
        return None
    # The state's public ``execution_id`` property creates an id on first read; the
    # attribute behind it is read instead, so that logging changes nothing.
    return state._id  # noqa: SLF001


EXECUTION_ID = ExecutionIdFilter()
for _name in TREE:
    logging.getLogger(_name).addFilter(EXECUTION_ID)


def describe(error: BaseException) -> str:
    """``error`` named without its message: type, code and ML position, such as
    ``MLRuntimeError MLR001 at rules.ml:3:7``. An error's message may quote values of the
    program and its report shows the source, so records above DEBUG use this."""
    fields = error_fields(error)
    text = fields["error_type"]
    if fields.get("error_code"):
        text += f" {fields['error_code']}"
    if fields.get("ml_line"):
        text += f" at {fields.get('ml_file') or '<string>'}:{fields['ml_line']}"
        if fields.get("ml_column"):
            text += f":{fields['ml_column']}"
    return text


def error_fields(error: BaseException) -> dict[str, Any]:
    """The facts about ``error`` a record above DEBUG may carry (for ``extra=``): its type,
    code, ML position and, for a capability error, the capability it needed."""
    fields: dict[str, Any] = {"error_type": type(error).__name__}
    for name, key in (("code", "error_code"), ("ml_file", "ml_file"), ("ml_line", "ml_line"),
                      ("ml_column", "ml_column"), ("required", "required_capability")):
        value = getattr(error, name, None)
        if value is not None and isinstance(value, (str, int)):
            fields[key] = value
    execution_id = getattr(error, "execution_id", None)
    if execution_id:
        fields["execution_id"] = execution_id
    return fields


def level_for(error: BaseException) -> int:
    """The level an outcome is logged at (see the module): an ML error DEBUG, a limit or
    backpressure INFO, a host function's or a sandbox execution's failure WARNING, any
    exception that is no MLError ERROR."""
    if isinstance(error, (MLLimitError, MLBackpressureError)):
        return logging.INFO
    if isinstance(error, (MLHostError, MLSandboxError)):
        return logging.WARNING
    if isinstance(error, MLError):
        return logging.DEBUG
    return logging.ERROR


def log_failure(logger: logging.Logger, what: str, error: BaseException, *,
                level: int | None = None, **fields: Any) -> None:
    """Log that ``what`` failed with ``error``, at ``level`` (default :func:`level_for`).

    Above DEBUG an MLError is named by :func:`describe` only, with :func:`error_fields` and
    ``fields`` on the record; its full report (message, source excerpt, and the traceback of
    a Python exception it wraps) is a second record, at DEBUG. An exception that is no
    MLError is logged with its traceback: its text is Python's or the host's, not ML's.
    """
    level = level_for(error) if level is None else level
    extra = {**error_fields(error), **fields}
    if not isinstance(error, MLError):
        if logger.isEnabledFor(level):
            logger.log(level, "%s: %s: %s", what, type(error).__name__, error, extra=extra,
                       exc_info=error)
        return
    if level > logging.DEBUG and logger.isEnabledFor(level):
        logger.log(level, "%s: %s", what, describe(error), extra=extra)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("%s: %s", what, error, extra=extra,
                     exc_info=error if error.__cause__ is not None else None)


class JSONFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (ISO 8601, UTC), ``level``, ``logger``,
    ``message``, ``execution_id``, every field given with ``extra=``, and ``exception``
    (the formatted traceback) when the record has one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "execution_id": getattr(record, "execution_id", None),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger [execution id] message`` (``-`` outside executions)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(execution)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        # A copy carries the shown id, so that other handlers see the record unchanged.
        shown = logging.makeLogRecord(
            {**vars(record), "execution": getattr(record, "execution_id", None) or "-"})
        return super().formatMessage(shown)


_FORMATTERS = {"text": TextFormatter, "json": JSONFormatter}
_INSTALLED = "_mlpy_configured"  # marks the handler configure() installed


def configure(level: int | str = "WARNING", format: str = "text", *,  # noqa: A002
              stream: IO[str] | None = None, handler: logging.Handler | None = None,
              propagate: bool = False) -> logging.Handler:
    """Send mlpy's records (the whole ``mlpy`` tree) to one handler, formatted as
    ``format`` (``"text"`` or ``"json"``), from ``level`` up; the handler.

    The handler is a ``StreamHandler`` on ``stream`` (default ``sys.stderr``) unless one is
    given; it gets the formatter and :class:`ExecutionIdFilter`. Only the ``mlpy`` logger
    is touched, never the root logger: a handler installed by an earlier call is replaced,
    and ``propagate=False`` (the default) keeps mlpy's records from reaching the root
    logger's handlers too, where they would be written twice.
    """
    if format not in _FORMATTERS:
        raise MLConfigurationError(
            f"logging format must be 'text' or 'json', not {format!r}")
    numeric = _level(level)
    logger = logging.getLogger("mlpy")
    for old in [h for h in logger.handlers if getattr(h, _INSTALLED, False)]:
        logger.removeHandler(old)
    if handler is None:
        handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(_FORMATTERS[format]())
    handler.addFilter(EXECUTION_ID)
    setattr(handler, _INSTALLED, True)
    logger.addHandler(handler)
    logger.setLevel(numeric)
    logger.propagate = propagate
    return handler


def _level(level: int | str) -> int:
    if isinstance(level, bool):
        level = repr(level)
    if isinstance(level, int):
        return level
    numeric = logging.getLevelName(str(level).upper())
    if not isinstance(numeric, int):
        raise MLConfigurationError(
            f"unknown logging level {level!r}",
            hints=["use DEBUG, INFO, WARNING, ERROR or CRITICAL (or a number)"])
    return numeric


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` (a child of ``mlpy``) with :class:`ExecutionIdFilter` attached,
    for modules outside :data:`TREE`."""
    if name != "mlpy" and not name.startswith("mlpy."):
        raise MLConfigurationError(f"mlpy's loggers are named mlpy.*, not {name!r}")
    logger = logging.getLogger(name)
    logger.addFilter(EXECUTION_ID)
    return logger


__all__ = [
    "EXECUTION_ID", "TREE", "ExecutionIdFilter", "JSONFormatter", "TextFormatter",
    "configure", "current_execution_id", "describe", "error_fields", "get_logger",
    "level_for", "log_failure",
]
