"""The status, public message and problem body web services send for each kind of failure,
with errors produced by running real ML programs -- including attacker-style ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlpy
import mlpy.errors
from mlpy.errors import MLError
from mlpy.integration.http import (
    MAX_MESSAGE, problem_details, public_message, scrub, status_for,
)

SECRET = "hunter2"


def failure(source: str, variables=None, **options) -> MLError:
    result = mlpy.Engine().execute(source, variables, filename="/srv/tenants/acme/rules.ml",
                                   **options)
    assert result.error is not None, result
    return result.error


@mlpy.host_function
def leaky_lookup(key):
    raise RuntimeError(f"connect to postgres://admin:{SECRET}@db.internal/prod failed "
                       f"in /srv/app/db.py, password={SECRET}")


class Backpressure(MLError):
    """Stands in for the executor's queue-full error: only its code matters."""

    code = "backpressure"


@pytest.mark.parametrize("source, options, status", [
    ("x = ;", {}, 400),                                         # syntax error
    ("result = totl;", {}, 400),                                # unknown name
    ("x = [1][3];", {}, 400),                                   # ML runtime error
    ('throw {code: "E1"};', {}, 400),                           # uncaught throw
    ("i = 0; while (true) { i = i + 1; }", {"max_steps": 1000}, 400),
    ("function f(n) { return f(n + 1); } f(0);", {}, 400),      # recursion limit
    ("import console; console.log(1);", {}, 403),               # missing grant
    ("while (true) { }", {"timeout": 0.05}, 504),
    ('while (true) { print("spam"); }', {"max_output": 100, "capture_output": True}, 413),
    ("result = leaky_lookup(1);", {}, 500),                     # a host function raised
])
def test_each_failure_of_a_real_program_gets_its_status(source, options, status):
    variables = {"leaky_lookup": leaky_lookup} if "leaky" in source else None
    assert status_for(failure(source, variables, **options)) == status


def test_call_and_marshal_errors_are_the_clients():
    session = mlpy.Engine().load("function area(w, h) { return w * h; }")
    with pytest.raises(mlpy.MLCallError) as call:
        session.call("area", 1)
    marshal = failure("x = 1;", {"data": {1: "one"}})
    assert status_for(call.value) == status_for(marshal) == 400


def test_backpressure_is_recognised_by_its_code_and_other_exceptions_are_500():
    assert status_for(Backpressure("queue full")) == 429
    assert problem_details(Backpressure("queue full"))["code"] == "backpressure"
    assert status_for(ValueError("boom")) == 500
    assert status_for(mlpy.MLConfigurationError("bad option")) == 500


def test_a_cancelled_execution_is_503():
    assert status_for(mlpy.MLCancelledError("stop")) == 503


def test_the_ml_position_stays_but_the_hosts_directory_does_not():
    message = public_message(failure("x = 1;\ny = [1][3];"))
    assert message.startswith("rules.ml:2:5: ")
    assert "/srv" not in message and "tenants" not in message


def test_a_host_functions_exception_text_never_reaches_the_client():
    error = failure("x = 1;\nresult = leaky_lookup(1);", {"leaky_lookup": leaky_lookup})
    assert SECRET in str(error)  # the server's log still has everything
    body = json.dumps(problem_details(error))
    assert SECRET not in body and "/srv" not in body and "postgres" not in body
    assert problem_details(error) == {
        "type": "about:blank", "title": "Internal Server Error", "status": 500,
        "detail": "rules.ml:2:10: a host function called by the ML code failed",
        "code": "MLH001",
    }


def test_a_capability_error_names_the_capability_not_the_resource_or_the_grants():
    error = failure('import file; result = file.read("/etc/shadow");',
                    capabilities=["file.read:/tmp/public/**", "secret.vault"])
    message = public_message(error)
    assert "'file.read'" in message
    assert "/etc" not in message and "/tmp" not in message and "secret.vault" not in message


def test_thrown_text_is_scrubbed_of_paths_tracebacks_and_credentials():
    source = ('throw "failed at /usr/lib/python3.11/site-packages/mlpy/engine.py for '
              'https://bob:' + SECRET + '@api.example.com/v1\\nTraceback (most recent call '
              'last):\\n  File \\"/srv/app/main.py\\", line 3";')
    message = public_message(failure(source))
    assert "rules.ml:1:1: failed at <path> for https://<credentials>@api.example.com/v1" in message
    assert SECRET not in message and "site-packages" not in message
    assert "Traceback" not in message and "main.py" not in message


def test_a_huge_message_is_clipped():
    error = failure('throw "x" * 100000;')
    assert len(public_message(error)) <= MAX_MESSAGE + len("rules.ml:1:1: ")


def test_internal_and_unknown_errors_say_only_internal_error():
    assert public_message(KeyError("/srv/app/config.py password=" + SECRET)) == "internal error"
    assert public_message(mlpy.MLConfigurationError("bad " + SECRET)) == "internal error"
    assert problem_details(OSError("x"))["code"] == "internal"


def test_timeouts_tell_the_client_the_limit():
    details = problem_details(failure("while (true) { }", timeout=0.05))
    assert details["status"] == 504 and details["title"] == "Gateway Timeout"
    assert details["code"] == "MLL001"
    assert "time limit" in details["detail"]


@pytest.mark.parametrize("text, expected", [
    ("no file '/etc/passwd'", "no file '<path>'"),
    (r"cannot open C:\app\secrets.txt", "cannot open <path>"),
    ("see ~/keys/id_rsa", "see <path>"),
    ("https://api.example.com/a/b stays", "https://api.example.com/a/b stays"),
    ("1 / 2 and a/b stay", "1 / 2 and a/b stay"),
])
def test_scrub(text, expected):
    assert scrub(text) == expected


def _documented_statuses() -> dict[str, int]:
    """The rows of the status table on docs/integration/web.md: error -> status."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "integration" / "web.md").read_text()
    table = page.split("| error | status | why |\n|---|---|---|\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()]
    return {row[0].strip(): int(row[1]) for row in rows}


def test_the_documented_status_table_is_what_status_for_does():
    errors = mlpy.errors
    samples = {
        "`MLCompileError` (syntax, security, import)": [
            errors.MLSyntaxError("x"), errors.MLSecurityError("x"), errors.MLImportError("x")],
        "`MLRuntimeError`": [errors.MLRuntimeError("x", kind="thrown")],
        "`MLCallError`, `MLMarshalError`": [errors.MLCallError("x"), errors.MLMarshalError("x")],
        "`MLResourceError` steps, recursion, operation": [
            errors.MLResourceError("x", resource=r) for r in ("steps", "recursion", "operation")],
        "`CapabilityError`, `SecurityError`": [errors.CapabilityError("x"),
                                               errors.SecurityError("x")],
        "`MLResourceError` output, memory": [
            errors.MLResourceError("x", resource=r) for r in ("output", "memory")],
        "error code `backpressure`": [Backpressure("x")],
        "`MLCancelledError`": [errors.MLCancelledError("x")],
        "`MLTimeoutError`, `MLResourceError` cpu": [
            errors.MLTimeoutError("x"), errors.MLResourceError("x", resource="cpu")],
        "anything else": [errors.MLHostError("x"), errors.MLSandboxError("x"),
                          errors.ModuleLoadError("x"), errors.MLConfigurationError("x"),
                          errors.MLError("x"), RuntimeError("x")],
    }
    documented = _documented_statuses()
    assert set(documented) == set(samples)
    for row, examples in samples.items():
        assert [status_for(e) for e in examples] == [documented[row]] * len(examples), row
