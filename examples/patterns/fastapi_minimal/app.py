"""The smallest FastAPI service that runs ML: one endpoint awaits an ML function.

The application's lifespan owns an AsyncEngine (a bounded pool of worker threads), so ML
never blocks the event loop; an ``MLError`` becomes an ``application/problem+json``
answer. Run it with ``python app.py`` (or ``uvicorn app:app``) and try::

    curl -X POST localhost:8000/shipping -H 'Content-Type: application/json' \\
         -d '{"country": "FR", "weight_kg": 3.5}'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.fastapi import get_async_engine, install_error_handlers, mlpy_lifespan

HERE = Path(__file__).resolve().parent

# Compiled once, when the service starts: a broken rule fails the deployment, not a request.
SHIPPING = mlpy.compile(HERE / "shipping.ml")

# The lifespan creates an AsyncEngine on app.state.mlpy and closes it at shutdown.
app = FastAPI(lifespan=mlpy_lifespan)
install_error_handlers(app)  # an MLError becomes a problem+json response


@app.post("/shipping")
async def shipping(parcel: dict[str, Any],
                   ml: Annotated[AsyncEngine, Depends(get_async_engine)]) -> dict[str, Any]:
    # Runs on a worker thread; the event loop serves other requests meanwhile.
    cost = await ml.call(SHIPPING, "shipping_cost", parcel, timeout=1.0)
    return {"cost": cost}


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
