"""ML module ``http``: an HTTP client whose every request, and every redirect, is checked.

Each request function needs ``network.http`` at the gate, and then ``require("network.http",
url)`` with the full URL before it connects, so a scope such as
``network.http:https://api.example.com/v1/**`` admits exactly the URLs under it. The URL is
read once, into its canonical form (:func:`mlpy.capabilities.canonical_url`: dot segments
resolved, escapes normalised, the host IDNA-encoded...), and that one value is what is
checked, what the connection is made to and what the request asks for. Redirects
are never followed automatically: the bridge follows them itself (at most
:data:`MAX_REDIRECTS`), checking each target with ``require`` before fetching it, so a granted
endpoint cannot bounce a script to a host, port or path it was not given. Credentials
(``Authorization``, ``Cookie``) are dropped when a redirect leaves the origin.

Response bodies are read up to 10 MiB, or the grant's ``max_bytes`` when smaller; a larger
body is an error, not a silently truncated one. The timeout (30 s by default) bounds each
network wait and the whole request, and never outlasts the execution's own time limit.
Connections are made directly (no proxy from the environment) with the standard library's
``http.client``; HTTPS certificates are verified.
"""

from __future__ import annotations

import http.client
import ssl
import time
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urljoin

from mlpy.capabilities import Capability, Url, canonical_url, require
from mlpy.errors import CapabilityError
from mlpy.ext import ml_class, ml_constant, ml_function, ml_module
from mlpy.marshal import json_text, json_value
from mlpy.runtime.state import current_state
from mlpy.runtime.values import display, typeof

DEFAULT_TIMEOUT = 30
MAX_RESPONSE_SIZE = 10 * 1024 * 1024
MAX_REDIRECTS = 10
USER_AGENT = "mlpy-http/1.0"

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CREDENTIALS = frozenset({"authorization", "cookie", "proxy-authorization"})
_CHUNK = 64 * 1024


# ----------------------------------------------------------------------------- arguments


def _url(value: Any) -> Url:
    """The canonical form of a URL the client can fetch (http or https, with a host) -- the
    form that is checked and the form that is fetched; anything else is refused."""
    if not isinstance(value, str):
        raise TypeError(f"url must be a string, not {typeof(value)}")
    try:
        url = canonical_url(value)
    except ValueError as error:
        raise ValueError(f"Invalid URL: {value!r} ({error})") from None
    if url.scheme not in ("http", "https"):
        raise ValueError(f"Invalid URL: {value!r} (an http:// or https:// URL with a host "
                         "is needed)")
    return url


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"headers must be an object, not {typeof(value)}")
    headers: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not name:
            raise TypeError("header names must be non-empty strings")
        text = text if isinstance(text, str) else display(text)
        if any(ch in name + text for ch in "\r\n\0") or ":" in name:
            raise ValueError(f"header {name!r} contains a forbidden character")
        headers[name] = text
    return headers


def _timeout(value: Any) -> float:
    if value is None:
        return float(DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {display(value)}")
    return float(value)


def _body(value: Any, headers: dict[str, str]) -> bytes | None:
    """Bytes to send: strings as UTF-8, bytes as they are, anything else as JSON text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    try:
        text = json_text(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the request body cannot be sent as JSON: {error}") from None
    if not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = "application/json"
    return text.encode("utf-8")


def _options(value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"options must be an object, not {typeof(value)}")
    unknown = sorted(display(key) for key in value if key not in allowed)
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r}; the options are "
                         + ", ".join(allowed))
    return value


# ----------------------------------------------------------------------------- the request


def _deadline(timeout: float) -> float:
    """When the request must be over: its timeout, or the execution's deadline if sooner."""
    end = time.monotonic() + timeout
    state = current_state()
    if state is not None and state.deadline is not None:
        end = min(end, state.deadline)
    return end


def _stop_if_limited() -> None:
    """An execution past its time limit (or cancelled) ends here, not in a catchable error."""
    state = current_state()
    if state is not None:
        state.check_now()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        _stop_if_limited()
        raise RuntimeError("Network error: timed out")
    return left


def _size_limit(grant: Capability | None) -> tuple[int, bool]:
    """The largest body to accept, and whether the grant (not the module) sets it."""
    if grant is not None and grant.max_bytes is not None and grant.max_bytes < MAX_RESPONSE_SIZE:
        return grant.max_bytes, True
    return MAX_RESPONSE_SIZE, False


def _too_large(url: Url, limit: int, by_grant: bool) -> Exception:
    if by_grant:
        return CapabilityError(
            f"network.http refused for {str(url)!r}: the response is larger than the {limit:,} "
            "bytes the grant allows", required="network.http")
    return RuntimeError(f"Network error: the response from {str(url)!r} is larger than "
                        f"{limit:,} bytes")


def _connect(url: Url, timeout: float) -> http.client.HTTPConnection:
    if url.scheme == "https":
        return http.client.HTTPSConnection(url.host, url.port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(url.host, url.port, timeout=timeout)


def _read(response: http.client.HTTPResponse, url: Url, grant: Capability | None,
          deadline: float) -> bytes:
    limit, by_grant = _size_limit(grant)
    length = response.getheader("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > limit:
        raise _too_large(url, limit, by_grant)
    chunks, total = [], 0
    while True:
        _remaining(deadline)
        chunk = response.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_large(url, limit, by_grant)
    return b"".join(chunks)


def _send(method: str, url: Any, headers: dict[str, str], body: bytes | None,
          timeout: float) -> HttpResponse:
    """Make the request, following redirects one checked hop at a time."""
    url = _url(url)
    if not any(name.lower() == "user-agent" for name in headers):
        headers["User-Agent"] = USER_AGENT
    deadline = _deadline(timeout)
    for _ in range(MAX_REDIRECTS + 1):
        grant = require("network.http", str(url))
        connection = _connect(url, min(timeout, _remaining(deadline)))
        try:
            try:
                connection.request(method, url.target, body=body, headers=headers)
                response = connection.getresponse()
                location = response.getheader("Location")
                if response.status in _REDIRECTS and location:
                    response.close()
                    following = _url(urljoin(str(url), location.strip()))
                    if response.status == 303 or (response.status in (301, 302)
                                                  and method not in ("GET", "HEAD")):
                        method, body = ("HEAD" if method == "HEAD" else "GET"), None
                        headers = {k: v for k, v in headers.items()
                                   if k.lower() not in ("content-type", "content-length")}
                    if url.origin != following.origin:
                        headers = {k: v for k, v in headers.items()
                                   if k.lower() not in _CREDENTIALS}
                    url = following
                    continue
                data = b"" if method == "HEAD" else _read(response, url, grant, deadline)
            except TimeoutError:
                _stop_if_limited()
                raise RuntimeError(f"Network error: timed out requesting {str(url)!r}") \
                    from None
            except (OSError, http.client.HTTPException) as error:
                _stop_if_limited()
                reason = str(error) or type(error).__name__
                raise RuntimeError(f"Network error: {reason} ({str(url)!r})") from None
            return HttpResponse(response.status, response.reason, response.getheaders(),
                                data, str(url))
        finally:
            connection.close()
    raise RuntimeError(f"Network error: more than {MAX_REDIRECTS} redirects")


def _with_body(method: str, url: Any, options: Any) -> HttpResponse:
    options = _options(options, ("body", "headers", "timeout"))
    headers = _headers(options.get("headers"))
    body = _body(options.get("body"), headers)
    return _send(method, url, headers, body, _timeout(options.get("timeout")))


# ----------------------------------------------------------------------------- the response


@ml_class("HttpResponse", "The response to an HTTP request")
class HttpResponse:
    """Status, headers and body of a response; 4xx and 5xx statuses are responses too."""

    def __init__(self, status: int, reason: str, headers: list, data: bytes, url: str):
        self._status = status
        self._reason = reason
        merged: dict[str, str] = {}
        for name, value in headers:
            merged[name] = f"{merged[name]}, {value}" if name in merged else value
        self._headers = merged
        self._text = data.decode("utf-8", errors="replace")
        self._url = url

    @ml_function("The status code, such as 200 or 404")
    def status(self):
        return self._status

    @ml_function("The reason phrase, such as 'OK' or 'Not Found'")
    def statusText(self):
        return self._reason

    @ml_function("The response headers as an object (repeated headers joined with ', ')")
    def headers(self):
        return dict(self._headers)

    @ml_function("The body as text (decoded as UTF-8, undecodable bytes replaced)")
    def body(self):
        return self._text

    @ml_function("The body as text (decoded as UTF-8, undecodable bytes replaced)")
    def text(self):
        return self._text

    @ml_function("Whether the status is from 200 to 299")
    def ok(self):
        return 200 <= self._status <= 299

    @ml_function("The body parsed as JSON; invalid JSON is a JSONDecodeError")
    def json(self):
        return json_value(self._text)

    def __repr__(self) -> str:
        return f"<HttpResponse {self._status} {self._url}>"


# ----------------------------------------------------------------------------- the module


@ml_module("http", "HTTP client for making web requests")
class Http:
    """Request functions need ``network.http`` on the URL (and on every redirect target);
    the URL helpers need nothing."""

    DEFAULT_TIMEOUT = ml_constant(DEFAULT_TIMEOUT, "Default request timeout in seconds")
    MAX_RESPONSE_SIZE = ml_constant(MAX_RESPONSE_SIZE,
                                    "Largest response body read, in bytes (10 MiB)")

    @ml_function("Send a GET request; returns an HttpResponse", capabilities=["network.http"])
    def get(self, url, headers=None, timeout=None):
        return _send("GET", url, _headers(headers), None, _timeout(timeout))

    @ml_function("Send a DELETE request", capabilities=["network.http"])
    def delete(self, url, headers=None, timeout=None):
        return _send("DELETE", url, _headers(headers), None, _timeout(timeout))

    @ml_function("Send a HEAD request (the response has an empty body)",
                 capabilities=["network.http"])
    def head(self, url, headers=None, timeout=None):
        return _send("HEAD", url, _headers(headers), None, _timeout(timeout))

    @ml_function("Send a POST request; options: body, headers, timeout",
                 capabilities=["network.http"])
    def post(self, url, options=None):
        return _with_body("POST", url, options)

    @ml_function("Send a PUT request; options: body, headers, timeout",
                 capabilities=["network.http"])
    def put(self, url, options=None):
        return _with_body("PUT", url, options)

    @ml_function("Send a PATCH request; options: body, headers, timeout",
                 capabilities=["network.http"])
    def patch(self, url, options=None):
        return _with_body("PATCH", url, options)

    @ml_function("Send a request; options: url (required), method (default GET; GET, HEAD, "
                 "POST, PUT, PATCH, DELETE or OPTIONS), headers, body, timeout",
                 capabilities=["network.http"])
    def request(self, options):
        if options is None:
            raise ValueError("request needs an options object with a url")
        options = _options(options, ("method", "url", "headers", "body", "timeout"))
        if options.get("url") is None:
            raise ValueError("request needs a url option")
        method = options.get("method", "GET")
        if not isinstance(method, str) or method.upper() not in _METHODS:
            raise ValueError(f"unsupported method {display(method)!r}; use one of "
                             + ", ".join(sorted(_METHODS)))
        headers = _headers(options.get("headers"))
        body = _body(options.get("body"), headers)
        return _send(method.upper(), options["url"], headers, body,
                     _timeout(options.get("timeout")))

    @ml_function("Percent-encode text for a URL ('/' is kept)")
    def encodeURI(self, text):
        if not isinstance(text, str):
            raise TypeError(f"encodeURI needs a string, not {typeof(text)}")
        return quote(text)

    @ml_function("Decode percent-encoded text")
    def decodeURI(self, text):
        if not isinstance(text, str):
            raise TypeError(f"decodeURI needs a string, not {typeof(text)}")
        return unquote(text)

    @ml_function("Encode an object as a query string (a=1&b=x+y): an array value repeats its "
                 "key; true, false and null are written as ML shows them")
    def encodeQuery(self, obj):
        if not isinstance(obj, dict):
            raise TypeError(f"encodeQuery needs an object, not {typeof(obj)}")
        pairs = []
        for key, value in obj.items():
            for item in (value if isinstance(value, list) else [value]):
                pairs.append((display(key), display(item)))
        return urlencode(pairs)

    @ml_function("Parse a query string into an object (a leading ? is ignored): a repeated key "
                 "gives an array; keys with blank values are left out")
    def parseQuery(self, text):
        if not isinstance(text, str):
            raise TypeError(f"parseQuery needs a string, not {typeof(text)}")
        text = text.removeprefix("?")
        return {key: values[0] if len(values) == 1 else list(values)
                for key, values in parse_qs(text).items()}
