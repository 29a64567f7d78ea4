"""Stop ML work that nobody waits for any more: a deadline, or a user who presses Stop.

``ledger.ml`` totals a ledger far too long to finish. The host stops it twice: once because
its deadline passes (the task that awaits the execution is cancelled), once because the user
asks for it (the host cancels the execution by its id). Each time the ML code really stops --
the rows it reports stop counting -- and the worker is free for the next job at once. The
host sees ``TimeoutError`` from its deadline and :class:`~mlpy.MLCancelledError` from the
stopped execution. Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import mlpy
from mlpy.aio import AsyncEngine

engine = mlpy.Engine()
LEDGER = engine.compile(Path(__file__).with_name("ledger.ml").read_text(encoding="utf-8"),
                        filename="ledger.ml", inputs=["rows", "progress"])
ROWS = 10**9  # hours of work: only cancelling stops it


class Progress:
    """The last row the ML code reported: proof that it runs, or that it stopped."""

    def __init__(self) -> None:
        self.row = -1
        self.report = mlpy.host_function(self._report, name="progress")

    def _report(self, row: int) -> None:
        self.row = row


def one_worker() -> AsyncEngine:
    """One worker, and no time limit of its own: here the host decides when work stops."""
    return AsyncEngine(engine, max_workers=1, default_timeout=None)


# [deadline]
async def total_within(runner: AsyncEngine, progress: Progress, seconds: float) -> int | None:
    """The ledger's total, or None when it takes longer than ``seconds``. The deadline
    cancels the awaiting task, and with it the execution: the ML code stops at its next
    step, and the CancelledError inside becomes the TimeoutError caught here."""
    try:
        async with asyncio.timeout(seconds):
            result = await runner.execute(
                LEDGER, variables={"rows": ROWS, "progress": progress.report})
    except TimeoutError:
        return None
    return result.unwrap()
# [/deadline]


# [stop]
async def start_report(runner: AsyncEngine, progress: Progress, report_id: str) -> asyncio.Task:
    """Start the ledger as a task; ``report_id`` names the execution, so that a Stop
    request -- from another coroutine, another thread -- can find it."""
    return asyncio.create_task(runner.execute(
        LEDGER, variables={"rows": ROWS, "progress": progress.report},
        execution_id=report_id))


def stop_report(runner: AsyncEngine, report_id: str) -> bool:
    """What the Stop button calls: True if the execution was running."""
    return runner.engine.cancel(report_id)


async def report_outcome(report: asyncio.Task) -> str:
    """The stopped execution ends as a failed result whose error is MLCancelledError."""
    result = await report
    try:
        return f"total {result.unwrap()}"
    except mlpy.MLCancelledError as error:
        return f"{error.message} [{error.code}]"
# [/stop]


async def wait_until_running(progress: Progress) -> None:
    while progress.row < 0:
        await asyncio.sleep(0.01)


async def stopped_for_good(runner: AsyncEngine, progress: Progress) -> bool:
    """Whether the stopped ledger has left its worker thread for good: a job run after it on
    the one worker means the thread came back, and the rows it reports no longer change."""
    await runner.execute("result = null;")
    row = progress.row
    await runner.execute("result = null;")
    return progress.row == row and runner.stats().stuck == 0


# [main]
async def main() -> None:
    async with one_worker() as runner:
        progress = Progress()
        print("within 0.3 s:", await total_within(runner, progress, 0.3))
        print("ML code stopped:", await stopped_for_good(runner, progress))

        progress = Progress()
        report = await start_report(runner, progress, "report-42")
        await wait_until_running(progress)
        print("stop sent:", stop_report(runner, "report-42"))
        print("report:", await report_outcome(report))
        print("ML code stopped:", await stopped_for_good(runner, progress))

        # The one worker is free again: the next job runs at once.
        print("next job:", (await runner.execute("result = 6 * 7;")).value)
        stats = runner.stats()
        print(f"cancelled {stats.cancelled}, busy {stats.busy}, stuck {stats.stuck}")
# [/main]


if __name__ == "__main__":
    asyncio.run(main())
