"""The ``http`` module against a real server on 127.0.0.1: every request and every redirect
target is checked against the grant's scope before it is fetched."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from mlpy import Capability
from mlpy.stdlib.http_bridge import Http


class Handler(BaseHTTPRequestHandler):
    other = ""  # base URL of the second server (a host/port the grants never admit)
    hits: ClassVar[list[str]] = []

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        Handler.hits.append(f"{self.server.server_port} {self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        if path.endswith("/echo"):
            data = {"method": self.command, "path": self.path, "body": body,
                    "agent": self.headers.get("User-Agent"),
                    "type": self.headers.get("Content-Type"),
                    "token": self.headers.get("X-Token"),
                    "auth": self.headers.get("Authorization")}
            self._reply(200, json.dumps(data).encode(),
                        [("Content-Type", "application/json"), ("X-Multi", "a"),
                         ("X-Multi", "b")])
        elif path.startswith("/api/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._reply(code, f"status {code}".encode())
        elif path == "/api/redirect":
            self._reply(302, headers=[("Location", "/api/echo?from=redirect")])
        elif path == "/api/redirect-303":
            self._reply(303, headers=[("Location", "/api/echo")])
        elif path == "/api/redirect-307":
            self._reply(307, headers=[("Location", "/api/echo")])
        elif path == "/api/redirect-private":
            self._reply(302, headers=[("Location", "/private/echo")])
        elif path == "/api/redirect-other":
            self._reply(302, headers=[("Location", Handler.other + "/api/echo")])
        elif path == "/api/loop":
            self._reply(302, headers=[("Location", "/api/loop")])
        elif path == "/api/big":
            self._reply(200, b"x" * int(query.split("=")[1]))
        elif path == "/api/chunked":
            size = int(query.split("=")[1])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, size, 1000):
                part = b"y" * min(1000, size - start)
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/api/slow":
            time.sleep(3)
            self._reply(200, b"late")
        elif path == "/api/text":
            self._reply(200, "héllo".encode(), [("Content-Type", "text/plain; charset=utf-8")])
        else:
            self._reply(404, b"not found")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (timeout, size cap) is expected here


def _start():
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def base():
    server, other = _start(), _start()
    Handler.other = f"http://127.0.0.1:{other.server_port}"
    yield f"http://127.0.0.1:{server.server_port}"
    for each in (server, other):
        each.shutdown()
        each.server_close()


@pytest.fixture
def api(base):
    """A grant for the /api part of the test server only."""
    return f"network.http:{base}/api/**"


def test_get_returns_a_response_object(run, base):
    out = run.output(f"""
        import http;
        r = http.get("{base}/api/echo?x=1", {{"X-Token": "t1"}});
        print(typeof(r), r.status(), r.statusText(), r.ok());
        data = r.json();
        print(data.method, data.path, data.token, data.agent);
        h = r.headers();
        print(h["Content-Type"], h["X-Multi"]);
        print(r.body() == r.text());
    """, ["network.http"])
    assert out == ("HttpResponse 200 OK true\nGET /api/echo?x=1 t1 mlpy-http/1.0\n"
                   "application/json a, b\ntrue\n")


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_methods_with_a_body_send_json_or_text(run, base, method):
    out = run.output(f"""
        import http;
        r = http.{method}("{base}/api/echo", {{body: {{a: 1, b: [true, null]}}}});
        d = r.json();
        print(d.method, d.type, d.body);
        r = http.{method}("{base}/api/echo", {{body: "plain", headers: {{"X-Token": "t"}}}});
        d = r.json();
        print(d.body, d.type, d.token);
    """, ["network.http"])
    assert out == (f'{method.upper()} application/json {{"a": 1, "b": [true, null]}}\n'
                   "plain null t\n")


def test_delete_head_and_request(run, base):
    out = run.output(f"""
        import http;
        print(http.delete("{base}/api/echo").json().method);
        r = http.head("{base}/api/echo");
        print(r.status(), len(r.body()));
        r = http.request({{method: "put", url: "{base}/api/echo", body: "x"}});
        print(r.json().method, r.json().body);
        print(http.request({{url: "{base}/api/echo"}}).json().method);
    """, ["network.http"])
    assert out == "DELETE\n200 0\nPUT x\nGET\n"


def test_error_statuses_are_responses(run, base):
    out = run.output(f"""
        import http;
        for (code in [404, 500]) {{
            r = http.get("{base}/api/status/" + str(code));
            print(r.status(), r.ok(), r.text());
        }}
    """, ["network.http"])
    assert out == "404 false status 404\n500 false status 500\n"


def test_text_is_decoded_as_utf8(run, base):
    assert run.output(f'import http; print(http.get("{base}/api/text").text());',
                      ["network.http"]) == "héllo\n"


def test_redirects_are_followed_within_the_scope(run, base, api):
    out = run.output(f"""
        import http;
        print(http.get("{base}/api/redirect").json().path);
        d = http.post("{base}/api/redirect-303", {{body: "gone"}}).json();
        print(d.method, d.body);
        d = http.post("{base}/api/redirect-307", {{body: "kept"}}).json();
        print(d.method, d.body);
    """, [api])
    assert out == "/api/echo?from=redirect\nGET \nPOST kept\n"


def test_a_redirect_outside_the_scope_is_refused_before_it_is_fetched(run, base, api):
    Handler.hits.clear()
    error = run.refused(f'import http; http.get("{base}/api/redirect-private");', [api])
    assert "/private/echo" in str(error)
    assert not any("/private" in hit for hit in Handler.hits)


def test_a_redirect_to_another_port_is_refused(run, base):
    Handler.hits.clear()
    grant = f"network.http:{base}/**"
    error = run.refused(f'import http; http.get("{base}/api/redirect-other");', [grant])
    assert Handler.other in str(error)
    assert len(Handler.hits) == 1  # only the first request reached a server


def test_credentials_are_dropped_when_a_redirect_leaves_the_origin(base):
    # the host calls the bridge directly (trusted: no scope), so the redirect is followed
    response = Http().get(f"{base}/api/redirect-other", {"Authorization": "secret"})
    assert response.json()["auth"] is None
    response = Http().get(f"{base}/api/redirect", {"Authorization": "secret"})
    assert response.json()["auth"] == "secret"


def test_too_many_redirects(run, base):
    out = run.output(f"""
        import http;
        try {{ http.get("{base}/api/loop"); }} except (e) {{ print(e.type, e.message); }}
    """, ["network.http"])
    assert out == "RuntimeError Network error: more than 10 redirects\n"


def test_a_scoped_grant_refuses_other_paths(run, base, api):
    assert run.output(f'import http; print(http.get("{base}/api/echo").status());',
                      [api]) == "200\n"
    error = run.refused(f'import http; http.get("{base}/private/echo");', [api])
    assert error.required == "network.http"
    run.refused('import http; http.get("http://example.com/api/echo");', [api])


def test_no_grant_and_aliases_are_checked(run, base):
    for program in (f'import http; http.get("{base}/api/echo");',
                    f'import http; g = http.get; g("{base}/api/echo");',
                    f'import http; m = http; m.post("{base}/api/echo");',
                    f'import http; call(http.request, {{url: "{base}/api/echo"}});'):
        error = run.refused(program)
        assert error.required == "network.http"
    assert run.output(f'import http; g = http.get; print(g("{base}/api/echo").status());',
                      ["network.http"]) == "200\n"


def test_a_deny_wins(run, base):
    run.refused(f'import http; http.get("{base}/api/echo");', ["network.http"],
                deny=["network.*"])


def test_body_size_cap_and_grant_max_bytes(run, base, monkeypatch):
    grant = Capability.parse("network.http", max_bytes=100)
    assert run.output(f'import http; print(len(http.get("{base}/api/big?n=100").text()));',
                      [grant]) == "100\n"
    for path in ("big?n=101", "chunked?n=5000"):
        error = run.refused(f'import http; http.get("{base}/api/{path}");', [grant])
        assert "100 bytes" in str(error)
    monkeypatch.setattr("mlpy.stdlib.http_bridge.MAX_RESPONSE_SIZE", 1000)
    for path in ("big?n=2000", "chunked?n=2500"):
        out = run.output(f"""
            import http;
            try {{ http.get("{base}/api/{path}"); }} except (e) {{ print(e.type, e.message); }}
        """, ["network.http"])
        assert out.startswith("RuntimeError Network error:") and "1,000 bytes" in out


def test_timeout(run, base):
    started = time.monotonic()
    out = run.output(f"""
        import http;
        try {{ http.get("{base}/api/slow", null, 0.3); }}
        except (e) {{ print(e.type, e.message); }}
    """, ["network.http"])
    assert out.startswith("RuntimeError Network error: timed out")
    assert time.monotonic() - started < 2.5


def test_the_execution_time_limit_ends_a_request(base):
    import mlpy
    result = mlpy.Engine(capabilities=["network.http"], timeout=0.4).execute(
        f'import http; try {{ http.get("{base}/api/slow"); }} except (e) {{ print("caught"); }}',
        capture_output=True)
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert "caught" not in (result.stdout or "")


def test_network_failures_and_bad_urls(run):
    out = run.output("""
        import http;
        for (url in ["http://127.0.0.1:1/x", "ftp://example.com/", "not a url", "http://u:p@h/"]) {
            try { http.get(url); } except (e) { print(e.type, e.message.split(":")[0]); }
        }
        try { http.post("http://127.0.0.1:1/", {bogus: 1}); }
        except (e) { print(e.type); }
        try { http.get("http://127.0.0.1:1/", null, -1); } except (e) { print(e.type); }
    """, ["network.http"])
    assert out == ("RuntimeError Network error\nValueError Invalid URL\n"
                   "ValueError Invalid URL\nValueError Invalid URL\nValueError\nValueError\n")


def test_url_helpers_need_no_capability(run):
    out = run.output("""
        import http;
        print(http.encodeURI("a b/c?d"), http.decodeURI("a%20b%2Fc"));
        print(http.encodeQuery({a: 1, b: "x y", c: true, d: [1, 2]}));
        print(http.parseQuery("?a=1&a=2&b=x+y&c="));
        print(http.DEFAULT_TIMEOUT, http.MAX_RESPONSE_SIZE);
    """)
    assert out == ("a%20b/c%3Fd a b/c\na=1&b=x+y&c=true&d=1&d=2\n"
                   "{'a': ['1', '2'], 'b': 'x y'}\n30 10485760\n")


def test_responses_expose_only_their_methods(run, base):
    result = run(f'import http; r = http.get("{base}/api/echo"); x = r._status;',
                 ["network.http"])
    assert not result.ok
    result = run(f'import http; r = http.get("{base}/api/echo"); x = r.url();',
                 ["network.http"])
    assert not result.ok
