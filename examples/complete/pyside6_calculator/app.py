"""A desktop calculator whose business logic is ML, in PySide6: three tabs, three ways to run ML.

* **Arithmetic**: each operation is a function of ``rules/arithmetic.ml``, called on the GUI
  thread as a Python callback (``mlpy.ml_callback``): quick, pure, bounded by a short limit.
* **Interest**: ``rules/interest.ml`` runs on a worker and moves a progress bar through a host
  function whose calls the QtDispatcher carries to the GUI thread.
* **Fibonacci**: ``rules/fibonacci.ml`` runs a long loop on a worker while a UI timer shows
  the time elapsed; Cancel stops the ML and frees the worker.

Every MLError a rule raises is shown in the status bar; none reaches Qt as an exception.
Run it with ``python app.py`` (needs ``mlpy[qt]``).
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QWidget,
)

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.integration.gui import QtDispatcher, deliver

RULES = Path(__file__).resolve().parent / "rules"
# The arithmetic tab's operations: the symbol shown, the function of arithmetic.ml it calls.
OPERATIONS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}

# [engine]
# Rules get no capabilities (the engine grants none) and at most 2 s on the GUI thread, a
# limit the long runs replace with their own.
engine = mlpy.Engine(timeout=2.0)
INTEREST = engine.compile(RULES / "interest.ml",
                          inputs=["principal", "rate", "years", "per_year", "progress"])
FIBONACCI = engine.compile(RULES / "fibonacci.ml", inputs=["n"])


def worker_pool() -> AsyncEngine:
    """Two workers: an interest table can run while a Fibonacci run is under way. A long
    run gets two minutes; the user's Cancel is what usually ends it early."""
    return AsyncEngine(engine, max_workers=2, default_timeout=120.0,
                       thread_name_prefix="calculator")
# [/engine]


def number(field: QLineEdit) -> float:
    """The number typed in ``field``; ValueError with a message a user understands."""
    try:
        return float(field.text())
    except ValueError:
        raise ValueError(f"not a number: {field.text()!r}") from None


class ArithmeticTab(QWidget):
    """Two numbers, an operation, =: the operation is an ML function called directly."""

    def __init__(self, window: Calculator) -> None:
        super().__init__()
        self.window = window
        # [callbacks]
        # One session of arithmetic.ml, its functions as Python callables. A call runs on
        # the GUI thread: these functions take microseconds, and the 0.5 s limit bounds
        # even a rule edited into a loop.
        self.session = engine.load(RULES / "arithmetic.ml")
        self.operations = {symbol: mlpy.ml_callback(self.session, name, timeout=0.5)
                           for symbol, name in OPERATIONS.items()}
        # [/callbacks]
        self.left, self.right = QLineEdit("12"), QLineEdit("4")
        self.operation = QComboBox()
        self.operation.addItems(list(OPERATIONS))
        self.equals = QPushButton("=")
        self.answer = QLabel()
        form = QFormLayout(self)
        for label, widget in (("a", self.left), ("operation", self.operation),
                              ("b", self.right), ("", self.equals), ("result", self.answer)):
            form.addRow(label, widget)
        self.equals.clicked.connect(self.calculate)

    # [calculate]
    def calculate(self) -> None:
        """Runs on the GUI thread: call the ML operation, show its value or its error."""
        try:
            a, b = number(self.left), number(self.right)
            value = self.operations[self.operation.currentText()](a, b)
        except ValueError as error:  # the user's typing, not the rule
            self.window.report(str(error))
            self.answer.setText("")
        except mlpy.MLError as error:  # the rule's error: division by zero, a time limit
            self.window.report(f"error: {error.message}")
            self.answer.setText("error")
        else:
            self.window.report("")
            self.answer.setText(f"{value:g}")
    # [/calculate]


class InterestTab(QWidget):
    """Compound interest, year by year, on a worker, with a progress bar."""

    def __init__(self, window: Calculator) -> None:
        super().__init__()
        self.window = window
        self.principal, self.rate = QLineEdit("1000"), QLineEdit("5")
        self.years, self.per_year = QSpinBox(), QSpinBox()
        self.years.setRange(0, 1000)
        self.years.setValue(30)
        self.per_year.setRange(0, 365)
        self.per_year.setValue(12)
        self.run_button = QPushButton("Calculate")
        self.progress = QProgressBar()
        self.answer = QLabel()
        form = QFormLayout(self)
        for label, widget in (("principal", self.principal), ("rate %", self.rate),
                              ("years", self.years), ("compoundings a year", self.per_year),
                              ("", self.run_button), ("progress", self.progress),
                              ("final balance", self.answer)):
            form.addRow(label, widget)
        self.run_button.clicked.connect(self.run)

    # [interest]
    def run(self) -> None:
        """Runs on the GUI thread: hand the rule to a worker, return at once."""
        try:
            principal, rate = number(self.principal), number(self.rate)
        except ValueError as error:
            self.window.report(str(error))
            return
        dispatcher = self.window.dispatcher

        # Called by ML on the worker thread: it only posts; the GUI thread moves the bar.
        @mlpy.host_function(name="progress")
        def progress(done: int, total: int) -> None:
            dispatcher.post(self.show_progress, done, total)

        self.run_button.setEnabled(False)
        self.progress.setValue(0)
        self.answer.setText("running...")
        job = self.window.workers.submit(INTEREST, variables={
            "principal": principal, "rate": rate, "years": self.years.value(),
            "per_year": self.per_year.value(), "progress": progress})
        deliver(job, dispatcher, on_result=self.show_result, on_error=self.show_error)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setValue(round(100 * done / total))
    # [/interest]

    def show_result(self, result: AsyncMLResult) -> None:
        self.run_button.setEnabled(True)
        if result.success:
            self.answer.setText(f"{result.value[-1]:,.2f}")
            self.window.report(f"{len(result.value)} years in {result.run_time:.2f} s")
        else:
            self.answer.setText("error")
            self.window.report(f"error: {result.error_info.message}")

    def show_error(self, error: BaseException) -> None:
        self.run_button.setEnabled(True)
        self.answer.setText("")
        self.window.report(f"error: {error}")


class FibonacciTab(QWidget):
    """A long statistics run on a worker: a UI timer shows the time, Cancel stops it."""

    def __init__(self, window: Calculator) -> None:
        super().__init__()
        self.window = window
        self.count = QSpinBox()
        self.count.setRange(1, 1_000_000_000)
        self.count.setValue(2_000_000)
        self.start_button, self.cancel_button = QPushButton("Start"), QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.elapsed, self.answer = QLabel(), QLabel()
        form = QFormLayout(self)
        for label, widget in (("numbers", self.count), ("", self.start_button),
                              ("", self.cancel_button), ("elapsed", self.elapsed),
                              ("statistics", self.answer)):
            form.addRow(label, widget)
        self.job: Future[AsyncMLResult] | None = None
        self.started = 0.0
        self.clock = QTimer(self)  # ticks on the GUI thread while the worker runs the ML
        self.clock.setInterval(100)
        self.clock.timeout.connect(self.show_elapsed)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

    # [fibonacci]
    def start(self) -> None:
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.answer.setText("running...")
        self.started = time.perf_counter()
        self.clock.start()
        self.job = self.window.workers.submit(FIBONACCI, variables={"n": self.count.value()})
        deliver(self.job, self.window.dispatcher, on_result=self.show_result,
                on_error=self.show_error)

    def cancel(self) -> None:
        """Cancelling the future stops the ML where it is (at its next loop step) and frees
        its worker; the future then delivers an MLCancelledError to show_error."""
        if self.job is not None:
            self.job.cancel()
    # [/fibonacci]

    def show_elapsed(self) -> None:
        self.elapsed.setText(f"{time.perf_counter() - self.started:.1f} s")

    def finish(self) -> None:
        self.clock.stop()
        self.show_elapsed()
        self.job = None
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def show_result(self, result: AsyncMLResult) -> None:
        self.finish()
        if result.success:
            stats = result.value
            self.answer.setText(f"mean {stats['mean']:.2f}, min {stats['smallest']}, "
                                f"max {stats['largest']} of {stats['count']:,}")
            self.window.report("")
        else:
            self.answer.setText("error")
            self.window.report(f"error: {result.error_info.message}")

    def show_error(self, error: BaseException) -> None:
        self.finish()
        cancelled = isinstance(error, mlpy.MLCancelledError)
        self.answer.setText("cancelled" if cancelled else "error")
        self.window.report("cancelled" if cancelled else f"error: {error}")


class Calculator(QMainWindow):
    """The window: the three tabs, and a status bar for every message."""

    def __init__(self) -> None:
        super().__init__()
        self.workers = worker_pool()
        self.dispatcher = QtDispatcher()  # made on the GUI thread, like every widget
        self.arithmetic = ArithmeticTab(self)
        self.interest = InterestTab(self)
        self.fibonacci = FibonacciTab(self)
        tabs = QTabWidget()
        tabs.addTab(self.arithmetic, "Arithmetic")
        tabs.addTab(self.interest, "Interest")
        tabs.addTab(self.fibonacci, "Fibonacci")
        self.setCentralWidget(tabs)
        self.setWindowTitle("ML calculator")

    def report(self, message: str) -> None:
        self.statusBar().showMessage(message)

    def closeEvent(self, event: Any) -> None:  # Qt calls it when the window closes
        # Results that arrive after this are dropped; running rules are told to stop.
        self.dispatcher.close()
        self.workers.shutdown(wait=False, cancel_pending=True)
        super().closeEvent(event)


def main() -> None:
    app = QApplication(sys.argv)
    calculator = Calculator()
    calculator.show()
    sys.exit(app.exec())


if __name__ == "__main__":
    main()
