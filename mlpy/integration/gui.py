"""Run ML work off a desktop program's UI thread and hand its results back to that thread.

A desktop toolkit has one thread that owns its widgets: Tk and Qt widgets may be touched only
from the thread that runs the event loop, and while a callback of that thread runs, the window
neither redraws nor answers clicks. So anything that may take a while -- an ML program, an ML
callback -- runs on a worker thread, and its result comes back to the UI thread as an event the
loop processes when it gets to it. The worker never touches a widget.

A :class:`Dispatcher` is that way back: ``post(fn, *args)`` may be called from any thread,
returns at once, and ``fn(*args)`` later runs on the UI thread. One dispatcher per event loop:

* :class:`TkDispatcher` -- Tk is not thread-safe, so a worker must not even call
  ``root.after``. Posts go into a thread-safe queue, and the Tk thread drains it every
  ``poll_ms`` milliseconds from a ``root.after`` timer of its own.
* :class:`QtDispatcher` -- a QObject living on the GUI thread, with a signal connected to its
  slot by a queued connection: emitting the signal from any thread posts an event to the GUI
  thread's event queue, and Qt runs the slot there, in posting order.
  (``QTimer.singleShot`` from a thread without a Qt event loop is not reliable, and
  ``QMetaObject.invokeMethod`` with a Python callable depends on the binding's version; a
  queued signal works with every PySide6.)
* :class:`AsyncioDispatcher` -- ``loop.call_soon_threadsafe``.

A posted function that raises must not end the event loop: the error is logged on the logger
``mlpy.gui`` and the loop goes on. A post that can no longer be delivered (the window was
destroyed, the dispatcher closed, the loop closed) is dropped with a debug log line: a worker
finishing after the user closed the window is normal, not an error.

:func:`deliver` joins the two halves: it attaches to a future (from
``AsyncEngine.submit``, ``MLCallbackWrapper.submit``, or any ``concurrent.futures`` pool) a
done-callback that posts ``on_result(value)`` or ``on_error(error)`` to the UI thread.

The posted function runs in the UI thread's own ``contextvars`` context, never in the
worker's: a worker's capability scope does not follow its result into the UI thread.

Nothing here imports a toolkit until a dispatcher for it is created: importing this module
imports neither tkinter nor Qt.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from mlpy.callbacks import Delivery
from mlpy.errors import MLConfigurationError

if TYPE_CHECKING:
    import tkinter

logger = logging.getLogger("mlpy.gui")

__all__ = ["AsyncioDispatcher", "Dispatcher", "QtDispatcher", "TkDispatcher", "deliver"]


@runtime_checkable
class Dispatcher(Protocol):
    """Runs functions on one UI thread on behalf of any thread."""

    def post(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run ``fn(*args)`` on the UI thread, later; never blocks the caller.

        Callable from any thread. Posts from one thread run in the order they were made.
        An exception ``fn`` raises is logged on ``mlpy.gui`` and the event loop goes on.
        """
        ...


def _run_logged(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run a posted function on the UI thread; its exception must not end the event loop."""
    try:
        fn(*args)
    except Exception:  # KeyboardInterrupt and SystemExit still end the program
        logger.exception("%s, posted to the UI thread, raised; the event loop goes on",
                         _name(fn))


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _require_callable(fn: Any) -> None:
    # Checked in the posting thread: a mistake shows where it was made, not later in the loop.
    if not callable(fn):
        raise MLConfigurationError(f"post() needs a function to run, not {type(fn).__name__}",
                                   hints=[("pass the function and its arguments: "
                                          "post(label.config, text) rather than "
                                          "post(label.config(text))")])


def _dropped(fn: Callable[..., Any], why: str) -> None:
    logger.debug("%s was not delivered: %s", _name(fn), why)


class TkDispatcher:
    """Delivers posts to the Tk thread through a queue that a ``root.after`` timer drains.

    Create it on the Tk thread (the thread that calls ``root.mainloop()``). Workers call
    :meth:`post`, which only puts into a thread-safe queue; the Tk thread runs what arrived
    every ``poll_ms`` milliseconds, so a result waits at most that long for the loop. The
    dispatcher stops by itself when ``root`` is destroyed; :meth:`close` stops it earlier.
    Posts that have not run by then are dropped.
    """

    def __init__(self, root: tkinter.Misc, poll_ms: int = 15):
        import tkinter  # only a program that uses Tk pays for importing it

        if not hasattr(root, "after"):
            raise MLConfigurationError(
                f"TkDispatcher needs the Tk root (or a widget), not {type(root).__name__}",
                hints=[("create it after the window: root = tkinter.Tk(); "
                       "TkDispatcher(root)")])
        if isinstance(poll_ms, bool) or not isinstance(poll_ms, int) or poll_ms < 1:
            raise MLConfigurationError(f"poll_ms must be a whole number of milliseconds of "
                                       f"at least 1, not {poll_ms!r}")
        self._root = root
        self._poll_ms = poll_ms
        self._tcl_error = tkinter.TclError
        self._queue: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            queue.SimpleQueue())
        self._tk_thread = threading.get_ident()
        self._after_id: str | None = None
        self._closed = False
        root.bind("<Destroy>", self._on_destroy, add="+")
        self._schedule()

    @property
    def closed(self) -> bool:
        """Whether the dispatcher has stopped: closed, or its root destroyed."""
        return self._closed

    def post(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run ``fn(*args)`` on the Tk thread within about ``poll_ms`` (any thread)."""
        _require_callable(fn)
        if self._closed:
            _dropped(fn, "the TkDispatcher is closed")
            return
        self._queue.put((fn, args))

    def close(self) -> None:
        """Stop delivering (idempotent; any thread). Posts not yet run are dropped."""
        self._closed = True
        # The timer is Tk's: only the Tk thread may cancel it. From another thread the flag
        # is enough -- the next drain sees it and does not schedule itself again.
        if threading.get_ident() == self._tk_thread and self._after_id is not None:
            try:
                self._root.after_cancel(self._after_id)
            except self._tcl_error:
                pass  # the root is already gone, and its timers with it
            self._after_id = None

    def _schedule(self) -> None:
        try:
            self._after_id = self._root.after(self._poll_ms, self._drain)
        except self._tcl_error:  # the root was destroyed under us
            self._closed = True

    def _drain(self) -> None:
        self._after_id = None
        # Only what is queued now: posts that keep arriving must not starve the window.
        for _ in range(self._queue.qsize()):
            if self._closed:  # a callback closed the dispatcher or destroyed the window
                return
            fn, args = self._queue.get_nowait()
            _run_logged(fn, args)
        if not self._closed:
            self._schedule()

    def _on_destroy(self, event: Any) -> None:
        # The root's bindings also see its children's <Destroy>: only the root's own counts.
        if event.widget is self._root:
            self.close()


_qt_receiver_class: type | None = None


def _qt_receiver() -> type:
    """The QObject class that runs posts on its thread, defined on first use (lazy PySide6)."""
    global _qt_receiver_class
    if _qt_receiver_class is None:
        try:
            from PySide6.QtCore import QObject, Qt, Signal, Slot
        except ImportError as error:
            raise MLConfigurationError(
                "QtDispatcher needs PySide6, which is not installed",
                hints=["install it with: pip install 'mlpy[qt]'"]) from error

        class Receiver(QObject):
            posted = Signal(object)

            def __init__(self) -> None:
                super().__init__()
                self.closed = False
                # Queued, always: even a post from the GUI thread itself runs later, in order.
                self.posted.connect(self.run, Qt.ConnectionType.QueuedConnection)

            @Slot(object)
            def run(self, job: tuple[Callable[..., Any], tuple[Any, ...]]) -> None:
                fn, args = job
                if self.closed:
                    _dropped(fn, "the QtDispatcher is closed")
                    return
                _run_logged(fn, args)

        _qt_receiver_class = Receiver
    return _qt_receiver_class


class QtDispatcher:
    """Delivers posts to the Qt GUI thread through a queued signal (PySide6).

    Create it on the GUI thread, after the ``QApplication``: its receiver object lives on the
    thread that creates it, and that is where posts run. :meth:`close` stops delivery.
    """

    def __init__(self) -> None:
        receiver_class = _qt_receiver()
        from PySide6.QtCore import QCoreApplication, QThread

        app = QCoreApplication.instance()
        if app is None:
            raise MLConfigurationError(
                "QtDispatcher needs a running Qt application",
                hints=[("create the QApplication first: app = QApplication([]); "
                       "dispatcher = QtDispatcher()")])
        if QThread.currentThread() is not app.thread():
            raise MLConfigurationError(
                "QtDispatcher must be created on the GUI thread, where posts are to run",
                hints=[("create it where you create your windows, then hand it to the "
                       "worker threads")])
        self._receiver = receiver_class()
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the dispatcher has stopped: closed, or its application gone."""
        return self._closed

    def post(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run ``fn(*args)`` on the GUI thread when its event loop next runs (any thread)."""
        _require_callable(fn)
        if self._closed:
            _dropped(fn, "the QtDispatcher is closed")
            return
        try:
            self._receiver.posted.emit((fn, args))
        except RuntimeError:  # the receiver was deleted: the application is gone
            self._closed = True
            _dropped(fn, "the Qt receiver no longer exists")

    def close(self) -> None:
        """Stop delivering (idempotent; any thread). Posts not yet run are dropped."""
        if self._closed:
            return
        self._closed = True
        self._receiver.closed = True
        try:
            self._receiver.deleteLater()  # thread-safe: Qt deletes it on its own thread
        except RuntimeError:
            pass  # already deleted with the application


class AsyncioDispatcher:
    """Delivers posts to an asyncio event loop's thread with ``call_soon_threadsafe``.

    ``loop`` defaults to the running loop, so create it inside the loop (in a coroutine).
    Posts run in a copy of the context the dispatcher was created in: left to itself,
    ``call_soon_threadsafe`` would run them in a copy of the *posting* thread's context, and
    a worker's capability scope would follow its result onto the loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None):
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise MLConfigurationError(
                    "AsyncioDispatcher() without a loop must be created inside a running "
                    "event loop", hints=[("pass the loop: AsyncioDispatcher(loop), or create "
                                         "it in a coroutine")]) from None
        self._loop = loop
        self._context = contextvars.copy_context()

    def post(self, fn: Callable[..., Any], /, *args: Any) -> None:
        """Run ``fn(*args)`` on the loop's thread (any thread)."""
        _require_callable(fn)
        try:
            self._loop.call_soon_threadsafe(_run_logged, fn, args,
                                            context=self._context.copy())
        except RuntimeError:  # the loop is closed
            _dropped(fn, "the event loop is closed")


def deliver(future: Any, dispatcher: Dispatcher, on_result: Callable[[Any], Any] | None = None,
            on_error: Callable[[BaseException], Any] | None = None) -> Any:
    """Post the outcome of ``future`` to the UI thread; return ``future``.

    When the future finishes, ``on_result(value)`` or ``on_error(error)`` is posted through
    ``dispatcher``; a cancelled future counts as the error :class:`~mlpy.MLCancelledError`.
    An error with no ``on_error`` is logged on ``mlpy.gui``, never lost. ``future`` is a
    ``concurrent.futures.Future`` (or an asyncio future). Note that ``AsyncEngine.submit``'s
    future holds an ``AsyncMLResult`` even when the ML code failed: ``on_result`` receives
    it and reads its ``success``.
    """
    if not isinstance(dispatcher, Dispatcher):
        raise MLConfigurationError(
            f"deliver() needs a dispatcher with a post() method, not "
            f"{type(dispatcher).__name__}",
            hints=[("create one on the UI thread: TkDispatcher(root), QtDispatcher() or "
                   "AsyncioDispatcher(loop)")])
    for name, callback in (("on_result", on_result), ("on_error", on_error)):
        if callback is not None and not callable(callback):
            raise MLConfigurationError(f"{name} must be a function, not "
                                       f"{type(callback).__name__}")
    future.add_done_callback(Delivery(dispatcher, on_result, on_error, logger))
    return future
