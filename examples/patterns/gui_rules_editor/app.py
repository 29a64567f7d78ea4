"""A rules editor whose logic knows no toolkit: one controller, a Tk window and a Qt form.

The user edits an ML rule and presses Test; the rule runs against sample orders on a worker
thread and the outcome is shown under the editor. ``RuleTester`` does the work: it compiles
and runs the rule on an ``AsyncEngine`` and hands the outcome back through a ``Dispatcher``
-- the protocol every dispatcher follows -- so it never touches a widget and works under
either toolkit: ``TkEditor`` gives it a ``TkDispatcher``, ``QtEditor`` a ``QtDispatcher``,
and a headless test an ``AsyncioDispatcher``. Run ``python app.py`` (Tk) or
``python app.py --qt`` (PySide6).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.integration.gui import Dispatcher, deliver

if TYPE_CHECKING:
    import tkinter

    from PySide6.QtWidgets import QWidget

RULE = Path(__file__).with_name("shipping.ml").read_text(encoding="utf-8")
SAMPLES = [{"total": 80, "country": "DE"}, {"total": 20, "country": "DE"},
           {"total": 20, "country": "FR"}]

engine = mlpy.Engine()  # a rule under test gets no capabilities


# [tester]
class RuleTester:
    """Runs the rule being edited against ``SAMPLES`` off the UI thread.

    ``show(text)`` is the front-end's: it is called on the UI thread, through ``dispatcher``,
    with one line per sample or the first error of the rule."""

    def __init__(self, dispatcher: Dispatcher, show: Callable[[str], None]) -> None:
        self.dispatcher = dispatcher
        self.show = show
        # One worker: a user tests one version of the rule at a time. A rule that runs a
        # second is stuck in a loop; it is stopped and the user told so.
        self.runner = AsyncEngine(engine, max_workers=1, default_timeout=1.0,
                                  thread_name_prefix="rule-test")

    def test(self, rule: str) -> None:
        """Start a test run (UI thread); its outcome reaches ``show`` later."""
        try:
            program = engine.compile(rule, filename="rule.ml", inputs=["order"])
        except mlpy.MLCompileError as error:  # found at once: no need for a worker
            self.show(f"line {error.diagnostics[0].line}: {error.diagnostics[0].message}")
            return
        futures = [self.runner.submit(program, variables={"order": sample})
                   for sample in SAMPLES]
        results: dict[int, AsyncMLResult] = {}
        for index, future in enumerate(futures):
            deliver(future, self.dispatcher, on_result=partial(self._collect, results, index))

    def _collect(self, results: dict[int, AsyncMLResult], index: int,
                 result: AsyncMLResult) -> None:
        results[index] = result  # on the UI thread only: no lock needed
        if len(results) == len(SAMPLES):
            self.show("\n".join(self.describe(sample, results[i])
                                for i, sample in enumerate(SAMPLES)))

    @staticmethod
    def describe(sample: dict, result: AsyncMLResult) -> str:
        outcome = f"{result.value}" if result.success else f"error: {result.error_info.message}"
        return f"{sample['country']} {sample['total']:>3}: {outcome}"

    def close(self) -> None:
        self.runner.shutdown(wait=False, cancel_pending=True)
# [/tester]


# [tk]
class TkEditor:
    """The Tk front-end: a text box, a Test button, the outcome below."""

    def __init__(self, root: tkinter.Misc) -> None:
        import tkinter as tk
        from tkinter import ttk

        from mlpy.integration.gui import TkDispatcher

        self.editor = tk.Text(root, width=60, height=12)
        self.editor.insert("1.0", RULE)
        self.outcome = tk.StringVar()
        self.button = ttk.Button(root, text="Test", command=self.test)
        self.editor.pack(padx=8, pady=8)
        self.button.pack()
        ttk.Label(root, textvariable=self.outcome, justify="left").pack(padx=8, pady=8)
        self.tester = RuleTester(TkDispatcher(root), self.outcome.set)

    def test(self) -> None:
        self.outcome.set("testing...")
        self.tester.test(self.editor.get("1.0", "end"))
# [/tk]


# [qt]
def qt_editor() -> QWidget:
    """The Qt front-end: the same three parts in a form (a QApplication must exist)."""
    from PySide6.QtWidgets import (
        QLabel,
        QPlainTextEdit,
        QPushButton,
        QVBoxLayout,
        QWidget,
    )

    from mlpy.integration.gui import QtDispatcher

    form = QWidget()
    form.editor = QPlainTextEdit(RULE)
    form.outcome = QLabel()
    form.button = QPushButton("Test")
    layout = QVBoxLayout(form)
    for widget in (form.editor, form.button, form.outcome):
        layout.addWidget(widget)
    form.tester = RuleTester(QtDispatcher(), form.outcome.setText)

    def test() -> None:
        form.outcome.setText("testing...")
        form.tester.test(form.editor.toPlainText())

    form.button.clicked.connect(test)
    return form
# [/qt]


def main() -> None:
    if "--qt" in sys.argv:
        from PySide6.QtWidgets import QApplication

        qt_app = QApplication([])
        form = qt_editor()
        form.show()
        qt_app.exec()
        form.tester.close()
    else:
        import tkinter

        root = tkinter.Tk()
        root.title("Shipping rule")
        editor = TkEditor(root)
        root.mainloop()
        editor.tester.close()


if __name__ == "__main__":
    main()
