"""Run the day's report from Python with the project's configuration.

``mlpy.toml`` next to this file says where the ML modules are, what programs may do and
how long they may run; the command line (``mlpy run report.ml``) and this application read
the same file. ``MLPY_ENV=production`` (or ``environment="production"``) applies the
file's production overlay; ``MLPY__SECTION__KEY`` variables override single settings. Run
it with ``python app.py``, or ``python app.py production`` for the overlay.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mlpy
from mlpy.config import MLConfig

HERE = Path(__file__).resolve().parent


# [engine]
def make_engine(environment: str | None = None) -> mlpy.Engine:
    """An engine with the settings of mlpy.toml, its overlay ``environment`` (default:
    MLPY_ENV) and the MLPY__* variables on top."""
    config = MLConfig.load(start_dir=HERE, environment=environment)
    return mlpy.Engine(config)
# [/engine]


def report(engine: mlpy.Engine) -> str:
    """What report.ml prints, or raise the MLError that stopped it."""
    result = engine.execute((HERE / "report.ml").read_text(encoding="utf-8"),
                            filename="report.ml", capture_output=True)
    result.raise_for_error()
    return result.stdout


def main(environment: str | None = None) -> None:
    engine = make_engine(environment)
    try:
        print(f"environment {engine.config.environment or '(none)'}: isolation "
              f"{engine.isolation}, timeout {engine.timeout} s, max depth {engine.max_depth}")
        print(report(engine), end="")
    finally:
        engine.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
