"""Tests of gui_rules_editor: the controller headless on asyncio, then in a real Tk window
(private Xvfb) and a real Qt form (offscreen)."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path

import pytest

from mlpy.integration.gui import AsyncioDispatcher

HERE = Path(__file__).resolve().parent
EXPECTED = "DE  80: 0\nDE  20: 4.9\nFR  20: 9.9"


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_gui_rules_editor_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def shown_headless(rule):
    """What ``RuleTester`` shows for ``rule``, and on which thread, with an asyncio loop as
    the UI thread."""
    async def main():
        shown = asyncio.Queue()
        tester = app.RuleTester(AsyncioDispatcher(),
                                lambda text: shown.put_nowait((text, threading.get_ident())))
        try:
            tester.test(rule)
            return await asyncio.wait_for(shown.get(), timeout=30), threading.get_ident()
        finally:
            tester.close()

    return asyncio.run(main())


def test_each_sample_is_shown_on_the_ui_thread():
    (text, thread), loop_thread = shown_headless(app.RULE)
    assert text == EXPECTED and thread == loop_thread


def test_a_syntax_error_is_shown_at_once_with_its_line():
    (text, _), _ = shown_headless("if (order.total >= ) { result = 0; }")
    assert text.startswith("line 1: ")


def test_a_runaway_rule_is_stopped_and_reported_for_each_sample():
    (text, _), _ = shown_headless("while (true) {} result = 1;")
    assert text.count("error:") == 3 and "time limit" in text.lower()


def test_the_tk_editor(tk_root):
    for child in tk_root.winfo_children():
        child.destroy()
    editor = app.TkEditor(tk_root)
    try:
        editor.button.invoke()
        assert editor.outcome.get() == "testing..."

        def wait() -> None:
            if editor.outcome.get() == "testing...":
                tk_root.after(5, wait)
            else:
                tk_root.quit()

        wait()
        tk_root.mainloop()
        assert editor.outcome.get() == EXPECTED
    finally:
        editor.tester.close()


def test_the_qt_form(qt_app, qt_loop):
    pytest.importorskip("PySide6.QtWidgets")
    from PySide6.QtCore import QTimer

    form = app.qt_editor()
    form.editor.setPlainText(app.RULE.replace("4.9", "5.9"))
    poll = QTimer()
    poll.timeout.connect(lambda: form.outcome.text() != "testing..." and qt_app.quit())
    try:
        form.button.click()
        assert form.outcome.text() == "testing..."
        poll.start(5)
        qt_loop()
        assert form.outcome.text() == EXPECTED.replace("4.9", "5.9")
    finally:
        poll.stop()
        form.tester.close()
        form.close()
