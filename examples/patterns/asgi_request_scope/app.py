"""Grants for one ASGI request from an async token lookup, and ML on the default AsyncEngine.

``app`` is a bare ASGI application (``uvicorn app:app``): ``GET /discount/<customer>``
answers the discount that ``discount.ml`` computes, ``GET /stats`` the engine's counters.
The request's bearer token is looked up in an async token store; ``request_scope`` awaits
that resolver and returns the capability scope of the token's grants. The endpoint enters it
around the rule only, and answers 401 itself when the resolver raises for an unknown token
(``CapabilityMiddleware``, which wraps a whole application, answers 500 then).

The rule runs with ``async_ml_execute``, the one-call API, on the process-wide default
AsyncEngine. The lifespan makes that engine what this service needs (two workers, a time
limit of one second) with ``set_default_async_engine``, and closes it at shutdown;
``default_async_engine().stats()`` is what ``/stats`` reports.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import mlpy
from mlpy.aio import (
    AsyncEngine,
    ExecutorStats,
    async_ml_execute,
    default_async_engine,
    set_default_async_engine,
)
from mlpy.integration.asgi import request_scope

RULE = Path(__file__).with_name("discount.ml").read_text(encoding="utf-8")
POINTS = {"ada": 1500, "bob": 250, "eve": 10}


@mlpy.host_function(capabilities=["loyalty.read"])
def loyalty_points(customer: str) -> int:
    return POINTS.get(customer, 0)


# [tokens]
class UnknownToken(Exception):
    """The request's token is not in the store: the endpoint answers 401."""


class TokenStore:
    """Bearer token -> grants. A real one asks a database or an identity provider."""

    def __init__(self) -> None:
        self.tokens = {"t-cashier": ["loyalty.read"], "t-kiosk": []}

    async def grants(self, token: str) -> list[str]:
        await asyncio.sleep(0)  # the I/O of a real lookup
        if token not in self.tokens:
            raise UnknownToken(token)
        return self.tokens[token]


tokens = TokenStore()


async def grants_for(scope: dict[str, Any]) -> list[str]:
    """The grants of the request's ``Authorization: Bearer <token>``."""
    headers = dict(scope.get("headers", []))
    token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
    return await tokens.grants(token)
# [/tokens]


# [endpoint]
async def discount(scope: dict[str, Any], customer: str) -> tuple[int, Any]:
    try:
        grants = await request_scope(grants_for, scope)  # awaits the async resolver
    except UnknownToken:
        return 401, {"error": "unknown token"}
    with grants:  # the token's grants, for this block only
        result = await async_ml_execute(RULE, context={"customer": customer,
                                                       "loyalty_points": loyalty_points})
    if isinstance(result.error_info, mlpy.CapabilityError):
        return 403, {"error": result.error_info.message}
    return 200, {"customer": customer, "discount": result.unwrap()}  # other errors: a 500
# [/endpoint]


# [lifespan]
def startup() -> AsyncEngine:
    """This service's default engine: two workers, a second per rule, 100 queued at most."""
    engine = AsyncEngine(max_workers=2, default_timeout=1.0, max_pending=100,
                         thread_name_prefix="discount")
    set_default_async_engine(engine)
    return engine


def shutdown(engine: AsyncEngine) -> None:
    set_default_async_engine(None)  # forget it first: no new job reaches a closing engine
    engine.shutdown(wait=True)


def stats() -> dict[str, int]:
    counters: ExecutorStats = default_async_engine().stats()
    return {"completed": counters.completed, "failed": counters.failed,
            "timeouts": counters.timeouts, "busy": counters.busy}
# [/lifespan]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI application: the lifespan, two routes, JSON answers."""
    if scope["type"] == "lifespan":
        engine = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                engine = startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if engine is not None:
                    shutdown(engine)
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path.startswith("/discount/"):
        status, body = await discount(scope, path.removeprefix("/discount/"))
    elif path == "/stats":
        status, body = 200, stats()
    else:
        status, body = 404, {"error": "no such page"}
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": data})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, port=8000)
