"""A CSV pipeline in ML with file grants scoped to one input and one output folder.

``pipeline.ml`` reads ``<inbox>/orders.csv`` with the ``csv`` module and writes
``accepted.csv`` and ``rejected.csv`` to the outbox. The execution may read under the inbox
and write under the outbox, and nothing else: a path outside them, however it is spelled
(``..``, a symbolic link), is a ``CapabilityError``. Run it with ``python app.py``: it works
on the ``inbox/`` folder beside it and writes to a temporary outbox.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent
engine = mlpy.Engine(timeout=5.0)
program = engine.compile((HERE / "pipeline.ml").read_text(encoding="utf-8"),
                         filename="pipeline.ml", inputs=["inbox", "outbox"])


# [grants]
MAX_INPUT = 10_000_000  # bytes one call may read: a bigger upload is refused, not loaded


def grants(inbox: Path, outbox: Path) -> mlpy.CapabilitySet:
    """Read the inbox, write the outbox: scopes are globs over canonical absolute paths."""
    inbox, outbox = os.path.realpath(inbox), os.path.realpath(outbox)
    return mlpy.Capabilities.parse([
        mlpy.Capability.parse(f"file.read:{inbox}/**", max_bytes=MAX_INPUT),
        f"file.write:{outbox}/*.csv",
    ])


def run_pipeline(inbox: Path, outbox: Path) -> mlpy.ExecutionResult:
    return engine.execute(program, {"inbox": str(inbox), "outbox": str(outbox)},
                          capabilities=grants(inbox, outbox))
# [/grants]


def main() -> None:
    with tempfile.TemporaryDirectory() as outbox:
        print(run_pipeline(HERE / "inbox", Path(outbox)).unwrap())
        for name in ("accepted.csv", "rejected.csv"):
            print(f"--- {name}")
            print((Path(outbox) / name).read_text(encoding="utf-8").replace("\r\n", "\n"), end="")


if __name__ == "__main__":
    main()
