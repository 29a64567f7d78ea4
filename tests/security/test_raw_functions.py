"""ML functions the host holds raw: no host code they reach escapes the gate.

The host comes to hold plain Python functions of ML code in many ways (a session's globals, an
execution's result, the argument of a host function, a host list ML appended to) and may call
them directly. Such a call becomes an execution of its own at the function's first tick; the
statements before that tick (its pure prefix: no call, no loop) run before the function knows.
Host code they reach there -- a property getter, an operator of a host object -- and that asks
the gate must be decided under the function's grants, never taken for trusted host code.
"""

from __future__ import annotations

import threading

import pytest

import mlpy
from mlpy import CapabilityError, MLError, host_function
from mlpy.capabilities import current_capabilities, require
from mlpy.ext import ml_class, ml_property

SECRET = "the-secret-value"


@ml_class()
class Vault:
    """A host object whose members are guarded by the gate."""

    @ml_property("the secret, for scripts granted file.read on it")
    def secret(self):
        require("file.read", "/srv/vault/secret")
        return SECRET

    @ml_property("whether the caller holds file.read")
    def readable(self):
        return current_capabilities().allows("file.read", "/srv/vault/secret")

    def __lt__(self, other):
        require("file.read", "/srv/vault/secret")
        return True

    def __eq__(self, other):
        require("file.read", "/srv/vault/secret")
        return True

    __hash__ = object.__hash__


# ML functions whose whole body is a pure prefix (no tick before their return), each reaching
# the vault's guarded host code in another way.
REACHES = {
    "property": "function reach(v) { return v.secret; }",
    "property in a condition": "function reach(v) { if (v.secret == \"\") { return 0; } "
                               "return v.secret; }",
    "property into a local": "function reach(v) { s = v.secret; return s; }",
    "operator <": "function reach(v) { return v < 1; }",
    "operator ==": "function reach(v) { return v == 1; }",
    "capabilities asked by a getter": "function reach(v) { return v.readable; }",
}


def _holders(session: mlpy.Session) -> dict:
    """Every way the host ends up holding the raw ``reach`` function of ``session``."""
    kept = []
    appended = []
    session.set("keep", host_function(kept.append))
    session.set("appended", appended)
    result = session.exec("keep(reach); appended.append(reach); result = {f: reach, a: [reach]};")
    assert result.ok, result.error
    return {
        "session globals": session.get("reach"),
        "host function argument": kept[0],
        "host list": appended[0],
        "result object": result.value["f"],
        "result array": result.value["a"][0],
    }


def _session(reach: str, capabilities=()) -> mlpy.Session:
    session = mlpy.Engine(timeout=5.0).session(capabilities=list(capabilities))
    defined = session.exec(reach)
    assert defined.ok, defined.error
    return session


@pytest.mark.parametrize("reach", REACHES.values(), ids=REACHES.keys())
def test_an_ungranted_raw_function_cannot_reach_guarded_host_code(reach):
    for way, fn in _holders(_session(reach)).items():
        assert type(fn).__name__ == "function", way  # the raw function, not a handle
        try:
            value = fn(Vault())
        except CapabilityError as error:
            assert "file.read" in error.message, way
        else:
            assert value is not SECRET and value is not True, (way, value)


@pytest.mark.parametrize("reach", REACHES.values(), ids=REACHES.keys())
def test_a_granted_raw_function_reaches_it_under_its_own_grants(reach):
    session = _session(reach, ["file.read:/srv/vault/**"])
    for way, fn in _holders(session).items():
        assert fn(Vault()) in (SECRET, True), way


def test_the_raw_call_runs_under_its_home_not_the_hosts_scope():
    """A capability scope the host holds is the host's: a raw ML function called inside it
    still gets only what its own home was granted."""
    fn = _holders(_session(REACHES["property"]))["session globals"]
    with mlpy.capability_scope(["file.read:/srv/**"]):
        with pytest.raises(CapabilityError):
            fn(Vault())


def test_a_raw_call_from_another_thread_is_checked_too():
    fn = _holders(_session(REACHES["property"]))["host list"]
    outcome = []

    def call():
        try:
            outcome.append(fn(Vault()))
        except MLError as error:
            outcome.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], CapabilityError)


def test_host_code_outside_ml_is_still_trusted():
    """The host reading its own guarded property with no ML code on the stack is not
    checked (host code is trusted), before and after ML functions ran."""
    vault = Vault()
    assert vault.secret == SECRET
    fn = _holders(_session(REACHES["property"]))["session globals"]
    with pytest.raises(CapabilityError):
        fn(vault)
    assert vault.secret == SECRET
    assert vault < 1


def test_a_pure_function_the_host_calls_directly_still_works():
    """Functions whose prefix reaches no host code keep their fast direct path and value."""
    session = _session("function add(a, b) { if (a < 0) { return 0; } return a + b; }")
    fn = session.get("add")
    assert fn(2, 3) == 5
    assert fn(-1, 3) == 0
