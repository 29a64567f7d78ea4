"""GUI dispatchers against the real toolkits: Tk under Xvfb, Qt on its offscreen platform.

Each toolkit test runs a real event loop on this (the main) thread while ML runs on a worker
of an AsyncEngine, submitted the two ways the integration spec's recipe gives (section 3.4):
``AsyncEngine.submit`` of a program with ``deliver``, and ``MLCallbackWrapper.submit`` with a
dispatcher. They check what a user would see: the loop kept ticking during a 2 s job (the
longest gap between ticks of a 5 ms timer is printed; the bound asserted is generous,
benchmarks/gui_bench.py reports the numbers), the ML ran on a worker thread, and the result
arrived on the UI thread. Every loop runs under a watchdog timer, so a broken dispatcher
fails the test instead of hanging.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.callbacks import ml_callback
from mlpy.capabilities import capability_scope, current_capabilities
from mlpy.integration.gui import (
    AsyncioDispatcher,
    Dispatcher,
    QtDispatcher,
    TkDispatcher,
    deliver,
)

WATCHDOG_S = 60  # an awaited delivery still missing after a minute is broken, not slow
JOB_SECONDS = 2.0

# A CPU-bound ML loop: it holds the GIL for all but the interpreter's switch interval, which
# is the hard case for the UI thread (a job blocked in I/O would leave the GIL free).
SPIN = """
function spin(seconds) {
    end = clock() + seconds;
    n = 0;
    while (clock() < end) { n = n + 1; }
    return n;
}
function job(seconds) {
    return {spins: spin(seconds), total: 6 * 7, worker: worker_name()};
}
"""
HOSTS = {"clock": mlpy.host_function(time.monotonic, name="clock"),
         "worker_name": mlpy.host_function(lambda: threading.current_thread().name,
                                           name="worker_name")}
WORKER_PREFIX = "gui-worker"
SUBMITS = ["AsyncEngine.submit", "MLCallbackWrapper.submit"]
engine = mlpy.Engine(timeout=30.0)
session = engine.session(HOSTS)
session.exec(SPIN, filename="spin.ml").raise_for_error()
session.exec("""function ratio(a, b) {
    return a / b;
}
function answer() { return 6 * 7; }
""", filename="helpers.ml").raise_for_error()


@pytest.fixture(scope="module")
def jobs():
    """The AsyncEngine whose workers run the tests' ML jobs."""
    runner = AsyncEngine(engine, max_workers=4, default_timeout=60.0,
                         thread_name_prefix=WORKER_PREFIX)
    yield runner
    runner.shutdown()


def start_job(how: str, jobs: AsyncEngine, dispatcher: Dispatcher, outcome: "Outcome") -> None:
    """Start the 2 s ML job on a worker; its outcome comes back through ``dispatcher``."""
    if how == "AsyncEngine.submit":
        future = jobs.submit(SPIN + "result = job(seconds);",
                             variables={**HOSTS, "seconds": JOB_SECONDS})
        deliver(future, dispatcher, on_result=outcome.ml_result, on_error=outcome.error)
    else:
        ml_callback(session, "job").submit(JOB_SECONDS, dispatcher=dispatcher,
                                           on_result=outcome.result, on_error=outcome.error,
                                           executor=jobs)


class Ticks:
    """Times of a UI timer's ticks, to find the longest time the loop processed nothing."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def tick(self) -> None:
        self.times.append(time.perf_counter())

    def longest_gap(self, start: float, end: float) -> float:
        inside = [t for t in self.times if start <= t <= end]
        marks = [start, *inside, end]
        return max(b - a for a, b in pairwise(marks))

    def count(self, start: float, end: float) -> int:
        return sum(start <= t <= end for t in self.times)


class Outcome:
    """What arrived on the UI thread, and on which thread."""

    def __init__(self, finish: Callable[[], None]) -> None:
        self.finish = finish
        self.values: list[Any] = []
        self.errors: list[BaseException] = []
        self.threads: set[int] = set()
        self.arrived: float | None = None

    def result(self, value: Any) -> None:
        self._arrive()
        self.values.append(value)

    def error(self, error: BaseException) -> None:
        self._arrive()
        self.errors.append(error)

    def ml_result(self, result: AsyncMLResult) -> None:
        """What ``AsyncEngine.submit``'s future holds: a value or the ML error, as a result."""
        if result.success:
            self.result(result.value)
        else:
            self.error(result.error_info)

    def check_job(self, ui_thread: int) -> None:
        """The 2 s job's value arrived, computed on a worker, delivered on the UI thread."""
        assert self.errors == []
        [value] = self.values
        assert value["total"] == 42 and value["spins"] > 0
        assert value["worker"].startswith(f"{WORKER_PREFIX}-")
        assert self.threads == {ui_thread}

    def _arrive(self) -> None:
        self.arrived = time.perf_counter()
        self.threads.add(threading.get_ident())
        self.finish()


# --- Tk under Xvfb --------------------------------------------------------------------------

# x_display, tk_session_root and qt_app are the session's, and tk_root and qt_loop run their
# loops under a watchdog: all from the root conftest.py.


@pytest.fixture
def tk_dispatcher(tk_root):
    """Makes TkDispatchers on the root, and closes them after the test."""
    made: list[TkDispatcher] = []

    def make(poll_ms: int = 15) -> TkDispatcher:
        made.append(TkDispatcher(tk_root, poll_ms))
        return made[-1]

    yield make
    for dispatcher in made:
        dispatcher.close()


@pytest.mark.parametrize("how", SUBMITS)
def test_tk_window_keeps_ticking_during_a_2s_ml_job(tk_root, tk_dispatcher, jobs, how):
    ticks = Ticks()

    def tick() -> None:
        ticks.tick()
        tk_root.after(5, tick)

    dispatcher = tk_dispatcher()
    outcome = Outcome(tk_root.quit)
    ui_thread = threading.get_ident()
    started = 0.0

    def start() -> None:
        nonlocal started
        started = time.perf_counter()
        start_job(how, jobs, dispatcher, outcome)

    tk_root.after(0, tick)
    tk_root.after(50, start)
    tk_root.mainloop()

    outcome.check_job(ui_thread)
    duration = outcome.arrived - started
    stall = ticks.longest_gap(started, outcome.arrived)
    print(f"\nTk: the {duration:.2f} s job stalled the loop at most {stall * 1000:.1f} ms "
          f"({ticks.count(started, outcome.arrived)} ticks of a 5 ms timer)")
    assert duration >= JOB_SECONDS
    assert stall < 1.0


def test_tk_ml_error_arrives_through_on_error_on_the_tk_thread(tk_root, tk_dispatcher, jobs):
    dispatcher = tk_dispatcher()
    outcome = Outcome(tk_root.quit)
    ml_callback(session, "ratio").submit(1, 0, dispatcher=dispatcher, on_result=outcome.result,
                                         on_error=outcome.error, executor=jobs)
    tk_root.mainloop()
    assert outcome.values == []
    [error] = outcome.errors
    assert isinstance(error, mlpy.MLRuntimeError)
    assert (error.kind, error.ml_file, error.ml_line) == ("division_by_zero", "helpers.ml", 2)
    assert outcome.threads == {threading.get_ident()}


def test_tk_failing_on_result_is_logged_and_the_loop_goes_on(tk_root, tk_dispatcher, jobs,
                                                             caplog):
    dispatcher = tk_dispatcher()
    later: list[str] = []

    def broken(value: Any) -> None:
        raise ValueError(f"cannot show {value}")

    def after_the_failure() -> None:
        later.append("ran")
        tk_root.quit()

    future = ml_callback(session, "answer").submit(dispatcher=dispatcher, on_result=broken,
                                                   executor=jobs)
    future.add_done_callback(lambda _: dispatcher.post(after_the_failure))
    with caplog.at_level(logging.ERROR, logger="mlpy.gui"):
        tk_root.mainloop()
    assert later == ["ran"]
    [record] = [r for r in caplog.records if r.name == "mlpy.gui"]
    assert "broken" in record.getMessage()
    assert record.exc_info[1].args == ("cannot show 42",)


def test_tk_posts_from_several_threads_arrive_in_order_per_thread(tk_root, tk_dispatcher):
    posts = NumberedPosts(tk_dispatcher(poll_ms=1), tk_root.quit)
    posts.start()
    tk_root.mainloop()
    posts.check()


def test_tk_posts_that_keep_coming_do_not_starve_the_window(tk_root, tk_dispatcher):
    """Each drain runs only what was queued when it began: a callback that posts again
    waits for the next drain, and the window's own events get their turn in between."""
    dispatcher = tk_dispatcher(poll_ms=1)
    chain_length = 300
    done: list[int] = [0]
    seen_by_ticks: list[int] = []

    def again() -> None:
        done[0] += 1
        if done[0] < chain_length:
            dispatcher.post(again)
        else:
            tk_root.quit()

    def tick() -> None:
        seen_by_ticks.append(done[0])
        tk_root.after(1, tick)

    dispatcher.post(again)
    tk_root.after(1, tick)
    tk_root.mainloop()
    assert done[0] == chain_length
    assert any(0 < seen < chain_length for seen in seen_by_ticks)


def test_tk_widget_destroyed_stops_its_dispatcher(tk_root, jobs, caplog):
    import tkinter

    window = tkinter.Toplevel(tk_root)
    dispatcher = TkDispatcher(window)
    child = tkinter.Label(window)
    child.destroy()  # a child's <Destroy> reaches the window's bindings: not the window's end
    assert not dispatcher.closed
    ran: list[int] = []
    tk_root.after(20, window.destroy)
    tk_root.after(200, tk_root.quit)
    tk_root.mainloop()
    assert dispatcher.closed
    with caplog.at_level(logging.DEBUG, logger="mlpy.gui"):
        # From a worker, as a result finishing after the user closed the window would.
        jobs.submit_call(dispatcher.post, ran.append, 1).result(timeout=60)
        dispatcher.close()  # still harmless
    assert ran == []
    assert "not delivered" in caplog.text


TK_ROOT_DESTROYED = """
import threading, tkinter
from mlpy.integration.gui import TkDispatcher
root = tkinter.Tk()
dispatcher = TkDispatcher(root)
ran = []
root.after(50, root.destroy)
root.mainloop()
worker = threading.Thread(target=dispatcher.post, args=(ran.append, 1))
worker.start()
worker.join()
dispatcher.close()
print(dispatcher.closed, ran)
"""


def test_tk_root_destroyed_with_the_dispatcher_polling_is_clean(x_display):
    """In a process of its own: the test session's root must outlive every test."""
    pytest.importorskip("tkinter")
    done = subprocess.run([sys.executable, "-c", TK_ROOT_DESTROYED], capture_output=True,
                          text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "True []\n", "")


def test_tk_close_stops_delivery(tk_root, tk_dispatcher):
    dispatcher = tk_dispatcher()
    ran: list[int] = []
    dispatcher.post(ran.append, 1)
    dispatcher.close()
    dispatcher.post(ran.append, 2)
    tk_root.after(100, tk_root.quit)
    tk_root.mainloop()
    assert ran == []


def test_tk_dispatcher_refuses_bad_arguments(tk_root, tk_dispatcher):
    with pytest.raises(mlpy.MLConfigurationError, match="poll_ms"):
        TkDispatcher(tk_root, poll_ms=0)
    with pytest.raises(mlpy.MLConfigurationError, match="Tk root"):
        TkDispatcher("root")
    with pytest.raises(mlpy.MLConfigurationError, match="needs a function") as caught:
        tk_dispatcher().post(len("not a function"))
    assert caught.value.hints


# --- Qt on the offscreen platform -------------------------------------------------------------

@pytest.mark.parametrize("how", SUBMITS)
def test_qt_window_keeps_ticking_during_a_2s_ml_job(qt_app, qt_loop, jobs, how):
    from PySide6.QtCore import Qt, QTimer

    ticks = Ticks()
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(ticks.tick)
    timer.start(5)
    dispatcher = QtDispatcher()
    outcome = Outcome(qt_app.quit)
    started = 0.0

    def start() -> None:
        nonlocal started
        started = time.perf_counter()
        start_job(how, jobs, dispatcher, outcome)

    QTimer.singleShot(50, start)
    qt_loop()
    timer.stop()
    dispatcher.close()

    outcome.check_job(threading.get_ident())
    duration = outcome.arrived - started
    stall = ticks.longest_gap(started, outcome.arrived)
    print(f"\nQt: the {duration:.2f} s job stalled the loop at most {stall * 1000:.1f} ms "
          f"({ticks.count(started, outcome.arrived)} ticks of a 5 ms timer)")
    assert duration >= JOB_SECONDS
    assert stall < 1.0


def test_qt_ml_error_arrives_as_a_failed_result_on_the_gui_thread(qt_app, qt_loop, jobs):
    dispatcher = QtDispatcher()
    outcome = Outcome(qt_app.quit)
    deliver(jobs.submit('throw {code: "E1"};'), dispatcher, on_result=outcome.ml_result,
            on_error=outcome.error)
    qt_loop()
    dispatcher.close()
    [error] = outcome.errors
    assert isinstance(error, mlpy.MLRuntimeError)
    assert error.payload == {"code": "E1"}
    assert outcome.threads == {threading.get_ident()}


def test_qt_failing_on_result_is_logged_and_the_loop_goes_on(qt_app, qt_loop, jobs, caplog):
    dispatcher = QtDispatcher()
    later: list[str] = []

    def broken(value: Any) -> None:
        raise ValueError(f"cannot show {value}")

    def after_the_failure() -> None:
        later.append("ran")
        qt_app.quit()

    future = ml_callback(session, "answer").submit(dispatcher=dispatcher, on_result=broken,
                                                   executor=jobs)
    future.add_done_callback(lambda _: dispatcher.post(after_the_failure))
    with caplog.at_level(logging.ERROR, logger="mlpy.gui"):
        qt_loop()
    dispatcher.close()
    assert later == ["ran"]
    [record] = [r for r in caplog.records if r.name == "mlpy.gui"]
    assert record.exc_info[1].args == ("cannot show 42",)


def test_qt_posts_from_several_threads_arrive_in_order_per_thread(qt_app, qt_loop):
    dispatcher = QtDispatcher()
    posts = NumberedPosts(dispatcher, qt_app.quit)
    posts.start()
    qt_loop()
    dispatcher.close()
    posts.check()


def test_qt_close_stops_delivery(qt_app, qt_loop):
    from PySide6.QtCore import QTimer

    dispatcher = QtDispatcher()
    ran: list[int] = []
    dispatcher.post(ran.append, 1)
    dispatcher.close()
    dispatcher.post(ran.append, 2)
    QTimer.singleShot(100, qt_app.quit)
    qt_loop()
    assert ran == []


def test_qt_dispatcher_must_be_created_on_the_gui_thread(qt_app, jobs):
    future = jobs.submit_call(QtDispatcher)
    with pytest.raises(mlpy.MLConfigurationError, match="GUI thread"):
        future.result(timeout=60)


QT_MISSING = """
import sys
from mlpy.errors import MLConfigurationError
from mlpy.integration.gui import QtDispatcher
for step in ("no PySide6", "no application"):
    blocked = {"PySide6": None, "PySide6.QtCore": None} if step == "no PySide6" else {}
    sys.modules.update(blocked)  # None there: as if PySide6 were not installed
    try:
        QtDispatcher()
    except MLConfigurationError as error:
        print(error.message, "|", error.hints[0])
    for name in blocked:
        del sys.modules[name]
"""


def test_qt_dispatcher_without_an_application_or_pyside6_says_what_to_do():
    pytest.importorskip("PySide6.QtCore")
    done = subprocess.run([sys.executable, "-c", QT_MISSING], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        ("QtDispatcher needs PySide6, which is not installed | install it with: "
         "pip install 'mlpy[qt]'"),
        ("QtDispatcher needs a running Qt application | create the QApplication first: "
         "app = QApplication([]); dispatcher = QtDispatcher()"),
    ]


# --- asyncio ----------------------------------------------------------------------------------

def test_asyncio_dispatcher_delivers_a_job_on_the_loop_thread(jobs):
    async def main() -> tuple[Any, set[int], int]:
        done = asyncio.Event()
        outcome = Outcome(done.set)
        deliver(jobs.submit("result = [1, 2, 3].length * 14;"), AsyncioDispatcher(),
                on_result=outcome.ml_result, on_error=outcome.error)
        await asyncio.wait_for(done.wait(), WATCHDOG_S)
        return outcome.values, outcome.threads, threading.get_ident()

    values, threads, loop_thread = asyncio.run(main())
    assert values == [42]
    assert threads == {loop_thread}


def test_asyncio_posts_from_several_threads_arrive_in_order_per_thread():
    async def main() -> None:
        done = asyncio.Event()
        posts = NumberedPosts(AsyncioDispatcher(), done.set)
        posts.start()
        await asyncio.wait_for(done.wait(), WATCHDOG_S)
        posts.check()

    asyncio.run(main())


def test_asyncio_failing_post_is_logged_and_the_loop_goes_on(caplog):
    async def main() -> list[str]:
        dispatcher = AsyncioDispatcher()
        done = asyncio.Event()
        later: list[str] = []

        def broken() -> None:
            raise KeyError("gone")

        def after() -> None:
            later.append("ran")
            done.set()

        threading.Thread(target=lambda: (dispatcher.post(broken), dispatcher.post(after))).start()
        await asyncio.wait_for(done.wait(), WATCHDOG_S)
        return later

    with caplog.at_level(logging.ERROR, logger="mlpy.gui"):
        assert asyncio.run(main()) == ["ran"]
    [record] = [r for r in caplog.records if r.name == "mlpy.gui"]
    assert isinstance(record.exc_info[1], KeyError)


def test_asyncio_dispatcher_of_a_closed_loop_drops_posts(caplog):
    loop = asyncio.new_event_loop()
    dispatcher = AsyncioDispatcher(loop)
    loop.close()
    with caplog.at_level(logging.DEBUG, logger="mlpy.gui"):
        dispatcher.post(print, "never")  # does not raise in the posting thread
    assert "the event loop is closed" in caplog.text


def test_asyncio_dispatcher_without_a_loop_says_how_to_make_one():
    with pytest.raises(mlpy.MLConfigurationError, match="running event loop") as caught:
        AsyncioDispatcher()
    assert caught.value.hints


# --- deliver and the worker's grants ------------------------------------------------------------

def test_a_cancelled_job_arrives_as_ml_cancelled_error():
    async def main() -> list[BaseException]:
        done = asyncio.Event()
        outcome = Outcome(done.set)
        future: concurrent.futures.Future = concurrent.futures.Future()
        deliver(future, AsyncioDispatcher(), on_result=outcome.result, on_error=outcome.error)
        future.cancel()
        await asyncio.wait_for(done.wait(), WATCHDOG_S)
        return outcome.errors

    [error] = asyncio.run(main())
    assert isinstance(error, mlpy.MLCancelledError)


def test_a_future_that_already_finished_is_delivered_through_the_dispatcher():
    async def main() -> tuple[list[Any], list[Any]]:
        done = asyncio.Event()
        outcome = Outcome(done.set)
        future: concurrent.futures.Future = concurrent.futures.Future()
        future.set_result(42)
        deliver(future, AsyncioDispatcher(), on_result=outcome.result)
        during = list(outcome.values)  # deliver() itself only posted
        await asyncio.wait_for(done.wait(), WATCHDOG_S)
        return during, outcome.values

    assert asyncio.run(main()) == ([], [42])


def test_an_error_without_on_error_is_logged(caplog):
    async def main() -> None:
        future: concurrent.futures.Future = concurrent.futures.Future()
        deliver(future, AsyncioDispatcher(), on_result=print)
        with caplog.at_level(logging.WARNING, logger="mlpy.gui"):
            future.set_exception(mlpy.MLTimeoutError("time limit reached"))

    asyncio.run(main())
    assert "no on_error was given: MLTimeoutError MLL001" in caplog.text


def test_deliver_refuses_what_is_not_a_dispatcher():
    future: concurrent.futures.Future = concurrent.futures.Future()
    with pytest.raises(mlpy.MLConfigurationError, match="dispatcher"):
        deliver(future, object(), on_result=print)
    with pytest.raises(mlpy.MLConfigurationError, match="on_error"):
        deliver(future, AsyncioDispatcher(asyncio.new_event_loop()), on_error="oops")


def test_the_dispatchers_are_dispatchers():
    assert issubclass(TkDispatcher, Dispatcher)
    assert issubclass(QtDispatcher, Dispatcher)
    assert issubclass(AsyncioDispatcher, Dispatcher)


@pytest.mark.parametrize("toolkit", ["tk", "qt", "asyncio"])
def test_a_workers_grants_do_not_follow_its_result_to_the_ui_thread(toolkit, request):
    """A worker runs under a request's grants; what it posts runs under the UI thread's."""
    seen: list[Any] = []

    def worker_posts(dispatcher: Dispatcher, finish: Callable[[], None]) -> None:
        with capability_scope(["file.read:/**"]):
            assert "file.read" in str(current_capabilities())
            dispatcher.post(lambda: (seen.append(current_capabilities()), finish()))

    def start(dispatcher: Dispatcher, finish: Callable[[], None]) -> None:
        threading.Thread(target=worker_posts, args=(dispatcher, finish)).start()

    if toolkit == "tk":
        root = request.getfixturevalue("tk_root")
        start(request.getfixturevalue("tk_dispatcher")(), root.quit)
        root.mainloop()
    elif toolkit == "qt":
        app = request.getfixturevalue("qt_app")
        dispatcher = QtDispatcher()
        start(dispatcher, app.quit)
        request.getfixturevalue("qt_loop")()
        dispatcher.close()
    else:
        async def main() -> None:
            done = asyncio.Event()
            start(AsyncioDispatcher(), done.set)
            await asyncio.wait_for(done.wait(), WATCHDOG_S)

        asyncio.run(main())
    [grants] = seen
    assert not grants.allows("file.read", "/etc/passwd")


def test_importing_the_module_imports_no_toolkit():
    code = ("import sys, mlpy.integration.gui; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tkinter', '_tkinter', 'PySide6', 'shiboken6')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr


# --- shared by the toolkits ---------------------------------------------------------------------

class NumberedPosts:
    """4 threads post 250 numbered calls each, all at once; ``finish`` runs when all arrived."""

    THREADS, EACH = 4, 250

    def __init__(self, dispatcher: Dispatcher, finish: Callable[[], None]) -> None:
        self.dispatcher = dispatcher
        self.finish = finish
        self.arrived: dict[int, list[int]] = {n: [] for n in range(self.THREADS)}
        self.ui_threads: set[int] = set()
        self.remaining = self.THREADS * self.EACH  # only the UI thread changes it
        barrier = threading.Barrier(self.THREADS)
        self.senders = [threading.Thread(target=self._send, args=(n, barrier))
                        for n in range(self.THREADS)]

    def start(self) -> None:
        for sender in self.senders:
            sender.start()

    def check(self) -> None:
        """Called on the UI thread once its loop has stopped."""
        for sender in self.senders:
            sender.join(timeout=60)
        assert self.arrived == {n: list(range(self.EACH)) for n in range(self.THREADS)}
        assert self.ui_threads == {threading.get_ident()}

    def _send(self, sender: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        for number in range(self.EACH):
            self.dispatcher.post(self._record, sender, number)

    def _record(self, sender: int, number: int) -> None:
        self.arrived[sender].append(number)
        self.ui_threads.add(threading.get_ident())
        self.remaining -= 1
        if self.remaining == 0:
            self.finish()
