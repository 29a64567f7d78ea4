"""Tests of the Tk rules editor, driving its real window under a private Xvfb display."""

from __future__ import annotations

import importlib.util
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
    spec = importlib.util.spec_from_file_location("examples_complete_tk_rules_editor_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


# The X server and the Tk root are the test session's (see conftest.py at the top of the
# source tree): a process may stop its X server only once Tk is done for good.
@pytest.fixture
def editor(tk_session_root, tmp_path):
    root = tk_session_root
    for child in root.winfo_children():
        child.destroy()
    editor = app.RulesEditor(root, tmp_path)
    yield editor
    editor.close()


# [press-run]
def press_run(editor: Any, rule: str | None = None) -> list[float]:
    """Put ``rule`` in the editor, press Run, and run the real Tk loop, with a 5 ms timer
    ticking, until the run is over; return the ticks' times."""
    root = editor.root
    ticks = [time.perf_counter()]

    def tick() -> None:
        ticks.append(time.perf_counter())
        if editor.run_button.instate(["disabled"]):
            timers.append(root.after(5, tick))
        else:
            root.quit()

    if rule is not None:
        editor.set_rule(rule)
    editor.run_button.invoke()
    timers = [root.after(WATCHDOG_MS, root.quit)]
    if editor.run_button.instate(["disabled"]):  # a syntax error never starts a run
        tick()
        root.mainloop()
    for timer in timers:
        root.after_cancel(timer)
    assert editor.run_button.instate(["!disabled"]), "the run did not end within a minute"
    return ticks
# [/press-run]


def results(editor: Any) -> list[Any]:
    return [str(editor.table.set(row, "result")) for row in editor.rows]


def highlighted_lines(editor: Any) -> list[int]:
    ranges = editor.editor.tag_ranges("error")
    return sorted({int(str(index).split(".")[0]) for index in ranges})


def test_the_sample_rule_runs_over_every_record(editor):
    press_run(editor)
    # Ada: 120 in DE; Grace: 80 in US; Linus: 250 in FI; Margaret: 40 in DE.
    assert results(editor) == ["7", "0", "5", "2"]
    assert editor.status.get() == "ran on 4 records"
    assert highlighted_lines(editor) == []


def test_editing_the_text_changes_what_runs(editor):
    text = editor.editor
    start = text.search("discount = 5;", "1.0")  # the line of the sample rule, edited
    text.delete(f"{start}+11c", f"{start}+12c")
    text.insert(f"{start}+11c", "10")
    press_run(editor)
    assert results(editor) == ["12", "0", "10", "2"]


def test_a_new_rule_is_what_runs(editor):
    press_run(editor, 'result = record.name + " pays " + str(record.amount);')
    assert results(editor)[:2] == ["Ada pays 120", "Grace pays 80"]


def test_a_syntax_error_is_highlighted_at_its_line_and_nothing_runs(editor):
    press_run(editor, "discount = 0;\nif (record.amount > 100 {\n  discount = 5;\n}\n"
                      "result = discount;")
    assert editor.status.get().startswith("error: line 2, column ")
    assert highlighted_lines(editor) == [2]
    assert results(editor) == ["", "", "", ""]  # the rule never reached the worker


def test_a_runtime_error_names_its_line_and_column(editor):
    press_run(editor, "share = 100;\nresult = share / (record.amount - 80);")
    assert results(editor)[1] == "error"  # Grace: 80 - 80 is zero
    assert results(editor)[0] == "2.5"
    assert editor.status.get() == "error: line 2, column 10: division by zero"
    assert highlighted_lines(editor) == [2]


def test_fixing_the_rule_clears_the_highlight(editor):
    press_run(editor, "result = 1 +;")
    assert highlighted_lines(editor) == [1]
    press_run(editor, "result = 1 + 1;")
    assert highlighted_lines(editor) == []
    assert results(editor) == ["2", "2", "2", "2"]


# [runaway]
def test_a_runaway_rule_is_stopped_by_its_limit_and_the_window_keeps_working(editor):
    ticks = press_run(editor, "n = 0;\nwhile (true) {\n  n = n + 1;\n}\nresult = n;")
    assert results(editor) == ["error", "skipped", "skipped", "skipped"]
    assert editor.status.get().startswith("error: line 2, column 1: time limit reached")
    assert highlighted_lines(editor) == [2]
    # One second for the first record, the others skipped; the Tk loop ticked all along.
    assert ticks[-1] - ticks[0] >= 1.0
    assert max(b - a for a, b in pairwise(ticks)) < 0.5
    press_run(editor, "result = record.amount;")  # the worker is free again
    assert results(editor) == ["120", "80", "250", "40"]
# [/runaway]


def test_a_rule_that_reads_a_file_is_refused(editor):
    press_run(editor, 'import file;\nresult = file.read("/etc/passwd");')
    assert set(results(editor)) == {"error"}
    assert "file.read" in editor.status.get()


def test_save_and_load_a_rule_in_the_rules_folder(editor, tmp_path):
    editor.set_rule("result = 42;")
    editor.file_name.set("answer.ml")
    editor.save()
    assert editor.status.get() == "saved answer.ml"
    assert (tmp_path / "answer.ml").read_text() == "result = 42;"
    editor.set_rule("")
    editor.load()
    assert editor.rule() == "result = 42;"
    assert editor.status.get() == "loaded answer.ml"


@pytest.mark.parametrize("name", ["../outside.ml", "/tmp/outside.ml", "notes.txt"])
def test_save_outside_the_folder_or_not_a_rule_file_is_refused(editor, tmp_path, name):
    editor.file_name.set(name)
    editor.save()
    assert editor.status.get().startswith("not saved: this needs the capability 'file.write'")
    assert not (tmp_path.parent / "outside.ml").exists()
    assert list(tmp_path.iterdir()) == []


def test_load_outside_the_folder_is_refused(editor):
    editor.file_name.set("../../../../../../etc/passwd")
    editor.load()
    assert editor.status.get().startswith("not loaded: this needs the capability 'file.read'")
