"""URLs read once: the form network scopes are matched on and the http module fetches.

A URL is checked against the grants and then fetched. If the check and the fetch read it
differently -- ``/api/../private``, ``/api/%2e%2e/private``, an ``@`` or a ``\\`` that one
parser takes for the end of the host and another does not -- a script granted one thing
reaches another. So there is one reading: :func:`canonical_url` turns a URL into its
canonical :class:`Url`, or refuses it, and that same value is what scopes are matched on and
what the http module connects to and asks for.

The canonical form:

* scheme and host in lower case; the host IDNA-encoded (``bücher.de`` is
  ``xn--bcher-kva.de``, full-width letters are plain ones) with one trailing dot removed;
* an IPv4 address in any form the system's resolver reads (``127.1``, ``0x7f.0.0.1``,
  ``2130706433``, ``0177.0.0.1``) in dotted decimal; an IPv6 address compressed, in
  brackets, and one that maps an IPv4 address (``[::ffff:127.0.0.1]``) as that address;
* the port given, or the scheme's default;
* in the path: ``\\`` is ``/`` (as browsers read it), repeated slashes are one, escapes of
  unreserved characters (letters, digits, ``- . _ ~``) are decoded and the others written in
  upper-case hex, characters a URL cannot carry (non-ASCII, ``"``, ``<``, ...) are
  percent-encoded as UTF-8, and ``.`` and ``..`` segments are resolved (also when written
  ``%2e``); the query keeps its text (non-ASCII encoded); the fragment, never sent, is
  dropped.

Refused: no scheme or no host, user information (``user@host``: parsers disagree on which
``@`` ends it), a bad port, a host with characters no host name has, a host that ends in a
number but is no IPv4 address, a ``%`` that starts no escape, whitespace and control
characters.

Some readings are the server's to choose: whether ``%2F`` and ``%5C`` separate segments,
whether ``;`` starts parameters that are dropped (``/api/..;/private``), whether escapes are
decoded twice (``%252e``), whether full-width characters are folded (``．．``), whether case
matters. The canonical path keeps them as written;
:func:`loosest_path` reads them all the most permissive way, and a path scope looks at both
readings (see :mod:`mlpy.runtime.capabilities`).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")
_AUTHORITY = re.compile(r"(?P<host>\[[^\]]*\]|[^:\[\]]*)(?::(?P<port>[0-9]*))?\Z")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\Z")
_NUMBER_LABEL = re.compile(r"(?:[0-9]+|0x[0-9a-f]*)\Z")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})|%")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters that stay as they are in a path; everything else is percent-encoded.
_PATH_SAFE = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('"#<>?`{}')
_QUERY_SAFE = _PATH_SAFE | set("?")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_DECODINGS = 4  # how many times the loosest reading decodes escapes


class Url(NamedTuple):
    """A canonical URL (see the module docstring); ``host`` has no brackets."""

    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @property
    def target(self) -> str:
        """What an HTTP request line asks for: the path and the query."""
        return self.path + (f"?{self.query}" if self.query else "")

    @property
    def origin(self) -> tuple[str, str, int | None]:
        return self.scheme, self.host, self.port

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None or self.port == DEFAULT_PORTS.get(self.scheme) \
            else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.target}"


def canonical_url(url: str) -> Url:
    """The canonical form of ``url``; a URL that has none is a ``ValueError`` saying why."""
    text = str(url)
    if _CONTROL.search(text):
        raise ValueError("it contains whitespace or control characters")
    parts = urlsplit(text)
    if not _SCHEME.match(parts.scheme) or not text[len(parts.scheme):].startswith("://"):
        raise ValueError("a URL is scheme://host/path")
    if "@" in parts.netloc:
        raise ValueError("user information (user@host) is not accepted in a URL")
    authority = _AUTHORITY.match(parts.netloc)
    if authority is None:
        raise ValueError("the host or the port is malformed")
    host = canonical_host(authority["host"])
    port = _port(authority["port"], parts.scheme)
    return Url(parts.scheme, host, port, canonical_path(parts.path),
               _encode(parts.query, _QUERY_SAFE))


def _port(text: str | None, scheme: str) -> int | None:
    if not text:
        return DEFAULT_PORTS.get(scheme)
    port = int(text)
    if port > 65535:
        raise ValueError(f"port {text} is out of range")
    return port


def canonical_host(host: str) -> str:
    """A host name or address in canonical form (without brackets); ValueError if none."""
    if host.startswith("[") and host.endswith("]"):
        return _ipv6(host[1:-1])
    name = host_name(host)
    if _NUMBER_LABEL.match(name.rpartition(".")[2]):
        return _ipv4(name)
    return name


def host_name(host: str) -> str:
    """A host name in lower case, IDNA-encoded, without its trailing dot."""
    try:
        name = host.lower().removesuffix(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{host!r} is not a host name") from None
    if not _HOST_NAME.match(name):
        raise ValueError(f"{host!r} is not a host name")
    return name


def _ipv6(text: str) -> str:
    if "%" in text:
        raise ValueError("an IPv6 zone (%...) is not accepted")
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise ValueError(f"[{text}] is not an IPv6 address") from None
    mapped = address.ipv4_mapped
    return str(mapped) if mapped is not None else address.compressed


def _ipv4(name: str) -> str:
    """Dotted decimal of an address written as the C resolver reads it: one to four parts,
    each decimal, octal (leading 0) or hex (0x), the last filling the remaining bytes."""
    parts = name.split(".")
    if len(parts) > 4:
        raise ValueError(f"{name!r} is not an IPv4 address")
    try:
        numbers = [_ipv4_part(part) for part in parts]
    except ValueError:
        raise ValueError(f"{name!r} is not an IPv4 address") from None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{name!r} is not an IPv4 address")
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return str(ipaddress.IPv4Address(value))


def _ipv4_part(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8)
    return int(part, 10)


def canonical_path(path: str) -> str:
    """A URL path in canonical form: ``\\`` as ``/``, escapes normalised, characters a URL
    cannot carry encoded, repeated slashes and dot segments resolved."""
    return _resolve(_encode(_normalise_escapes(path.replace("\\", "/")), _PATH_SAFE))


def loosest_path(path: str) -> str:
    """The most permissive reading a server may give a canonical path: escapes decoded
    (repeatedly), compatibility characters folded (full-width ``．`` and ``／`` are ``.``
    and ``/``), ``\\`` as ``/``, ``;`` parameters dropped, dot segments resolved, lower
    case."""
    for _ in range(_DECODINGS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = unicodedata.normalize("NFKC", path).replace("\\", "/")
    path = "/".join(segment.partition(";")[0] for segment in path.split("/"))
    return _resolve(path).lower()


def _normalise_escapes(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match[1] is None:
            raise ValueError("a '%' that starts no escape (write %25)")
        char = chr(int(match[1], 16))
        return char if char in _UNRESERVED else "%" + match[1].upper()

    return _ESCAPE.sub(one, text)


def _encode(text: str, safe: frozenset[str]) -> str:
    if all(char in safe for char in text):
        return text
    return "".join(char if char in safe else
                   "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
                   for char in text)


def _resolve(path: str) -> str:
    """``.`` and ``..`` segments resolved and empty segments dropped; a trailing slash is
    kept (``/a/b/..`` is ``/a/``)."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment not in (".", ""):
            kept.append(segment)
    trailing = bool(kept) and segments[-1] in ("", ".", "..")
    return "/" + "/".join(kept) + ("/" if trailing else "")
