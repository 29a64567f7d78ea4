"""Development mode and what the development tools keep per session."""

from __future__ import annotations

import time
import tracemalloc
from typing import TYPE_CHECKING

from mlpy.repl.commands import CommandError, command

if TYPE_CHECKING:
    from mlpy.repl.dev.watch import Watcher
    from mlpy.repl.session import MLREPLSession

DEFAULT_SLOW_MS = 100.0


# ----------------------------------------------------------------------------- state


class DevState:
    """What the development tools keep per session."""

    def __init__(self, session: "MLREPLSession"):
        self.slow_ms = DEFAULT_SLOW_MS
        self.started = time.time()
        self.tracing_since: float | None = None
        self.started_tracing = False
        self.watcher: "Watcher | None" = None
        self.watch_all = False
        self.watched: dict[str, list[str]] = {}  # module -> files, in .watch order
        self.problems_shown: set[str] = set()  # discovery problems printed in dev mode
        self.unsubscribe = session.registry.subscribe(
            lambda event, name, data: _on_event(session, event, name, data))
        session.on_close(lambda: _closing(session))


def _closing(session: "MLREPLSession") -> None:
    from mlpy.repl.dev.watch import close_dev  # watching builds on this module

    close_dev(session)


def dev_state(session: "MLREPLSession") -> DevState:
    state = session._dev
    if state is None:
        state = session._dev = DevState(session)
    return state


def set_dev_mode(session: "MLREPLSession", on: bool) -> None:
    """Turn development mode on or off: live notices, slow warnings, memory tracing."""
    state = dev_state(session)
    session.dev_mode = on
    if on and not tracemalloc.is_tracing():
        tracemalloc.start()
        state.started_tracing = True
        state.tracing_since = time.time()
    elif on and state.tracing_since is None:
        state.tracing_since = time.time()
    elif not on and state.started_tracing:
        tracemalloc.stop()
        state.started_tracing = False
        state.tracing_since = None


def _on_event(session: "MLREPLSession", event: str, name: str, data: dict) -> None:
    state = session._dev
    if event == "loaded" and state is not None and state.watch_all and name != "builtin":
        from mlpy.repl.dev.watch import watch_module  # watching builds on this module

        watch_module(session, name)
    if session.dev_mode and event == "scanned" and state is not None:
        for problem in session.registry.problems():  # verbose diagnostics (B7)
            if str(problem) not in state.problems_shown:
                state.problems_shown.add(str(problem))
                session.output(f"[scan] {problem}\n")
    if not session.dev_mode or event != "loaded":
        return
    ms = data.get("seconds", 0.0) * 1e3
    slow = state is not None and ms > state.slow_ms
    session.output(f"[load] {name} {ms:.1f} ms{' (slow)' if slow else ''}\n")


def slow_ms(session: "MLREPLSession") -> float:
    state = session._dev
    return state.slow_ms if state is not None else DEFAULT_SLOW_MS


@command("devmode", "Development", ".devmode [on|off]", "Toggle development mode",
         "Development mode prints a line for each module load and reload, warns about "
         "slow operations (over the .perfmon threshold, 100 ms by default) and traces "
         "memory allocations so .memreport can attribute them (tracing costs time). "
         "Without an argument it toggles. The development commands work either way.",
         ".devmode on")
def devmode_command(session, args):
    if args and args[0].lower() not in ("on", "off"):
        raise CommandError(f"expected 'on' or 'off', not '{args[0]}'")
    on = (args[0].lower() == "on") if args else not session.dev_mode
    set_dev_mode(session, on)
    if on:
        return (f"Development mode on: reload/watch notices, slow-operation warnings "
                f"(>{slow_ms(session):g} ms), memory tracing.")
    return "Development mode off."
