"""ML calls a REST API through a host function that checks a scoped network grant.

``serve()`` starts a small rates API on 127.0.0.1, on a free port (port 0), standing in for
the real service. ``RatesClient.get_rate`` is the only way ML reaches it: a host function
that builds the URL itself, checks it against the execution's ``network.http`` grant with
``mlpy.require``, fetches it with a timeout and returns plain data. Run it with
``python app.py``.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import mlpy
from mlpy.capabilities import canonical_url

HERE = Path(__file__).resolve().parent
RATES = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}


# [server]
def serve(rates: dict[str, float]) -> ThreadingHTTPServer:
    """A rates API on 127.0.0.1 and a free port: GET /rates/<currency> -> {"rate": ...}."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.paths.append(self.path)
            currency = self.path.removeprefix("/rates/")
            found = self.path.startswith("/rates/") and currency in rates
            body = json.dumps({"rate": rates[currency]} if found else {"error": "unknown"})
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:  # keep the console quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.paths = []  # every path requested, for the tests
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()  # a short poll: shutdown() returns at once
    return server
# [/server]


class RatesClient:
    """The host side of the API: ML gets ``get_rate`` and nothing else."""

    def __init__(self, base_url: str, timeout: float = 2.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.get_rate = mlpy.host_function(self._get_rate, name="get_rate",
                                           capabilities=["network.http"])

    # [get-rate]
    def _get_rate(self, currency: str) -> float:
        """The rate of ``currency`` to euros."""
        path = urllib.parse.quote(str(currency), safe="")  # one path segment, whatever it says
        url = str(canonical_url(f"{self.base_url}/rates/{path}"))
        mlpy.require("network.http", url)  # the grant's scope must admit this very URL
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                return float(json.load(response)["rate"])
        except urllib.error.HTTPError as error:
            raise LookupError(f"no rate (HTTP {error.code})") from None
    # [/get-rate]

    # [convert]
    def convert(self, lines: list[dict]) -> mlpy.ExecutionResult:
        grant = f"network.http:{self.base_url}/rates/**"  # this API's rates, nothing else
        return engine.execute(program, {"lines": lines, "get_rate": self.get_rate},
                              capabilities=[grant])
    # [/convert]


engine = mlpy.Engine(timeout=5.0)  # above the client's own 2 s timeout per request
program = engine.compile((HERE / "convert.ml").read_text(encoding="utf-8"),
                         filename="convert.ml", inputs=["lines", "get_rate"])


def main() -> None:
    server = serve(RATES)
    try:
        client = RatesClient(f"http://127.0.0.1:{server.server_address[1]}")
        lines = [{"amount": 100, "currency": "USD"}, {"amount": 10, "currency": "GBP"},
                 {"amount": 5, "currency": "XYZ"}]
        print(client.convert(lines).unwrap())
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
