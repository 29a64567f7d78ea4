"""What a script learns about the host, and what it leaves behind, without a grant.

A script without grants must not learn where the host runs (working directory, home
directory, temporary directory, time zone), which users exist, or anything of the host's
random state -- not from a result, not from a refusal's message. Its effects stay its own:
a seed or a log setting it changes does not reach another execution, a session, or the host,
and Python warnings it causes go to its own error output (bounded by ``max_output``), never to
the host's stderr.
"""

from __future__ import annotations

import getpass
import logging
import os
import random
import tempfile
import time
import warnings

import pytest

import mlpy
from mlpy import CapabilityError, MLError

from .conftest import run


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A host whose working, home and temporary directories have recognisable names."""
    places = {name: tmp_path / f"{name}-secret" for name in ("cwd", "home", "temp")}
    for place in places.values():
        place.mkdir()
    monkeypatch.chdir(places["cwd"])
    monkeypatch.setenv("HOME", str(places["home"]))
    monkeypatch.setattr(tempfile, "tempdir", str(places["temp"]))
    return places


def _secrets(host) -> list[str]:
    return [str(place.resolve()) for place in host.values()] + [
        str(place) for place in host.values()] + ["-secret", f"/{getpass.getuser()}"]


REVEALING = [
    'path.absolute("~")', 'path.absolute("~/notes")', 'path.absolute("notes")',
    'path.absolute(".")', 'path.absolute("")', 'path.relative("a", "b")',
    'path.relative("/x", "~/y")', 'path.absolute("~" + user)', 'path.absolute("~" + user + "/x")',
    'path.absolute("~nosuchuser8f3a")', "path.cwd()", "path.home()", "path.tempDir()",
    'path.glob("*.txt")', 'path.glob("~/*")', 'path.exists("notes")', 'path.exists("~/notes")',
    'path.listDir(".")', 'path.listDir("~")', 'path.walk(".")', 'path.isFile("notes")',
    'path.createDir("made")', 'path.removeDir("made")', 'path.removeDirRecursive("~")',
    'file.read("notes")', 'file.read("~/notes")', 'file.exists("notes")',
    'file.write("notes", "x")', 'csv.read("notes.csv")', 'log.add_file("app.log")',
]
# No grant at all, grants elsewhere (the refusal then comes from the scope check), and grants
# of the area without scope for the other capabilities a call needs.
GRANTS = {
    "none": [],
    "elsewhere": ["path.read:/elsewhere/**", "path.write:/elsewhere/**",
                  "file.read:/elsewhere/**", "file.write:/elsewhere/**", "log.write"],
}


@pytest.mark.parametrize("grants", sorted(GRANTS))
@pytest.mark.parametrize("call", REVEALING)
def test_a_refusal_never_names_the_host_directories(host, call, grants):
    source = f"import path; import file; import csv; import log;\nx = {call};\nprint(x);"
    result = run(source, {"user": getpass.getuser()}, engine=mlpy.Engine(
        capabilities=GRANTS[grants]))
    assert isinstance(result.error, CapabilityError), result.error
    shown = str(result.error) + result.stdout + result.stderr + result.error.message
    for secret in _secrets(host):
        assert secret not in shown, shown


@mlpy.host_function(capabilities=["file.read"])
def read_text(path):
    """A host function that checks the resource itself."""
    mlpy.require("file.read", path)
    return "text"


@pytest.mark.parametrize("path", ["notes", "~/notes", "./link/notes", "link"])
def test_a_host_function_refusal_names_the_path_as_given(host, path):
    (host["cwd"] / "link").symlink_to(host["home"])
    result = run(f"x = read_text({path!r});", {"read_text": read_text},
                 engine=mlpy.Engine(capabilities=["file.read:/elsewhere/**"]))
    assert isinstance(result.error, CapabilityError), result.error
    assert f"for {path!r}," in result.error.message
    for secret in _secrets(host):
        assert secret not in str(result.error)


@pytest.mark.parametrize("name", [getpass.getuser(), "root", "nosuchuser8f3a"])
def test_tilde_name_is_a_plain_name_so_no_user_can_be_found(host, name):
    grant = f"path.read:{host['cwd'].resolve()}/**"
    out = run(f'import path; print(path.absolute("~{name}/x"));', engine=mlpy.Engine(
        capabilities=[grant])).stdout
    assert out == f"{os.getcwd()}/~{name}/x\n"
    refused = run(f'import path; x = path.absolute("~{name}");').error
    assert refused.message == ("this needs the capability 'path.read' for "
                               f"'~{name}', which this execution was not granted (granted: "
                               "none)")


def test_the_directories_are_there_for_a_program_granted_them(host):
    grants = [f"path.read:{place.resolve()}/**" for place in host.values()]
    out = run('import path; print(path.cwd(), path.home(), path.tempDir(), path.absolute("~"));',
              engine=mlpy.Engine(capabilities=grants)).stdout
    home = str(host["home"])
    assert out == f"{os.getcwd()} {home} {host['temp']} {home}\n"


# ----------------------------------------------------------------------------- time zone


@pytest.fixture
def tokyo(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("the time zone cannot be changed on this platform")
    monkeypatch.setenv("TZ", "Etc/GMT-9")  # nine hours east of UTC
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_local_time_needs_the_grant_that_reads_the_clock(tokyo):
    source = ("import datetime; d = datetime.fromTimestamp(0);"
              " print(d, d.timestamp(), datetime.create(1970, 1, 1, 9).timestamp());")
    assert run(source).stdout == "1970-01-01T00:00:00 0.0 32400.0\n"
    granted = run(source, engine=mlpy.Engine(capabilities=["datetime.now"]))
    assert granted.stdout == "1970-01-01T09:00:00 0.0 0.0\n"


# ----------------------------------------------------------------------------- random state


RANDOM_CALLS = ["math.random()", "random.random()", "random.randomInt(0, 1000000)",
                "random.shuffle(range(20))", "random.setSeed(1)", "random.choice(range(50))",
                "random.gaussian()", "random.sample(range(30), 5)"]


@pytest.mark.parametrize("call", RANDOM_CALLS)
def test_a_script_neither_reads_nor_moves_the_host_random_stream(call):
    random.seed(20240229)
    expected = random.Random(20240229)
    state = random.getstate()
    result = run(f"import math; import random; x = {call}; y = math.random();"
                 " z = random.random(); result = [y, z];")
    assert result.ok, result.error
    assert random.getstate() == state  # the host's stream did not move
    assert expected.random() not in result.value  # and the script did not draw from it


def test_math_random_follows_the_program_seed():
    result = run("import math; import random; random.setSeed(42);"
                 " result = [random.randomInt(1, 10), math.random()];")
    assert result.value == [2, 0.025010755222666936]  # Python's stream for seed 42


def test_a_seed_belongs_to_its_program():
    engine = mlpy.Engine()
    seeded = engine.execute("import random; random.setSeed(7); function draw() {"
                            " return random.random(); } result = draw;").value
    other = engine.execute("import random; function draw() { return random.random(); }"
                           " result = draw;").value
    reference = random.Random(7)
    stream = [reference.random() for _ in range(3)]
    assert seeded() == stream[0]
    assert other() not in stream  # the other program's generator is its own
    assert seeded() == stream[1]
    assert engine.execute("import random; result = random.random();").value not in stream


def test_a_session_is_one_program_for_its_seed():
    session = mlpy.Engine().session()
    session.exec("import random; random.setSeed(42);")
    assert session.exec("result = random.randomInt(1, 10);").value == 2
    assert session.exec("import math; result = math.random();").value == 0.025010755222666936
    assert session.exec("result = random.getSeed();").value == 42


# ----------------------------------------------------------------------------- log settings


def test_log_settings_stay_with_their_program():
    engine = mlpy.Engine(capabilities=["log.write"])
    to_json = engine.execute('import log; function f() { log.set_format("json");'
                             ' log.set_level("ERROR"); } result = f;').value
    session = engine.session()
    session.exec('import log; log.set_timestamp(false); function h() { log.info("session"); }')
    root = logging.getLogger()
    before = (root.level, list(root.handlers), logging.getLogger("ml").handlers[:])
    to_json()
    fresh = engine.execute('import log; log.set_timestamp(false); log.info("fresh");',
                           capture_output=True)
    assert fresh.stdout == "INFO: fresh\n"
    assert session.exec("h();", capture_output=True).stdout == "INFO: session\n"
    assert (root.level, list(root.handlers), logging.getLogger("ml").handlers[:]) == before


def test_a_kept_function_logs_with_its_own_program_settings(capsys):
    engine = mlpy.Engine(capabilities=["log.write"])
    to_json = engine.execute('import log; function f() { log.set_format("json"); }'
                             ' result = f;').value
    plain = engine.execute('import log; log.set_timestamp(false); function g() {'
                           ' log.info("plain"); } result = g;').value
    to_json()
    plain()
    assert capsys.readouterr().out == "INFO: plain\n"


# ----------------------------------------------------------------------------- warnings


FOLDED = ["x = (1 + 2)[0];", "x = (2 * 3.5)[0];", "x = (1 // 1)[0];"]
PATTERNS = ["[[a]", "[a-z--x]", "[a&&b]", "[a||b]", "[a~~b]"]


@pytest.fixture
def strict_warnings():
    """The host runs with warnings as errors (``python -W error``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("source", FOLDED)
def test_python_compile_warnings_never_reach_the_host(source, strict_warnings, capfd):
    for result in (run(source), mlpy.Engine().session().exec(source, capture_output=True)):
        assert isinstance(result.error, MLError), result.error
        assert "not subscriptable" in result.error.message
        assert "comma" not in str(result.error)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_warnings_go_to_the_script_error_output(pattern, strict_warnings, capfd):
    source = f"import regex; r = regex.compile({pattern!r}); print(r.test('a'));"
    for _ in range(2):  # reported every time, not only on the first compilation
        result = run(source)
        assert result.ok, result.error
        assert result.stderr.startswith("warning: regex: Possible set ")  \
            or result.stderr.startswith("warning: regex: Possible nested set")
        assert pattern in result.stderr and "regex_bridge" not in result.stderr
    assert capfd.readouterr().err == ""
    bounded = run(source, max_output=10)
    assert bounded.error.resource == "output" and len(bounded.stderr) <= 10


@pytest.mark.parametrize("template", ["\\g<+1>", "\\g<\u0661>", "\\g<1 >", "\\g<>"])
def test_replacement_group_names_are_checked_alike_on_every_python(template, strict_warnings):
    for call in (f"regex.sub('(a)', {template!r}, 'a')",
                 f"regex.match('(a)', 'a').expand({template!r})"):
        result = run(f"import regex; x = {call};")
        assert result.error.kind == "value_error", result.error
        assert "group name" in result.error.message
    assert run(f"import regex; result = regex.sub('(a)', '\\\\{template}', 'a');").ok
