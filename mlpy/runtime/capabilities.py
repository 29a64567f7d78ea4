"""Capabilities: what a script may do, written ``area.action[:scope]``.

A :class:`Capability` is one grant (or deny) such as ``file.read:/srv/data/**``; a
:class:`CapabilitySet` is the immutable set an execution runs under. Host code creates them;
ML code never receives a handle to one, and an ML ``capability`` block only declares a
requirement. Checks happen at two points:

* the **gate** (:mod:`mlpy.runtime.gate`) checks, before a guarded function runs, that some
  grant of each required ``area.action`` exists (``allows(req)`` with no resource);
* the **bridge** calls :func:`mlpy.capabilities.require` with the concrete resource (a path, a
  URL, a variable name) once it knows it, which checks the scope and the denies.

Denies always win. Scopes are globs matched per area: file paths after making them absolute,
collapsing ``..`` and resolving symlinks; URLs by scheme, host, port and path, all in the
canonical form of :mod:`mlpy.runtime.urls` (the form the http module fetches); environment
variables by name; any other area by an opaque glob.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Union
from urllib.parse import urlsplit

from mlpy.errors import MLConfigurationError
from mlpy.runtime.urls import (
    DEFAULT_PORTS, canonical_host, canonical_url, host_name, loosest_path,
)
from mlpy.runtime.urls import canonical_path as canonical_url_path

_TEXT = re.compile(
    r"(?P<area>[a-z][a-z0-9_]*)\.(?P<action>[a-z][a-z0-9_]*|\*)(?::(?P<scope>.+))?\Z", re.S
)
CAPABILITY_NAME = re.compile(r"[a-z][a-z0-9_]*\.(?:[a-z][a-z0-9_]*|\*)\Z")
PATH_AREAS = ("file", "path")  # areas whose resources are filesystem paths
_CASE_INSENSITIVE_PATHS = os.name == "nt"


def _new_id() -> str:
    return uuid.uuid4().hex


class _Uses:
    """Process-wide use counters, keyed by token id, so copies of a grant share its budget."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def take(self, token_id: str, limit: int) -> bool:
        with self._lock:
            used = self._counts.get(token_id, 0)
            if used >= limit:
                return False
            self._counts[token_id] = used + 1
            return True

    def give_back(self, token_id: str) -> None:
        with self._lock:
            self._counts[token_id] = max(self._counts.get(token_id, 0) - 1, 0)

    def used(self, token_id: str) -> int:
        with self._lock:
            return self._counts.get(token_id, 0)

    def set_used(self, token_id: str, count: int) -> None:
        with self._lock:
            self._counts[token_id] = max(self._counts.get(token_id, 0), count)


USES = _Uses()


@dataclass(frozen=True)
class Capability:
    """One grant or deny: ``area.action`` with an optional scope and limits.

    ``max_uses`` bounds how many guarded calls the grant pays for at the gate (shared by
    every copy of the same ``token_id``); ``expires_at`` ends it; ``max_bytes`` is an area-specific size cap
    that bridges read (for example the largest file ``file.read`` may return).
    """

    area: str
    action: str
    scope: str | None = None
    max_uses: int | None = None
    expires_at: datetime | None = None
    max_bytes: int | None = None
    token_id: str = field(default_factory=_new_id, compare=False)
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        text = f"{self.area}.{self.action}"
        if not isinstance(self.area, str) or not isinstance(self.action, str) \
                or not _TEXT.match(text):
            raise MLConfigurationError(_malformed(text))
        _check_limits(self)
        if self.scope is not None:
            if not isinstance(self.scope, str) or not self.scope.strip():
                raise MLConfigurationError(_malformed(f"{text}:{self.scope}"))
            if self.area in PATH_AREAS:
                # A relative scope means the working directory of the moment it is granted.
                absolute = os.path.abspath(os.path.expanduser(self.scope))
                if self.scope.endswith(os.sep) and not absolute.endswith(os.sep):
                    absolute += os.sep
                object.__setattr__(self, "scope", absolute)
            _scope_matcher(self.area, self.scope)  # a bad scope fails now, not at first use

    @classmethod
    def parse(cls, text: "str | Capability", **limits: Any) -> "Capability":
        """``Capability.parse("file.read:/data/**", max_uses=10)``."""
        unknown = sorted(set(limits) - _LIMITS)
        if unknown:
            raise MLConfigurationError(
                f"unknown capability limit {unknown[0]!r} (the limits are "
                f"{', '.join(sorted(_LIMITS))})")
        if isinstance(text, Capability):
            return replace(text, **limits) if limits else text
        if not isinstance(text, str):
            raise MLConfigurationError(
                f"a capability is a string like 'file.read', not {type(text).__name__}")
        match = _TEXT.match(text.strip())
        if match is None:
            raise MLConfigurationError(_malformed(text))
        return cls(match["area"], match["action"], match["scope"], **limits)

    @property
    def name(self) -> str:
        """``area.action`` without the scope."""
        return f"{self.area}.{self.action}"

    def covers(self, area: str, action: str) -> bool:
        return self.area == area and (self.action == "*" or self.action == action)

    def matches(self, resource: str | None) -> bool:
        """Whether the scope admits ``resource`` (no scope admits everything)."""
        if self.scope is None:
            return True
        if resource is None:
            return False
        return _scope_matcher(self.area, self.scope)(resource)

    def refuses(self, resource: str | None) -> bool:
        """As a deny: whether it takes ``resource`` away. No scope takes everything; a
        network scope also takes what is no URL, and a URL that any reading of its path
        puts in the scope."""
        if self.scope is None:
            return True
        if resource is None:
            return False
        return _scope_matcher(self.area, self.scope, deny=True)(resource)

    def allows(self, area: str, action: str, resource: str | None) -> bool:
        """Area, action and scope match and the grant has not expired (uses are not taken)."""
        if not self.covers(area, action) or self.expired():
            return False
        return resource is None or self.matches(resource)

    def expired(self) -> bool:
        if self.expires_at is None:
            return False
        expires = self.expires_at
        now = datetime.now(expires.tzinfo) if expires.tzinfo else datetime.now()
        return now >= expires

    def uses_left(self) -> int | None:
        if self.max_uses is None:
            return None
        return max(self.max_uses - USES.used(self.token_id), 0)

    def __str__(self) -> str:
        return self.name if self.scope is None else f"{self.name}:{self.scope}"

    def __repr__(self) -> str:
        return f"Capability({str(self)!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area, "action": self.action, "scope": self.scope,
            "max_uses": self.max_uses, "uses": USES.used(self.token_id),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "max_bytes": self.max_bytes, "token_id": self.token_id,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Capability":
        expires = data.get("expires_at")
        capability = cls(
            data["area"], data["action"], data.get("scope"), max_uses=data.get("max_uses"),
            expires_at=datetime.fromisoformat(expires) if expires else None,
            max_bytes=data.get("max_bytes"), token_id=data["token_id"],
            description=data.get("description", ""),
        )
        if data.get("uses"):
            USES.set_used(capability.token_id, int(data["uses"]))
        return capability


# What Capability.parse(text, **limits) may set besides the text.
_LIMITS = frozenset({"max_uses", "expires_at", "max_bytes", "token_id", "description"})


def _check_limits(capability: Capability) -> None:
    """Refuse limits of the wrong kind now, rather than at the first check that reads them."""
    for name in ("max_uses", "max_bytes"):
        value = getattr(capability, name)
        if value is not None and (value.__class__ is not int or value < 0):
            raise MLConfigurationError(
                f"{name} of {capability} must be a whole number of at least 0 or None, "
                f"not {value!r}")
    if capability.expires_at is not None and not isinstance(capability.expires_at, datetime):
        raise MLConfigurationError(
            f"expires_at of {capability} must be a datetime or None, not "
            f"{type(capability.expires_at).__name__}")
    if not isinstance(capability.token_id, str) or not capability.token_id:
        raise MLConfigurationError(f"token_id of {capability} must be a non-empty string")
    if not isinstance(capability.description, str):
        raise MLConfigurationError(f"description of {capability} must be a string")


def _malformed(text: Any) -> str:
    return (
        f"malformed capability {text!r}: write 'area.action' or 'area.action:scope', with "
        "lowercase names, e.g. 'file.read:/data/**', 'env.read:APP_*' or 'console.write'"
    )


def _split_name(area_action: str) -> tuple[str, str]:
    area, dot, action = area_action.partition(".")
    if not dot or not _TEXT.match(area_action):
        raise MLConfigurationError(_malformed(area_action))
    return area, action


def capability_items(spec: Any, what: str = "capabilities") -> tuple[Capability, ...]:
    """The capabilities of one string or :class:`Capability`, or of any iterable of them (a
    set gives its grants); MLConfigurationError for anything else."""
    if isinstance(spec, (str, Capability)):
        return (Capability.parse(spec),)
    if isinstance(spec, (bytes, bytearray, Mapping)) or not isinstance(spec, Iterable):
        raise MLConfigurationError(
            f"{what} must be a capability string such as 'file.read', a Capability, or an "
            f"iterable of them (a list, a tuple, a set), not {type(spec).__name__}")
    return tuple(Capability.parse(item) for item in spec)


@dataclass(frozen=True)
class CapabilitySet:
    """An immutable set of grants and denies; denies always win.

    ``CapabilitySet(grants, denies)`` and :meth:`parse` take each as one capability string
    or :class:`Capability`, or any iterable of them.
    """

    grants: tuple[Capability, ...] = ()
    denies: tuple[Capability, ...] = ()
    # Gate-level decisions that cannot change (no expiry, no use limit), by area.action.
    _fixed: dict[str, Capability] = field(default_factory=dict, init=False, compare=False,
                                          repr=False)

    def __post_init__(self) -> None:
        # Any iterable of strings and Capability objects, as users write them: a list, a
        # generator, one string. Another set given as the grants brings its denies along.
        grants, denies = self.grants, capability_items(self.denies, "denies")
        if isinstance(grants, CapabilitySet):
            grants, denies = grants.grants, grants.denies + denies
        object.__setattr__(self, "grants", capability_items(grants, "grants"))
        object.__setattr__(self, "denies", denies)

    @classmethod
    def parse(cls, grants: "CapabilitySpec" = (), deny: Iterable[str | Capability] = ()
              ) -> "CapabilitySet":
        """Grants from strings, :class:`Capability` objects or another set, plus denies."""
        if isinstance(grants, CapabilitySet):
            base, grants = grants, ()
        else:
            base = EMPTY
        added = capability_items(grants)
        denied = capability_items(deny, "deny")
        return cls(_unique(base.grants + added), _unique(base.denies + denied))

    def allows(self, area_action: str, resource: str | None = None) -> bool:
        """Whether ``area.action`` (on ``resource``, when given) is granted and not denied."""
        return self.find(area_action, resource) is not None

    def find(self, area_action: str, resource: str | None = None, *,
             paid: Capability | None = None) -> Capability | None:
        """The grant that admits the request, or None. Uses are not taken.

        A grant without a use limit is chosen before one with a limit. ``paid`` is a grant
        the caller has already taken a use of for this request: it is chosen first when it
        admits the request, even with no uses left.
        """
        if resource is None and paid is None:
            fixed = self._fixed.get(area_action)
            if fixed is not None:
                return fixed
        grant = self._search(area_action, resource, paid)
        if resource is None and grant is not None and grant.max_uses is None \
                and grant.expires_at is None:
            self._fixed[area_action] = grant
        return grant

    def _search(self, area_action: str, resource: str | None,
                paid: Capability | None = None) -> Capability | None:
        area, action = _split_name(area_action)
        for denied in self.denies:
            if denied.covers(area, action) and denied.refuses(resource):
                return None
        if paid is not None and any(g is paid for g in self.grants) \
                and paid.allows(area, action, resource):
            return paid
        limited = None
        for grant in self.grants:
            if grant.allows(area, action, resource):
                if grant.max_uses is None:
                    return grant
                if limited is None and grant.uses_left() != 0:
                    limited = grant
        return limited

    def covers(self, request: Capability) -> bool:
        """Whether the uses ``request`` stands for are granted: some live grant reaches at
        least as far, and no deny takes all of it away (a deny of a part still refuses
        that part when it is used)."""
        if any(_subsumes(denied, request) for denied in self.denies):
            return False
        return any(_subsumes(grant, request) and not grant.expired()
                   and grant.uses_left() != 0 for grant in self.grants)

    def denied(self, area_action: str, resource: str | None = None) -> bool:
        area, action = _split_name(area_action)
        return any(d.covers(area, action) and d.refuses(resource) for d in self.denies)

    def union(self, other: "CapabilitySpec") -> "CapabilitySet":
        other = as_capability_set(other)
        return CapabilitySet(_unique(self.grants + other.grants),
                             _unique(self.denies + other.denies))

    def intersect(self, other: "CapabilitySpec") -> "CapabilitySet":
        """What both sets grant: for each pair of grants where one's reach lies within the
        other's, the narrower reach under the stricter limits of the two (uses stay counted
        on this set's grant). Conservative where scopes only partly overlap."""
        other = as_capability_set(other)
        kept: list[Capability] = []
        for mine in self.grants:
            for theirs in other.grants:
                if _subsumes(theirs, mine):
                    kept.append(_stricter(mine, theirs, mine))
                elif _subsumes(mine, theirs):
                    kept.append(_stricter(mine, theirs, theirs))
        return CapabilitySet(_unique(tuple(kept)), _unique(self.denies + other.denies))

    def attenuate(self, *, keep: Iterable[str] | None = None,
                  deny: Iterable[str | Capability] = ()) -> "CapabilitySet":
        """Keep only grants whose ``area.action`` matches a ``keep`` glob; add denies."""
        grants = self.grants
        if keep is not None:
            patterns = _patterns(keep)
            grants = tuple(g for g in grants if any(fnmatchcase(g.name, p) for p in patterns))
        extra = capability_items(deny, "deny")
        return CapabilitySet(grants, _unique(self.denies + extra))

    def without(self, *capabilities: str | Capability) -> "CapabilitySet":
        """This set minus some grants: an unscoped ``area.action`` removes every grant of that
        name, a scoped one only the grant with that exact text."""
        removed = [Capability.parse(c) for c in capabilities]

        def gone(grant: Capability) -> bool:
            return any(grant.name == r.name and (r.scope is None or grant.scope == r.scope)
                       for r in removed)

        return CapabilitySet(tuple(g for g in self.grants if not gone(g)), self.denies)

    def names(self) -> frozenset[str]:
        """The ``area.action`` names granted (denied names with no scope removed)."""
        return frozenset(g.name for g in self.grants if not self.denied(g.name))

    def to_wire(self, key: bytes) -> dict[str, Any]:
        """A signed, JSON-safe form carrying every constraint (for a sandbox worker)."""
        body = {"grants": [g.to_dict() for g in self.grants],
                "denies": [d.to_dict() for d in self.denies]}
        return {**body, "mac": _mac(body, key)}

    @classmethod
    def from_wire(cls, data: dict[str, Any], key: bytes) -> "CapabilitySet":
        """Rebuild a set from :meth:`to_wire`; a missing or wrong signature is refused."""
        if not isinstance(data, dict) or not isinstance(data.get("mac"), str):
            raise MLConfigurationError("refused an unsigned capability set")
        body = {"grants": data.get("grants", []), "denies": data.get("denies", [])}
        if not hmac.compare_digest(_mac(body, key), data["mac"]):
            raise MLConfigurationError("refused a capability set with a bad signature")
        return cls(tuple(Capability.from_dict(g) for g in body["grants"]),
                   tuple(Capability.from_dict(d) for d in body["denies"]))

    def __bool__(self) -> bool:
        return bool(self.grants)

    def __iter__(self):
        return iter(self.grants)

    def __len__(self) -> int:
        return len(self.grants)

    def __contains__(self, item: object) -> bool:
        """``"file.read" in caps`` (granted, not denied) or an exact grant text or object."""
        if isinstance(item, Capability):
            return item in self.grants
        if not isinstance(item, str):
            return False
        if ":" in item:
            return any(str(g) == item for g in self.grants)
        return _TEXT.match(item) is not None and self.allows(item)

    def __str__(self) -> str:
        text = ", ".join(str(g) for g in self.grants) or "nothing"
        if self.denies:
            text += " (deny " + ", ".join(str(d) for d in self.denies) + ")"
        return text

    def __repr__(self) -> str:
        return f"CapabilitySet({str(self)})"


EMPTY = CapabilitySet()
# What every API that takes capabilities accepts.
CapabilitySpec = Union[CapabilitySet, Iterable[Union[str, Capability]], str, Capability]


def rereadable(spec: Any) -> Any:
    """``spec``, readable more than once: a one-shot iterator (a generator, say) becomes a
    tuple. An execution's grants are read once to report them (metrics, tracing) and once to
    run under them; a generator read twice would grant nothing the second time."""
    return tuple(spec) if isinstance(spec, Iterator) else spec


def as_capability_set(spec: Any, deny: Iterable[str] = ()) -> CapabilitySet:
    """A :class:`CapabilitySet` from any accepted spelling (None is the empty set)."""
    if spec is None:
        spec = ()
    if isinstance(spec, CapabilitySet) and not deny:
        return spec
    return CapabilitySet.parse(spec, deny=deny)


def _patterns(keep: Any) -> list[str]:
    """The ``area.action`` globs of ``attenuate(keep=...)``: one string or an iterable."""
    patterns = [keep] if isinstance(keep, str) else None
    if patterns is None and isinstance(keep, Iterable) and not isinstance(keep, (bytes, Mapping)):
        patterns = list(keep)
    if patterns is None or not all(isinstance(p, str) for p in patterns):
        raise MLConfigurationError(
            "keep must be a glob of capability names such as 'file.*', or an iterable of them")
    return patterns


def _unique(items: tuple[Capability, ...]) -> tuple[Capability, ...]:
    seen: dict[tuple, Capability] = {}
    for item in items:
        seen.setdefault((str(item), item.token_id), item)
    return tuple(seen.values())


def _stricter(mine: Capability, theirs: Capability, reach: Capability) -> Capability:
    """``reach``'s area, action and scope with the tighter limits of ``mine`` and ``theirs``.

    The use count is shared with whichever grant has one (``mine`` first), so narrowing
    never hands out fresh uses.
    """
    counted = mine if mine.max_uses is not None else theirs
    expiries = [e for e in (mine.expires_at, theirs.expires_at) if e is not None]
    sizes = [b for b in (mine.max_bytes, theirs.max_bytes) if b is not None]
    return Capability(
        reach.area, reach.action, reach.scope, max_uses=counted.max_uses,
        expires_at=min(expiries) if expiries else None,
        max_bytes=min(sizes) if sizes else None,
        token_id=counted.token_id if counted.max_uses is not None else reach.token_id,
        description=reach.description)


def _subsumes(wide: Capability, narrow: Capability) -> bool:
    """Whether every request ``narrow`` admits is admitted by ``wide`` too."""
    if wide.area != narrow.area or wide.action not in ("*", narrow.action):
        return False
    if wide.scope is None:
        return True
    if narrow.scope is None:
        return False
    if wide.scope == narrow.scope:
        return True
    if not _has_glob(narrow.scope):
        return wide.matches(narrow.scope)
    # A glob inside a recursive scope: '/data/reports/*.csv' is within '/data/**'.
    prefix = wide.scope[:-2] if wide.scope.endswith("/**") else None
    return prefix is not None and ".." not in narrow.scope and not _has_glob(prefix) \
        and narrow.scope.startswith(prefix)


def _has_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def _mac(body: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- scope matching


@lru_cache(maxsize=1024)
def _scope_matcher(area: str, scope: str, deny: bool = False):
    """A test of resources for a scope; ``deny``: as a deny reads it, where that differs."""
    if area in PATH_AREAS:
        return _file_matcher(scope)
    if area == "network":
        return _network_matcher(scope, deny)
    if area == "env" and _CASE_INSENSITIVE_PATHS:
        pattern = scope.upper()
        return lambda name: fnmatchcase(str(name).upper(), pattern)
    return lambda resource: fnmatchcase(str(resource), scope)


def canonical_path(path: str | os.PathLike[str]) -> str:
    """Absolute, ``..`` collapsed, symlinks resolved: the form file scopes are matched on."""
    text = os.path.realpath(os.path.abspath(os.fspath(path)))
    return text.lower() if _CASE_INSENSITIVE_PATHS else text


def _path_glob(pattern: str) -> re.Pattern[str]:
    """``*`` one segment, ``**`` any depth, ``?`` one character, ``[...]`` a class."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.endswith("/**") and i == len(pattern) - 3:
            out.append("(?:/.*)?")  # 'dir/**' is the directory and everything below it
            i += 3
        elif pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def _file_matcher(scope: str):
    # The fixed part of the pattern is canonicalised like the paths it is matched against,
    # so '/data/**' still matches when /data is a symlink.
    parts = re.split(r"(?=[*?\[])", scope, maxsplit=1)
    fixed, rest = (parts[0], parts[1]) if len(parts) == 2 else (scope, "")
    head, sep, tail = fixed.rpartition(os.sep) if rest else (fixed, "", "")
    base = canonical_path(head or os.sep) if rest else canonical_path(fixed)
    if rest:
        pattern = base.rstrip(os.sep) + os.sep + tail + rest
    else:
        pattern = base
    regex = _path_glob(pattern.lower() if _CASE_INSENSITIVE_PATHS else pattern)
    return lambda resource: regex.match(canonical_path(resource)) is not None


def _network_matcher(scope: str, deny: bool = False):
    """A URL test for a network scope. As a grant the path glob must admit both readings
    of the path (canonical and loosest, see :mod:`mlpy.runtime.urls`); as a deny, either,
    and a resource that is no URL is taken away too: nobody can say where it leads."""
    scheme, host_glob, port, path = _network_scope(scope)
    if path in ("", "/"):
        paths = None
    else:
        try:
            canonical = canonical_url_path(path)
        except ValueError as error:
            raise MLConfigurationError(f"bad path in network scope {scope!r}: {error}") \
                from None
        paths = (_path_glob(canonical), _path_glob(loosest_path(canonical)))

    def match(resource: str) -> bool:
        try:
            url = canonical_url(resource)
        except ValueError:
            return deny
        if scheme is not None and url.scheme != scheme:
            return False
        if not fnmatchcase(url.host, host_glob) or port is not None and url.port != port:
            return False
        if paths is None:
            return True
        readings = (paths[0].match(url.path), paths[1].match(loosest_path(url.path)))
        return any(readings) if deny else all(readings)

    return match


def _network_scope(scope: str) -> tuple[str | None, str, int | None, str]:
    """``(scheme, host glob, port, path glob)`` of ``scheme://host[:port][/path]`` or
    ``host-glob[:port]``."""
    if "://" in scope:
        parts = urlsplit(scope)
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise MLConfigurationError(
                f"a network scope is scheme://host[:port][/path-glob], without user, query "
                f"or fragment: {scope!r}")
        scheme, host, path = parts.scheme.lower(), parts.hostname or "", parts.path
        try:
            port = parts.port or DEFAULT_PORTS.get(scheme)
        except ValueError:
            raise MLConfigurationError(f"bad port in network scope {scope!r}") from None
        return scheme, _host_glob(host, scope), port, path
    if scope.startswith("["):  # an IPv6 literal: [::1] or [::1]:8080
        inside, _, rest = scope[1:].partition("]")
        host, port_text = inside, rest[1:] if rest.startswith(":") else rest
    elif scope.count(":") == 1:
        host, _, port_text = scope.rpartition(":")
    else:
        host, port_text = scope, ""
    if not host:
        host, port_text = scope, ""
    port = int(port_text) if port_text.isdigit() else None
    if port_text and port is None:
        raise MLConfigurationError(f"bad port in network scope {scope!r}")
    return None, _host_glob(host, scope), port, ""


def _host_glob(host: str, scope: str) -> str:
    """A host pattern in the canonical form of hosts: each label without a wildcard as
    :func:`~mlpy.runtime.urls.canonical_host` writes it."""
    host = host.strip()
    if not _has_glob(host):
        try:
            return canonical_host(host if ":" not in host else f"[{host}]")
        except ValueError as error:
            raise MLConfigurationError(f"bad host in network scope {scope!r}: {error}") \
                from None
    labels = host.lower().removesuffix(".").split(".")
    try:
        return ".".join(label if _has_glob(label) else host_name(label) for label in labels)
    except ValueError as error:
        raise MLConfigurationError(f"bad host in network scope {scope!r}: {error}") from None
