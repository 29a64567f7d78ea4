"""Shared pytest setup: the ML test-file collector lives in tests/language/conftest.py.

The GUI tests (``tests/integration/test_gui.py``, ``examples/tkinter``, ``examples/qt``)
share what a process may have only one of:

* one X server for Tk, a private Xvfb (``x_display``). Tk ends the whole process when its X
  server goes away, even after its windows were destroyed, so the server stops only at the
  end of the session, after every Tk test;
* one Tk root (``tk_session_root``), referenced until the process ends: a Tk interpreter must
  be freed on the thread that made it, and finished tests leave garbage cycles that hold
  their root, which the garbage collector may free on a worker thread (that aborts the
  process: "Tcl_AsyncDelete: async handler deleted by the wrong thread");
* one QApplication (``qt_app``), on Qt's offscreen platform.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from typing import Any

import pytest

_TK_ROOT: list[Any] = []


@pytest.fixture(scope="session")
def x_display():
    """A private X server (``-displayfd``: Xvfb picks a free display and says which)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp",
                               "-screen", "0", "800x600x24"], pass_fds=(write_end,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    previous = os.environ.get("DISPLAY")
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        assert number, "Xvfb did not report a display within 30 s"
        os.environ["DISPLAY"] = f":{number}"
        yield os.environ["DISPLAY"]
    finally:
        os.close(read_end)
        server.terminate()
        server.wait(timeout=30)
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous


@pytest.fixture(scope="session")
def tk_session_root(x_display):
    tkinter = pytest.importorskip("tkinter")
    _TK_ROOT.append(tkinter.Tk())
    yield _TK_ROOT[0]
    _TK_ROOT[0].destroy()


@pytest.fixture(scope="session")
def qt_app():
    pytest.importorskip("PySide6.QtWidgets")
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])
