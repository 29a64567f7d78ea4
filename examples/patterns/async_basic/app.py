"""Score loan applications from asyncio code with a rule written in ML.

An asyncio service must never run ML on its event loop: while a script runs there, no other
request is served. An :class:`~mlpy.aio.AsyncEngine` runs each script on a worker thread of
its own and the coroutine awaits the result, so the loop goes on with other work meanwhile.
The rule lives in ``scoring.ml``, compiled once at start-up. Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult, ExecutorStats, async_ml_execute

# [setup]
# The rule needs no capabilities, and none are granted: the engine's default is none.
engine = mlpy.Engine()
RULE = engine.compile(Path(__file__).with_name("scoring.ml").read_text(encoding="utf-8"),
                      filename="scoring.ml", inputs=["application"])


def scoring_engine() -> AsyncEngine:
    """Two scripts at a time, each stopped after a second: a scoring rule that runs longer
    than that is broken, and must not hold a worker that other requests wait for. At most
    50 wait for a worker; the next one is refused at once, rather than left to wait."""
    return AsyncEngine(engine, max_workers=2, max_pending=50, default_timeout=1.0,
                       thread_name_prefix="scoring")
# [/setup]


# [score]
async def score(runner: AsyncEngine, application: dict) -> AsyncMLResult:
    """The rule's decision for one application; a failing rule is a failed result, never an
    exception, so one bad application cannot break the caller's loop."""
    return await runner.execute(RULE, variables={"application": application})
# [/score]


# [one-call]
async def quick_score(application: dict) -> AsyncMLResult:
    """The same rule without an engine of one's own: ``async_ml_execute`` runs it on the
    process-wide default AsyncEngine. Enough for a script or a notebook; a service makes
    its own (above) to choose its workers, its queue and its time limit."""
    return await async_ml_execute(RULE, timeout=1.0, context={"application": application})
# [/one-call]


APPLICATIONS = [
    {"id": "A-1", "credit_score": 742, "debt": 12_000},
    {"id": "A-2", "credit_score": 655, "debt": 30_000},
    {"id": "A-3", "credit_score": 610},  # no debt field: the rule fails on it
]


# [main]
async def main() -> None:
    async with scoring_engine() as runner:  # closed, with its threads, when the block ends
        for application in APPLICATIONS:
            result = await score(runner, application)
            if result.success:
                decision = result.value
                print(f"{decision['id']}: {decision['decision']} (score {decision['score']})")
            else:
                error = result.error_info
                print(f"{application['id']} failed: {error.message} "
                      f"({error.ml_file}:{error.ml_line}) [{error.code}]")
        runaway = await runner.execute("while (true) {}")
        print("runaway stopped by the time limit:", runaway.timed_out)
        stats: ExecutorStats = runner.stats()  # what a metrics endpoint would export
        print(f"completed {stats.completed}, failed {stats.failed}, "
              f"timed out {stats.timeouts}")
# [/main]


if __name__ == "__main__":
    asyncio.run(main())
