"""Capabilities for host code: grant sets, scopes for ML callbacks, and the bridge check.

``Capabilities.parse([...], deny=[...])`` builds the immutable set an execution runs under;
:func:`require` is what a module function calls with the concrete resource it is about to
touch; :func:`capability_scope` sets the grants that ``"caller"`` handles
(``MLFunction.with_capabilities("caller")``) run under; :func:`current_capabilities` reads
what applies here and now. :func:`canonical_url` is the one reading of a URL that network
scopes match: a host function that fetches URLs checks and fetches that same form.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any

from mlpy.errors import MLConfigurationError
from mlpy.runtime.capabilities import (
    Capability, CapabilitySet, CapabilitySpec, as_capability_set, canonical_path,
)
from mlpy.runtime.gate import AuditLog, require
from mlpy.runtime.state import SCOPE, current_capabilities
from mlpy.runtime.urls import Url, canonical_url

Capabilities = CapabilitySet
CapabilityToken = Capability


class capability_scope(AbstractContextManager, AbstractAsyncContextManager):  # noqa: N801
    """Run host code under a capability set (``with`` or ``async with``).

    ``mode="replace"`` (the default) makes ``caps`` the current set; ``mode="intersect"``
    narrows whatever set is current to what ``caps`` also grants -- for library code that
    must never widen its caller's grants. The set follows asyncio tasks started inside the
    block; threads get it only when started in ``contextvars.copy_context().run``.
    """

    def __init__(self, caps: CapabilitySpec, *, mode: str = "replace"):
        if mode not in ("replace", "intersect"):
            raise MLConfigurationError(f"capability_scope mode must be 'replace' or "
                                       f"'intersect', not {mode!r}")
        self.capabilities = as_capability_set(caps)
        self.mode = mode
        self._tokens: list[Any] = []

    def __enter__(self) -> CapabilitySet:
        chosen = self.capabilities
        if self.mode == "intersect":
            chosen = current_capabilities().intersect(chosen)
        self._tokens.append(SCOPE.set(chosen))
        return chosen

    def __exit__(self, *exc: Any) -> None:
        SCOPE.reset(self._tokens.pop())

    async def __aenter__(self) -> CapabilitySet:
        return self.__enter__()

    async def __aexit__(self, *exc: Any) -> None:
        self.__exit__(*exc)


__all__ = [
    "AuditLog", "Capabilities", "Capability", "CapabilitySet", "CapabilitySpec",
    "CapabilityToken", "Url", "canonical_path", "canonical_url", "capability_scope",
    "current_capabilities", "require",
]
