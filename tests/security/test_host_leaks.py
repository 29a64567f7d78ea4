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
import os
import tempfile
import time

import pytest

import mlpy
from mlpy import CapabilityError

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
