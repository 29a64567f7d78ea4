"""The ML REPL: :class:`MLREPLSession` does the work, :func:`run_repl` talks to a terminal."""

from mlpy.repl.session import CommandResult, MLREPLSession, REPLError, REPLResult

__all__ = ["CommandResult", "MLREPLSession", "REPLError", "REPLResult", "run_repl"]


def run_repl(**options):
    """Run the interactive loop (see :mod:`mlpy.repl.terminal`)."""
    from mlpy.repl.terminal import run_repl as loop

    return loop(**options)
