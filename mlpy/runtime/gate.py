"""The single capability gate (DESIGN D8) and the resource check bridges make.

Every module function that declares capabilities reaches ML as a :class:`GuardedFunction`
(host functions as :class:`mlpy.host.HostFunction`). Its ``__call__`` runs :func:`check`
against the grants of the *current* execution (the context variable in
:mod:`mlpy.runtime.state`) before the function runs -- however the function was reached:
``file.read(p)``, ``m = file; m.read(p)``, a stored reference, a callback, a later session
chunk. There is no other way into a guarded function from ML.

Once the bridge knows the concrete resource (a path, a URL, a variable name) it calls
:func:`require`, which checks the grant's scope and the denies.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from contextvars import ContextVar
from typing import Any, Callable

from mlpy.errors import CapabilityError
from mlpy.observability import events
from mlpy.runtime.capabilities import EMPTY, USES, Capability, CapabilitySet
from mlpy.runtime.state import ExecutionState, deciding_state, grants_here

_audit_logger = logging.getLogger("mlpy.audit")
_logger = logging.getLogger("mlpy.capabilities")


class AuditLog:
    """A bounded record of grant, revoke, deny and (sampled) use events.

    Events also go to the ``mlpy.audit`` logger. ``redact`` hides resources (paths, URLs,
    variable names) in events and in denial messages.
    """

    def __init__(self, size: int = 10_000, *, use_sample_rate: float = 0.01,
                 redact: bool = False):
        self.events: deque[dict[str, Any]] = deque(maxlen=size)
        self.use_sample_rate = use_sample_rate
        self.redact = redact
        self._lock = threading.Lock()

    def record(self, event: str, **fields: Any) -> None:
        if self.redact and fields.get("resource") is not None:
            fields["resource"] = "<redacted>"
        entry = {"event": event, "time": time.time(), **fields}
        with self._lock:
            self.events.append(entry)
        _audit_logger.info("%s %s", event, fields)

    def use(self, **fields: Any) -> None:
        if self.use_sample_rate and random.random() < self.use_sample_rate:
            self.record("use", **fields)

    def __iter__(self):
        with self._lock:
            return iter(list(self.events))

    def __len__(self) -> int:
        return len(self.events)


def _running() -> tuple[ExecutionState | None, CapabilitySet]:
    state = deciding_state()
    if state is None:
        return None, EMPTY
    if state.tripped is not None:  # a stopped execution has no more effects
        raise state.tripped
    return state, grants_here(state)


def check(required: tuple[str, ...], what: str) -> None:
    """Raise :class:`CapabilityError` unless each ``area.action`` in ``required`` is granted.

    Each call takes one use of a grant that has ``max_uses``. Host code calling a guarded
    function directly -- with no ML code on the stack -- is trusted and not checked.
    """
    state, held = _running()
    if state is not None:
        _check_held(state, held, required, what)


# What the guarded call running in this context has paid for: area.action -> the grant with
# a use limit it took a use of. Its resource checks (require) use that grant without taking
# another use, even when it was the last one; None outside guarded calls.
_PAID: ContextVar[dict[str, Capability] | None] = ContextVar("mlpy_paid", default=None)


def _check_held(state: ExecutionState, held: CapabilitySet, required: tuple[str, ...],
                what: str) -> dict[str, Capability]:
    grants = []
    for name in required:  # every requirement is met before any use is taken
        grant = held.find(name)
        if grant is None:
            _deny(state, held, name, None, what)
        grants.append(grant)
    paid = {}
    for name, grant in zip(required, grants):
        if not _take_use(grant):
            _deny(state, held, name, None, what)
        if grant.max_uses is not None:
            paid[name] = grant
        state.used.add(name)
        if events.ACTIVE:
            events.capability_checked(name, True)
        if state.audit is not None:
            state.audit.use(requirement=name, execution_id=state.execution_id)
    return paid


def require(area_action: str, resource: Any = None, *, shown: str | None = None
            ) -> Capability | None:
    """Check that the running script may use ``area.action`` on ``resource``.

    Bridges call this at the point of use, with the concrete resource. Called by host code
    outside any ML execution it does nothing (host code is trusted) and returns None;
    otherwise it returns the grant that admits the request or raises
    :class:`~mlpy.errors.CapabilityError`. ``shown`` is how a denial names the resource
    (for example the path as the script wrote it, so a refusal never reveals where a
    symbolic link leads); by default the resource itself.
    """
    state, held = _running()
    if state is None:
        return None
    text = None if resource is None else str(resource)
    paid = _PAID.get()
    charged = paid.get(area_action) if paid is not None else None
    grant = held.find(area_action, text, paid=charged)
    if grant is None:
        if charged is not None:  # the grant the gate charged does not admit it either
            USES.give_back(charged.token_id)
            del paid[area_action]
        _deny(state, held, area_action, text, None, shown)
    if grant is not charged and grant.max_uses is not None:
        _pay_for(grant, area_action, charged, paid, state, held, text, shown)
    state.used.add(area_action)
    if events.ACTIVE:
        events.capability_checked(area_action, True)
    return grant


def _pay_for(grant: Capability, area_action: str, charged: Capability | None,
             paid: dict[str, Capability] | None, state: ExecutionState, held: CapabilitySet,
             resource: str | None, shown: str | None) -> None:
    """Take a use of ``grant``, the limited grant that admits a resource, when the call has
    not paid with it: the gate may have charged another grant of the same name (one that
    does not admit the resource), which gets its use back; or no gate ran at all (a module
    function that needs one capability and checks a resource of another)."""
    if not _take_use(grant):
        _deny(state, held, area_action, resource, None, shown)
    if charged is not None:
        USES.give_back(charged.token_id)
    if paid is not None:
        paid[area_action] = grant


def _take_use(grant: Capability) -> bool:
    return grant.max_uses is None or USES.take(grant.token_id, grant.max_uses)


def _deny(state: ExecutionState, held: CapabilitySet, name: str, resource: str | None,
          what: str | None, shown: str | None = None) -> None:
    audit = state.audit
    redact = audit is not None and audit.redact
    reported = resource if shown is None else shown
    if redact:
        shown = "<redacted>"
    else:
        # The resource as the bridge passed it, never its canonical path: that could
        # reveal the working directory or where a symbolic link leads.
        shown = repr(shown if shown is not None else resource)
    if audit is not None:
        audit.record("deny", requirement=name, resource=resource,
                     execution_id=state.execution_id)
    if events.ACTIVE:
        events.capability_checked(name, False, None if redact else reported)
    subject = f"{what} requires" if what else "this needs"
    target = f" for {shown}" if resource is not None else ""
    reason = _why_not(held, name, resource)
    names = ", ".join(sorted(held.names())) or "none"
    # The resource may be a value of the program: DEBUG only (the engine logs the outcome).
    _logger.debug("denied %s%s: %s", name, target, reason,
                  extra={"required_capability": name})
    raise CapabilityError(
        f"{subject} the capability '{name}'{target}, {reason} (granted: {names})",
        required=name, resource=None if redact else reported,
        hints=[_hint(name, resource, reason)],
    )


def _hint(name: str, resource: str | None, reason: str) -> str:
    if "denies" in reason:
        return "a deny wins over every grant; only the host can lift it"
    scope = ":<scope>" if resource is not None else ""
    return f"the host grants it with capabilities=[\"{name}{scope}\"]"


def _why_not(held: CapabilitySet, name: str, resource: str | None) -> str:
    if held.denied(name, resource):
        return "which the host denies"
    area, _, action = name.partition(".")
    grants = [g for g in held.grants if g.covers(area, action)]
    admitting = [g for g in grants if g.matches(resource)] if resource is not None else grants
    if admitting and all(g.expired() for g in admitting):
        return "whose grant has expired"
    if admitting:
        return "whose grant has no uses left"
    if grants:
        return "whose granted scope does not include it"
    return "which this execution was not granted"




def call_host(fn: Callable[..., Any], args: tuple, required: tuple[str, ...], what: str) -> Any:
    """Call host code on behalf of ML: nothing runs once the execution is stopped, the
    capabilities are checked, and a deadline that passed (or a cancel that came) while the
    host code ran stops the execution as soon as control is back."""
    state = deciding_state()
    if state is None:  # host code calling directly: trusted
        return fn(*args)
    if state.tripped is not None:
        raise state.tripped
    paid = _check_held(state, grants_here(state), required, what) if required else {}
    token = _PAID.set(paid)
    try:
        result = fn(*args)
    finally:
        _PAID.reset(token)
    state.check_now()
    return result


class GuardedFunction:
    """A module function that needs capabilities; callable by ML through the gate."""

    __slots__ = ("_fn", "_ml_capabilities", "_ml_description", "__name__", "_qualified")
    _ml_callable = True

    def __init__(self, fn: Callable[..., Any], name: str, qualified: str,
                 capabilities: tuple[str, ...], description: str):
        self._fn = fn
        self.__name__ = name
        self._qualified = qualified
        self._ml_capabilities = capabilities
        self._ml_description = description

    def __call__(self, *args: Any) -> Any:
        return call_host(self._fn, args, self._ml_capabilities, self._qualified)

    def _ml_display(self) -> str:
        return f"<function {self._qualified}>"
