"""Tests of the Qt calculator, driving its real window on Qt's offscreen platform."""

from __future__ import annotations

import importlib.util
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets")

HERE = Path(__file__).resolve().parent
WATCHDOG_MS = 60_000  # a window still waiting after a minute is broken, not slow


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_pyside6_worker_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


# The QApplication is the test session's (see conftest.py at the top of the source tree):
# a process may have only one.
@pytest.fixture
def calculator(qt_app):
    calculator = app.Calculator()
    calculator.show()
    yield calculator
    calculator.close()


def press_run(calculator: Any, formula: str) -> list[float]:
    """Type ``formula``, press Run, and run the window until an answer shows.

    Returns the times of the press, of a 5 ms UI timer's ticks while the formula ran, and of
    the answer's arrival."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance()
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(time.perf_counter())
        if calculator.answer.text() != "running...":
            qt_app.quit()

    calculator.formula.setText(formula)
    ticks.append(time.perf_counter())
    calculator.button.click()
    assert calculator.answer.text() == "running..."
    timer, watchdog = QTimer(), QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    watchdog.setSingleShot(True)  # a timer object, stopped below: the app outlives this test
    watchdog.timeout.connect(qt_app.quit)
    watchdog.start(WATCHDOG_MS)
    qt_app.exec()
    timer.stop()
    watchdog.stop()
    return ticks


def test_run_shows_the_value_of_the_formula(calculator):
    press_run(calculator, "(12.5 * 4) * (1 - 0.1)")
    assert calculator.answer.text() == "= 45.0"
    assert calculator.button.isEnabled()


def test_the_formula_runs_on_a_worker_and_the_answer_is_shown_by_the_gui_thread(calculator):
    seen: list[tuple[str, int]] = []
    show = calculator.show_result

    def recording(result: Any) -> None:
        seen.append((result.worker, threading.get_ident()))
        show(result)

    calculator.show_result = recording
    press_run(calculator, "6 * 7")
    assert calculator.answer.text() == "= 42"
    [(worker, thread)] = seen
    assert worker.startswith("formula-")  # a thread of the calculator's AsyncEngine
    assert thread == threading.get_ident()  # the answer was shown by the UI thread


def test_an_error_in_the_formula_is_shown_with_its_message(calculator):
    press_run(calculator, "total = 0; 10 / total")
    assert calculator.answer.text() == "error: division by zero"
    assert calculator.button.isEnabled()


def test_a_runaway_formula_is_stopped_and_the_window_keeps_working(calculator):
    ticks = press_run(calculator, "n = 0; while (true) { n = n + 1; } n")
    assert calculator.answer.text().startswith("error: time limit reached")
    # The engine's 1 s limit stopped the loop; the window ticked all along.
    assert ticks[-1] - ticks[0] >= 1.0
    assert max(b - a for a, b in pairwise(ticks)) < 0.5


def test_a_formula_that_needs_a_capability_is_refused(calculator):
    press_run(calculator, 'import file; file.read("/etc/passwd")')
    assert calculator.answer.text().startswith("error: ")
    assert "file.read" in calculator.answer.text()


def test_typing_a_broken_formula_disables_run_and_says_why(calculator):
    calculator.formula.setText("2 * (3 +")
    assert not calculator.button.isEnabled()
    assert "expected" in calculator.answer.text()
    calculator.formula.setText("2 * (3 + 4)")
    assert calculator.button.isEnabled()
    assert calculator.answer.text() == ""
