"""The process-wide default AsyncEngines behind :func:`async_ml_execute` (spec 3.3).

One engine is made lazily per distinct ``(strict_security, python_extension_paths)``, so a
call costs a queue hand-off, never a thread pool's start and stop. At most
:data:`MAX_DEFAULTS` are kept (least recently used first out; an evicted engine is closed
once its jobs are done), and all are closed when the interpreter exits.
:func:`set_default_async_engine` replaces the engine for the default key -- the one
:func:`async_ml_execute` without extension paths and :meth:`mlpy.MLFunction.call_async` use.
"""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from os import PathLike, fspath
from typing import Any, Iterable, Mapping

from mlpy.aio.engine import INHERIT, AsyncEngine
from mlpy.aio.result import AsyncMLResult
from mlpy.errors import MLConfigurationError
from mlpy.program import Program

MAX_DEFAULTS = 8
_DEFAULT_KEY: tuple[bool, tuple[str, ...]] = (True, ())
_engines: OrderedDict[tuple[bool, tuple[str, ...]], AsyncEngine] = OrderedDict()
_chosen: AsyncEngine | None = None  # set_default_async_engine's, never evicted or closed here
_lock = threading.Lock()


async def async_ml_execute(ml_code: str | Program, timeout: float | None = None,
                           context: Mapping[str, Any] | None = None, *,
                           strict_security: bool = True,
                           python_extension_paths: Iterable[str | PathLike[str]] = (),
                           capabilities: Any = INHERIT, **options: Any) -> AsyncMLResult:
    """Run ML code on the default AsyncEngine for these options; never raises for ML
    errors. ``timeout`` None means the engine's default (30 s); the other options are
    those of :meth:`AsyncEngine.execute`."""
    engine = _engine_for(strict_security, tuple(fspath(p) for p in python_extension_paths))
    if timeout is not None:
        options["timeout"] = timeout
    return await engine.execute(ml_code, context=context, capabilities=capabilities,
                                **options)


def default_async_engine() -> AsyncEngine:
    """The AsyncEngine of :func:`async_ml_execute` with default options (made if needed)."""
    return _engine_for(*_DEFAULT_KEY)


def set_default_async_engine(engine: AsyncEngine | None) -> None:
    """Make ``engine`` the default (None: forget it; the next use makes a new one). The
    engine replaced is not closed: whoever made it owns it."""
    global _chosen
    if engine is not None and not isinstance(engine, AsyncEngine):
        raise MLConfigurationError("set_default_async_engine takes an AsyncEngine or None")
    with _lock:
        _chosen = engine


def _engine_for(strict_security: bool, paths: tuple[str, ...]) -> AsyncEngine:
    key = (strict_security, paths)
    evicted = None
    with _lock:
        if key == _DEFAULT_KEY and _chosen is not None:
            return _chosen
        engine = _engines.get(key)
        if engine is not None and engine.closed:
            engine = None
        if engine is None:
            engine = AsyncEngine(strict_security=strict_security,
                                 python_extension_paths=paths,
                                 thread_name_prefix="mlpy-default")
            _engines[key] = engine
            if len(_engines) > MAX_DEFAULTS:
                _, evicted = _engines.popitem(last=False)
        _engines.move_to_end(key)
    if evicted is not None:
        evicted.shutdown(wait=False)
    return engine


@atexit.register
def _close_all() -> None:
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.shutdown(wait=False, cancel_pending=True)
