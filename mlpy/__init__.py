"""mlpy: run scripts written in ML, a small JavaScript-like language, inside Python.

The one-line API runs on a process-wide default :class:`Engine`::

    import mlpy
    result = mlpy.execute("total = price * qty;", {"price": 2.5, "qty": 4})
    result.globals["total"]   # 10.0

``import mlpy`` loads almost nothing: every public name (the engine, the compiler behind
it, the asyncio toolkit, the errors) is imported on first use, so that ``mlpy --version``
and applications that only ``import mlpy`` start quickly. ``from mlpy import Engine``,
``mlpy.Engine`` and ``dir(mlpy)`` work as if everything had been imported up front.
"""

from __future__ import annotations

import logging
import threading
from os import PathLike
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from mlpy._version import __version__

if TYPE_CHECKING:
    from mlpy.engine import Engine, ExecutionResult
    from mlpy.program import Program, TranspileResult

# A library logs, the application decides where logs go (mlpy.audit, mlpy.modules).
logging.getLogger("mlpy").addHandler(logging.NullHandler())

_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    """The process-wide Engine behind :func:`execute`, :func:`compile` and :func:`transpile`."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                from mlpy.engine import Engine

                _default = Engine()
    return _default


def execute(source_or_program: str | Program, variables: Mapping[str, Any] | None = None,
            **options: Any) -> ExecutionResult:
    """Compile (cached) and run ML code; see :meth:`Engine.execute` for the options."""
    return default_engine().execute(source_or_program, variables, **options)


def compile(source: str | PathLike[str], *, filename: str | None = None,
            inputs: Iterable[str] = ()) -> Program:
    """Compile ML code into a reusable :class:`Program`; raise :class:`MLCompileError`."""
    return default_engine().compile(source, filename=filename, inputs=inputs)


def transpile(source: str, *, filename: str = "<string>",
              inputs: Iterable[str] = ()) -> TranspileResult:
    """The Python code generated for ML ``source``, or the diagnostics that prevent it."""
    return default_engine().transpile(source, filename=filename, inputs=inputs)


# Public name -> the module that defines it, imported when the name is first asked for.
_LAZY = {
    **dict.fromkeys(("AuditLog", "Capabilities", "Capability", "CapabilitySet",
                     "capability_scope", "current_capabilities", "require"),
                    "mlpy.capabilities"),
    **dict.fromkeys(("Engine", "ExecutionResult", "MLFunction"), "mlpy.engine"),
    "Session": "mlpy.session",
    **dict.fromkeys(("CapabilityError", "Diagnostic", "MLBackpressureError", "MLCallError",
                     "MLCancelledError", "MLCompileError", "MLConfigurationError", "MLError",
                     "MLExecutionError", "MLHostError", "MLImportError", "MLLimitError",
                     "MLMarshalError", "MLResourceError", "MLRuntimeError", "MLSandboxError",
                     "MLSecurityError", "MLSyntaxError", "MLTimeoutError", "ModuleLoadError",
                     "SecurityError"), "mlpy.errors"),
    **dict.fromkeys(("HostFunction", "host_function"), "mlpy.host"),
    **dict.fromkeys(("Program", "TranspileResult"), "mlpy.program"),
    "frozen": "mlpy.runtime.values",
    **dict.fromkeys(("AsyncEngine", "AsyncMLExecutor", "AsyncMLResult", "ExecutorStats",
                     "SessionPool", "async_ml_execute", "default_async_engine",
                     "set_default_async_engine"), "mlpy.aio"),
    **dict.fromkeys(("CallbackStats", "MLCallbackRegistry", "MLCallbackWrapper",
                     "ml_callback"), "mlpy.callbacks"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mlpy' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = sorted([*_LAZY, "__version__", "compile", "default_engine", "execute", "transpile"])
