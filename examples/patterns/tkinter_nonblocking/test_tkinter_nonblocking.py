"""Tests of the Tk calculator, driving its real window under a private Xvfb display."""

from __future__ import annotations

import importlib.util
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

tkinter = pytest.importorskip("tkinter")

HERE = Path(__file__).resolve().parent
WATCHDOG_MS = 60_000  # a window still waiting after a minute is broken, not slow


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_tkinter_nonblocking_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


# The X server and the Tk root are the test session's (see conftest.py at the top of the
# source tree): a process may stop its X server only once Tk is done for good.


@pytest.fixture
def calculator(tk_session_root):
    root = tk_session_root
    for child in root.winfo_children():
        child.destroy()
    calculator = app.Calculator(root)
    yield calculator
    calculator.close()


# [press]
def press_run(calculator: Any, formula: str) -> list[float]:
    """Type ``formula``, press Run, and run the window until an answer shows.

    Returns the times of the press, of a 5 ms UI timer's ticks while the formula ran, and of
    the answer's arrival."""
    root = calculator.root
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(time.perf_counter())
        timers.append(root.after(5, tick))

    def wait_for_answer() -> None:
        if calculator.answer.get() == "running...":
            timers.append(root.after(5, wait_for_answer))
        else:
            ticks.append(time.perf_counter())
            root.quit()

    calculator.formula.set(formula)
    ticks.append(time.perf_counter())
    calculator.button.invoke()
    assert calculator.answer.get() == "running..."
    timers = [root.after(WATCHDOG_MS, root.quit)]
    tick()
    wait_for_answer()
    root.mainloop()
    for timer in timers:
        root.after_cancel(timer)
    return ticks
# [/press]


def test_run_shows_the_value_of_the_formula(calculator):
    press_run(calculator, "(12.5 * 4) * (1 - 0.1)")
    assert calculator.answer.get() == "= 45.0"
    assert calculator.button.instate(["!disabled"])


def test_the_formula_runs_on_a_worker_and_the_answer_is_shown_by_the_tk_thread(calculator):
    seen: list[tuple[str, int]] = []
    show = calculator.show_result

    def recording(result: Any) -> None:
        seen.append((result.worker, threading.get_ident()))
        show(result)

    calculator.show_result = recording
    press_run(calculator, "6 * 7")
    assert calculator.answer.get() == "= 42"
    [(worker, thread)] = seen
    assert worker.startswith("formula-")  # a thread of the calculator's AsyncEngine
    assert thread == threading.get_ident()  # the answer was shown by the UI thread


def test_an_error_in_the_formula_is_shown_with_its_message(calculator):
    press_run(calculator, "total = 0; 10 / total")
    assert calculator.answer.get() == "error: division by zero"
    assert calculator.button.instate(["!disabled"])


# [runaway]
def test_a_runaway_formula_is_stopped_and_the_window_keeps_working(calculator):
    ticks = press_run(calculator, "n = 0; while (true) { n = n + 1; } n")
    assert calculator.answer.get().startswith("error: time limit reached")
    # The engine's 1 s limit stopped the loop; the window ticked all along.
    assert ticks[-1] - ticks[0] >= 1.0
    assert max(b - a for a, b in pairwise(ticks)) < 0.5
# [/runaway]


def test_a_formula_that_needs_a_capability_is_refused(calculator):
    press_run(calculator, 'import file; file.read("/etc/passwd")')
    assert calculator.answer.get().startswith("error: ")
    assert "file.read" in calculator.answer.get()


def test_typing_a_broken_formula_disables_run_and_says_why(calculator):
    calculator.formula.set("2 * (3 +")
    assert calculator.button.instate(["disabled"])
    assert "expected" in calculator.answer.get()
    calculator.formula.set("2 * (3 + 4)")
    assert calculator.button.instate(["!disabled"])
    assert calculator.answer.get() == ""
