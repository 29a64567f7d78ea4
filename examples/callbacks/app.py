"""A help desk whose ticket rules are a plug-in written in ML.

The plug-in, ``helpdesk.ml``, defines functions; the desk registers them as callbacks and
calls them as plain Python callables from its own code: the event hooks (every ``on_*``
function) when tickets open and close, ``urgency`` as the sort key of the queue, ``visible``
as its filter and ``preview`` to show an attachment. A failing rule never breaks the desk:
each callback says what a failure gives instead. ``hotfix.ml`` redefines a hook while the
desk runs; the registered callbacks call the new version. Run it with ``python app.py``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import mlpy
from mlpy.callbacks import MLCallbackRegistry

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
UNSCORED = 1_000  # the urgency of a ticket the rule cannot score: the end of the queue


class HelpDesk:
    """Tickets, and the ML plug-in that tags, orders, filters and previews them."""

    # [setup]
    def __init__(self, plugin: Path = HERE / "helpdesk.ml") -> None:
        # The plug-in may read the VIP list and nothing else, and no call may take more
        # than half a second.
        self.engine = mlpy.Engine(timeout=0.5)
        self.session = self.engine.session(
            {"data_dir": str(DATA)}, capabilities=[f"file.read:{DATA}/vip.txt"])
        self.session.exec(plugin.read_text(encoding="utf-8"),
                          filename=plugin.name).raise_for_error()
        self.tickets: list[dict[str, Any]] = []
        self.problems: list[mlpy.MLError] = []
        self.hooks = MLCallbackRegistry(self.session)
        # Every on_* function is an event hook, registered as "open", "close", ...; a hook
        # that fails is reported and gives None.
        self.hooks.register_all(prefix="on_", strip_prefix=True,
                                error_handler=self.hook_failed)
        # A ticket the rule cannot score goes last; one it cannot judge stays visible.
        self.urgency = self.hooks.register("urgency", default_return=UNSCORED)
        self.visible = self.hooks.register("visible", default_return=True)
        # The preview reads what the customer named, so it runs under the grants of the
        # call (the customer's), not those of the plug-in.
        self.preview = self.hooks.register(
            "preview", capabilities="caller", error_handler=self.no_preview)
    # [/setup]

    def hook_failed(self, error: mlpy.MLError) -> None:
        """A hook's failure goes to the operator (its ``execution_id`` is the one the log
        line has); the ticket goes on without what the hook would have added."""
        self.problems.append(error)

    @staticmethod
    def no_preview(error: mlpy.MLError) -> str:
        if isinstance(error, mlpy.CapabilityError):
            return f"(refused: needs {error.required})"
        return "(no preview)"

    # [pipeline]
    def open(self, ticket: dict[str, Any]) -> None:
        ticket["tags"] = self.hooks["open"](ticket) or []
        self.tickets.append(ticket)

    def close(self, ticket: dict[str, Any]) -> str | None:
        self.tickets.remove(ticket)
        return self.hooks["close"](ticket)

    def queue(self) -> list[dict[str, Any]]:
        """The visible tickets, most urgent first: the ML functions are the filter and the
        sort key."""
        return sorted(filter(self.visible, self.tickets), key=self.urgency)

    def attachment(self, ticket: dict[str, Any]) -> str:
        """The first line of the ticket's attachment, read with the grants of its customer:
        their own uploads."""
        customer_uploads = f"file.read:{DATA}/uploads/{ticket['customer']}/**"
        with mlpy.capability_scope([customer_uploads]):
            return self.preview(ticket)
    # [/pipeline]

    # [reload]
    def load(self, plugin: Path) -> None:
        """Run more of the plug-in in its session: a function it redefines is what the
        registered callbacks call from now on (they look the name up at every call)."""
        self.session.exec(plugin.read_text(encoding="utf-8"),
                          filename=plugin.name).raise_for_error()

    def report(self) -> dict[str, tuple[int, int]]:
        """Calls and failures of each callback so far."""
        return {name: (hook.stats.calls, hook.stats.errors) for name, hook in self.hooks.items()}
    # [/reload]


TICKETS = [
    {"id": 1, "customer": "bob", "subject": "Invoice question", "hours": 30,
     "status": "open", "attachment": "uploads/bob/invoice.txt"},
    {"id": 2, "customer": "ada", "subject": "EU outage", "hours": 2,
     "status": "open", "attachment": "uploads/ada/screenshot.txt"},
    {"id": 3, "customer": "eve", "subject": "Cheap watches", "hours": 1,
     "status": "spam", "attachment": ""},
    {"id": 4, "customer": "eve", "subject": "Site down", "hours": None,
     "status": "open", "attachment": "uploads/eve/../bob/invoice.txt"},
    {"id": 5, "customer": "lin", "subject": None, "hours": 5,
     "status": "open", "attachment": "uploads/lin/log.txt"},
]


# [main]
def main() -> None:
    # Each swallowed failure is logged at WARNING on "mlpy.callbacks"; this desk reports
    # them itself (desk.problems), so it keeps that log quiet.
    logging.getLogger("mlpy.callbacks").addHandler(logging.NullHandler())
    desk = HelpDesk()
    for ticket in TICKETS[:4]:
        desk.open(ticket)
    desk.load(HERE / "hotfix.ml")  # "down" means an outage from now on
    desk.open(TICKETS[4])
    desk.open(dict(TICKETS[3], id=6))
    for ticket in desk.queue():
        print(f"#{ticket['id']} {ticket['customer']}: {ticket['subject']} "
              f"{ticket['tags']} -> {desk.attachment(ticket)}")
    print(desk.close(TICKETS[1]))
    for error in desk.problems:
        print(f"problem: {error.message} ({error.ml_file}:{error.ml_line})")
    print(desk.report())
# [/main]


if __name__ == "__main__":
    main()
