"""mlpy: run scripts written in ML, a small JavaScript-like language, inside Python.

The one-line API runs on a process-wide default :class:`Engine`::

    import mlpy
    result = mlpy.execute("total = price * qty;", {"price": 2.5, "qty": 4})
    result.globals["total"]   # 10.0
"""

from __future__ import annotations

import logging
import threading
from os import PathLike
from typing import Any, Iterable, Mapping

from mlpy._version import __version__
from mlpy.capabilities import (
    AuditLog, Capabilities, Capability, CapabilitySet, capability_scope, current_capabilities,
    require,
)
from mlpy.engine import Engine, ExecutionResult, MLFunction
from mlpy.session import Session
from mlpy.errors import (
    CapabilityError, Diagnostic, MLBackpressureError, MLCallError, MLCancelledError, MLCompileError,
    MLConfigurationError, MLError, MLExecutionError, MLHostError, MLImportError, MLLimitError,
    MLMarshalError, MLResourceError, MLRuntimeError, MLSandboxError, MLSecurityError,
    MLSyntaxError, MLTimeoutError, ModuleLoadError, SecurityError,
)
from mlpy.host import HostFunction, host_function
from mlpy.program import Program, TranspileResult
from mlpy.runtime.values import frozen

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


# The asyncio toolkit and the callback bridge load on first use, so that `import mlpy`
# stays quick.
_LAZY = {
    **dict.fromkeys(("AsyncEngine", "AsyncMLExecutor", "AsyncMLResult", "ExecutorStats",
                     "SessionPool", "async_ml_execute", "default_async_engine",
                     "set_default_async_engine"), "mlpy.aio"),
    **dict.fromkeys(("CallbackStats", "MLCallbackRegistry", "MLCallbackWrapper",
                     "ml_callback"), "mlpy.callbacks"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlpy' has no attribute {name!r}")


__all__ = [
    "AsyncEngine", "AsyncMLExecutor", "AsyncMLResult", "ExecutorStats", "SessionPool",
    "async_ml_execute", "default_async_engine", "set_default_async_engine",
    "CallbackStats", "MLCallbackRegistry", "MLCallbackWrapper", "ml_callback",
    "MLBackpressureError",
    "AuditLog", "Capabilities", "Capability", "CapabilitySet", "capability_scope",
    "current_capabilities", "require",
    "CapabilityError", "Diagnostic", "Engine", "HostFunction", "host_function", "ExecutionResult", "MLCallError",
    "MLCancelledError", "MLCompileError", "MLConfigurationError", "MLError", "MLExecutionError",
    "MLFunction", "MLHostError", "MLImportError", "MLLimitError", "MLMarshalError", "MLResourceError",
    "MLRuntimeError", "MLSandboxError", "MLSecurityError", "MLSyntaxError", "MLTimeoutError",
    "ModuleLoadError", "Program", "SecurityError", "Session", "TranspileResult", "__version__", "compile",
    "default_engine", "execute", "frozen", "transpile",
]
