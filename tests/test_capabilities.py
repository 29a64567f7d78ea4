"""Capability strings, sets, scopes, denies, limits on grants, and how grants propagate."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from datetime import datetime, timedelta

import pytest

import mlpy
from mlpy import Capabilities, Capability, CapabilityError, MLConfigurationError


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("text", [
    "file.read", "file.*", "file.read:/data/**", "network.http:https://api.example.com/v1/**",
    "env.read:APP_*", "db.query:orders", "console.write", "my_area.do_it",
])
def test_well_formed_capabilities_parse_and_print_back(text):
    assert str(Capability.parse(text)) == text


@pytest.mark.parametrize("text", [
    "file", "File.read", "file.", ".read", "file.read:", "file.read: ", "a.b.c", "", "file read",
    "network.http:https://x.example:99999/", "file.Read", "1file.read",
])
def test_malformed_capabilities_fail_at_grant_time(text):
    with pytest.raises(MLConfigurationError, match="capability|port"):
        mlpy.Engine(capabilities=[text])


def test_a_malformed_grant_on_a_session_or_execution_fails_clearly():
    engine = mlpy.Engine()
    result = engine.execute("x = 1;", capabilities=["file"])
    assert not result.ok and isinstance(result.error, MLConfigurationError)
    with pytest.raises(MLConfigurationError, match="area.action"):
        engine.session().grant("not a capability")


# ----------------------------------------------------------------------------- matching

CAPS = Capabilities.parse(
    ["file.read:/srv/data/**", "network.http:https://api.example.com/v1/**",
     "network.http:[::1]:8080",
     "env.read:APP_*", "console.write", "db.query:orders_*"],
    deny=["file.read:/srv/data/secrets/**"])


@pytest.mark.parametrize("request_, resource, allowed", [
    ("file.read", "/srv/data/a.csv", True),
    ("file.read", "/srv/data/deep/er/x.csv", True),
    ("file.read", "/srv/data/../etc/passwd", False),
    ("file.read", "/srv/data/secrets/key", False),
    ("file.read", "/srv/database/x", False),
    ("file.write", "/srv/data/a.csv", False),
    ("file.read", None, True),  # gate level: some file.read grant exists
    ("network.http", "https://api.example.com/v1/users?id=1", True),
    ("network.http", "https://API.Example.COM:443/v1/users", True),
    ("network.http", "http://api.example.com/v1/users", False),
    ("network.http", "https://api.example.com:8443/v1/users", False),
    ("network.http", "https://api.example.com/v2/users", False),
    ("network.http", "https://api.example.com.evil.io/v1/users", False),
    ("network.http", "https://user@evil.io/?https://api.example.com/v1/", False),
    ("network.http", "not a url", False),
    ("network.http", "http://[::1]:8080/health", True),
    ("network.http", "http://[::1]:9090/health", False),
    ("env.read", "APP_TOKEN", True),
    ("env.read", "HOME", False),
    ("env.read", "app_token", False),
    ("console.write", None, True),
    ("console.error", None, False),
    ("db.query", "orders_2024", True),
    ("db.query", "users", False),
])
def test_scopes_are_matched_per_area(request_, resource, allowed):
    assert CAPS.allows(request_, resource) is allowed


def test_file_scopes_resolve_symlinks_on_both_sides(tmp_path):
    public = tmp_path / "pub"
    public.mkdir()
    (tmp_path / "secret.txt").write_text("s")
    (public / "to_secret").symlink_to(tmp_path / "secret.txt")
    (public / "outside").symlink_to(tmp_path)
    (tmp_path / "alias").symlink_to(public)  # a scope written through a symlink
    caps = Capabilities.parse([f"file.read:{tmp_path}/alias/**"])
    assert caps.allows("file.read", str(public / "a.txt"))
    assert not caps.allows("file.read", str(public / "to_secret"))
    assert not caps.allows("file.read", str(public / "outside" / "secret.txt"))
    assert not caps.allows("file.read", str(public / ".." / "secret.txt"))


def test_relative_paths_are_made_absolute_against_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    caps = Capabilities.parse([f"file.read:{tmp_path}/data/*"])
    assert caps.allows("file.read", "data/x.csv")
    assert not caps.allows("file.read", "x.csv")
    assert not caps.allows("file.read", "data/sub/x.csv")  # * is one segment


def test_wildcard_actions_and_denies_without_scope():
    caps = Capabilities.parse(["file.*:/sandbox/**"], deny=["file.delete"])
    assert caps.allows("file.write", "/sandbox/a")
    assert not caps.allows("file.delete", "/sandbox/a")
    assert not caps.allows("file.delete")
    assert caps.names() == frozenset({"file.*"})


def test_several_grants_of_one_name_coexist():
    caps = Capabilities.parse(["file.read:/a/**", "file.read:/b/**"])
    assert caps.allows("file.read", "/a/x") and caps.allows("file.read", "/b/x")


def test_set_algebra():
    wide = Capabilities.parse(["file.read:/data/**", "console.write"])
    narrowed = wide.intersect(["file.read:/data/reports/*.csv", "file.write", "console.write"])
    assert {str(c) for c in narrowed} == {"file.read:/data/reports/*.csv", "console.write"}
    assert not narrowed.allows("file.read", "/data/other.csv")
    assert str(wide.attenuate(keep=["file.*"])) == "file.read:/data/**"
    assert not wide.attenuate(deny=["console.write"]).allows("console.write")
    joined = wide.union(["env.read"])
    assert joined.allows("env.read") and joined.allows("console.write")
    assert not wide.without("file.read").allows("file.read")


def test_intersect_never_widens_limits():
    limited = Capability.parse("console.write", max_uses=1)
    expired = Capability.parse("file.read:/a/**", expires_at=datetime.now() - timedelta(1))
    narrowed = Capabilities.parse([limited, expired]).intersect(
        ["console.write", "file.read:/a/x"])
    write = narrowed.find("console.write")
    assert write.max_uses == 1 and write.token_id == limited.token_id  # the same counter
    assert not narrowed.allows("file.read", "/a/x")  # still expired


def test_path_scopes_are_matched_like_file_scopes(tmp_path, monkeypatch):
    (tmp_path / "d" / "a").mkdir(parents=True)
    caps = Capabilities.parse([f"path.read:{tmp_path}/d/*"])
    assert caps.allows("path.read", str(tmp_path / "d" / "a"))
    assert not caps.allows("path.read", str(tmp_path / "d" / "a" / "b"))
    monkeypatch.chdir(tmp_path)
    relative = Capability.parse("file.read:d/**")  # relative: against today's directory
    monkeypatch.chdir(tmp_path / "d")
    assert relative.scope == f"{tmp_path}/d/**"
    assert Capabilities.parse([relative]).allows("file.read", str(tmp_path / "d" / "a" / "x"))


def test_use_limits_are_shared_by_copies_of_a_grant():
    grant = Capability.parse("console.write", max_uses=2)
    engine = mlpy.Engine(capabilities=[grant])
    again = mlpy.Engine(capabilities=Capabilities.parse([grant]))
    program = 'import console; console.log("hi");'
    assert engine.execute(program, capture_output=True).ok
    assert again.execute(program, capture_output=True).ok
    third = engine.execute(program, capture_output=True)
    assert isinstance(third.error, CapabilityError)
    assert "no uses left" in third.error.message


def test_expired_grants_do_not_apply():
    past = Capability.parse("console.write", expires_at=datetime.now() - timedelta(seconds=1))
    result = mlpy.Engine(capabilities=[past]).execute('import console; console.log(1);')
    assert isinstance(result.error, CapabilityError) and "expired" in result.error.message


def test_signed_wire_form_round_trips_and_refuses_tampering():
    key = os.urandom(32)
    limited = Capabilities.parse([Capability.parse("file.read:/d/**", max_uses=3, max_bytes=10)],
                                 deny=["file.read:/d/x"])
    wire = limited.to_wire(key)
    back = Capabilities.from_wire(wire, key)
    assert back == limited and back.grants[0].max_bytes == 10 and back.grants[0].max_uses == 3
    wire["grants"][0]["scope"] = "/**"
    with pytest.raises(MLConfigurationError, match="signature"):
        Capabilities.from_wire(wire, key)
    with pytest.raises(MLConfigurationError, match="unsigned"):
        Capabilities.from_wire({"grants": []}, key)
    with pytest.raises(MLConfigurationError, match="signature"):
        Capabilities.from_wire(limited.to_wire(os.urandom(32)), key)


# ----------------------------------------------------------------------------- the gate


def _reader(seen):
    @mlpy.host_function(capabilities=["file.read"])
    def read_file(path):
        mlpy.require("file.read", path)
        seen.append(path)
        return "contents"
    return read_file


def test_the_bridge_checks_the_concrete_resource(tmp_path):
    seen = []
    engine = mlpy.Engine(capabilities=[f"file.read:{tmp_path}/pub/**"])
    ok = engine.execute("result = read(p);", {"read": _reader(seen), "p": f"{tmp_path}/pub/a"})
    assert ok.value == "contents" and ok.capabilities_used == frozenset({"file.read"})
    refused = engine.execute("result = read(p);",
                             {"read": _reader(seen), "p": f"{tmp_path}/pub/../secret"})
    assert isinstance(refused.error, CapabilityError)
    assert "scope does not include" in refused.error.message
    assert seen == [f"{tmp_path}/pub/a"]


def test_a_denial_is_catchable_by_ml_and_names_what_is_missing():
    engine = mlpy.Engine(capabilities=["console.error"])
    result = engine.execute('''
        import console;
        try { console.log("x"); } except (e) { result = e.message; }
    ''')
    assert result.ok
    assert "'console.write'" in result.value and "granted: console.error" in result.value


def test_denial_messages_list_names_never_scopes(tmp_path):
    engine = mlpy.Engine(capabilities=[f"file.read:{tmp_path}/secret-layout/**"])
    result = engine.execute('import console; console.log(1);')
    assert "granted: file.read)" in result.error.message
    assert "secret-layout" not in result.error.message


@pytest.mark.parametrize("program", [
    'import console; console.log("x");',
    'import console; f = console.log; f("x");',
    'import console; m = console; m.log("x");',
    'import console; o = {f: console.log}; o.f("x");',
    'import console; fs = [console.log]; fs[0]("x");',
    'import console; getattr(console, "log")("x");',
    'import console; call(console.log, "x");',
    'import console; g = fn(f) => f("x"); g(console.log);',
    'import console as c; c.log("x");',
])
def test_every_way_of_reaching_a_guarded_function_is_checked(program):
    refused = mlpy.Engine().execute(program, capture_output=True)
    assert isinstance(refused.error, CapabilityError), program
    assert refused.stdout == ""
    granted = mlpy.Engine(capabilities=["console.write"]).execute(program, capture_output=True)
    assert granted.ok and granted.stdout == "x\n"


def test_a_stored_reference_is_checked_against_the_later_caller():
    engine = mlpy.Engine()
    session = engine.session(capabilities=["console.write"])
    session.exec("import console; keep = console.log;").raise_for_error()
    session.revoke("console.write")
    later = session.exec('keep("x");', capture_output=True)
    assert isinstance(later.error, CapabilityError) and later.stdout == ""
    session.grant("console.write")
    assert session.exec('keep("y");', capture_output=True).stdout == "y\n"


def test_revocation_is_immediate_for_functions_the_host_holds():
    session = mlpy.Engine().session(capabilities=["console.write"])
    session.exec('import console; function hello() { console.log("hi"); return 1; }')
    hello = session.function("hello")
    assert hello() == 1
    session.revoke("console.write")
    with pytest.raises(CapabilityError):
        hello()


def test_engine_denies_win_over_any_per_call_grant():
    engine = mlpy.Engine(deny=["console.write"])
    result = engine.execute('import console; console.log(1);', capabilities=["console.*"])
    assert isinstance(result.error, CapabilityError) and "denies" in result.error.message
    session = engine.session(capabilities=["console.write"])
    assert isinstance(session.exec('import console; console.log(1);').error, CapabilityError)


def test_profiles_name_capability_sets():
    engine = mlpy.Engine(profiles={"reporting": ["console.write"]})
    ok = engine.execute('import console; console.log(1);', capabilities="profile:reporting",
                        capture_output=True)
    assert ok.ok and ok.stdout == "1\n"
    unknown = engine.execute("x = 1;", capabilities="profile:nope")
    assert isinstance(unknown.error, MLConfigurationError) and "reporting" in unknown.error.message


DECLARING = """
capability Reports {
    resource "/srv/reports/*.csv";
    allow read;
}
import console;
console.log("started");
"""


def test_ml_capability_declarations_grant_nothing():
    result = mlpy.Engine().execute('''
        capability Logging { allow write "/tmp/log.txt"; }
        import console;
        console.log("x");
    ''', capabilities=["file.write:/tmp/log.txt"])
    assert isinstance(result.error, CapabilityError) and result.error.required == "console.write"


def test_ml_capability_declarations_are_checked_before_the_program_starts():
    refused = mlpy.Engine(capabilities=["console.write"]).execute(DECLARING, capture_output=True)
    assert isinstance(refused.error, CapabilityError) and refused.stdout == ""
    assert refused.error.ml_line == 4 and "Reports" in refused.error.message
    assert refused.error.required == "file.read"
    granted = mlpy.Engine(capabilities=["console.write", "file.read:/srv/reports/**"])
    assert granted.execute(DECLARING, capture_output=True).stdout == "started\n"
    narrower = mlpy.Engine(capabilities=["console.write", "file.read:/srv/reports/q1.csv"])
    assert not narrower.execute(DECLARING).ok  # the grant does not reach every file asked for
    denied = mlpy.Engine(capabilities=["console.write", "file.read:/srv/**"],
                         deny=["file.read:/srv/reports/**"])
    assert not denied.execute(DECLARING).ok
    partly = mlpy.Engine(capabilities=["console.write", "file.read:/srv/**"],
                         deny=["file.read:/srv/reports/secret.csv"])
    assert partly.execute(DECLARING).ok  # the denied file stays refused when it is read
    warnings = mlpy.Engine(capabilities=["console.write"]).check(DECLARING)
    assert [(w.code, w.line) for w in warnings] == [("MLCAP002", 4)]


def test_introspection_builtins_see_names_not_scopes(tmp_path):
    engine = mlpy.Engine(capabilities=[f"file.read:{tmp_path}/**", "console.write"])
    result = engine.execute(
        'result = [getCapabilities(), hasCapability("file.read"), hasCapability("file.read", p),'
        ' hasCapability("file.read", "/etc/passwd"), hasCapability("bogus"),'
        ' getCapabilityInfo("file.read").scoped];', {"p": f"{tmp_path}/x"})
    assert result.value == [["console.write", "file.read"], True, True, False, False, True]


def test_audit_records_grants_revokes_and_denials():
    engine = mlpy.Engine()
    session = engine.session(name="s1")
    session.grant("console.write")
    session.revoke("console.write")
    session.exec('import console; console.log(1);')
    events = [(e["event"], e["requirement"]) for e in engine.audit]
    assert events == [("grant", "console.write"), ("revoke", "console.write"),
                      ("deny", "console.write")]


def test_require_outside_any_execution_trusts_the_host():
    assert mlpy.require("file.read", "/etc/passwd") is None


def test_host_code_may_call_a_guarded_host_function_directly():
    @mlpy.host_function(capabilities=["console.write"])
    def greet():
        return "hi"

    assert greet() == "hi"
    refused = mlpy.Engine().execute("greet();", {"greet": greet})
    assert isinstance(refused.error, CapabilityError)


def test_ml_callbacks_the_host_keeps_stay_bound_to_their_execution():
    kept = []

    @mlpy.host_function
    def keep(callback):
        kept.append(callback)

    engine = mlpy.Engine()
    result = engine.execute('import console; keep(fn() => console.log("late"));',
                            {"keep": keep}, capture_output=True)
    assert result.ok
    with pytest.raises(CapabilityError):  # the execution had no console.write
        kept[0]()


def test_denials_carry_the_requirement_and_the_resource(tmp_path):
    seen = []
    engine = mlpy.Engine(capabilities=[f"file.read:{tmp_path}/pub/**"])
    refused = engine.execute("read(p);", {"read": _reader(seen), "p": "/etc/passwd"})
    assert refused.error.required == "file.read" and refused.error.resource == "/etc/passwd"


def test_a_denial_names_the_resource_as_the_bridge_shows_it(tmp_path):
    (tmp_path / "pub").mkdir()
    (tmp_path / "secret.txt").write_text("s")
    (tmp_path / "pub" / "link").symlink_to(tmp_path / "secret.txt")
    engine = mlpy.Engine(capabilities=[f"file.read:{tmp_path}/pub/**"])
    result = engine.execute(
        'import file; try { file.read(p); } except (e) { result = e.message; }',
        {"p": f"{tmp_path}/pub/link"})
    assert "pub/link" in result.value and "secret.txt" not in result.value


def test_a_recursive_scope_includes_its_directory():
    caps = Capabilities.parse(["file.read:/data/**"])
    assert caps.allows("file.read", "/data") and caps.allows("file.read", "/data/a/b")
    assert not caps.allows("file.read", "/database")


def test_check_warns_of_calls_that_need_grants_the_engine_lacks():
    source = "import console;\nimport file;\nconsole.log(1);\nx = file.read(p);\n"
    found = mlpy.Engine(capabilities=["console.write"]).check(source, inputs=["p"])
    assert [(d.code, d.severity, d.line, d.column) for d in found] == [
        ("MLCAP002", "warning", 4, 5)]
    assert "file.read" in found[0].message
    assert mlpy.Engine(capabilities=["console.write", "file.read:/d/**"]).check(
        source, inputs=["p"]) == []


def test_a_function_handle_passed_to_another_execution_can_only_narrow():
    producer = mlpy.Engine(capabilities=["console.write"])
    hello = producer.execute(PROGRAM + " result = hello;").value
    granted = mlpy.Engine(capabilities=["console.write"]).execute(
        "result = hello();", {"hello": hello}, capture_output=True)
    assert granted.value == 1
    refused = mlpy.Engine().execute("result = hello();", {"hello": hello})
    assert isinstance(refused.error, CapabilityError)


def test_reading_the_host_input_needs_a_grant(monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("typed\n"))
    assert isinstance(mlpy.execute("x = input();").error, CapabilityError)
    granted = mlpy.Engine(capabilities=["console.read"]).execute("result = input();")
    assert granted.value == "typed"


# ----------------------------------------------------------------------------- propagation

PROGRAM = 'import console; function hello() { console.log("hi"); return 1; }'


def test_caller_handles_run_under_the_capability_scope():
    session = mlpy.Engine().session()
    session.exec(PROGRAM)
    hello = session.function("hello").with_capabilities("caller")
    with pytest.raises(CapabilityError):
        hello()
    with mlpy.capability_scope(["console.write"]):
        assert hello() == 1
        assert mlpy.current_capabilities().allows("console.write")
        with mlpy.capability_scope(["console.error"], mode="intersect"):
            assert not mlpy.current_capabilities()
            with pytest.raises(CapabilityError):
                hello()
    assert not mlpy.current_capabilities()


def test_functions_returned_by_an_execution_keep_its_grants():
    engine = mlpy.Engine()
    result = engine.execute(PROGRAM + " result = hello;", capabilities=["console.write"])
    assert result.value() == 1
    denied = engine.execute(PROGRAM + " result = hello;")
    with pytest.raises(CapabilityError):
        denied.value()


def test_scopes_follow_asyncio_tasks_but_not_plain_threads():
    session = mlpy.Engine().session()
    session.exec(PROGRAM)
    hello = session.function("hello").with_capabilities("caller")

    async def main():
        with mlpy.capability_scope(["console.write"]):
            return await asyncio.create_task(asyncio.to_thread(hello))

    assert asyncio.run(main()) == 1

    outcome = {}

    def worker():
        try:
            outcome["value"] = hello()
        except CapabilityError as error:
            outcome["error"] = error

    with mlpy.capability_scope(["console.write"]):
        plain = threading.Thread(target=worker)
        plain.start()
        plain.join()
        assert "error" in outcome  # a new thread starts with no scope
        outcome.clear()
        copied = threading.Thread(target=contextvars.copy_context().run, args=(worker,))
        copied.start()
        copied.join()
        assert outcome == {"value": 1}


def test_grants_are_per_execution_in_concurrent_threads():
    engine = mlpy.Engine()
    results = {}

    def run(name, caps):
        results[name] = engine.execute(
            'import console; i = 0; while (i < 2000) { i = i + 1; } console.log(i);',
            capabilities=caps, capture_output=True)

    threads = [threading.Thread(target=run, args=(f"t{i}", ["console.write"] if i % 2 else []))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, result in results.items():
        if int(name[1:]) % 2:
            assert result.ok and result.stdout == "2000\n"
        else:
            assert isinstance(result.error, CapabilityError) and result.stdout == ""


# ----------------------------------------------------------------------------- constructors

SPELLINGS = {
    "list": lambda caps: list(caps),
    "tuple": lambda caps: tuple(caps),
    "set": lambda caps: set(caps),
    "generator": lambda caps: (c for c in caps),
    "dict keys": lambda caps: dict.fromkeys(caps).keys(),
}


@pytest.mark.parametrize("objects", [False, True], ids=["strings", "Capability objects"])
@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_every_entry_takes_any_iterable_of_capabilities(spelling, objects):
    texts = ["console.write", "env.read:APP_*"]
    make = SPELLINGS[spelling]

    def caps():
        return make([Capability.parse(t) for t in texts] if objects else texts)

    program = 'import console; import env; console.log(env.get("APP_X", "none"));'
    built = [
        Capabilities(caps()), Capabilities(grants=caps()), Capabilities.parse(caps()),
        mlpy.CapabilitySet([]).union(caps()), Capabilities.parse(["console.write",
                                                                  "env.read:APP_*"]).intersect(caps()),
    ]
    for capability_set in built:
        assert capability_set.allows("console.write") and capability_set.allows("env.read", "APP_X")
        result = mlpy.execute(program, capabilities=capability_set, capture_output=True)
        assert result.ok and result.stdout == "none\n", result.error
    for run in (lambda: mlpy.execute(program, capabilities=caps(), capture_output=True),
                lambda: mlpy.Engine(capabilities=caps()).execute(program, capture_output=True),
                lambda: mlpy.Engine().session(capabilities=caps()).exec(program,
                                                                          capture_output=True)):
        result = run()
        assert result.ok and result.stdout == "none\n", result.error
    assert not Capabilities(denies=caps()).union(["console.write"]).allows("console.write")
    assert not mlpy.Engine(deny=caps()).execute(program, capabilities=texts).ok
    assert Capabilities.parse(texts).attenuate(keep=make(["console.*"])).names() == {
        "console.write"}
    with mlpy.capability_scope(caps()) as scope:
        assert scope.allows("console.write")


def test_a_set_given_to_the_constructor_keeps_its_denies():
    base = Capabilities.parse(["file.read"], deny=["file.read:/secret/**"])
    copy = Capabilities(base)
    assert copy.grants == base.grants and copy.denies == base.denies
    assert not copy.allows("file.read", "/secret/x")


def test_one_string_is_one_capability_everywhere():
    assert Capabilities("console.write").names() == {"console.write"}
    engine = mlpy.Engine(deny="console.write")
    result = engine.execute('import console; console.log(1);', capabilities="console.write")
    assert isinstance(result.error, CapabilityError) and "denies" in result.error.message


BAD_SPECS = [5, 2.5, b"console.write", {"console.write": True}, [5], [None], ["file read"],
             [["console.write"]], object()]


@pytest.mark.parametrize("spec", BAD_SPECS, ids=[type(s).__name__ + str(i)
                                                  for i, s in enumerate(BAD_SPECS)])
def test_bad_capability_specs_are_configuration_errors_at_every_entry(spec):
    entries = [
        lambda: Capabilities(spec), lambda: Capabilities(denies=spec),
        lambda: Capabilities.parse(spec), lambda: Capabilities.parse(deny=spec),
        lambda: Capabilities().union(spec), lambda: Capabilities().intersect(spec),
        lambda: Capabilities().attenuate(deny=spec),
        lambda: mlpy.Engine(capabilities=spec), lambda: mlpy.Engine(deny=spec),
        lambda: mlpy.Engine(profiles={"p": spec}), lambda: mlpy.Engine().session(capabilities=spec),
        lambda: mlpy.capability_scope(spec),
        lambda: mlpy.Engine().load("function f() { return 1; }").function("f")
        .with_capabilities(spec),
    ]
    for entry in entries:
        with pytest.raises(MLConfigurationError):
            entry()
    result = mlpy.execute("result = 1;", capabilities=spec)
    assert isinstance(result.error, MLConfigurationError)


@pytest.mark.parametrize("limits", [
    {"max_uses": -1}, {"max_uses": 1.5}, {"max_uses": "3"}, {"max_uses": True},
    {"max_bytes": -5}, {"max_bytes": "10"}, {"expires_at": "2030-01-01"}, {"expires_at": 5},
    {"description": 5}, {"token_id": ""}, {"max_use": 3},
])
def test_limits_of_the_wrong_kind_are_refused_when_the_grant_is_made(limits):
    with pytest.raises(MLConfigurationError):
        Capability.parse("file.read", **limits)
    if "max_use" not in limits:
        with pytest.raises(MLConfigurationError):
            Capability("file", "read", **limits)


@pytest.mark.parametrize("keep", [5, [5], b"file.*", {"file.*": 1}])
def test_attenuate_keep_takes_globs_only(keep):
    with pytest.raises(MLConfigurationError):
        Capabilities.parse(["file.read"]).attenuate(keep=keep)


def test_zero_uses_is_a_grant_that_admits_no_call():
    exhausted = Capability.parse("console.write", max_uses=0)
    result = mlpy.execute('import console; console.log(1);', capabilities=[exhausted])
    assert isinstance(result.error, CapabilityError) and "no uses left" in result.error.message


@pytest.mark.parametrize("mode", ["execute", "async"])
def test_a_generator_of_grants_grants_while_an_observer_reads_the_grants(mode):
    """A listener that reports an execution's grants reads them before the run: a generator
    given as ``capabilities=`` must still grant the run (it granted nothing when read twice)."""
    import asyncio

    from mlpy.aio import AsyncEngine
    from mlpy.observability import events

    seen = []

    class Reporter(events.Listener):
        def execution_started(self, run):
            seen.append(run.grants())

    program = 'import console; console.log("granted");'
    reporter = Reporter()
    events.add_listener(reporter)
    try:
        if mode == "execute":
            result = mlpy.Engine().execute(program, capabilities=(c for c in ["console.write"]),
                                           capture_output=True)
        else:
            async def main():
                async with AsyncEngine(max_workers=1) as engine:
                    return await engine.execute(
                        program, capabilities=(c for c in ["console.write"]),
                        capture_output=True)
            result = asyncio.run(main())
    finally:
        events.remove_listener(reporter)
    output = result.stdout
    assert output == "granted\n", result.error
    assert seen and all(grants is not None and grants.allows("console.write") for grants in seen)
