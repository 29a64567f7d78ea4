"""Tell mlpy where extension modules are: in the project file, for the CLI and the app alike.

``pyproject.toml`` lists ``plugins/`` under ``[tool.mlpy] python_extension_paths``, so
``mlpy run label.ml`` finds the ``units`` module there, and so does this application, which
loads the same file with ``MLConfig.load``. A directory the file does not list comes from
the environment (``MLPY_EXTENSION_PATHS=vendor``) or from the Python call
(``extension_paths=``), which is searched first. Run it with ``python app.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import mlpy
from mlpy.config import MLConfig

HERE = Path(__file__).resolve().parent


# [engine]
def make_engine(extra_paths: Iterable[Path] = ()) -> mlpy.Engine:
    """An engine with the project's settings; ``extra_paths`` are searched before the
    file's directories (and the environment's come after them)."""
    config = MLConfig.load(start_dir=HERE)  # finds pyproject.toml's [tool.mlpy]
    return mlpy.Engine(config, extension_paths=extra_paths)
# [/engine]


def run(engine: mlpy.Engine, script: str) -> str:
    """What ``script`` prints, or raise the MLError that stopped it."""
    result = engine.execute(HERE / script, filename=script, capture_output=True)
    result.raise_for_error()
    return result.stdout


def main() -> None:
    engine = make_engine()
    print("settings from", engine.config.files[0].relative_to(HERE))
    print(run(engine, "label.ml"), end="")
    try:
        run(engine, "service.ml")
    except mlpy.MLImportError as error:
        print(f"service.ml: {error.message} [{error.code}]")
    print(run(make_engine([HERE / "vendor"]), "service.ml"), end="")


if __name__ == "__main__":
    main()
