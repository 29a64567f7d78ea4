"""Tests of the PySide6 calculator, driving its real widgets on Qt's offscreen platform."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets")

HERE = Path(__file__).resolve().parent
WATCHDOG_MS = 60_000  # a window still waiting after a minute is broken, not slow


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_complete_pyside6_calculator_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


# The QApplication is the test session's (see conftest.py at the top of the source tree).
@pytest.fixture
def calculator(qt_app):
    calculator = app.Calculator()
    calculator.show()
    yield calculator
    calculator.close()


# [run-until]
def run_until(done: Callable[[], bool]) -> list[float]:
    """Run the real event loop, with a 5 ms UI timer ticking, until ``done()``; return the
    ticks' times (a watchdog ends a loop that waits a minute: the test then fails)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance()
    ticks = [time.perf_counter()]

    def tick() -> None:
        ticks.append(time.perf_counter())
        if done():
            qt_app.exit()  # not quit(): in Qt 6 that closes the windows too

    timer, watchdog = QTimer(), QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(qt_app.exit)
    watchdog.start(WATCHDOG_MS)
    qt_app.exec()
    timer.stop()
    watchdog.stop()
    assert done(), "the window did not get there within a minute"
    return ticks
# [/run-until]


def type_into(field: Any, text: str) -> None:
    """Key presses, as a user types them."""
    from PySide6.QtTest import QTest

    field.clear()
    QTest.keyClicks(field, text)


def calculate(calculator: Any, a: str, operation: str, b: str) -> str:
    """Type two numbers, pick the operation, click =; the answer shown."""
    tab = calculator.arithmetic
    type_into(tab.left, a)
    tab.operation.setCurrentText(operation)
    type_into(tab.right, b)
    tab.equals.click()
    return tab.answer.text()


def status(calculator: Any) -> str:
    return calculator.statusBar().currentMessage()


def test_arithmetic_buttons_call_the_ml_functions(calculator):
    assert calculate(calculator, "12", "+", "4") == "16"
    assert calculate(calculator, "12", "-", "4.5") == "7.5"
    assert calculate(calculator, "12", "*", "4") == "48"
    assert calculate(calculator, "1", "/", "8") == "0.125"
    assert status(calculator) == ""


def test_division_by_zero_is_shown_in_the_status_bar_and_the_window_goes_on(calculator):
    assert calculate(calculator, "1", "/", "0") == "error"
    assert status(calculator) == "error: division by zero"
    assert calculate(calculator, "1", "/", "2") == "0.5"  # the next sum works
    assert status(calculator) == ""


def test_an_operation_edited_into_a_loop_is_stopped_by_its_limit(calculator):
    # The callbacks look their function up at each call: a redefinition is what runs.
    calculator.arithmetic.session.exec("function add(a, b) { while (true) {} }")
    assert calculate(calculator, "1", "+", "2") == "error"
    # The callback's own 0.5 s limit ended it, not the engine's 2 s default.
    assert status(calculator) == ("error: time limit reached: the execution ran longer "
                                  "than 0.5 s")
    assert calculate(calculator, "3", "*", "2") == "6"


def test_text_that_is_not_a_number_is_refused_before_ml_runs(calculator):
    assert calculate(calculator, "twelve", "+", "4") == ""
    assert status(calculator) == "not a number: 'twelve'"


def test_interest_moves_the_progress_bar_from_the_gui_thread(calculator):
    tab = calculator.interest
    seen: list[tuple[int, int]] = []
    show = tab.show_progress

    def recording(done: int, total: int) -> None:
        seen.append((done, threading.get_ident()))
        show(done, total)

    tab.show_progress = recording
    type_into(tab.principal, "1000")
    type_into(tab.rate, "5")
    tab.years.setValue(10)
    tab.per_year.setValue(1)
    tab.run_button.click()
    assert tab.answer.text() == "running..."
    run_until(lambda: tab.answer.text() != "running...")
    assert tab.answer.text() == "1,628.89"  # 1000 * 1.05 ** 10
    assert tab.progress.value() == 100
    assert [done for done, _ in seen] == list(range(1, 11))  # once a year, in order
    assert {thread for _, thread in seen} == {threading.get_ident()}  # all on the GUI thread
    assert status(calculator).startswith("10 years in ")


def test_a_rule_error_in_the_interest_tab_shows_in_the_status_bar(calculator):
    tab = calculator.interest
    tab.years.setValue(0)
    tab.run_button.click()
    run_until(lambda: tab.answer.text() != "running...")
    assert tab.answer.text() == "error"
    assert status(calculator) == "error: years and compoundings a year must be at least 1"
    assert tab.run_button.isEnabled()


def test_a_short_fibonacci_run_shows_its_statistics(calculator):
    tab = calculator.fibonacci
    tab.count.setValue(20)
    tab.start_button.click()
    run_until(lambda: tab.answer.text() != "running...")
    assert tab.answer.text() == "mean 197.25, min 0, max 987 of 20"
    assert tab.start_button.isEnabled() and not tab.cancel_button.isEnabled()


# [cancel]
def test_cancel_stops_a_long_run_frees_its_worker_and_the_ui_ticks_all_along(calculator):
    tab = calculator.fibonacci
    workers = calculator.workers
    tab.count.setValue(500_000_000)  # minutes of work: only Cancel ends it in time
    tab.start_button.click()
    started = time.perf_counter()
    # Let it run a while, with the app's own clock showing the time on the GUI thread.
    ticks = run_until(lambda: time.perf_counter() - started > 0.6 and tab.elapsed.text())
    assert workers.stats().busy == 1
    tab.cancel_button.click()
    ticks += run_until(lambda: tab.answer.text() != "running...")
    assert tab.answer.text() == "cancelled"
    assert status(calculator) == "cancelled"
    assert max(b - a for a, b in pairwise(ticks)) < 0.5  # the UI never stalled
    run_until(lambda: workers.stats().busy == 0)  # the ML stopped: its worker is free
    assert workers.stats().stuck == 0 and workers.stats().cancelled == 1
    tab.count.setValue(20)  # and the next run gets a worker at once
    tab.start_button.click()
    run_until(lambda: tab.answer.text() != "running...")
    assert tab.answer.text().startswith("mean 197.25")
# [/cancel]


def test_a_rule_runs_on_a_worker_and_its_result_is_shown_by_the_gui_thread(calculator):
    tab = calculator.fibonacci
    seen: list[tuple[str, int]] = []
    show = tab.show_result

    def recording(result: Any) -> None:
        seen.append((result.worker, threading.get_ident()))
        show(result)

    tab.show_result = recording
    tab.count.setValue(5)
    tab.start_button.click()
    run_until(lambda: bool(seen))
    [(worker, thread)] = seen
    assert worker.startswith("calculator")  # a thread of the calculator's AsyncEngine
    assert thread == threading.get_ident()
