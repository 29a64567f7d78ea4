"""Network scopes hold however a URL is written, and the URL checked is the URL fetched.

A scope is matched on the canonical form of the URL (``mlpy.capabilities.canonical_url``):
dot segments resolved (also written ``%2e``), escapes normalised, ``\\`` read as ``/``,
repeated slashes merged, scheme and host in lower case, the host IDNA-encoded without its
trailing dot, IP addresses in one form, the port explicit. Readings a server may choose
(``%2F`` as a separator, ``;`` parameters, double escapes, case) are looked at too: a grant
must admit every reading, a deny takes a URL when it catches any. The http module fetches
exactly the canonical form, so no second parser can read the URL another way.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlpy
from mlpy import CapabilityError, MLConfigurationError
from mlpy.capabilities import canonical_url

from .conftest import REACHED, run

API = "network.http:http://h.example:8080/api/**"
BASE = "http://h.example:8080"

# (url, admitted by API)
API_SCOPE = [
    (f"{BASE}/api", True),
    (f"{BASE}/api/", True),
    (f"{BASE}/api/x?next=../../private", True),  # the query is not a path
    (f"{BASE}/api/x#/../../private", True),  # the fragment is never sent
    ("HTTP://H.EXAMPLE:8080/api/x", True),
    ("http://h.example.:8080/api/x", True),
    (f"{BASE}/api/./x", True),
    (f"{BASE}/api/x/../y", True),
    (f"{BASE}//api//x", True),
    (f"{BASE}/%61pi/x", True),
    (f"{BASE}/api/%7Euser", True),
    (f"{BASE}/api/group%2Fproject", True),  # an encoded slash that stays inside the scope
    (f"{BASE}/api/items;v=2", True),
    ("http://h.example:08080/api/x", True),
    # dot segments, however they are written
    (f"{BASE}/api/../private/x", False),
    (f"{BASE}/api/%2e%2e/private/x", False),
    (f"{BASE}/api/%2E%2E/private/x", False),
    (f"{BASE}/api/.%2e/private/x", False),
    (f"{BASE}/api/%2e./private/x", False),
    (f"{BASE}/api/x/../../private", False),
    (f"{BASE}/api/..", False),
    (f"{BASE}/api/%2e%2e", False),
    # backslashes, encoded separators, parameters, double escapes
    (f"{BASE}/api\\..\\private", False),
    (f"{BASE}/api/..\\private", False),
    (f"{BASE}/api/%5c..%5cprivate", False),
    (f"{BASE}/api/x%2F..%2F..%2Fprivate", False),
    (f"{BASE}/api/x%2f..%2f..%2fprivate", False),
    (f"{BASE}/api/..;/private", False),
    (f"{BASE}/api/..;x=1/private", False),
    (f"{BASE}/api/%252e%252e/private", False),
    (f"{BASE}/api/%25252e%25252e/private", False),
    (f"{BASE}/api/%2e%2e%2fprivate", False),
    (f"{BASE}/api/\uff0e\uff0e/private", False),  # full-width dots, folded by some servers
    (f"{BASE}/api/%EF%BC%8E%EF%BC%8E%EF%BC%8Fprivate", False),
    # the path is compared with case, and only whole segments
    (f"{BASE}/API/x", False),
    (f"{BASE}/apix", False),
    (f"{BASE}/api-private/x", False),
    # user information, where parsers disagree on the host
    ("http://a@h.example:8080/api/x", False),
    ("http://h.example:8080@evil.example:8080/api/x", False),
    ("http://evil.example\\@h.example:8080/api/x", False),
    ("http://h.example:8080%2F@evil.example/api/x", False),
    ("http://evil.example#@h.example:8080/api/x", False),
    # other hosts, ports and schemes
    ("http://h.example:8081/api/x", False),
    ("http://h.example/api/x", False),
    ("https://h.example:8080/api/x", False),
    ("http://h.example.evil:8080/api/x", False),
    ("http://evilh.example:8080/api/x", False),
    ("http://h.example..:8080/api/x", False),
    ("http://h%2eexample:8080/api/x", False),
    # not URLs a client could fetch the same way
    (f"{BASE}/api/%zz", False),
    (f"{BASE}/api/x%", False),
    (f"{BASE}/api/\x00x", False),
    (f"{BASE}/api/\tx", False),
    (f"{BASE}/api/ x", False),
    ("http:\\\\h.example:8080/api/x", False),
    ("http:/h.example:8080/api/x", False),
    ("//h.example:8080/api/x", False),
    ("http://h.example:99999/api/x", False),
    ("http://h.example:+8080/api/x", False),
]


@pytest.mark.parametrize(("url", "admitted"), API_SCOPE)
def test_a_path_scope_holds_however_the_url_is_written(url, admitted):
    assert mlpy.Capabilities.parse([API]).allows("network.http", url) is admitted


# (grant scope, url, admitted)
HOSTS = [
    ("https://bücher.example/**", "https://xn--bcher-kva.example/x", True),
    ("https://bücher.example/**", "https://BÜCHER.example/x", True),
    ("https://bücher.example/**", "https://bu\u0308cher.example/x", True),  # combining mark
    ("https://bücher.example/**", "https://ｂüｃｈｅｒ．example/x", True),  # full width
    ("https://bücher.example/**", "https://bucher.example/x", False),
    ("https://xn--bcher-kva.example/**", "https://bücher.example/x", True),
    ("*.bücher.example", "https://api.xn--bcher-kva.example/", True),
    ("http://[::1]:8080/**", "http://[0:0:0:0:0:0:0:1]:8080/x", True),
    ("http://[::1]:8080/**", "http://[::0001]:8080/x", True),
    ("http://[::1]:8080/**", "http://[::2]:8080/x", False),
    ("http://[::1]:8080/**", "http://[::1%25lo]:8080/x", False),
    ("http://10.0.0.1/**", "http://10.1/x", True),  # what the resolver connects to
    ("http://10.0.0.1/**", "http://012.0.0.1/x", True),  # octal 012 is 10
    ("http://10.0.0.1/**", "http://010.0.0.1/x", False),  # octal 010 is 8
    ("http://10.0.0.1/**", "http://167772161/x", True),
    ("http://10.0.0.1/**", "http://0xa.0.0.1/x", True),
    ("http://10.0.0.1/**", "http://[::ffff:10.0.0.1]/x", True),
    ("http://10.0.0.1/**", "http://10.0.0.1.1/x", False),
    ("http://10.0.0.1/**", "http://10.0.0.256/x", False),
    ("10.0.0.*", "http://10.0.0.9:5000/x", True),
    ("10.0.0.*", "http://10.9/x", True),  # 10.0.0.9
    ("10.0.0.*", "http://10.1.0.9/x", False),
    ("http://api.example/**", "http://api.example:80/x", True),
    ("https://api.example/**", "https://api.example:443/x", True),
    ("api.example:443", "https://API.EXAMPLE./x", True),
    ("api.example:443", "http://api.example/x", False),
]


@pytest.mark.parametrize(("scope", "url", "admitted"), HOSTS)
def test_hosts_and_ports_are_compared_in_one_form(scope, url, admitted):
    caps = mlpy.Capabilities.parse([f"network.http:{scope}"])
    assert caps.allows("network.http", url) is admitted


# (deny scope, url) -- the grant is network.http with no scope, so only the deny can refuse
DENIED = [
    ("127.0.0.1", "http://127.0.0.1/"),
    ("127.0.0.1", "http://127.1/"),
    ("127.0.0.1", "http://2130706433/"),
    ("127.0.0.1", "http://0x7f000001/"),
    ("127.0.0.1", "http://0x7f.0.0.1/"),
    ("127.0.0.1", "http://0177.0.0.1/"),
    ("127.0.0.1", "http://127.0.0.1./"),
    ("127.0.0.1", "http://[::ffff:127.0.0.1]/"),
    ("127.0.0.1", "http://[::ffff:7f00:1]/"),
    ("127.0.0.1", "http://127.1:99999/"),  # no URL at all: nobody can say where it leads
    ("127.0.0.1", "http://a@127.0.0.1/"),
    ("127.0.0.1", "not a url"),
    ("*.internal", "http://db.INTERNAL./"),
    ("*.internal", "http://db.internal:5432/x"),
    ("http://h.example/private/**", "http://h.example/private"),
    ("http://h.example/private/**", "http://h.example//private/x"),
    ("http://h.example/private/**", "http://h.example/PRIVATE/x"),
    ("http://h.example/private/**", "http://h.example/Private/x"),
    ("http://h.example/private/**", "http://h.example/%70rivate/x"),
    ("http://h.example/private/**", "http://h.example/%50RIVATE/x"),
    ("http://h.example/private/**", "http://h.example/x/../private/x"),
    ("http://h.example/private/**", "http://h.example/x/%2e%2e/private/x"),
    ("http://h.example/private/**", "http://h.example/x%2F..%2Fprivate/x"),
    ("http://h.example/private/**", "http://h.example/x/..;/private/x"),
    ("http://h.example/private/**", "http://h.example/private;jsessionid=1/x"),
    ("http://h.example/private/**", "http://h.example/x/%252e%252e/private/x"),
    ("http://h.example/private/**", "http://h.example/private%2Fx"),
    ("http://h.example/private/**", "http://h.example/x/\uff0e\uff0e\uff0fprivate/x"),
    ("http://h.example/private/**", "http://h.example/\uff50rivate/x"),
    ("http://h.example/private/**", "http://h.example\\private\\x"),
    ("http://h.example/private/**", "http://H.example.:80/private/x"),
]


@pytest.mark.parametrize(("deny", "url"), DENIED)
def test_a_deny_takes_every_reading_of_a_url(deny, url):
    caps = mlpy.Capabilities.parse(["network.http"], deny=[f"network.http:{deny}"])
    assert not caps.allows("network.http", url)


@pytest.mark.parametrize("url", ["http://127.0.0.2/", "http://h.example/public/x",
                                 "http://h.example/privatex", "http://h.example/x/private"])
def test_a_deny_leaves_what_no_reading_puts_in_its_scope(url):
    caps = mlpy.Capabilities.parse(["network.http"], deny=[
        "network.http:127.0.0.1", "network.http:http://h.example/private/**"])
    assert caps.allows("network.http", url)


@pytest.mark.parametrize("scope", [
    "http://h.example/api?x=1", "http://h.example/api#x", "http://u@h.example/",
    "http://h..example/", "http://1.2.3.4.5/", "http://h.example/%zz/**", "bad host:80",
])
def test_a_scope_that_cannot_mean_what_it_says_is_a_configuration_error(scope):
    with pytest.raises(MLConfigurationError, match="network scope"):
        mlpy.Capability.parse(f"network.http:{scope}")


# ----------------------------------------------------------------------------- one reading

URL_TEXT = st.text(st.sampled_from(list("aA0./\\%2eEfF;@:[]?#~-_ é")), max_size=24)


@settings(max_examples=400, deadline=None)
@given(scheme=st.sampled_from(["http", "HTTP", "https"]),
       host=st.sampled_from(["h.example", "H.Example.", "127.1", "[::1]", "xn--bcher-kva.de",
                             "bücher.de", "0x7f.1", "[::ffff:10.0.0.1]"]),
       port=st.sampled_from(["", ":80", ":8080", ":0443"]), rest=URL_TEXT)
def test_the_canonical_form_is_read_the_same_way_by_every_parser(scheme, host, port, rest):
    try:
        url = canonical_url(f"{scheme}://{host}{port}/{rest}")
    except ValueError:
        return
    assert canonical_url(str(url)) == url  # canonical twice is canonical once
    parts = urlsplit(str(url))  # how the standard library (and http.client) reads it
    assert (parts.scheme, parts.hostname, parts.port or url.port) == url.origin
    assert parts.path == url.path and parts.query == url.query and not parts.fragment
    assert str(url).isascii() and "\\" not in url.path and "//" not in url.path


# ----------------------------------------------------------------------------- the http module


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with 200 and records the request line; /api/bounce?to=X
    redirects to X."""

    hits: ClassVar[list[str]] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Recorder.hits.append(self.path)
        path, _, query = self.path.partition("?")
        if path == "/api/bounce":
            self.send_response(302)
            self.send_header("Location", query.removeprefix("to="))
            body = b""
        else:
            self.send_response(200)
            body = self.path.encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def _get(url: str, grants: list[str], deny: tuple[str, ...] = ()) -> mlpy.ExecutionResult:
    Recorder.hits.clear()
    engine = mlpy.Engine(capabilities=grants, deny=list(deny), timeout=10)
    return engine.execute(f'import http; r = http.get({url!r}); print("{REACHED}", r.text());',
                          capture_output=True)


BYPASSES = ["/api/../private/x", "/api/%2e%2e/private/x", "/api/.%2E/private/x",
            "/api\\..\\private\\x", "/api/x%2F..%2F..%2Fprivate/x", "/api/..;/private/x",
            "/api/%252e%252e/private/x"]


@pytest.mark.parametrize("path", BYPASSES)
def test_the_http_module_refuses_a_path_that_leaves_the_scope(server, path):
    result = _get(f"http://127.0.0.1:{server}{path}",
                  [f"network.http:http://127.0.0.1:{server}/api/**"])
    assert isinstance(result.error, CapabilityError), result.error
    assert REACHED not in result.stdout and Recorder.hits == []


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1",
                                  "127.0.0.1.", "[::ffff:127.0.0.1]"])
def test_the_http_module_refuses_a_denied_address_written_another_way(server, host):
    result = _get(f"http://{host}:{server}/api/x", ["network.http"],
                  deny=("network.http:127.0.0.1",))
    assert isinstance(result.error, CapabilityError), result.error
    assert REACHED not in result.stdout and Recorder.hits == []


@pytest.mark.parametrize(("path", "fetched"), [
    ("/api/./x/../echo", "/api/echo"),
    ("//api//echo", "/api/echo"),
    ("/%61pi/%7Eme", "/api/~me"),
    ("/api/caf%c3%a9", "/api/caf%C3%A9"),
    ("/api/café?q=é", "/api/caf%C3%A9?q=%C3%A9"),
    ("/api\\echo", "/api/echo"),
    ("/api/echo#fragment", "/api/echo"),
])
def test_the_http_module_fetches_the_url_it_checked(server, path, fetched):
    for host in ("127.0.0.1", "127.1", "[::ffff:127.0.0.1]"):
        result = _get(f"http://{host}:{server}{path}",
                      [f"network.http:http://127.0.0.1:{server}/api/**"])
        assert result.ok, result.error
        assert Recorder.hits == [fetched]
        assert result.stdout == f"{REACHED} {fetched}\n"


@pytest.mark.parametrize("location", [
    "/api/../private/x", "/api/%2e%2e/private/x", "/api/x%2F..%2F..%2Fprivate",
    "/api/..;/private", "//127.1:{port}/private", "http://127.0.0.1:{port}/private",
    "http://2130706433:{port}/private",
])
def test_a_redirect_is_read_and_checked_like_the_first_url(server, location):
    target = location.format(port=server)
    result = _get(f"http://127.0.0.1:{server}/api/bounce?to={target}",
                  [f"network.http:http://127.0.0.1:{server}/api/**"])
    assert not result.ok and REACHED not in result.stdout
    assert isinstance(result.error, CapabilityError), result.error
    assert Recorder.hits == [f"/api/bounce?to={target}"]  # the target was never fetched


@pytest.mark.parametrize("url", ["http://user@127.0.0.1:{port}/api/x",
                                 "http://127.0.0.1:{port}/api/%zz", "http://[::1%25lo]/api"])
def test_a_url_with_no_single_reading_is_an_invalid_url(server, url):
    result = _get(url.format(port=server), ["network.http"])
    assert not result.ok and Recorder.hits == []
    assert result.error.kind == "value_error" and "Invalid URL" in result.error.message
