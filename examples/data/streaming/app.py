"""Stream results chunk by chunk instead of building them whole.

Two directions. ``score_in_chunks`` is driven by the host: it feeds an ML function one chunk
of rows at a time and yields each scored chunk, so memory holds one chunk and every call
has its own time limit. ``stream_report`` is driven by ML: ``report.ml`` hands each chunk to
the host function ``emit`` while it runs on a worker thread, and a Python generator yields
them as they come (a bounded queue makes a fast program wait for a slow reader; a reader
that stops early cancels the execution). Run it with ``python app.py``.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import mlpy

HERE = Path(__file__).resolve().parent
LIMIT = 100
engine = mlpy.Engine(timeout=30.0, ml_module_paths=[HERE])  # report.ml imports scorer.ml
session = engine.load(HERE / "scorer.ml")
report = engine.compile((HERE / "report.ml").read_text(encoding="utf-8"), filename="report.ml",
                        inputs=["rows", "size", "limit", "emit"])


# [host-driven]
def score_in_chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """Yield the scores of ``rows``, ``size`` rows per ML call (each call limited to 1 s)."""
    score_chunk = session.function("score_chunk").with_timeout(1.0)
    limit = LIMIT
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield score_chunk(chunk, limit)
            chunk = []
    if chunk:
        yield score_chunk(chunk, limit)
# [/host-driven]


_DONE = object()


# [ml-driven]
def stream_report(rows: list[dict], size: int) -> Iterator[dict[str, Any]]:
    """Yield what ``report`` emits while it runs; its return value comes last."""
    chunks: queue.Queue = queue.Queue(maxsize=4)  # at most 4 chunks wait for the reader
    stopped = threading.Event()
    execution_id = f"report-{uuid.uuid4().hex}"

    def put(item: Any) -> None:
        while not stopped.is_set():  # never block forever on a reader that left
            try:
                chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    emit = mlpy.host_function(put, name="emit")
    variables = {"rows": rows, "size": size, "limit": LIMIT, "emit": emit}
    worker = threading.Thread(target=lambda: put(
        (_DONE, engine.execute(report, variables, execution_id=execution_id))))
    worker.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, tuple) and item[0] is _DONE:
                yield {"alerts": item[1].unwrap()}
                return
            yield item
    finally:  # the reader is done, or stopped early: end the execution too
        stopped.set()
        engine.cancel(execution_id)
        worker.join()
# [/ml-driven]


def readings(count: int) -> Iterator[dict]:
    for i in range(count):
        yield {"id": i, "value": (i * 37) % 150}


def main() -> None:
    for scored in score_in_chunks(readings(7), size=3):
        print([item["status"] for item in scored])
    for item in stream_report(list(readings(7)), size=3):
        print(item.get("first", "end"), item.get("alerts", len(item.get("scored", []))))


if __name__ == "__main__":
    main()
