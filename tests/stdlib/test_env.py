"""The ``env`` module: the variable name is the resource a grant's scope is matched against."""

from __future__ import annotations

import os

import pytest

from mlpy.stdlib.env_bridge import Env


@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """A few known variables; the whole environment is restored afterwards, including the
    variables the programs set."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith(("APP_", "OTHER_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("APP_MODE", "fast")
    monkeypatch.setenv("APP_PORT", "8080")
    monkeypatch.setenv("APP_RATIO", "0.25")
    monkeypatch.setenv("APP_DEBUG", "Yes")
    monkeypatch.setenv("APP_BAD", "12abc")
    monkeypatch.setenv("OTHER_TOKEN", "s3cret")
    monkeypatch.setenv("HOME", "/home/someone")
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_getters(run):
    out = run.output("""
        import env;
        print(env.get("APP_MODE"), env.get("APP_NONE"), env.get("APP_NONE", "dflt"));
        print(env.require("APP_MODE"), env.has("APP_MODE"), env.has("APP_NONE"));
        print(env.get_int("APP_PORT"), env.get_int("APP_BAD"), env.get_int("APP_NONE", 7));
        print(env.get_float("APP_RATIO"), env.get_float("APP_BAD", 1.5),
              env.get_float("APP_NONE"));
        print(env.get_bool("APP_DEBUG"), env.get_bool("APP_MODE"), env.get_bool("APP_NONE", true));
    """, ["env.read"])
    assert out == ("fast null dflt\nfast true false\n8080 0 7\n0.25 1.5 0.0\n"
                   "true false true\n")


def test_require_of_an_unset_variable_is_a_catchable_error(run):
    out = run.output('import env; try { env.require("APP_NONE"); } '
                     'except (e) { print(e.type, e.message); }', ["env.read"])
    assert out == "RuntimeError Required environment variable not set: APP_NONE\n"


def test_all_returns_every_variable_with_an_unscoped_grant(run):
    result = run("import env; result = env.all();", ["env.read"])
    assert result.ok, result.error
    assert result.value == dict(sorted(os.environ.items()))


def test_set_and_delete(run):
    out = run.output("""
        import env;
        env.set("APP_NEW", 42);
        env.set("APP_FLAG", true);
        env.set("APP_NOTHING", null);
        print(env.get("APP_NEW"), env.get("APP_FLAG"), env.get("APP_NOTHING"));
        env.delete("APP_NEW");
        env.delete("APP_NEVER_SET");
        print(env.has("APP_NEW"));
    """, ["env.read", "env.write"])
    assert out == "42 true null\nfalse\n"
    assert os.environ["APP_FLAG"] == "true" and "APP_NEW" not in os.environ


@pytest.mark.parametrize("name", ['""', '"A=B"', "5", "null"])
def test_bad_names_are_refused(run, name):
    out = run.output(f'import env; try {{ env.get({name}); }} except (e) {{ print(e.type); }}',
                     ["env.read"])
    assert out in ("ValueError\n", "TypeError\n")


CALLS = {
    "get": ('env.get("APP_MODE");', "env.read"),
    "require": ('env.require("APP_MODE");', "env.read"),
    "has": ('env.has("APP_MODE");', "env.read"),
    "all": ("env.all();", "env.read"),
    "get_int": ('env.get_int("APP_PORT");', "env.read"),
    "get_float": ('env.get_float("APP_RATIO");', "env.read"),
    "get_bool": ('env.get_bool("APP_DEBUG");', "env.read"),
    "set": ('env.set("APP_MODE", "slow");', "env.write"),
    "delete": ('env.delete("APP_MODE");', "env.write"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_function_is_refused_without_its_capability(run, name):
    call, needed = CALLS[name]
    other = "env.write" if needed == "env.read" else "env.read"
    assert run.refused(f"import env; {call}", [other]).required == needed
    assert run.output(f"import env; try {{ {call} }} except (e) {{ print(e.type); }}") \
        == "CapabilityError\n"
    assert os.environ["APP_MODE"] == "fast"


def test_a_read_scope_admits_matching_names_only(run):
    grants = ["env.read:APP_*"]
    assert run.output('import env; print(env.get("APP_MODE"), env.has("APP_X"));',
                      grants) == "fast false\n"
    for call in ['env.get("HOME")', 'env.has("OTHER_TOKEN")', 'env.require("PATH")',
                 'env.get_int("OTHER_TOKEN")', 'env.get("app_mode")']:
        error = run.refused(f"import env; x = {call};", grants)
        assert error.required == "env.read"


def test_all_returns_only_the_variables_the_scope_admits(run):
    result = run("import env; result = env.all();", ["env.read:APP_*"])
    assert result.ok, result.error
    assert sorted(result.value) == ["APP_BAD", "APP_DEBUG", "APP_MODE", "APP_PORT", "APP_RATIO"]
    result = run("import env; result = env.all();", ["env.read:APP_*", "env.read:HOME"],
                 deny=["env.read:APP_P*"])
    assert sorted(result.value) == ["APP_BAD", "APP_DEBUG", "APP_MODE", "APP_RATIO", "HOME"]


def test_a_write_scope_admits_matching_names_only(run):
    grants = ["env.read", "env.write:APP_*"]
    run.output('import env; env.set("APP_NEW", "1"); env.delete("APP_MODE");', grants)
    assert os.environ["APP_NEW"] == "1" and "APP_MODE" not in os.environ
    for call in ['env.set("HOME", "/tmp")', 'env.delete("OTHER_TOKEN")', 'env.set("PATH", "")']:
        assert run.refused(f"import env; {call};", grants).required == "env.write"
    assert os.environ["HOME"] == "/home/someone" and os.environ["OTHER_TOKEN"] == "s3cret"


def test_deny_wins(run):
    grants, deny = ["env.read", "env.write"], ["env.read:OTHER_*", "env.write:APP_MODE"]
    assert run.output('import env; print(env.get("APP_MODE"));', grants, deny) == "fast\n"
    run.refused('import env; env.get("OTHER_TOKEN");', grants, deny)
    run.refused('import env; env.set("APP_MODE", "x");', grants, deny)


@pytest.mark.parametrize("source", [
    'g = env.get; x = g("HOME");',
    'm = env; x = m.get("HOME");',
    'x = call(env.get, "HOME");',
    'function apply(f, v) { return f(v); }\nx = apply(env.get, "HOME");',
    'readers = [env.require]; x = readers[0]("HOME");',
])
def test_every_way_of_reaching_a_function_is_checked(run, source):
    program = "import env;\n" + source
    run.refused(program)
    run.refused(program, ["env.read:APP_*"])
    run.output(program, ["env.read:HOME"])


def test_host_code_calling_the_bridge_directly_is_not_checked():
    module = Env()
    assert module.get("OTHER_TOKEN") == "s3cret"
    assert module.all()["HOME"] == "/home/someone"
    module.set("APP_FROM_HOST", 1)
    assert os.environ["APP_FROM_HOST"] == "1"
