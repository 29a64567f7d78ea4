"""Engine(isolation="subprocess"): the same results, errors and grants as in process."""

from __future__ import annotations

import pytest

import mlpy
from mlpy.sandbox import SandboxConfig

PROGRAMS = [
    'result = [1, 2.5, "x", {a: null, b: [true, false]}];',
    "function f(n) { if (n < 2) { return n; } return f(n - 1) + f(n - 2); } result = f(15);",
    "x = 1 / 0;",
    "o = {}; y = o.missing.deeper;",
    "import console; console.log(1);",
]


@pytest.fixture(scope="module")
def isolated():
    engine = mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(pool_size=1))
    yield engine
    engine.close()


@pytest.mark.parametrize("program", PROGRAMS)
def test_results_and_errors_match_in_process(isolated, program):
    inside = mlpy.Engine().execute(program, capture_output=True)
    outside = isolated.execute(program, capture_output=True)
    assert (outside.ok, outside.value, outside.stdout) == (inside.ok, inside.value, inside.stdout)
    if inside.error is not None:
        assert type(outside.error) is type(inside.error)
        assert outside.error.message == inside.error.message
        assert outside.error.span == inside.error.span


def test_the_engine_grants_and_denies_apply_in_the_worker():
    engine = mlpy.Engine(isolation="subprocess", sandbox=SandboxConfig(pool_size=1),
                         capabilities=["console.*"], deny=["console.error"],
                         profiles={"quiet": []})
    try:
        ok = engine.execute('import console; console.log("hi");', capture_output=True)
        assert ok.ok and ok.stdout == "hi\n" and ok.capabilities_used == {"console.write"}
        denied = engine.execute('import console; console.error("x");')
        assert isinstance(denied.error, mlpy.CapabilityError) and "denies" in denied.error.message
        quiet = engine.execute('import console; console.log(1);', capabilities="profile:quiet")
        assert isinstance(quiet.error, mlpy.CapabilityError)
    finally:
        engine.close()


def test_limits_and_per_call_isolation(isolated):
    stopped = isolated.execute("while (true) { }", timeout=0.5)
    assert isinstance(stopped.error, mlpy.MLTimeoutError)
    deep = isolated.execute("function f(n) { return f(n + 1); } f(0);", max_depth=50)
    assert deep.error.resource == "recursion" and deep.error.limit == 50
    assert isolated.execute("result = 2;").value == 2  # the pool recovered
    with mlpy.Engine() as engine:  # closing the engine stops its workers
        assert engine.execute("result = 3;", isolation="subprocess", timeout=5).value == 3


def test_a_bad_isolation_is_a_result_error():
    result = mlpy.Engine().execute("x = 1;", isolation="threads")
    assert isinstance(result.error, mlpy.MLConfigurationError)
    with pytest.raises(mlpy.MLConfigurationError):
        mlpy.Engine(isolation="threads")


@pytest.mark.parametrize("redact", [True, False])
def test_a_redacting_audit_log_redacts_denials_in_the_worker_too(redact, tmp_path):
    """An engine whose AuditLog redacts tells each worker run to: the denial names no path,
    exactly as in-process; an engine that does not redact shows the path in both."""
    source = 'import file; result = file.read(secret);'
    secret = str(tmp_path / "other-tenant" / "orders.json")
    grants = [f"file.read:{tmp_path}/mine/**"]
    messages = []
    for isolation in ("inprocess", "subprocess"):
        with mlpy.Engine(isolation=isolation, audit=mlpy.AuditLog(redact=redact),
                         sandbox=SandboxConfig(pool_size=1)) as engine:
            result = engine.execute(source, {"secret": secret}, capabilities=grants)
        assert isinstance(result.error, mlpy.CapabilityError), result.error
        messages.append(result.error.message)
    inside, outside = messages
    assert outside == inside
    assert ("other-tenant" in outside) is not redact
    assert ("<redacted>" in outside) is redact
