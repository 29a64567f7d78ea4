"""Python warnings raised on behalf of ML code stay out of the host's stderr.

Some Python operations report problems through the process-wide ``warnings`` machinery:
``compile()`` of generated code (a ``SyntaxWarning`` when constant folding turns
``(1 + 2)[0]`` into a subscript of a number), ``re`` (a ``FutureWarning`` for a pattern
such as ``[[a]``). Left alone, a warning a script caused would reach the host's stderr --
past ``capture_output`` and ``max_output``, naming the host's Python files -- and under
``python -W error`` it would be a Python exception out of mlpy.

:func:`quietly` runs one such operation with the warnings it raises handed back instead.
The ``warnings`` machinery is global state, so the operation runs under a lock (two
recordings at once could leave the host's warnings going to a list nobody reads), and a
warning another thread raises meanwhile goes on to the host's ``showwarning``. Only short
operations that run no ML code and no host code go through here.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_LOCK = threading.RLock()


def quietly(operation: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, list[str]]:
    """``operation(*args, **kwargs)``, and the messages of the warnings it raised."""
    caller = threading.get_ident()
    messages: list[str] = []
    with _LOCK, warnings.catch_warnings():
        host_show = warnings.showwarning

        def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                 line: str | None = None) -> None:
            if threading.get_ident() == caller:
                messages.append(str(message))
            else:
                host_show(message, category, filename, lineno, file, line)

        warnings.simplefilter("always")
        warnings.showwarning = show
        result = operation(*args, **kwargs)
    return result, messages
