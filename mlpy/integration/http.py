"""What a web service tells its client when ML code fails: a status, a public message, a body.

The web helpers (:mod:`mlpy.integration.asgi`, ``wsgi``, ``flask``, ``django``,
``fastapi``) answer every :class:`~mlpy.errors.MLError` the same way, through the three
functions here: :func:`status_for` picks the HTTP status, :func:`public_message` the text a
client may see, and :func:`problem_details` the JSON body (RFC 9457,
``application/problem+json``).

**Statuses.** A failure of the ML program itself (a compile error, an ML exception, a bad
call or value, a step or recursion limit) is the client's: ``400``. Timeouts are ``504``:
the server gave the ML code a time limit and the code did not answer within it, which is
what *Gateway Timeout* means; ``408 Request Timeout`` would say the client was too slow
sending its request, which it was not. Size limits (output, memory) are ``413``, a missing
grant or a refused member ``403``, backpressure (the executor's queue is full, error code
``"backpressure"``) ``429``, a cancelled execution ``503`` (the server stopped the work,
usually while shutting down: retry). Everything else -- a host function that raised, a
sandbox worker that died, a configuration error, any exception that is no MLError -- is
the server's fault: ``500``. Compile errors count as the client's because a service
compiles its own programs at start-up (``engine.compile``), so a broken program of its own
fails the deployment, not a request.

**Public messages.** A client may learn what went wrong in the ML code, never anything about
the host. So the message of an error that mlpy wrote about the ML program (a syntax error,
``key 'id' not found``, a limit) is kept, with the ML position (base name of the ML file,
line, column) in front; an error whose text may come from host code (a host function's
exception, a module that failed to load, a sandbox failure, an internal error) gets a fixed
sentence instead; a capability error names only the missing capability, never the resource
(a path or a URL) nor the grants held. Whatever is kept is scrubbed: absolute file paths
become ``<path>``, credentials in URLs ``<credentials>``, a Python traceback is cut off, and
the text is clipped to :data:`MAX_MESSAGE` characters. The full error stays in the server's
log (:func:`log_error`).
"""

from __future__ import annotations

import logging
import os
import re
from http import HTTPStatus
from typing import Any

from mlpy.errors import (
    CapabilityError, MLCallError, MLCancelledError, MLCompileError, MLError, MLHostError,
    MLLimitError, MLMarshalError, MLResourceError, MLRuntimeError, MLTimeoutError,
    SecurityError,
)
from mlpy.observability.logging import log_failure

logger = logging.getLogger("mlpy.integration")

# The content type of the error bodies (RFC 9457).
PROBLEM_JSON = "application/problem+json"
# The longest public message; a longer one keeps its start and ends with "...".
MAX_MESSAGE = 500
# The code the executor's full queue reports (the AsyncEngine's backpressure error).
BACKPRESSURE = "backpressure"

# Resources of MLResourceError that are sizes (413) rather than work the code did (400).
_SIZE_RESOURCES = frozenset({"output", "memory"})

# Fixed public sentences for errors whose own message may carry host internals.
_HIDDEN = {
    SecurityError: "the ML code used a member or a call that is not allowed",
    MLCancelledError: "the execution was cancelled; try again",
}
_HOST_FAILURE = "a host function called by the ML code failed"
_INTERNAL = "internal error"
_BUSY = "the server is busy running other ML code; try again later"
# The body of a request whose grants could not be decided (its resolver failed).
RESOLVER_FAILED = {
    "type": "about:blank", "title": "Internal Server Error", "status": 500,
    "detail": "the request's capabilities could not be determined", "code": "internal",
}


def status_for(error: BaseException) -> int:
    """The HTTP status for ``error`` (see the module's table)."""
    if _backpressure(error):
        return 429
    if isinstance(error, (CapabilityError, SecurityError)):
        return 403
    if isinstance(error, MLTimeoutError):
        return 504
    if isinstance(error, MLResourceError):
        if error.resource in _SIZE_RESOURCES:
            return 413
        return 504 if error.resource == "cpu" else 400
    if isinstance(error, MLCancelledError):
        return 503
    if isinstance(error, (MLCompileError, MLRuntimeError, MLCallError, MLMarshalError)):
        return 400
    return 500


def public_message(error: BaseException) -> str:
    """A message about ``error`` that is safe to send to any client (see the module)."""
    if _backpressure(error):
        return _BUSY
    if not isinstance(error, MLError):
        return _INTERNAL
    text = _own_text(error)
    if text is None:
        return _INTERNAL
    return _with_position(error, scrub(text))


def problem_details(error: BaseException) -> dict[str, Any]:
    """The RFC 9457 body for ``error``: ``type``, ``title``, ``status``, ``detail`` and
    ``code`` (the error's stable code, such as ``MLL001``; ``internal`` for an exception
    that is no MLError)."""
    status = status_for(error)
    code = getattr(error, "code", None)
    if not (_backpressure(error) or isinstance(error, MLError) and isinstance(code, str)):
        code = "internal"
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": public_message(error),
        "code": code,
    }


def log_error(error: BaseException) -> None:
    """Log ``error`` for the server's operators, at the level its status calls for: server
    faults at ERROR, timeouts, cancellation and backpressure at INFO, the ML program's own
    failures at DEBUG (they are results, not system failures). Above DEBUG an MLError is
    named by type, code and ML position only (its message may quote the program's values);
    its full report, with the traceback of a host exception it wraps, follows at DEBUG. An
    exception that is no MLError is logged with its traceback (see
    :func:`mlpy.observability.logging.log_failure`)."""
    status = status_for(error)
    if status >= 500 and status not in (503, 504):
        level = logging.ERROR
    elif status in (429, 503, 504):
        level = logging.INFO
    else:
        level = logging.DEBUG
    log_failure(logger, f"ML request failed ({status})", error, level=level)


def health_response(report: Any, route: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of a health route for a :class:`mlpy.health.HealthReport`
    (the same for every framework). ``route`` is ``"ready"``: ``200`` when the report is
    ready, else ``503``, with the overall and per-check statuses; or ``"detailed"``: the
    whole report, ``503`` only when it is unhealthy (a degraded process still serves)."""
    if route == "ready":
        body = {"status": report.status, "ready": report.ready,
                "checks": {name: found["status"] for name, found in report.checks.items()}}
        return (200 if report.ready else 503), body
    if route == "detailed":
        return (503 if report.status == "unhealthy" else 200), report.to_dict()
    raise ValueError(f"unknown health route {route!r}: use 'ready' or 'detailed'")


# The body of the liveness route: the process answers, whatever state its parts are in.
LIVENESS = {"status": "ok"}


def _backpressure(error: BaseException) -> bool:
    """Whether ``error`` is the executor's "queue full" refusal (known by its code, so any
    executor's such error counts)."""
    return getattr(error, "code", None) == BACKPRESSURE


def _own_text(error: MLError) -> str | None:
    """The part of ``error`` a client may read, or None when only the fixed internal
    sentence fits."""
    for cls, sentence in _HIDDEN.items():
        if isinstance(error, cls):
            return sentence
    if isinstance(error, CapabilityError):
        if error.required:
            return f"this needs the capability '{error.required}', which was not granted"
        return "this needs a capability that was not granted"
    if isinstance(error, (MLCompileError, MLRuntimeError, MLCallError, MLMarshalError,
                          MLLimitError)):
        return error.message
    if isinstance(error, MLHostError):
        return _HOST_FAILURE
    return None


def _with_position(error: MLError, text: str) -> str:
    """``text`` after the ML position, when the error has one: ``rules.ml:3:7: ...``. Only
    the base name of the ML file is shown: where the host keeps its programs is its own."""
    if not error.ml_line:
        return text
    name = scrub(os.path.basename(error.ml_file or "<string>")) or "<string>"
    return f"{name}:{error.ml_line}:{error.ml_column or 1}: {text}"


# A Python traceback in a message: everything from its first line on is dropped.
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\bFile \"", re.S)
# Credentials in a URL (scheme://user:password@host).
_CREDENTIALS = re.compile(r"(?<=://)[^/\s@:]+:[^/\s@]*@")
# An absolute path: POSIX (/srv/app, ~/x) or Windows (C:\app, \\server\share), not
# preceded by a word character, a colon or a slash (so "a/b" and URLs stay as they are).
_PATH = re.compile(
    r"(?<![\w:/.\\~-])(?:~?/[\w.\-~+@%]+(?:/[\w.\-~+@%]*)*"
    r"|[A-Za-z]:\\[^\s'\"]*|\\\\[^\s'\"]+)"
)


def scrub(text: str) -> str:
    """``text`` without host internals: no Python traceback, no absolute path, no URL
    credentials, at most :data:`MAX_MESSAGE` characters."""
    cut = _TRACEBACK.search(text)
    if cut:
        text = text[:cut.start()].rstrip(" :\n")
    text = _CREDENTIALS.sub("<credentials>@", text)
    text = _PATH.sub("<path>", text)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE - 3] + "..."
    return text


__all__ = [
    "BACKPRESSURE", "LIVENESS", "MAX_MESSAGE", "PROBLEM_JSON", "RESOLVER_FAILED",
    "health_response", "log_error", "problem_details", "public_message", "scrub",
    "status_for",
]
