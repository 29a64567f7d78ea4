#!/usr/bin/env python
"""GUI event loops: how long a 2 s ML job stalls the UI loop, and how fast post() delivers.

Usage::

    python benchmarks/gui_bench.py [--seconds 2.0] [--runs 3] [--posts 300] [--poll-ms 15]

Stall -- the UI thread runs a 5 ms timer while a worker thread runs an ML job of
``--seconds`` and the result comes back through the toolkit's dispatcher. The stall is a gap
between two ticks of the timer, from the job's start to its result's arrival: max and p95 over
``--runs`` jobs. Two jobs: "ML loop" spins in ML code (CPU-bound: the worker holds the GIL
except at the interpreter's switch interval, the hard case), "host sleep" waits in a host
function (the GIL is free). Target (spec §4.5 / issue 12): max stall <= 50 ms.

post() latency -- a worker posts ``--posts`` calls, one every 3 ms, to an idle loop: p50/p95
of the time from the post to the call on the UI thread, and of the post() call itself in the
worker (it must never block). Tk's latency is bounded by ``--poll-ms``, the queue's polling
period.

Tk runs under the X display in ``DISPLAY``, or under a private Xvfb when none is set; Qt runs
on its offscreen platform. A toolkit that is missing is skipped. Reports only; never fails
because a machine is slow.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import contextvars
import os
import select
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
try:
    import mlpy
except ImportError:
    sys.path.insert(0, str(HERE.parent))
    import mlpy

from mlpy.integration.gui import (
    AsyncioDispatcher,
    Dispatcher,
    QtDispatcher,
    TkDispatcher,
    deliver,
)

TICK_MS = 5
SPIN = """
end = clock() + seconds;
n = 0;
while (clock() < end) { n = n + 1; }
result = n;
"""
NAP = "nap(seconds); result = 0;"
engine = mlpy.Engine(timeout=120.0)
JOBS = {
    "ML loop": (SPIN, {"clock": mlpy.host_function(time.monotonic, name="clock")}),
    "host sleep": (NAP, {"nap": mlpy.host_function(time.sleep, name="nap")}),
}


class TkLoop:
    name = "Tk"

    def __init__(self, poll_ms: int) -> None:
        import tkinter

        self.root = tkinter.Tk()
        self.poll_ms = poll_ms

    def dispatcher(self) -> TkDispatcher:
        return TkDispatcher(self.root, self.poll_ms)

    def every(self, ms: int, fn: Callable[[], None]) -> Callable[[], None]:
        timer = [""]

        def again() -> None:
            fn()
            timer[0] = self.root.after(ms, again)

        timer[0] = self.root.after(ms, again)
        return lambda: self.root.after_cancel(timer[0])

    def later(self, ms: int, fn: Callable[[], None]) -> None:
        self.root.after(ms, fn)

    def run(self) -> None:
        self.root.mainloop()

    def quit(self) -> None:
        self.root.quit()


class QtLoop:
    name = "Qt"

    def __init__(self, poll_ms: int) -> None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication([])

    def dispatcher(self) -> QtDispatcher:
        return QtDispatcher()

    def every(self, ms: int, fn: Callable[[], None]) -> Callable[[], None]:
        from PySide6.QtCore import Qt, QTimer

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(fn)
        timer.start(ms)
        return timer.stop

    def later(self, ms: int, fn: Callable[[], None]) -> None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(ms, fn)

    def run(self) -> None:
        self.app.exec()

    def quit(self) -> None:
        self.app.quit()


def stalls(loop: Any, pool: concurrent.futures.Executor, job: str, seconds: float) -> list[float]:
    """The gaps (seconds) between ticks of the UI timer while one job ran."""
    source, host = JOBS[job]
    ticks: list[float] = []
    window: list[float] = []
    dispatcher = loop.dispatcher()

    def arrived(_: Any) -> None:
        window.append(time.perf_counter())
        loop.quit()

    def start() -> None:
        window.append(time.perf_counter())
        future = pool.submit(contextvars.copy_context().run, run_job, source,
                             {**host, "seconds": seconds})
        deliver(future, dispatcher, on_result=arrived, on_error=arrived)

    stop = loop.every(TICK_MS, lambda: ticks.append(time.perf_counter()))
    loop.later(50, start)
    loop.run()
    stop()
    dispatcher.close()
    start_at, end_at = window
    marks = [start_at, *(t for t in ticks if start_at <= t <= end_at), end_at]
    return [b - a for a, b in pairwise(marks)]


def run_job(source: str, variables: dict[str, Any]) -> Any:
    return engine.execute(source, variables).unwrap()


def latencies(dispatcher: Dispatcher, run: Callable[[], None], quit_loop: Callable[[], None],
              posts: int) -> tuple[list[float], list[float]]:
    """(post-to-call latencies, post() call costs), in seconds."""
    delays: list[float] = []
    costs: list[float] = []

    def arrive(posted: float) -> None:
        delays.append(time.perf_counter() - posted)
        if len(delays) == posts:
            quit_loop()

    def send() -> None:
        time.sleep(0.1)  # let the loop start
        for _ in range(posts):
            posted = time.perf_counter()
            dispatcher.post(arrive, posted)
            costs.append(time.perf_counter() - posted)
            time.sleep(0.003)

    sender = threading.Thread(target=send)
    sender.start()
    run()
    sender.join()
    return delays, costs


def asyncio_latencies(posts: int) -> tuple[list[float], list[float]]:
    async def main() -> tuple[list[float], list[float]]:
        done = asyncio.Event()
        dispatcher = AsyncioDispatcher()
        loop = asyncio.get_running_loop()
        result: list[Any] = []
        worker = threading.Thread(target=lambda: result.append(
            latencies(dispatcher, lambda: None, lambda: loop.call_soon(done.set), posts)))
        worker.start()
        await done.wait()
        worker.join()
        return result[0]

    return asyncio.run(main())


@contextlib.contextmanager
def x_display() -> Iterator[bool]:
    """Yield whether an X display is available, starting a private Xvfb when needed."""
    if os.environ.get("DISPLAY"):
        yield True
        return
    if shutil.which("Xvfb") is None:
        yield False
        return
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp"],
                              pass_fds=(write_end,), stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if number:
            os.environ["DISPLAY"] = f":{number}"
        yield bool(number)
    finally:
        os.close(read_end)
        os.environ.pop("DISPLAY", None)
        server.terminate()
        server.wait(timeout=30)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one ML job")
    parser.add_argument("--runs", type=int, default=3, help="jobs per toolkit and kind")
    parser.add_argument("--posts", type=int, default=300, help="posts for the latency")
    parser.add_argument("--poll-ms", type=int, default=15, help="TkDispatcher's poll_ms")
    args = parser.parse_args()

    print(f"UI loop stall during a {args.seconds:g} s ML job on a worker "
          f"({TICK_MS} ms UI timer, {args.runs} jobs each; target: max <= 50 ms)")
    print(f"{'toolkit':8} {'job':11} {'max':>11} {'p95':>11} {'p50':>11}")
    latency_rows: list[tuple[str, list[float], list[float]]] = []
    with x_display() as have_x, concurrent.futures.ThreadPoolExecutor(2) as pool:
        for loop_class, available in ((TkLoop, have_x and _importable("tkinter")),
                                      (QtLoop, _importable("PySide6"))):
            if not available:
                print(f"{loop_class.name:8} skipped: toolkit or display not available")
                continue
            loop = loop_class(args.poll_ms)
            for job in JOBS:
                gaps = [g for _ in range(args.runs)
                        for g in stalls(loop, pool, job, args.seconds)]
                print(f"{loop.name:8} {job:11} {ms(max(gaps))} {ms(p95(gaps))} "
                      f"{ms(statistics.median(gaps))}")
            dispatcher = loop.dispatcher()
            label = f"{loop.name} (poll_ms={args.poll_ms})" if loop.name == "Tk" else loop.name
            latency_rows.append((label, *latencies(dispatcher, loop.run, loop.quit,
                                                   args.posts)))
            dispatcher.close()
            if loop.name == "Tk":
                loop.root.destroy()
    latency_rows.append(("asyncio", *asyncio_latencies(args.posts)))

    print(f"\npost() to call on the UI thread, idle loop ({args.posts} posts from a worker)")
    print(f"{'dispatcher':20} {'p50':>11} {'p95':>11}   post() call in the worker p50 / p95")
    for label, delays, costs in latency_rows:
        print(f"{label:20} {ms(statistics.median(delays))} {ms(p95(delays))}   "
              f"{statistics.median(costs) * 1e6:.1f} us / {p95(costs) * 1e6:.1f} us")


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
