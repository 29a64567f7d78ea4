"""Starlette: ML evaluates every message of a websocket, with state per connection.

Each connection gets an ML session of its own (``monitor.ml``), so the readings it
remembers belong to that connection only. Every message is evaluated on the
application's AsyncEngine under a time limit; a message the rule refuses is answered with
a problem body (the same one an HTTP error gets) and the connection stays open. Serving
websockets needs a websocket library beside uvicorn (``pip install 'uvicorn[standard]'``);
then run it with ``python app.py`` (or ``uvicorn app:app``), connect a websocket client
to ``ws://localhost:8000/readings`` and send ``{"sensor": "oven", "celsius": 71}``.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.http import problem_details

HERE = Path(__file__).resolve().parent
MESSAGE_TIMEOUT = 0.5  # seconds the rule may take for one message
NOT_JSON = {"status": 400, "title": "Bad Request", "detail": "a message must be JSON"}

# [app]
MONITOR = mlpy.compile(HERE / "monitor.ml")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # One AsyncEngine for the application's lifetime; closed when the server stops.
    async with AsyncEngine(max_workers=4, max_pending=200) as engine:
        app.state.ml = engine
        yield


async def readings(websocket: WebSocket) -> None:
    ml: AsyncEngine = websocket.app.state.ml
    await websocket.accept()
    # This connection's own session: its `recent` readings are no one else's.
    session = await ml.run_call(ml.engine.load, MONITOR)
    try:
        while True:
            try:
                reading = json.loads(await websocket.receive_text())
            except ValueError:
                await websocket.send_json({"error": NOT_JSON})
                continue
            try:
                verdict = await ml.call(session, "on_reading", reading,
                                        timeout=MESSAGE_TIMEOUT)
            except mlpy.MLError as error:  # the message is refused, not the connection
                await websocket.send_json({"error": problem_details(error)})
                continue
            await websocket.send_json(verdict)
    except WebSocketDisconnect:
        pass
    finally:
        session.close()


app = Starlette(routes=[WebSocketRoute("/readings", readings)], lifespan=lifespan)
# [/app]


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
