"""An invoicing API on Flask whose prices are each team's own, read by an ML rule under the
request's grants -- the application that test_integration_testing.py tests end to end
through Flask's test client.

The team comes from the ``X-Team`` header. The resolver turns it into the request's only
grant, reading that team's folder; a request without a known team is granted nothing, and
its rule is refused (``403``). The exchange rate is a host function that calls another
service, and the engine's time limit (2 s) bounds the whole rule, that call included
(``504``). Run it with ``python app.py`` and try::

    curl -X POST localhost:5000/invoice -H 'X-Team: acme' -H 'Content-Type: application/json' \\
         -d '{"currency": "USD", "items": [{"sku": "widget", "qty": 4}]}'
"""

from __future__ import annotations

from pathlib import Path

import flask

import mlpy
from mlpy.integration.flask import current_engine, init_app

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
TEAMS = {"acme", "globex"}


class ExchangeRates:
    """Stands in for the exchange-rate service the rule asks through a host function."""

    RATES = {"EUR": 1.0, "USD": 1.1}

    def rate(self, currency: str) -> float:
        return self.RATES[currency]


# [app]
def team_grants(request: flask.Request) -> list[str]:
    """The request's grants: reading its team's folder, or nothing for an unknown team."""
    team = request.headers.get("X-Team", "")
    return [f"file.read:{DATA / team}/**"] if team in TEAMS else []


def create_app(rates: ExchangeRates | None = None) -> flask.Flask:
    app = flask.Flask(__name__)
    engine = mlpy.Engine(timeout=2.0)
    init_app(app, engine, resolver=team_grants)  # per-request grants, problem responses
    rule = engine.compile((HERE / "invoice.ml").read_text(encoding="utf-8"),
                          filename="invoice.ml",
                          inputs=["items", "prices_path", "currency", "rate"])
    rate = mlpy.host_function((rates or ExchangeRates()).rate, name="rate")

    @app.post("/invoice")
    def invoice():
        body = flask.request.get_json()
        team = flask.request.headers.get("X-Team", "")
        variables = {"items": body["items"], "currency": body["currency"], "rate": rate,
                     "prices_path": str(DATA / team / "prices.json")}
        # No capabilities= here: the execution inherits the request's grants.
        return current_engine().execute(rule, variables).unwrap()

    return app
# [/app]


if __name__ == "__main__":
    create_app().run(port=5000)
