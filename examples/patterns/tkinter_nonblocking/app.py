"""A calculator whose formulas are ML: type a formula, press Run, read the answer.

The formula runs on a worker thread, so the window keeps redrawing and answering clicks
however long it takes (the engine stops a runaway formula after a second). The answer comes
back to the Tk thread through a TkDispatcher: the worker never touches a widget. Checking the
formula's syntax as the user types is quick and pure, so that runs on the Tk thread directly.
Run it with ``python app.py``.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.integration.gui import TkDispatcher, deliver

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


class Calculator:
    """The window: a formula, a Run button, the answer."""

    def __init__(self, root: tk.Tk) -> None:
        self.root = root
        self.runner = formula_runner()
        self.dispatcher = TkDispatcher(root)  # created on the Tk thread, like every widget
        self.formula = tk.StringVar(value="(12.5 * 4) * (1 - 0.1)")
        self.answer = tk.StringVar()
        self.entry = ttk.Entry(root, textvariable=self.formula, width=40)
        self.button = ttk.Button(root, text="Run", command=self.run)
        self.output = ttk.Label(root, textvariable=self.answer, width=60)
        self.entry.grid(row=0, column=0, padx=8, pady=8)
        self.button.grid(row=0, column=1, padx=8)
        self.output.grid(row=1, column=0, columnspan=2, sticky="w", padx=8, pady=(0, 8))
        root.title("ML calculator")
        root.bind("<Return>", lambda event: self.run())
        self.formula.trace_add("write", lambda *_: self.check())
        self.check()

    # [check]
    def check(self) -> None:
        """Runs on the Tk thread at every keystroke: compiling a line takes microseconds."""
        errors = [d for d in engine.check(as_program(self.formula.get()))
                  if d.severity == "error"]
        self.button.state(["disabled"] if errors else ["!disabled"])
        self.answer.set(f"{errors[0].message}" if errors else "")
    # [/check]

    # [run]
    def run(self) -> None:
        """Runs on the Tk thread: hand the formula to a worker, and return at once."""
        if self.button.instate(["disabled"]):
            return
        self.button.state(["disabled"])
        self.answer.set("running...")
        # A concurrent.futures.Future of the AsyncMLResult: done when the formula ends.
        job = self.runner.submit(as_program(self.formula.get()))
        deliver(job, self.dispatcher, on_result=self.show_result, on_error=self.show_error)

    def show_result(self, result: AsyncMLResult) -> None:
        """Runs on the Tk thread, posted there by the dispatcher: the formula's value, or
        the MLError that stopped it, which says what went wrong in the formula."""
        if result.success:
            self.answer.set(f"= {result.value}")
        else:
            self.answer.set(f"error: {result.error_info.message}")
        self.button.state(["!disabled"])

    def show_error(self, error: BaseException) -> None:
        """Runs on the Tk thread: the job did not run (it was cancelled, say)."""
        self.answer.set(f"error: {error}")
        self.button.state(["!disabled"])
    # [/run]

    def close(self) -> None:
        self.dispatcher.close()
        self.runner.shutdown(wait=False, cancel_pending=True)


def main() -> None:
    root = tk.Tk()
    calculator = Calculator(root)
    root.mainloop()
    calculator.close()


if __name__ == "__main__":
    main()
