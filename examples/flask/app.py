"""A Flask service that prices orders with each tenant's own rules, written in ML.

Every tenant has a rules file in ``rules/``; the service compiles them at start-up. A
request names its tenant with an API key; the key also decides the request's grants: only
tenants on the "pro" plan may convert currencies (the host function ``fx_rate`` needs the
capability ``fx.read``). Run it with ``flask --app app run`` and try::

    curl -X POST localhost:5000/price -H 'X-Api-Key: key-acme' -H 'Content-Type: application/json' \\
         -d '{"currency": "USD", "items": [{"sku": "A-1", "price": 60, "qty": 2}]}'
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, request

import mlpy
from mlpy.integration.flask import current_engine, init_app

HERE = Path(__file__).resolve().parent

# [tenants]
# API key -> (tenant, plan). A real service reads these from its database.
API_KEYS = {"key-acme": ("acme", "pro"), "key-globex": ("globex", "basic"),
            "key-initech": ("initech", "basic")}
# Each plan's grants, parsed once rather than for every request.
PLAN_GRANTS = {"pro": mlpy.CapabilitySet.parse(["fx.read"]), "basic": mlpy.CapabilitySet()}
RATES = {"USD": 1.08, "GBP": 0.86}


@mlpy.host_function(capabilities=["fx.read"])
def fx_rate(currency):
    """The exchange rate from EUR to ``currency``."""
    return RATES[currency]


def grants_for(request):
    """The capabilities of a request: those of its tenant's plan; none for a bad key."""
    tenant = API_KEYS.get(request.headers.get("X-Api-Key", ""))
    return PLAN_GRANTS[tenant[1]] if tenant else None
# [/tenants]


# [app]
def create_app() -> Flask:
    app = Flask(__name__)
    # No rule may run longer than half a second (the step limit is a backstop behind it).
    engine = init_app(app, mlpy.Engine(timeout=0.5, max_steps=100_000_000), resolver=grants_for)
    app.extensions["rules"] = {
        path.stem: engine.compile(path.read_text(encoding="utf-8"), filename=path.name,
                                  inputs=["order", "fx_rate"])
        for path in sorted((HERE / "rules").glob("*.ml"))
    }

    @app.post("/price")
    def price():
        tenant = API_KEYS.get(request.headers.get("X-Api-Key", ""))
        if tenant is None:
            abort(401)
        rules = app.extensions["rules"][tenant[0]]
        # Runs in the request thread, under the grants the resolver gave this request.
        result = current_engine().execute(
            rules, {"order": request.get_json(), "fx_rate": fx_rate})
        return result.unwrap()  # an MLError becomes a problem response

    return app
# [/app]


app = create_app()
