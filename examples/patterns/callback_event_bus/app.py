"""An event bus whose subscribers include a plug-in's ML functions.

The shop publishes events (an order placed, a payment failed) on an in-process bus; Python
code and the ML plug-in ``handlers.ml`` subscribe to them alike. An
:class:`~mlpy.MLCallbackRegistry` registers every ``on_<event>`` function of the plug-in
as a callback, and each is subscribed to its event. A handler that fails is logged and
skipped: the event still reaches every other subscriber. Run it with ``python app.py``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlpy
from mlpy.aio import AsyncEngine, set_default_async_engine

# [bus]
class EventBus:
    """Publish/subscribe in one process: a handler is any callable taking the payload."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Callable[[Any], Any]]] = defaultdict(list)

    def subscribe(self, event: str, handler: Callable[[Any], Any]) -> None:
        self._handlers[event].append(handler)

    def publish(self, event: str, payload: Any) -> list[Any]:
        """Call every handler of ``event`` in turn; what each returned."""
        return [handler(payload) for handler in self._handlers[event]]

    async def publish_async(self, event: str, payload: Any) -> list[Any]:
        """The same, from asyncio code: an ML handler runs on a worker thread of the default
        AsyncEngine (``call_async``), so the event loop goes on meanwhile."""
        results = []
        for handler in self._handlers[event]:
            if isinstance(handler, mlpy.MLCallbackWrapper):
                results.append(await handler.call_async(payload))
            else:
                results.append(handler(payload))
        return results
# [/bus]


class Outbox:
    """Where the plug-in's messages go: a chat or mail gateway in a real shop."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, channel: str, text: str) -> None:
        self.sent.append((channel, text))


# [plugin]
def load_plugin(bus: EventBus, outbox: Outbox, problems: list[str]) -> mlpy.MLCallbackRegistry:
    """Run the plug-in, and subscribe each of its ``on_<event>`` functions to <event>."""
    send = mlpy.host_function(outbox.send, name="send")
    session = mlpy.Engine(timeout=0.5).load(Path(__file__).with_name("handlers.ml"),
                                            variables={"send": send})

    def failed(error: mlpy.MLError) -> str:
        # A handler's failure becomes its result "failed", and the bus goes on. mlpy has
        # already logged it on "mlpy.callbacks", with its execution id.
        problems.append(f"{error.message} ({Path(error.ml_file).name}:{error.ml_line})")
        return "failed"

    handlers = mlpy.MLCallbackRegistry(session, defaults={"error_handler": failed})
    handlers.register_all("on_", strip_prefix=True)
    for event, handler in handlers.items():
        bus.subscribe(event, handler)
    return handlers
# [/plugin]


EVENTS = [
    ("order_placed", {"id": "A-17", "total": 720}),
    ("order_placed", {"id": "A-18", "total": 35}),
    ("payment_failed", {"order": "A-18", "reason": "card expired"}),
    ("refund_requested", {"order": "A-17", "lines": 2}),
]
LATER_EVENTS = [  # what the asyncio consumer receives
    ("order_placed", {"id": "A-19", "total": 980}),
    ("refund_requested", {"order": "A-12", "lines": 1}),
]


# [consumer]
async def consume(bus: EventBus, events: asyncio.Queue) -> None:
    """Publish each event of the queue until it yields None."""
    while (item := await events.get()) is not None:
        event, payload = item
        print(f"{event} (from asyncio): {await bus.publish_async(event, payload)}")


async def serve(bus: EventBus, incoming: list[tuple[str, Any]]) -> None:
    """An asyncio consumer of the bus, fed through a queue (by a broker client, say)."""
    events: asyncio.Queue = asyncio.Queue()
    # The application's own workers for the ML handlers, with its limits; call_async uses
    # the default AsyncEngine, so this one is made the default while the consumer runs.
    async with AsyncEngine(max_workers=2, default_timeout=1.0) as workers:
        set_default_async_engine(workers)
        try:
            consumer = asyncio.create_task(consume(bus, events))
            for item in [*incoming, None]:
                await events.put(item)
            await consumer
        finally:
            set_default_async_engine(None)
# [/consumer]


# [main]
def main() -> None:
    bus, outbox, problems = EventBus(), Outbox(), []
    handlers = load_plugin(bus, outbox, problems)
    audit: list[str] = []
    bus.subscribe("refund_requested", lambda refund: audit.append(refund["order"]) or "ok")
    print("plug-in handles:", handlers.list_callbacks())
    for event, payload in EVENTS:
        print(f"{event}: {bus.publish(event, payload)}")
    asyncio.run(serve(bus, LATER_EVENTS))
    print("sent:", outbox.sent)
    print("audited refunds:", audit)
    print("problems:", problems)
# [/main]


if __name__ == "__main__":
    main()
