"""A calculator whose formulas are ML, in Qt: type a formula, press Run, read the answer.

The Qt twin of ``examples/tkinter``. The formula runs on a worker thread, so the window keeps
redrawing and answering clicks however long it takes (the engine stops a runaway formula
after a second). The answer comes back to the GUI thread through a QtDispatcher: the worker
never touches a widget. Checking the formula's syntax as the user types is quick and pure, so
that runs on the GUI thread directly. Run it with ``python app.py`` (needs ``mlpy[qt]``).
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import sys
from typing import Any

from PySide6.QtWidgets import QApplication, QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

import mlpy
from mlpy.integration.gui import QtDispatcher, deliver

# [engine]
# Formulas get no capabilities (the engine grants none) and at most a second each.
engine = mlpy.Engine(timeout=1.0)


def evaluate(formula: str) -> Any:
    """The value of an ML formula, or raise its MLError (runs on a worker thread)."""
    return engine.execute(as_program(formula), filename="formula.ml").unwrap()
# [/engine]


def as_program(formula: str) -> str:
    # A formula is a program whose last statement is an expression: that is its value.
    return formula.strip().rstrip(";") + ";"


class Calculator(QWidget):
    """The window: a formula, a Run button, the answer."""

    def __init__(self) -> None:
        super().__init__()
        self.workers = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="formula")
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
        job = self.workers.submit(contextvars.copy_context().run, evaluate, self.formula.text())
        deliver(job, self.dispatcher, on_result=self.show_answer, on_error=self.show_error)

    def show_answer(self, value: Any) -> None:
        """Runs on the GUI thread, posted there by the dispatcher."""
        self.answer.setText(f"= {value}")
        self.button.setEnabled(True)

    def show_error(self, error: BaseException) -> None:
        """Runs on the GUI thread: an MLError says what went wrong in the formula."""
        message = error.message if isinstance(error, mlpy.MLError) else repr(error)
        self.answer.setText(f"error: {message}")
        self.button.setEnabled(True)
    # [/run]

    def closeEvent(self, event: Any) -> None:  # Qt calls it when the window closes
        self.dispatcher.close()
        self.workers.shutdown(cancel_futures=True)
        super().closeEvent(event)


def main() -> None:
    app = QApplication(sys.argv)
    calculator = Calculator()
    calculator.show()
    sys.exit(app.exec())


if __name__ == "__main__":
    main()
