"""Read an error that crossed the Python/ML boundary, in every form mlpy gives it.

``bill.ml`` divides by zero inside an ML callback that the host function ``apply_all``
calls: the error keeps the ML frames on both sides of the host. ``describe()`` shows it as a
traceback (``format``), as the one-line compiler-style report (``str``), as the full report
(``report``), as JSON data (``to_dict``), and maps a line of the generated Python back to ML
with the program's source map. ``trace()`` is print debugging: ``print`` and
``console.debug`` (which needs the grant ``console.write``). Run it with ``python app.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlpy
from mlpy.debug import MLPosition
from mlpy.errors import error_from_dict

HERE = Path(__file__).resolve().parent
engine = mlpy.Engine(timeout=1.0)


@mlpy.host_function
def apply_all(fn, items):
    """Call the ML function ``fn`` on every item: ML -> host -> ML."""
    return [fn(item) for item in items]


def failing_error() -> mlpy.MLRuntimeError:
    result = engine.execute((HERE / "bill.ml").read_text(encoding="utf-8"),
                            {"apply_all": apply_all}, filename="bill.ml")
    return result.error


# [forms]
def describe(error: mlpy.MLError) -> dict[str, str]:
    """The forms of one error: pick the one your reader needs."""
    return {
        "traceback": error.format(),  # ML frames, innermost last, each with a caret
        "report": str(error),  # what the CLI prints: file:line:column: error: ... [code]
        "full": error.report(),  # the report, then the traceback
        "json": json.dumps(error.to_dict()),  # for a log pipeline or an HTTP error body
    }
# [/forms]


# [frames]
def frames(error: mlpy.MLError) -> list[tuple[str, int]]:
    """The ML call chain as data: MLFrame objects, outermost first."""
    return [(frame.function, frame.line) for frame in error.ml_traceback]
# [/frames]


# [source-map]
def ml_position_of_python_line(source: str, ml_line: int) -> tuple[str, MLPosition]:
    """The Python line generated for ``ml_line``, and the ML position it maps back to: what a
    Python profiler or coverage tool needs to speak of ML lines."""
    program = engine.compile(source, filename="bill.ml", inputs=["apply_all"])
    py_line = program.source_map.first_py_line(ml_line)
    generated = program.python_code.splitlines()[py_line - 1].strip()
    return generated, program.source_map.py_to_ml(py_line)
# [/source-map]


# [trace]
def trace(grants: list[str]) -> mlpy.ExecutionResult:
    """Run trace.ml, its prints going to ``result.stdout``."""
    return engine.execute((HERE / "trace.ml").read_text(encoding="utf-8"), filename="trace.ml",
                          capabilities=grants, capture_output=True)
# [/trace]


def main() -> None:
    error = failing_error()
    forms = describe(error)
    print(forms["traceback"])
    print(forms["report"].splitlines()[0])
    print(frames(error))
    again = error_from_dict(json.loads(forms["json"]))
    print(type(again).__name__, again.kind, again.ml_line)
    print(ml_position_of_python_line((HERE / "bill.ml").read_text(encoding="utf-8"), 4)[1])
    print(repr(trace(["console.write"]).stdout))
    print(trace([]).error.message)


if __name__ == "__main__":
    main()
