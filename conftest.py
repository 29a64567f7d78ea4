"""Shared pytest setup: the ML test-file collector lives in tests/language/conftest.py.

The GUI tests (``tests/integration/test_gui.py``, ``examples/patterns/tkinter_nonblocking``,
``examples/patterns/pyside6_worker``) share what a process may have only one of:

* one X server for Tk, a private Xvfb (``x_display``). Tk ends the whole process when its X
  server goes away, even after its windows were destroyed, so the server stops only at the
  end of the session, after every Tk test;
* one Tk root (``tk_session_root``), referenced until the process ends: a Tk interpreter must
  be freed on the thread that made it, and finished tests leave garbage cycles that hold
  their root, which the garbage collector may free on a worker thread (that aborts the
  process: "Tcl_AsyncDelete: async handler deleted by the wrong thread");
* one QApplication (``qt_app``), on Qt's offscreen platform.

The Celery tests (``tests/integration/test_celery.py``, ``examples/production/celery_workers``)
share one Redis server (``redis_server``), started on a free loopback port in a temporary
directory and stopped at the end of the session.

``tk_root`` and ``qt_loop`` run those event loops under a watchdog (``WATCHDOG_MS``): a
dispatcher that loses a result fails its test instead of hanging it.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import time
from typing import Any

import pytest

_TK_ROOT: list[Any] = []
WATCHDOG_MS = 60_000  # a loop that is still waiting after a minute is broken, not slow


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
def redis_server(tmp_path_factory):
    """The URL (``redis://127.0.0.1:<port>``, no database) of a private Redis server."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install -y redis-server)")
    redis = pytest.importorskip("redis")
    with socket.socket() as probe:  # a free port: the server binds it a moment later
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert server.poll() is None, "redis-server exited at start"
                assert time.monotonic() < deadline, "redis-server did not answer within 30 s"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


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


@pytest.fixture
def tk_root(tk_session_root):
    """The root, with a watchdog, and no timer of the test left behind."""
    root = tk_session_root

    def timers() -> set[str]:
        return set(root.tk.splitlist(root.tk.call("after", "info")))

    before = timers()
    root.after(WATCHDOG_MS, root.quit)
    yield root
    for timer in timers() - before:
        root.after_cancel(timer)


@pytest.fixture
def qt_loop(qt_app):
    """Runs the Qt event loop until something calls ``qt_app.quit()``, or the watchdog does."""
    from PySide6.QtCore import QTimer

    def run() -> None:
        watchdog = QTimer()  # a timer object, stopped below: the application outlives a test
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(qt_app.quit)
        watchdog.start(WATCHDOG_MS)
        qt_app.exec()
        watchdog.stop()

    return run


@pytest.fixture
def blocker():
    """An ML host function ``block()`` that holds its caller until the test releases it:
    ``(block, entered, release)`` -- ``entered`` is set once a caller is inside, setting
    ``release`` lets every caller go (done at teardown too, so no worker stays stuck)."""
    import threading

    import mlpy

    release, entered = threading.Event(), threading.Event()

    @mlpy.host_function
    def block() -> str:
        entered.set()
        release.wait(60)
        return "released"

    yield block, entered, release
    release.set()


@pytest.fixture(autouse=True, scope="module")
def _no_observer_outlives_its_module():
    """A test module that installs metrics, tracing or another events listener (in a test
    or a fixture of its own) removes it by its end: one left behind changes what later
    modules in the same process see (under pytest-xdist, which ones depends on how the
    files were shared out)."""
    from mlpy.observability import events

    before = events.listeners()
    yield
    left = [listener for listener in events.listeners() if listener not in before]
    for listener in left:
        events.remove_listener(listener)
    assert not left, f"the module left events listeners installed: {left}"
