"""SandboxConfig validation, its grant conversions, and the wire encoding (no processes)."""

from __future__ import annotations

import datetime
import math
import os

import pytest

from mlpy.errors import (
    MLConfigurationError, MLFrame, MLMarshalError, MLResourceError, MLRuntimeError, MLSyntaxError,
    Span,
    error_from_dict,
)
from mlpy.marshal import to_wire
from mlpy.runtime.capabilities import Capability, CapabilitySet
from mlpy.sandbox import SandboxConfig, from_wire, parse_size
from mlpy.sandbox.wire import (
    decode_frame, encode_frame, error_from_wire, error_to_wire, variables_to_wire,
)


@pytest.mark.parametrize("text, size", [
    (1234, 1234), ("256MB", 256_000_000), ("1.5GB", 1_500_000_000), ("512MiB", 512 * 2**20),
    ("10 kb", 10_000), ("2KiB", 2048), ("100", 100), ("7B", 7), (".5MB", 500_000),
])
def test_sizes_are_decimal_or_binary(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "12XB", "1,5GB", "-1MB", "0", 0, True, 1.5, "5M"])
def test_bad_sizes_are_configuration_errors(text):
    with pytest.raises(MLConfigurationError, match="size|at least 1 byte"):
        parse_size(text, "memory_limit")


def test_defaults_follow_the_spec():
    config = SandboxConfig()
    assert config.memory_limit == 256_000_000
    assert config.cpu_timeout == config.wall_timeout == 30.0
    assert config.file_size_limit == 10_000_000 and config.max_output == 1_000_000
    assert (config.max_open_files, config.max_processes, config.pool_size,
            config.max_tasks_per_worker) == (64, 0, 2, 100)
    assert config.network_disabled and config.require_limits and config.strict_mode
    assert config.working_dir is None and config.python_executable


@pytest.mark.parametrize("options", [
    {"cpu_timeout": 0}, {"wall_timeout": -1}, {"cpu_timeout": float("nan")},
    {"pool_size": 0}, {"max_open_files": 3}, {"max_processes": -1},
    {"max_tasks_per_worker": 0}, {"allowed_ports": [70000]}, {"allowed_hosts": [""]},
    {"extra_env": {"A=B": "x"}}, {"extra_env": {"A": 1}}, {"read_only_mode": "yes"},
    {"strict_mode": False}, {"working_dir": "/no/such/directory"},
    {"file_access_patterns": ["  "]},
])
def test_bad_options_are_configuration_errors(options):
    with pytest.raises(MLConfigurationError):
        SandboxConfig(**options)


def test_network_is_denied_by_default_whatever_is_granted():
    caps = SandboxConfig().restrict(CapabilitySet.parse(["network.http", "console.write"]))
    assert not caps.allows("network.http")
    assert caps.allows("console.write")


def test_allowed_hosts_narrow_network_grants():
    config = SandboxConfig(network_disabled=False, allowed_hosts=["api.example.com"],
                           allowed_ports=[443])
    caps = config.restrict(CapabilitySet.parse(["network.http", "console.write"]))
    assert caps.allows("network.http", "https://api.example.com/v1")
    assert not caps.allows("network.http", "https://evil.example.org/")
    assert not caps.allows("network.http", "http://api.example.com/")  # port 80
    assert caps.allows("console.write")
    assert not config.restrict(CapabilitySet.parse(["console.write"])).allows("network.http")


def test_file_patterns_grant_and_read_only_denies_writes(tmp_path):
    pattern = f"{tmp_path}/**"
    writable = SandboxConfig(file_access_patterns=[pattern]).restrict(CapabilitySet())
    assert writable.allows("file.read", str(tmp_path / "a.txt"))
    assert writable.allows("file.write", str(tmp_path / "a.txt"))
    assert not writable.allows("file.read", "/etc/passwd")
    read_only = SandboxConfig(file_access_patterns=[pattern], read_only_mode=True)
    caps = read_only.restrict(CapabilitySet.parse(["file.*"]))
    assert caps.allows("file.read", str(tmp_path / "a.txt"))
    for action in ("write", "append", "delete"):
        assert not caps.allows(f"file.{action}", str(tmp_path / "a.txt"))


def test_file_scopes_mean_what_they_mean_in_the_host(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = SandboxConfig(file_access_patterns=["data/*.csv"])
    caps = config.restrict(CapabilitySet.parse(["file.read:~/notes/**"], deny=["file.read:x"]))
    scopes = {str(g) for g in caps.grants} | {str(d) for d in caps.denies}
    home = os.path.expanduser("~")
    assert scopes == {f"file.read:{home}/notes/**", f"file.read:{tmp_path}/data/*.csv",
                      f"file.write:{tmp_path}/data/*.csv", f"file.read:{tmp_path}/x",
                      "network.*"}  # network_disabled adds this deny


# ----------------------------------------------------------------------------- wire


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**200, pytest.param(10**5000, id="huge-int"), 1.5,
    "text \u00e9 \ud800", [1, [2, {"a": None}]],
    {"$ml": "user data", "x": 1}, b"\x00\xff", datetime.datetime(2024, 5, 1, 12, 30),
    datetime.date(2024, 5, 1), datetime.time(8, 15), datetime.timedelta(seconds=90.5),
])
def test_values_survive_a_frame_exactly(value):
    frame = encode_frame({"type": "t", "value": to_wire(value)})
    decoded = from_wire(decode_frame(frame[4:])["value"])
    assert decoded == value and type(decoded) is type(value)


def test_non_finite_floats_survive():
    decoded = from_wire(decode_frame(encode_frame({"type": "t", "v": to_wire(
        [math.nan, math.inf, -math.inf])})[4:])["v"])
    assert math.isnan(decoded[0]) and decoded[1:] == [math.inf, -math.inf]


def test_unknown_or_malformed_tags_are_marshal_errors():
    with pytest.raises(MLMarshalError):
        from_wire({"$ml": "pickle", "v": "..."})
    with pytest.raises(MLMarshalError, match=r"\$\[1\]"):
        from_wire([1, {"$ml": "bytes", "b64": "not base64!"}])


def test_variables_that_cannot_cross_name_the_variable():
    with pytest.raises(MLMarshalError, match="variable 'hook'") as caught:
        variables_to_wire({"ok": 1, "hook": {"f": print}})
    assert caught.value.path == "$.hook.f"


def test_errors_rebuild_with_class_fields_and_position():
    error = MLRuntimeError("boom", kind="thrown", payload={"code": 7}, file="a.ml",
                           span=Span(2, 3, 2, 9), source="x = 1;\ny = f(1, 2);",
                           hints=["try again"], execution_id="e1")
    error.ml_traceback = [MLFrame("a.ml", 2, 1, "<program>", "y = f(1, 2);"),
                          MLFrame("a.ml", 5, 3, "f")]
    rebuilt = error_from_wire(error_to_wire(error, error.source), error.source)
    assert type(rebuilt) is MLRuntimeError
    assert str(rebuilt) == str(error)
    assert (rebuilt.kind, rebuilt.payload, rebuilt.execution_id, rebuilt.ml_traceback) == (
        "thrown", {"code": 7}, "e1", error.ml_traceback)
    limit = error_from_dict(error_to_wire(MLResourceError("cpu", resource="cpu", limit=2.0),
                                          None))
    assert type(limit) is MLResourceError and (limit.resource, limit.limit) == ("cpu", 2.0)


def test_error_from_dict_never_makes_foreign_classes():
    for name in ("ValueError", "SystemExit", "Capability", "object"):
        rebuilt = error_from_dict({"type": name, "message": "m", "code": "X1"})
        assert type(rebuilt).__name__ == "MLError" and rebuilt.code == "X1"


def test_compile_errors_keep_every_diagnostic():
    import mlpy
    source = "x = ;\ny = );"
    error = mlpy.Engine().execute(source).error
    rebuilt = error_from_wire(error_to_wire(error, source), source)
    assert type(rebuilt) is MLSyntaxError
    assert [d.to_dict() for d in rebuilt.diagnostics] == [d.to_dict() for d in error.diagnostics]
    assert str(rebuilt) == str(error)


def test_capability_limits_travel_signed():
    caps = CapabilitySet.parse([Capability.parse("console.write", max_uses=3)])
    wire = caps.to_wire(b"k" * 32)
    assert CapabilitySet.from_wire(wire, b"k" * 32).grants[0].max_uses == 3
    with pytest.raises(MLConfigurationError):
        CapabilitySet.from_wire(wire, b"x" * 32)
