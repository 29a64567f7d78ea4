"""A Tk rules editor: write an ML rule, run it over sample records, save it in a rules folder.

The rule (a program that reads ``record`` and sets ``result``) runs once per record on a
worker thread of an AsyncEngine; each answer comes back to the Tk thread through a
TkDispatcher and fills that record's row. Errors are shown with their line and column, and
that line is highlighted in the editor. Each run has a one-second limit, so a rule such as
``while (true) {}`` is stopped and the window never freezes. Save and Load read and write
rule files through ML programs granted ``file.read``/``file.write`` on the rules folder only.
Run it with ``python app.py [rules-folder]``.
"""

from __future__ import annotations

import sys
import tkinter as tk
from concurrent.futures import Future
from pathlib import Path
from tkinter import ttk

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.integration.gui import TkDispatcher, deliver

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules"
STORAGE = HERE / "storage"

SAMPLE_RECORDS = [
    {"name": "Ada", "amount": 120, "country": "DE"},
    {"name": "Grace", "amount": 80, "country": "US"},
    {"name": "Linus", "amount": 250, "country": "FI"},
    {"name": "Margaret", "amount": 40, "country": "DE"},
]

# [engine]
# Rules get no capabilities: the engine grants none. A rule runs for at most a second.
engine = mlpy.Engine(timeout=1.0)
SAVE = engine.compile(STORAGE / "save.ml", inputs=["path", "text"])
LOAD = engine.compile(STORAGE / "load.ml", inputs=["path"])


def rule_runner() -> AsyncEngine:
    """One worker: records are run in order, one at a time, for at most a second each."""
    return AsyncEngine(engine, max_workers=1, default_timeout=1.0,
                       thread_name_prefix="rules")
# [/engine]


# [storage]
class RuleFolder:
    """Rule files in one folder, read and written by ML under grants scoped to that folder.

    The file name comes from the user as it is: ``../secret.ml`` or ``/etc/passwd`` resolve
    outside the folder, and the capability check refuses them with a CapabilityError."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()

    def save(self, name: str, text: str) -> None:
        engine.execute(SAVE, {"path": str(self.folder / name), "text": text},
                       capabilities=[f"file.write:{self.folder}/*.ml"]).raise_for_error()

    def load(self, name: str) -> str:
        return engine.execute(LOAD, {"path": str(self.folder / name)},
                              capabilities=[f"file.read:{self.folder}/*.ml"]).unwrap()
# [/storage]


def where(error: mlpy.MLError) -> str:
    """``line 3, column 9: message`` -- the position the editor highlights."""
    if error.ml_line is None:
        return error.message
    return f"line {error.ml_line}, column {error.ml_column}: {error.message}"


class RulesEditor:
    """The window: the rule, Run, the records and their results, Save/Load, a status line."""

    def __init__(self, root: tk.Tk, folder: Path = RULES) -> None:
        self.root = root
        self.runner = rule_runner()
        self.dispatcher = TkDispatcher(root)  # created on the Tk thread, like every widget
        self.folder = RuleFolder(folder)
        self.jobs: list[Future[AsyncMLResult]] = []
        self.pending = 0
        self.editor = tk.Text(root, width=70, height=14, undo=True)
        self.editor.tag_configure("error", background="#ffd7d7")
        self.table = ttk.Treeview(root, columns=("amount", "country", "result"), height=5)
        self.table.heading("#0", text="name")
        for column in ("amount", "country", "result"):
            self.table.heading(column, text=column)
        self.rows = [self.table.insert("", "end", text=record["name"],
                                       values=(record["amount"], record["country"], ""))
                     for record in SAMPLE_RECORDS]
        bar = ttk.Frame(root)
        self.run_button = ttk.Button(bar, text="Run", command=self.run)
        self.file_name = tk.StringVar(value="discount.ml")
        ttk.Entry(bar, textvariable=self.file_name, width=24).pack(side="left")
        ttk.Button(bar, text="Save", command=self.save).pack(side="left")
        ttk.Button(bar, text="Load", command=self.load).pack(side="left")
        self.run_button.pack(side="right")
        self.status = tk.StringVar()
        self.editor.pack(fill="both", expand=True, padx=8, pady=8)
        bar.pack(fill="x", padx=8)
        self.table.pack(fill="x", padx=8, pady=8)
        ttk.Label(root, textvariable=self.status).pack(fill="x", padx=8, pady=(0, 8))
        root.title("ML rules editor")
        self.set_rule((RULES / "discount.ml").read_text(encoding="utf-8"))

    def rule(self) -> str:
        return self.editor.get("1.0", "end-1c")

    def set_rule(self, text: str) -> None:
        self.editor.delete("1.0", "end")
        self.editor.insert("1.0", text)
        self.editor.tag_remove("error", "1.0", "end")

    # [errors]
    def show_error(self, error: mlpy.MLError) -> None:
        """Say where the rule went wrong, and highlight that line of the editor."""
        self.status.set(f"error: {where(error)}")
        self.editor.tag_remove("error", "1.0", "end")
        if error.ml_line is not None:
            self.editor.tag_add("error", f"{error.ml_line}.0", f"{error.ml_line}.end")
            self.editor.see(f"{error.ml_line}.0")
    # [/errors]

    # [run]
    def run(self) -> None:
        """Runs on the Tk thread: compile the rule here (quick; a syntax error shows at
        once), then hand one job per record to the worker and return."""
        if self.jobs:
            return  # a run is still going
        try:
            program = engine.compile(self.rule(), filename="rule.ml", inputs=["record"])
        except mlpy.MLError as error:
            self.show_error(error)
            return
        self.editor.tag_remove("error", "1.0", "end")
        self.run_button.state(["disabled"])
        self.status.set("running...")
        self.pending = len(self.rows)  # jobs whose outcome is not shown yet
        for row, record in zip(self.rows, SAMPLE_RECORDS):
            self.table.set(row, "result", "...")
            job = self.runner.submit(program, variables={"record": record})
            deliver(job, self.dispatcher,
                    on_result=lambda result, row=row: self.show_result(row, result),
                    on_error=lambda error, row=row: self.show_skipped(row))
            self.jobs.append(job)

    def show_result(self, row: str, result: AsyncMLResult) -> None:
        """Runs on the Tk thread: one record's answer, or the error that stopped the rule."""
        if result.success:
            self.table.set(row, "result", result.value)
        else:
            self.table.set(row, "result", "error")
            self.show_error(result.error_info)
            if result.timed_out:  # the rule loops: the other records would only wait
                for job in self.jobs:
                    job.cancel()
        self.job_done()
    # [/run]

    def show_skipped(self, row: str) -> None:
        """Runs on the Tk thread: a record's job was cancelled after a time limit."""
        self.table.set(row, "result", "skipped")
        self.job_done()

    def job_done(self) -> None:
        """One record's job is shown; once all are, the run is over."""
        self.pending -= 1
        if self.pending == 0:
            self.jobs.clear()
            self.run_button.state(["!disabled"])
            if self.status.get() == "running...":
                self.status.set(f"ran on {len(self.rows)} records")

    # [save]
    def save(self) -> None:
        try:
            self.folder.save(self.file_name.get(), self.rule())
        except mlpy.MLError as error:  # a CapabilityError for a path outside the folder
            self.status.set(f"not saved: {error.message}")
        else:
            self.status.set(f"saved {self.file_name.get()}")

    def load(self) -> None:
        try:
            text = self.folder.load(self.file_name.get())
        except mlpy.MLError as error:
            self.status.set(f"not loaded: {error.message}")
        else:
            self.set_rule(text)
            self.status.set(f"loaded {self.file_name.get()}")
    # [/save]

    def close(self) -> None:
        self.dispatcher.close()
        self.runner.shutdown(wait=False, cancel_pending=True)


def main() -> None:
    root = tk.Tk()
    editor = RulesEditor(root, Path(sys.argv[1]) if len(sys.argv) > 1 else RULES)
    root.mainloop()
    editor.close()


if __name__ == "__main__":
    main()
