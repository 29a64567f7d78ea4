"""Tests of the REST-client example against a real local server on a free port."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_rest_client_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()
LINES = [{"amount": 100, "currency": "USD"}, {"amount": 10, "currency": "GBP"}]


@pytest.fixture
def server():
    server = app.serve(app.RATES)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(server):
    return app.RatesClient(f"http://127.0.0.1:{server.server_address[1]}")


def test_lines_are_converted_with_the_served_rates(client, server):
    result = client.convert(LINES).unwrap()
    assert result == {"total_eur": pytest.approx(103.7), "skipped": []}
    assert server.paths == ["/rates/USD", "/rates/GBP"]


def test_an_unknown_currency_is_an_error_ml_catches(client):
    result = client.convert([{"amount": 5, "currency": "XYZ"}]).unwrap()
    assert result["skipped"] == ["XYZ: get_rate() failed: no rate (HTTP 404)"]


def test_a_grant_for_another_server_admits_no_request(client, server):
    result = app.engine.execute(app.program, {"lines": LINES, "get_rate": client.get_rate},
                                capabilities=["network.http:http://127.0.0.1:1/rates/**"])
    skipped = result.unwrap()["skipped"]
    assert len(skipped) == 2 and all("scope does not include" in s for s in skipped)
    assert server.paths == []  # refused before any connection


def test_without_a_grant_the_host_function_is_refused(client, server):
    result = app.engine.execute(app.program, {"lines": LINES, "get_rate": client.get_rate})
    assert all("requires the capability 'network.http'" in s
               for s in result.unwrap()["skipped"])
    assert server.paths == []


def test_a_currency_cannot_steer_the_url_out_of_the_scope(client, server):
    result = client.convert([{"amount": 1, "currency": "../admin"}]).unwrap()
    [skipped] = result["skipped"]
    assert "/rates/..%2Fadmin', whose granted scope does not include it" in skipped
    assert server.paths == []  # an escaped slash is never read as inside the scope


def test_main_prints_the_total(capsys):
    app.main()
    assert capsys.readouterr().out == (
        "{'total_eur': 103.7, 'skipped': ['XYZ: get_rate() failed: no rate (HTTP 404)']}\n")
