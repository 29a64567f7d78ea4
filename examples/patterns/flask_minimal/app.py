"""The smallest Flask service that runs ML: a view calls an ML function in its own thread.

Flask's workers are synchronous, so the view calls the engine directly; each thread runs
its own execution, under the engine's time limit (the ``MLPY_TIMEOUT`` config value).
``init_app`` also turns every ``MLError`` into an ``application/problem+json`` answer. Run
it with ``python app.py`` (or ``flask --app app run``) and try::

    curl -X POST localhost:5000/discount -H 'Content-Type: application/json' \\
         -d '{"total": 250, "loyalty_years": 4}'
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request

import mlpy
from mlpy.integration.flask import current_engine, init_app

HERE = Path(__file__).resolve().parent

# Compiled once, when the service starts: a broken rule fails the deployment, not a request.
DISCOUNT = mlpy.compile(HERE / "discount.ml")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["MLPY_TIMEOUT"] = 1.0  # seconds any ML call of this app may take
    init_app(app)  # an Engine with that limit, on app.extensions["mlpy"]

    @app.post("/discount")
    def discount():
        # Runs in this request's thread; an MLError becomes a problem response.
        percent = current_engine().call(DISCOUNT, "discount", request.get_json())
        return {"percent": percent}

    return app


app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
