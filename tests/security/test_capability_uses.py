"""A grant with ``max_uses=N`` pays for exactly N calls, whatever path the calls take.

The gate takes a use before a guarded function runs; the function's resource check
(``require``) must then accept that grant even when it was its last use -- and must not
let a call through on a limited grant it did not pay with, because another grant of the
same name (an unlimited one with another scope, say) passed the gate.
"""

from __future__ import annotations

import pytest

import mlpy
from mlpy import Capability
from mlpy.runtime.capabilities import USES

from .conftest import run

# How a program makes one guarded call: (capability granted, one call, needs a file).
CALLS = {
    "file.read": ("file.read", 'file.read(path);', True),
    "file.readLines": ("file.read", 'file.readLines(path);', True),
    "file.exists": ("file.read", 'file.exists(path);', True),
    "file.size": ("file.read", 'file.size(path);', True),
    "file.write": ("file.write", 'file.write(path, "x");', True),
    "csv.read": ("file.read", 'csv.read(path, ",", false);', True),
    "crypto.hash_file": ("file.read", 'crypto.hash_file(path);', True),
    "env.get": ("env.read", 'env.get("HOME");', False),
    "console.log": ("console.write", 'console.log("x");', False),
    "args.parse": ("args.read", 'args.create_parser("t").parse();', False),
}
IMPORTS = "import file; import csv; import crypto; import env; import console; import args;\n"


def count_calls(call: str, grants: list, path: str = "") -> int:
    """How many of ten calls succeed before the first refusal (a refusal must come)."""
    source = IMPORTS + f"""
calls = 0;
try {{
    for (i in range(10)) {{ {call} calls = calls + 1; }}
}} except (e) {{
    print(e.type, e.message);
}}
result = calls;
"""
    result = run(source, {"path": path}, capabilities=grants)
    assert result.ok, result.error
    assert "CapabilityError" in result.stdout and "no uses left" in result.stdout, result.stdout
    return result.value


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.argv", ["tool"])
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "f.csv"
    target.write_text("a,b\n1,2\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("uses", [1, 2, 4])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_max_uses_pays_for_exactly_that_many_calls(name, uses, data):
    capability, call, needs_file = CALLS[name]
    scope = f":{data}/data/**" if needs_file else ""
    grant = Capability.parse(capability + scope, max_uses=uses)
    assert count_calls(call, [grant], str(data / "data" / "f.csv")) == uses
    assert USES.used(grant.token_id) == uses


def test_another_grant_of_the_same_name_does_not_lift_the_limit(data):
    elsewhere = data / "other"
    elsewhere.mkdir()
    for limited_first in (True, False):
        limited = Capability.parse(f"file.read:{data}/data/**", max_uses=2)
        other = f"file.read:{elsewhere}/**"
        grants = [limited, other] if limited_first else [other, limited]
        assert count_calls("file.read(path);", grants, str(data / "data" / "f.csv")) == 2


def test_calls_on_an_unlimited_grant_take_no_use_of_a_limited_one(data):
    elsewhere = data / "other"
    elsewhere.mkdir()
    (elsewhere / "g.txt").write_text("g", encoding="utf-8")
    limited = Capability.parse(f"file.read:{data}/data/**", max_uses=2)
    source = ('import file; for (i in range(5)) { file.read(other); }\n'
              'n = 0; try { for (i in range(5)) { file.read(path); n = n + 1; } } '
              'except (e) { } result = n;')
    result = run(source, {"path": str(data / "data" / "f.csv"),
                          "other": str(elsewhere / "g.txt")},
                 capabilities=[limited, f"file.read:{elsewhere}/**"])
    assert result.ok and result.value == 2, result.error


def test_two_limited_grants_each_pay_for_their_own_files(data):
    elsewhere = data / "other"
    elsewhere.mkdir()
    (elsewhere / "g.txt").write_text("g", encoding="utf-8")
    first = Capability.parse(f"file.read:{data}/data/**", max_uses=2)
    second = Capability.parse(f"file.read:{elsewhere}/**", max_uses=3)
    source = ('import file;\n'
              'function reads(p) { n = 0; for (i in range(6)) { try { file.read(p); n = n + 1; }'
              ' except (e) { } } return n; }\n'
              'result = [reads(other), reads(path)];')
    result = run(source, {"path": str(data / "data" / "f.csv"),
                          "other": str(elsewhere / "g.txt")}, capabilities=[first, second])
    assert result.ok and result.value == [3, 2], result.error
    assert USES.used(first.token_id) == 2 and USES.used(second.token_id) == 3


def test_a_refused_call_takes_no_use(data):
    limited = Capability.parse(f"file.read:{data}/data/**", max_uses=2)
    source = ('import file; refused = 0;\n'
              'for (i in range(3)) {\n'
              '    try { file.read(outside); } except (e) { refused = refused + 1; }\n'
              '}\n'
              'n = 0; try { for (i in range(5)) { file.read(path); n = n + 1; } } except (e) { }\n'
              'result = [refused, n];')
    result = run(source, {"path": str(data / "data" / "f.csv"), "outside": "/etc/hostname"},
                 capabilities=[limited])
    assert result.ok and result.value == [3, 2], result.error


def test_writes_to_a_log_file_are_paid_for(data):
    log_file = data / "data" / "app.log"
    limited = Capability.parse(f"file.write:{data}/data/**", max_uses=3)
    source = ('import log; log.add_file(path); n = 0;\n'
              'try { for (i in range(5)) { log.info("x"); n = n + 1; } } except (e) { }\n'
              'result = n;')
    result = run(source, {"path": str(log_file)}, capabilities=["log.write", limited])
    assert result.ok, result.error
    assert result.value == 2  # add_file took one use, two records the other two
    assert log_file.read_text(encoding="utf-8").count("INFO") == 2


def test_a_host_function_with_a_limited_grant():
    @mlpy.host_function(capabilities=["users.read"])
    def lookup(user_id):
        mlpy.require("users.read", f"user:{user_id}")
        return {"id": user_id}

    grant = Capability.parse("users.read:user:*", max_uses=2)
    source = ('n = 0; try { for (i in range(5)) { lookup(i); n = n + 1; } } except (e) { }\n'
              'result = n;')
    result = run(source, {"lookup": lookup}, capabilities=[grant])
    assert result.ok and result.value == 2, result.error
