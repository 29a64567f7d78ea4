"""Tests of the Django example through Django's test client."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_django_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
# The example's settings; INSTALLED_APPS only once per process, when nothing set Django up.
SITE = {name: value for name, value in example.SETTINGS.items() if name != "INSTALLED_APPS"}
SITE["ROOT_URLCONF"] = example
if not settings.configured:
    settings.configure(INSTALLED_APPS=example.SETTINGS["INSTALLED_APPS"], **SITE)
    django.setup()

ORDER = {"currency": "EUR", "items": [{"sku": "A-1", "price": 60, "qty": 2}]}


@pytest.fixture
def client():
    with override_settings(**SITE):
        yield Client()


def price(client, key, order=ORDER, **changes):
    return client.post("/price", {**order, **changes}, content_type="application/json",
                       headers={"X-Api-Key": key})


def test_each_tenant_prices_with_its_own_rules(client):
    assert price(client, "key-acme").json() == {"currency": "EUR", "total": 108.0}
    assert price(client, "key-globex").json() == {"currency": "EUR", "total": 120}


def test_only_the_pro_plan_may_convert_currencies(client):
    assert price(client, "key-acme", currency="USD").json() == {"currency": "USD",
                                                                "total": 116.64}
    refused = price(client, "key-globex", currency="USD")
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "globex.ml:8:38: this needs the capability 'fx.read', which was not granted")


def test_a_rule_that_throws_is_a_400_with_its_position(client):
    bad = price(client, "key-acme", items=[{"sku": "A-1", "price": 60, "qty": 0}])
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["detail"] == "acme.ml:8:9: quantity must be positive"


def test_an_endless_rule_times_out_and_the_others_are_still_served(client):
    stuck = price(client, "key-initech")
    assert stuck.status_code == 504 and stuck.json()["code"] == "MLL001"
    assert price(client, "key-acme").status_code == 200


def test_an_unknown_key_is_refused(client):
    assert price(client, "key-nobody").status_code == 401


def test_the_system_check_passes_with_the_tenants_rules():
    from django.core.management import call_command

    with override_settings(**SITE):
        call_command("check")  # raises SystemCheckError if a check reports an error
        assert example.tenant_rules_compile() == []


def test_the_system_check_names_a_tenant_whose_rules_do_not_compile(monkeypatch):
    monkeypatch.setitem(example.RULES, "globex", "result = order.total +;")
    with override_settings(**SITE):
        [error] = example.tenant_rules_compile()
    assert error.id == "pricing.E001" and "the rules of globex do not compile" in error.msg
    assert "globex.ml:1" in error.msg
