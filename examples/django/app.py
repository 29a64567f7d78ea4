"""A Django service that prices orders with each tenant's own rules, written in ML.

A whole project in one file, to keep the example small: the settings, the view and the
URLs. Every tenant has a rules file in ``rules/``, compiled at start-up. A request names its
tenant with an API key, which also decides its grants: only tenants on the "pro" plan may
convert currencies (the host function ``fx_rate`` needs the capability ``fx.read``). Run it
with ``python app.py runserver`` and try::

    curl -X POST localhost:8000/price -H 'X-Api-Key: key-acme' \\
         -d '{"currency": "USD", "items": [{"sku": "A-1", "price": 60, "qty": 2}]}'
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core import checks
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import mlpy
from mlpy.integration.django import create_engine, get_engine

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


# [settings]
SETTINGS = {
    "INSTALLED_APPS": ["mlpy.integration.django.MLPyConfig"],
    "MIDDLEWARE": ["mlpy.integration.django.MLCapabilityMiddleware"],
    "MLPY": {
        "RESOLVER": grants_for,  # or its dotted path, "pricing.grants.grants_for"
        # No rule may run longer than half a second; the step limit is a backstop far
        # behind it, so an endless rule always ends by its time limit.
        "ENGINE": {"timeout": 0.5, "max_steps": 100_000_000},
    },
    "ALLOWED_HOSTS": ["localhost", "127.0.0.1", "testserver"],
    "SECRET_KEY": "example only",
    "USE_TZ": True,
}
# ROOT_URLCONF is this module (see the end of the file).
# [/settings]

# [view]
RULES = {path.stem: path.read_text(encoding="utf-8") for path in (HERE / "rules").glob("*.ml")}


def rules_of(tenant: str) -> mlpy.Program:
    """The tenant's compiled rules: compiled once, then found in the engine's cache."""
    return get_engine().compile(RULES[tenant], filename=f"{tenant}.ml",
                                inputs=["order", "fx_rate"])


@csrf_exempt
@require_POST
def price(request):
    tenant = API_KEYS.get(request.headers.get("X-Api-Key", ""))
    if tenant is None:
        return HttpResponse(status=401)
    # Runs in the request thread, under the grants the middleware gave this request; an
    # MLError becomes a problem response.
    result = get_engine().execute(rules_of(tenant[0]),
                                  {"order": json.loads(request.body), "fx_rate": fx_rate})
    return JsonResponse(result.unwrap())


urlpatterns = [path("price", price)]
# [/view]


# [check]
@checks.register()
def tenant_rules_compile(app_configs: object = None, **kwargs: object) -> list[checks.Error]:
    """A system check (``python app.py check``, and before ``runserver``): every tenant's
    rules compile, so a broken rules file fails the deployment, not that tenant's requests.

    It compiles with an engine of its own, made from the same ``settings.MLPY["ENGINE"]`` as
    the views' one, and closed at once: the check leaves nothing in the serving engine."""
    errors = []
    with create_engine() as engine:
        for tenant, source in sorted(RULES.items()):
            try:
                engine.compile(source, filename=f"{tenant}.ml", inputs=["order", "fx_rate"])
            except mlpy.MLCompileError as error:
                errors.append(checks.Error(f"the rules of {tenant} do not compile: {error}",
                                           hint=f"fix rules/{tenant}.ml", id="pricing.E001"))
    return errors
# [/check]


if __name__ == "__main__":
    import django
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.configure(**SETTINGS, ROOT_URLCONF=sys.modules[__name__])
    django.setup()
    execute_from_command_line(sys.argv)
