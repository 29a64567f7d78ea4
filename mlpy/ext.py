"""The public API for writing ML modules in Python: ``from mlpy.ext import ml_module, ...``."""

from mlpy.modules.decorators import (
    ModuleDefinitionError,
    get_function_metadata,
    get_module_metadata,
    ml_constant,
    ml_function,
    ml_module,
)

__all__ = [
    "ModuleDefinitionError", "get_function_metadata", "get_module_metadata", "ml_constant",
    "ml_function", "ml_module",
]
