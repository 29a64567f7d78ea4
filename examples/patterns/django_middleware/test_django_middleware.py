"""The middleware example through Django's test clients, sync and async."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_django_middleware_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
# Django has one configuration per process: INSTALLED_APPS is set once, by whoever comes
# first (the mlpy app is all this example needs); the rest is overridden per test.
SITE = {name: value for name, value in example.SETTINGS.items() if name != "INSTALLED_APPS"}
SITE["ROOT_URLCONF"] = example
if not settings.configured:
    settings.configure(INSTALLED_APPS=example.SETTINGS["INSTALLED_APPS"], **SITE)
    django.setup()

INVOICE = {"country": "DE", "lines": [{"amount": 100}, {"amount": 50}]}
ACCOUNTANT = {"Authorization": "Bearer accountant-token"}


@pytest.fixture(autouse=True)
def site():
    with override_settings(**SITE):
        yield


def total(client, url="/invoices/total", invoice=INVOICE, headers=ACCOUNTANT):
    return client.post(url, invoice, content_type="application/json", headers=headers)


def test_an_accountant_gets_the_gross_total():
    assert total(Client()).json() == {"net": 150, "gross": 178.5}


def test_without_a_token_the_request_holds_no_grants():
    refused = total(Client(), headers={})
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"] == (
        "invoice.ml:13:47: this needs the capability 'tax.read', which was not granted")


def test_an_ml_exception_is_a_400_problem():
    bad = total(Client(), invoice={"country": "DE", "lines": [{"amount": -1}]})
    assert bad.status_code == 400
    assert bad.json()["detail"] == "invoice.ml:9:13: an invoice line cannot be negative"


def test_the_async_view_runs_under_the_request_grants_too():
    async def both():
        client = AsyncClient()
        return [await total(client, "/invoices/total-async", headers=headers)
                for headers in (ACCOUNTANT, {})]

    allowed, refused = asyncio.run(both())
    assert allowed.json() == {"net": 150, "gross": 178.5}
    assert refused.status_code == 403


def test_concurrent_requests_never_see_each_others_grants():
    async def many():
        client = AsyncClient()
        headers = [ACCOUNTANT, {}] * 10
        answers = await asyncio.gather(*(total(client, "/invoices/total-async", headers=h)
                                         for h in headers))
        return [(bool(h), answer.status_code) for h, answer in zip(headers, answers)]

    assert asyncio.run(many()) == [(True, 200), (False, 403)] * 10
