"""What the ``mlpy`` command prints and how it exits: exit codes, colour, stderr, JSON.

Exit codes (integration spec 8.2, the same for every command):

=====  =========================================================
0      success
1      the ML program failed at run time
2      usage or configuration error (bad option, missing file)
3      syntax error
4      static security rejection
5      capability denied
6      time or resource limit reached
7      sandbox or internal failure
=====  =========================================================

Machine output: with ``--json`` a command writes exactly one JSON document on stdout, with
the standard :mod:`json` module and nothing else; every human line goes to stderr. Colour is
used only on a terminal, never when ``NO_COLOR`` is set, always when ``FORCE_COLOR`` is, and
``--color always|never`` overrides all three.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

import click

from mlpy.errors import (
    CapabilityError, MLCancelledError, MLCompileError, MLError, MLLimitError, MLMarshalError,
    MLResourceError, MLSandboxError, MLSecurityError, MLSyntaxError, MLTimeoutError,
)

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_SYNTAX, EXIT_SECURITY = 0, 1, 2, 3, 4
EXIT_CAPABILITY, EXIT_LIMIT, EXIT_INTERNAL = 5, 6, 7

COLOR_MODES = ("auto", "always", "never")
_color_mode = "auto"  # set once per invocation by the group's --color


def set_color_mode(mode: str) -> None:
    global _color_mode
    _color_mode = mode


def exit_code(error: BaseException | None) -> int:
    """The exit code for an execution that ended with ``error`` (None: success)."""
    if error is None:
        return EXIT_OK
    if isinstance(error, MLSyntaxError):
        return EXIT_SYNTAX
    if isinstance(error, MLSecurityError):
        return EXIT_SECURITY
    if isinstance(error, MLCompileError):
        return EXIT_SYNTAX
    if isinstance(error, CapabilityError):
        return EXIT_CAPABILITY
    if isinstance(error, MLLimitError):
        return EXIT_LIMIT
    if isinstance(error, MLSandboxError):
        return EXIT_INTERNAL
    return EXIT_RUNTIME


def exit_reason(error: MLError | None) -> str:
    """A one-word reason for the ``run --json`` document."""
    if error is None:
        return "ok"
    if isinstance(error, MLTimeoutError):
        return "timeout"
    if isinstance(error, MLCancelledError):
        return "cancelled"
    if isinstance(error, MLResourceError):
        return error.resource
    if isinstance(error, MLCompileError):
        return "compile_error"
    if isinstance(error, CapabilityError):
        return "capability_denied"
    if isinstance(error, MLMarshalError):
        return "marshal_error"
    if isinstance(error, MLSandboxError):  # how the worker ended: crash(SIGSEGV), ...
        return getattr(error, "termination_reason", None) or "sandbox_error"
    return "error"


def diagnostics_exit_code(diagnostics: list) -> int:
    """The exit code for compiler findings: 0 without errors, 3 for a syntax error, else 4
    when a security rule refused something and 3 for the other errors (names, imports)."""
    errors = [d for d in diagnostics if d.severity == "error"]
    if not errors:
        return EXIT_OK
    if any(d.category == "syntax" for d in errors):
        return EXIT_SYNTAX
    if any(d.category == "security" for d in errors):
        return EXIT_SECURITY
    return EXIT_SYNTAX


def use_color(stream: TextIO) -> bool:
    if _color_mode != "auto":
        return _color_mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def echo_err(text: str) -> None:
    """Human text to stderr; click keeps ANSI codes only when colour is wanted."""
    click.echo(text, err=True, color=use_color(sys.stderr))


def report(error: MLError) -> None:
    """An ML error on stderr, with its source line and caret."""
    echo_err(error.report(color=use_color(sys.stderr)))


def emit_json(document: Any) -> None:
    """The one JSON document of a ``--json`` command, on one line of stdout."""
    sys.stdout.write(json.dumps(document, allow_nan=False) + "\n")
    sys.stdout.flush()


def styled(text: str, **style: Any) -> str:
    """``text`` in colour when stdout gets colour."""
    return click.style(text, **style) if use_color(sys.stdout) else text
