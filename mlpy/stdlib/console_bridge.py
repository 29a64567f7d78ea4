"""ML module ``console``: writing to the execution's output and error streams."""

from __future__ import annotations

from mlpy.ext import ml_function, ml_module
from mlpy.runtime.state import write_output
from mlpy.runtime.values import display


def _line(prefix: str | None, values) -> str:
    parts = [display(v) for v in values]
    if prefix:
        parts.insert(0, prefix)
    return " ".join(parts) + "\n"


@ml_module("console", "Console output and logging functionality")
class Console:
    @ml_function("Write values to the output", capabilities=["console.write"])
    def log(self, *values):
        write_output(_line(None, values))

    @ml_function("Write values to the output after 'INFO:'", capabilities=["console.write"])
    def info(self, *values):
        write_output(_line("INFO:", values))

    @ml_function("Write values to the output after 'DEBUG:'", capabilities=["console.write"])
    def debug(self, *values):
        write_output(_line("DEBUG:", values))

    @ml_function("Write values to the error stream", capabilities=["console.error"])
    def error(self, *values):
        write_output(_line(None, values), error=True)

    @ml_function("Write values to the error stream after 'WARNING:'",
                 capabilities=["console.error"])
    def warn(self, *values):
        write_output(_line("WARNING:", values), error=True)
