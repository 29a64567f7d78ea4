"""Django: MLCapabilityMiddleware gives every request the grants of its token.

A whole project in one file, to keep the example small: the settings, two views (one sync,
one async) and the URLs. ``settings.MLPY`` names the resolver that turns a request into
its grants, and the keywords of the engine the mlpy app builds. Only an accountant's token
may read tax rates (the host function ``tax_rate`` needs ``tax.read``). Run it with
``python app.py runserver`` and try::

    curl -X POST localhost:8000/invoices/total -H 'Authorization: Bearer accountant-token' \\
         -d '{"country": "DE", "lines": [{"amount": 100}]}'
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import mlpy
from mlpy.integration.django import get_engine

HERE = Path(__file__).resolve().parent
RATES = {"DE": 0.19, "FR": 0.20}

# [grants]
# Token -> grants, parsed once. A real project verifies a signed token or asks its
# user model; the resolver only reads the request, it never writes.
TOKENS = {"Bearer accountant-token": mlpy.CapabilitySet.parse(["tax.read"])}


def grants_for(request: HttpRequest) -> mlpy.CapabilitySet | None:
    """The grants of the request's token; None (no grants) without a known one."""
    return TOKENS.get(request.headers.get("Authorization", ""))


@mlpy.host_function(capabilities=["tax.read"])
def tax_rate(country: str) -> float:
    return RATES[country]
# [/grants]


# [settings]
SETTINGS = {
    "INSTALLED_APPS": ["mlpy.integration.django.MLPyConfig"],  # builds the engine
    "MIDDLEWARE": ["mlpy.integration.django.MLCapabilityMiddleware"],
    "MLPY": {
        "RESOLVER": grants_for,  # or its dotted path: "billing.grants.grants_for"
        "ENGINE": {"timeout": 1.0, "max_steps": 10_000_000},  # keywords of mlpy.Engine
    },
    "ALLOWED_HOSTS": ["localhost", "127.0.0.1", "testserver"],
    "SECRET_KEY": "example only",
}
# ROOT_URLCONF is this module (see the end of the file).
# [/settings]

# [views]
INVOICE = mlpy.compile(HERE / "invoice.ml")


@csrf_exempt
@require_POST
def invoice_total(request: HttpRequest) -> JsonResponse:
    # In the request thread, under the grants the middleware gave this request; an MLError
    # becomes a problem+json response.
    totals = get_engine().call(INVOICE, "total", json.loads(request.body), tax_rate)
    return JsonResponse(totals)


@csrf_exempt
@require_POST
async def invoice_total_async(request: HttpRequest) -> JsonResponse:
    # Under ASGI: the grants follow the await into sync_to_async's thread.
    totals = await sync_to_async(get_engine().call)(
        INVOICE, "total", json.loads(request.body), tax_rate)
    return JsonResponse(totals)


urlpatterns = [path("invoices/total", invoice_total),
               path("invoices/total-async", invoice_total_async)]
# [/views]


if __name__ == "__main__":
    import django
    from django.conf import settings
    from django.core.management import execute_from_command_line

    settings.configure(**SETTINGS, ROOT_URLCONF=sys.modules[__name__])
    django.setup()
    execute_from_command_line(sys.argv)
