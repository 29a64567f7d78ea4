"""Tests of callback_event_bus: ML handlers subscribed by name, failures isolated."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from pathlib import Path

import mlpy
from mlpy.aio import AsyncEngine, default_async_engine, set_default_async_engine

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_callback_event_bus_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def shop():
    bus, outbox, problems = app.EventBus(), app.Outbox(), []
    handlers = app.load_plugin(bus, outbox, problems)
    return bus, outbox, problems, handlers


def test_every_on_function_is_subscribed_under_its_event_name():
    _, _, _, handlers = shop()
    assert handlers.list_callbacks() == ["order_placed", "payment_failed", "refund_requested"]
    assert isinstance(handlers["order_placed"], mlpy.MLCallbackWrapper)


def test_a_handler_acts_through_the_host_function_it_was_given():
    bus, outbox, _, _ = shop()
    assert bus.publish("order_placed", {"id": "B-1", "total": 900}) == ["ok"]
    assert bus.publish("order_placed", {"id": "B-2", "total": 10}) == ["ok"]
    assert outbox.sent == [("sales", "large order B-1: 900 EUR")]


def test_a_failing_handler_is_skipped_and_the_other_subscribers_still_run(caplog):
    bus, _, problems, handlers = shop()
    seen = []
    bus.subscribe("refund_requested", seen.append)
    with caplog.at_level(logging.WARNING, logger="mlpy.callbacks"):
        results = bus.publish("refund_requested", {"order": "B-3"})
    assert results == ["failed", None]
    assert seen == [{"order": "B-3"}]
    assert problems == ["cannot read member 'tier' of null (handlers.ml:19)"]
    assert handlers["refund_requested"].stats.errors == 1
    assert any(record.execution_id for record in caplog.records)  # logged with its id


def test_a_plugin_update_takes_effect_at_the_next_event():
    bus, outbox, _, handlers = shop()
    handlers.session.exec('function on_order_placed(order) { send("ops", order.id); '
                          'return "v2"; }')
    assert bus.publish("order_placed", {"id": "B-4", "total": 1}) == ["v2"]
    assert outbox.sent == [("ops", "B-4")]


def test_events_published_from_many_threads_all_arrive():
    bus, outbox, _, _ = shop()

    def producer(n: int) -> None:
        for i in range(50):
            bus.publish("order_placed", {"id": f"T{n}-{i}", "total": 500})

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outbox.sent) == 200
    assert len(set(outbox.sent)) == 200


def test_a_handler_can_do_nothing_the_host_did_not_hand_it():
    # The plug-in's session holds no capability: send() is all it can do outside its own
    # values. A handler the plug-in adds later that reads a file is refused, and skipped.
    bus, _, problems, handlers = shop()
    handlers.session.exec('import file; function on_export(x) { return file.read(x); }')
    handlers.register("export", "on_export")
    bus.subscribe("export", handlers["export"])
    assert bus.publish("export", "/etc/hostname") == ["failed"]
    assert "file.read" in problems[0]


def test_from_asyncio_ml_handlers_run_on_workers_and_the_loop_stays_free():
    # The handler waits until a coroutine on the loop lets it go: were it run on the
    # loop's thread, that coroutine could never run, and the wait would end unset.
    bus, _, _, handlers = shop()
    loop_ran = threading.Event()
    thread_of = {}

    @mlpy.host_function
    def wait_for_the_loop() -> bool:
        thread_of["handler"] = threading.current_thread().name
        return loop_ran.wait(30)

    handlers.session.set("wait_for_the_loop", wait_for_the_loop)
    handlers.session.exec("function on_probe(x) { return wait_for_the_loop(); }")
    handlers.register("probe", "on_probe")
    bus.subscribe("probe", handlers["probe"])

    async def main():
        async with AsyncEngine(max_workers=1, thread_name_prefix="bus") as workers:
            set_default_async_engine(workers)
            try:
                published = asyncio.create_task(bus.publish_async("probe", None))
                await asyncio.sleep(0)
                loop_ran.set()  # runs while the handler waits
                return await published
            finally:
                set_default_async_engine(None)

    assert asyncio.run(main()) == [True]
    assert thread_of["handler"] == "bus-1"


def test_serve_consumes_the_queue_and_restores_the_default_engine():
    bus, outbox, problems, _ = shop()
    before = default_async_engine()
    asyncio.run(app.serve(bus, app.LATER_EVENTS))
    assert outbox.sent == [("sales", "large order A-19: 980 EUR")]
    assert len(problems) == 1  # the refund handler failed there too, and was skipped
    assert default_async_engine() is before


def test_main_prints_what_each_event_did(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines() == [
        "plug-in handles: ['order_placed', 'payment_failed', 'refund_requested']",
        "order_placed: ['ok']",
        "order_placed: ['ok']",
        "payment_failed: ['ok']",
        "refund_requested: ['failed', 'ok']",
        "order_placed (from asyncio): ['ok']",
        "refund_requested (from asyncio): ['failed', 'ok']",
        "sent: [('sales', 'large order A-17: 720 EUR'), "
        "('support', 'payment of order A-18 failed: card expired'), "
        "('sales', 'large order A-19: 980 EUR')]",
        "audited refunds: ['A-17', 'A-12']",
        "problems: [\"cannot read member 'tier' of null (handlers.ml:19)\", "
        "\"cannot read member 'tier' of null (handlers.ml:19)\"]",
    ]
