"""Let a script read one folder and write CSV files to another, and nothing else.

The engine grants ``file.read`` under the data folder (of files up to a size) and
``file.write`` of ``*.csv`` files in the output folder, and denies the data folder's
``private/`` part outright. ``summarise.ml`` totals the sales by region within those
grants; ``probe.ml`` tries to step outside them and is refused each time. Run it with
``python app.py`` (the summary is written to a temporary folder).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


# [grants]
MAX_INPUT = 1_000_000  # bytes one read may return: a huge upload is refused, not loaded


def file_engine(data_dir: Path, out_dir: Path) -> mlpy.Engine:
    """An engine whose programs may read files of up to MAX_INPUT bytes below ``data_dir``
    (except ``private/``) and write ``*.csv`` files directly in ``out_dir``."""
    data, out = data_dir.resolve(), out_dir.resolve()
    read = mlpy.Capability.parse(f"file.read:{data}/**", max_bytes=MAX_INPUT)
    return mlpy.Engine(
        capabilities=[read, f"file.write:{out}/*.csv"],
        deny=[f"file.read:{data}/private/**"],  # a deny always wins over a grant
        timeout=2.0,
    )
# [/grants]


def run(script: str, data_dir: Path, out_dir: Path) -> mlpy.ExecutionResult:
    engine = file_engine(data_dir, out_dir)
    variables = {"data_dir": str(data_dir), "out_dir": str(out_dir)}
    return engine.execute(HERE / script, variables, filename=script, capture_output=True)


def main() -> None:
    out_dir = Path(tempfile.mkdtemp())
    summary = run("summarise.ml", HERE / "data", out_dir)
    print(f"summarise.ml wrote {summary.unwrap()} regions:")
    print((out_dir / "summary.csv").read_text(encoding="utf-8").replace("\r\n", "\n"), end="")
    print(run("probe.ml", HERE / "data", out_dir).stdout, end="")


if __name__ == "__main__":
    main()
