"""A calculator whose formulas are ML, in Qt: type a formula, press Run, read the answer.

The Qt twin of ``examples/patterns/tkinter_nonblocking``. The formula runs on a worker
thread, so the window keeps redrawing and answering clicks however long it takes (the engine
stops a runaway formula after a second). The answer comes back to the GUI thread through a
QtDispatcher: the worker never touches a widget. Checking the formula's syntax as the user
types is quick and pure, so that runs on the GUI thread directly.
Run it with ``python app.py`` (needs ``mlpy[qt]``).
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtWidgets import QApplication, QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.integration.gui import QtDispatcher, deliver

# [engine]
# Formulas get no capabilities: the engine grants none.
engine = mlpy.Engine()


def formula_runner() -> AsyncEngine:
    """Where formulas run: on one worker thread, one at a time, at most a second each."""
    return AsyncEngine(engine, max_workers=1, default_timeout=1.0,
                       thread_name_prefix="formula")
# [/engine]


def as_program(formula: str) -> str:
    # A formula is a program whose last statement is an expression: that is its value.
    return formula.strip().rstrip(";") + ";"


class Calculator(QWidget):
    """The window: a formula, a Run button, the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.runner = formula_runner()
        self.dispatcher = QtDispatcher()  # created on the GUI thread, like every widget
        self.formula = QLineEdit("(12.5 * 4) * (1 - 0.1)")
        self.button = QPushButton("Run")
        self.answer = QLabel()
        layout = QGridLayout(self)
        layout.addWidget(self.formula, 0, 0)
        layout.addWidget(self.button, 0, 1)
        layout.addWidget(self.answer, 1, 0, 1, 2)
        self.setWindowTitle("ML calculator")
        self.button.clicked.connect(self.run)
        self.formula.returnPressed.connect(self.run)
        self.formula.textChanged.connect(self.check)

    # [check]
    def check(self) -> None:
        """Runs on the GUI thread at every keystroke: compiling a line takes microseconds."""
        errors = [d for d in engine.check(as_program(self.formula.text()))
                  if d.severity == "error"]
        self.button.setEnabled(not errors)
        self.answer.setText(errors[0].message if errors else "")
    # [/check]

    # [run]
    def run(self) -> None:
        """Runs on the GUI thread: hand the formula to a worker, and return at once."""
        if not self.button.isEnabled():
            return
        self.button.setEnabled(False)
        self.answer.setText("running...")
        # A concurrent.futures.Future of the AsyncMLResult: done when the formula ends.
        job = self.runner.submit(as_program(self.formula.text()))
        deliver(job, self.dispatcher, on_result=self.show_result, on_error=self.show_error)

    def show_result(self, result: AsyncMLResult) -> None:
        """Runs on the GUI thread, posted there by the dispatcher: the formula's value, or
        the MLError that stopped it, which says what went wrong in the formula."""
        if result.success:
            self.answer.setText(f"= {result.value}")
        else:
            self.answer.setText(f"error: {result.error_info.message}")
        self.button.setEnabled(True)

    def show_error(self, error: BaseException) -> None:
        """Runs on the GUI thread: the job did not run (it was cancelled, say)."""
        self.answer.setText(f"error: {error}")
        self.button.setEnabled(True)
    # [/run]

    def closeEvent(self, event: Any) -> None:  # Qt calls it when the window closes
        self.dispatcher.close()
        self.runner.shutdown(wait=False, cancel_pending=True)
        super().closeEvent(event)


def main() -> None:
    app = QApplication(sys.argv)
    calculator = Calculator()
    calculator.show()
    sys.exit(app.exec())


if __name__ == "__main__":
    main()
