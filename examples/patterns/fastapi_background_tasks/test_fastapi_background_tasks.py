"""The background-task import service, driven through FastAPI's TestClient.

The TestClient runs a request's background tasks before it returns the response, so the
outcome is there when the test asks for it; a real server sends the 202 first."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

with warnings.catch_warnings():  # Starlette's TestClient may warn about its httpx version
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_fastapi_background_tasks_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
CONTACTS = [{"email": "ada@example.com", "customer_id": 7},
            {"email": "nobody", "customer_id": 99}]
SALES = {"Authorization": "Bearer sales-token"}


@pytest.fixture
def client():
    with TestClient(example.create_app()) as client:  # starts and stops the AsyncEngine
        yield client


def test_an_import_is_accepted_at_once_and_checked_in_the_background(client):
    accepted = client.post("/imports", json=CONTACTS, headers=SALES)
    assert accepted.status_code == 202
    assert accepted.headers["Location"] == f"/imports/{accepted.json()['id']}"
    assert client.get(accepted.headers["Location"]).json() == {"status": "checked", "contacts": [
        {"problems": []},
        {"problems": ["email is not an address", "no customer 99"]}]}


def test_the_background_task_runs_under_the_grants_of_its_request(client):
    # Without the token the request holds no grants, and neither does its task.
    accepted = client.post("/imports", json=CONTACTS[:1])
    outcome = client.get(accepted.headers["Location"]).json()
    assert outcome["contacts"][0]["error"]["status"] == 403
    assert outcome["contacts"][0]["error"]["detail"] == (
        "check.ml:10:10: this needs the capability 'crm.read', which was not granted")
    # The next request with the token is not affected by the one without, and vice versa.
    accepted = client.post("/imports", json=CONTACTS[:1], headers=SALES)
    assert client.get(accepted.headers["Location"]).json()["contacts"] == [{"problems": []}]
    accepted = client.post("/imports", json=CONTACTS[:1])
    assert client.get(accepted.headers["Location"]).json()["contacts"][0]["error"][
        "status"] == 403


def test_a_contact_whose_check_fails_fails_alone(client):
    # A list is no customer id: the host function raises, and only that contact fails.
    odd = {"email": "bob@example.com", "customer_id": [7]}
    accepted = client.post("/imports", json=[{"customer_id": 7}, odd], headers=SALES)
    contacts = client.get(accepted.headers["Location"]).json()["contacts"]
    assert contacts[0] == {"problems": ["email is not an address"]}
    assert contacts[1]["error"]["status"] == 500
    assert contacts[1]["error"]["detail"] == (
        "check.ml:10:10: a host function called by the ML code failed")


def test_an_unknown_import_is_404(client):
    assert client.get("/imports/nothing").status_code == 404
