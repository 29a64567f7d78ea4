"""What an execution started without ``capabilities=`` runs under (integration spec 5.5, 5.6).

The caller's grants: those of the host's ``capability_scope`` in force, or of the execution
running in this context when a host function starts another (a nested execution never gets
more than its caller); the engine's defaults only where neither is set. An explicit set
replaces them (host code is trusted); the engine's denies apply whatever the source.
"""

from __future__ import annotations

import threading

import pytest

import mlpy
from mlpy import CapabilityError, host_function

READ_HOME = 'import env; result = env.get("HOME") != null;'


@pytest.fixture
def engine():
    with mlpy.Engine(capabilities=["env.read:*"], deny=["env.read:SECRET_*"]) as engine:
        yield engine


def test_without_a_scope_the_engine_defaults_apply(engine):
    assert engine.execute(READ_HOME).value is True


def test_a_scope_replaces_the_engine_defaults_for_execute_and_call(engine):
    with mlpy.capability_scope([]):
        result = engine.execute(READ_HOME)
        assert isinstance(result.error, CapabilityError)
        with pytest.raises(CapabilityError):
            engine.call('import env; function home() { return env.get("HOME"); }', "home")
    with mlpy.capability_scope(["env.read:HOME"]):
        assert engine.execute(READ_HOME).value is True


def test_an_explicit_set_replaces_the_scope(engine):
    with mlpy.capability_scope([]):
        assert engine.execute(READ_HOME, capabilities=["env.read:HOME"]).value is True


def test_the_engine_deny_applies_to_a_scope_too(engine, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "x")
    with mlpy.capability_scope(["env.read:*"]):
        result = engine.execute('import env; result = env.get("SECRET_TOKEN");')
    assert isinstance(result.error, CapabilityError)


def test_an_execution_started_by_a_host_function_never_gets_more_than_its_caller(engine):
    inner = []

    @host_function
    def run_inner():
        inner.append(engine.execute(READ_HOME))
        return None

    outer = engine.execute("run_inner();", {"run_inner": run_inner}, capabilities=[])
    assert outer.ok, outer.error
    assert isinstance(inner[0].error, CapabilityError)
    granted = engine.execute("run_inner();", {"run_inner": run_inner},
                             capabilities=["env.read:HOME"])
    assert granted.ok and inner[1].value is True


def test_a_host_thread_without_a_scope_inherits_nothing_from_its_starter(engine):
    seen = []
    with mlpy.capability_scope([]):
        thread = threading.Thread(target=lambda: seen.append(engine.execute(READ_HOME)))
        thread.start()
        thread.join(30)
    assert seen[0].value is True  # the new thread holds no scope: the engine's defaults


def test_sessions_keep_their_own_set(engine):
    session = engine.session()
    with mlpy.capability_scope([]):
        assert session.exec(READ_HOME).value is True


def test_the_sandbox_inherits_the_scope(engine):
    with mlpy.Engine(capabilities=["env.read:*"], isolation="subprocess") as isolated:
        with mlpy.capability_scope([]):
            result = isolated.execute(READ_HOME)
    assert isinstance(result.error, CapabilityError)
