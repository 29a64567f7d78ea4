"""The public API for writing ML modules in Python: ``from mlpy.ext import ml_module, ...``."""

from mlpy.modules.decorators import (
    ModuleDefinitionError,
    get_class_metadata,
    get_function_metadata,
    get_module_metadata,
    ml_class,
    ml_constant,
    ml_function,
    ml_module,
    ml_property,
)

__all__ = [
    "ModuleDefinitionError", "get_class_metadata", "get_function_metadata",
    "get_module_metadata", "ml_class", "ml_constant", "ml_function", "ml_module", "ml_property",
]
