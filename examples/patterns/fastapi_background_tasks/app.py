"""FastAPI: accept a batch at once (``202``) and check it afterwards, in a background task.

``POST /imports`` takes a list of contacts and answers ``202`` with the import's URL at
once. A ``BackgroundTasks`` task -- which Starlette runs after the response has been sent,
still inside the request -- checks every contact with an ML rule on the application's
AsyncEngine (``map``: at most four at a time, each under a time limit) and stores the
outcome; ``GET /imports/{id}`` answers ``"checking"`` until then. The request's grants
come from CapabilityMiddleware, and since the task runs inside the same request, its ML
runs under the same grants: only a token with ``crm.read`` may look customers up. Run it
with ``python app.py`` (or ``uvicorn app:app``) and try::

    curl -X POST localhost:8000/imports -H 'Authorization: Bearer sales-token' \\
         -H 'Content-Type: application/json' -d '[{"email": "ada@example.com", "customer_id": 7}]'
    curl localhost:8000/imports/<the id it answered>
"""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Response

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.asgi import CapabilityMiddleware
from mlpy.integration.fastapi import get_async_engine, mlpy_lifespan
from mlpy.integration.http import problem_details

HERE = Path(__file__).resolve().parent
CUSTOMERS = {7, 12}  # a real service asks its CRM
TOKENS = {b"Bearer sales-token": mlpy.CapabilitySet.parse(["crm.read"])}
CHECK_TIMEOUT = 1.0  # seconds for one contact


@mlpy.host_function(capabilities=["crm.read"])
def customer_exists(customer_id: Any) -> bool:
    return customer_id in CUSTOMERS


def grants_for(scope: dict[str, Any]) -> mlpy.CapabilitySet | None:
    """The request's grants, from its bearer token (an ASGI scope); none without one."""
    return TOKENS.get(dict(scope["headers"]).get(b"authorization", b""))


# [app]
CHECK = mlpy.compile(HERE / "check.ml")


async def check_import(ml: AsyncEngine, imports: dict[str, Any], import_id: str,
                       contacts: list[dict[str, Any]]) -> None:
    """The background task: check every contact, then store the outcome."""
    results = await ml.map((CHECK, "check"),
                           [(contact, customer_exists) for contact in contacts],
                           timeout=CHECK_TIMEOUT)
    imports[import_id] = {"status": "checked", "contacts": [
        {"problems": result.value} if result.success
        else {"error": problem_details(result.error_info)}
        for result in results]}


def create_app() -> FastAPI:
    app = FastAPI(lifespan=partial(mlpy_lifespan, max_workers=4, max_pending=1000))
    app.add_middleware(CapabilityMiddleware, resolver=grants_for)
    imports: dict[str, Any] = {}  # import id -> its status (a real service: a database)

    @app.post("/imports", status_code=202)
    async def start_import(contacts: list[dict[str, Any]], tasks: BackgroundTasks,
                           response: Response,
                           ml: Annotated[AsyncEngine, Depends(get_async_engine)]):
        import_id = uuid.uuid4().hex
        imports[import_id] = {"status": "checking"}
        # Runs after the 202 has been sent, under this request's grants.
        tasks.add_task(check_import, ml, imports, import_id, contacts)
        response.headers["Location"] = f"/imports/{import_id}"
        return {"id": import_id}

    @app.get("/imports/{import_id}")
    async def get_import(import_id: str) -> dict[str, Any]:
        if import_id not in imports:
            raise HTTPException(status_code=404)
        return imports[import_id]

    return app
# [/app]


app = create_app()

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
