"""Tests of asgi_request_scope, driving the ASGI application as a server does."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import mlpy
from mlpy.aio import default_async_engine

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_asgi_request_scope_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


async def get(path, token=None):
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    scope = {"type": "http", "method": "GET", "path": path, "headers": headers}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app.app(scope, receive, send)
    return sent[0]["status"], json.loads(sent[1]["body"])


def serve(requests):
    """Start the app's lifespan, run ``requests()``, shut it down; what it returned."""
    async def main():
        inbox, outbox = asyncio.Queue(), asyncio.Queue()
        task = asyncio.create_task(app.app({"type": "lifespan"}, inbox.get, outbox.put))
        await inbox.put({"type": "lifespan.startup"})
        assert (await outbox.get())["type"] == "lifespan.startup.complete"
        try:
            return await requests()
        finally:
            await inbox.put({"type": "lifespan.shutdown"})
            assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
            await task

    return asyncio.run(main())


def test_the_token_with_the_grant_gets_the_discount():
    async def requests():
        return [await get(f"/discount/{who}", "t-cashier") for who in ("ada", "bob", "eve")]

    assert [body["discount"] for _, body in serve(requests)] == [15, 5, 0]


def test_a_token_without_the_grant_is_refused_by_the_rule_and_an_unknown_one_by_the_endpoint():
    async def requests():
        return await get("/discount/ada", "t-kiosk"), await get("/discount/ada", "forged")

    (kiosk_status, kiosk), unknown = serve(requests)
    assert kiosk_status == 403 and "loyalty.read" in kiosk["error"]
    assert unknown == (401, {"error": "unknown token"})


def test_concurrent_requests_keep_their_own_grants():
    async def requests():
        return await asyncio.gather(*(get("/discount/ada", token)
                                      for token in ["t-cashier", "t-kiosk"] * 10))

    statuses = [status for status, _ in serve(requests)]
    assert statuses == [200, 403] * 10


def test_the_grants_end_with_the_block():
    async def requests():
        await get("/discount/ada", "t-cashier")
        return len(mlpy.current_capabilities())

    assert serve(requests) == 0


def test_the_lifespan_sets_and_forgets_the_default_engine_and_stats_count_its_jobs():
    async def requests():
        engine = default_async_engine()
        await get("/discount/ada", "t-cashier")
        await get("/discount/ada", "t-kiosk")
        return engine, (await get("/stats"))[1]

    engine, counters = serve(requests)
    assert engine.closed
    assert counters == {"completed": 1, "failed": 1, "timeouts": 0, "busy": 0}
    assert default_async_engine() is not engine  # a fresh one once forgotten
