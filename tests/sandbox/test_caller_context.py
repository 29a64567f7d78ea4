"""What a sandboxed program sees of its caller, and only that: relative paths start at the
caller's working directory (as relative grants do, and as in-process), the ``args`` module
shows the caller's command line, never the worker's own (which names host paths), and a
relative path never reaches beyond what the grant allows, ``..`` or symbolic links or not."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

import mlpy
from mlpy.runtime.capabilities import CapabilitySet
from mlpy.sandbox import SandboxConfig, SandboxPool
from mlpy.sandbox.process import WorkerProcess, dependency_path, package_directory
from mlpy.sandbox.wire import encode_frame, task_fingerprint
from mlpy.stdlib.args_bridge import program_arguments

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the sandbox needs POSIX")

READ_DATA = ["file.read:./data/**", "path.read:./data/**"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A caller's directory: data/ (granted), a secret beside it, a link out of data/."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("inside", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "data" / "link.txt").symlink_to(tmp_path / "secret.txt")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def one():
    with SandboxPool(SandboxConfig(pool_size=1)) as shared:
        yield shared


def in_both(source: str, capabilities: list[str], pool: SandboxPool):
    """The same program in this process and in a worker."""
    return (mlpy.Engine().execute(source, capabilities=capabilities, capture_output=True),
            pool.execute(source, capabilities=capabilities))


def test_a_relative_path_and_a_relative_grant_mean_the_callers_directory(project, one):
    for result in in_both('import file; result = file.read("data/in.txt");', READ_DATA, one):
        assert result.ok, result.error
        assert result.value == "inside"


def test_the_working_directory_a_program_sees_is_the_callers(project, one):
    here, there = in_both("import path; result = path.cwd();", ["path.read"], one)
    assert here.value == there.value == os.getcwd()


@pytest.mark.parametrize("attempt", [
    "data/../secret.txt", "./data/../secret.txt", "data/./../secret.txt",
    "data//../secret.txt", "data/link.txt", "../" + "x" * 3, "secret.txt",
    "data/../../etc/passwd", "/etc/passwd", "~/.bashrc",
])
def test_no_relative_path_escapes_the_grant(project, one, attempt):
    source = f"import file; result = file.read({attempt!r});"
    for result in in_both(source, READ_DATA, one):
        assert type(result.error) is mlpy.CapabilityError, (attempt, result.value)
        assert "secret" not in str(result.value)


def test_listing_through_dotdot_is_refused_and_a_listing_hides_the_link(project, one):
    _, listed = in_both('import path; result = path.listDir("data/..");', READ_DATA, one)
    assert type(listed.error) is mlpy.CapabilityError
    _, inside = in_both('import path; result = path.listDir("data");', READ_DATA, one)
    assert inside.value == ["in.txt"]  # link.txt leads out of the scope


def test_writes_land_where_the_grant_says_and_nowhere_else(project, one):
    granted = ["file.write:./data/out/**"]
    (project / "data" / "out").mkdir()
    wrote = one.execute('import file; file.write("data/out/a.txt", "x");', capabilities=granted)
    assert wrote.ok, wrote.error
    assert (project / "data" / "out" / "a.txt").read_text() == "x"
    escaped = one.execute('import file; file.write("data/out/../../b.txt", "x");',
                          capabilities=granted)
    assert type(escaped.error) is mlpy.CapabilityError
    assert not (project / "b.txt").exists() and not (project / "data" / "b.txt").exists()


def test_the_worker_keeps_its_own_private_directory(project, one):
    scratch = one.execute("import path; result = path.tempDir();", capabilities=["path.read"])
    assert scratch.ok and scratch.value != str(project)
    assert not Path(scratch.value).exists()  # removed after the execution


def test_an_explicit_working_dir_is_where_relative_paths_start(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "in.txt").write_text("there", encoding="utf-8")
    with SandboxPool(SandboxConfig(pool_size=1, working_dir=str(elsewhere))) as pool:
        result = pool.execute('import file; result = file.read("in.txt");',
                              capabilities=[f"file.read:{elsewhere}/*"])
    assert result.value == "there"


# ----------------------------------------------------------------------------- args


def test_the_worker_shows_the_callers_command_line_not_its_own(one, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["host.py", "--port", "8080"])
    shown = one.execute("import args; result = args.all();", capabilities=["args.read"])
    assert shown.value == ["host.py", "--port", "8080"]  # what it would see in-process
    # The worker's own command line names the host's package and library directories.
    assert package_directory() in sys.modules["mlpy.sandbox.process"].worker_command(
        one.config, 0, 1, 2)
    assert not {package_directory(), dependency_path()} & set(shown.value)


def test_program_arguments_reach_the_worker_exactly(one):
    source = "import args; result = [args.all(), args.script(), args.rest()];"
    with program_arguments(["tool.ml", "--out", "x.json"]):
        here = mlpy.Engine().execute(source, capabilities=["args.read"])
        there = one.execute(source, capabilities=["args.read"])
    assert here.value == there.value == [["tool.ml", "--out", "x.json"], "tool.ml",
                                         ["--out", "x.json"]]
    with program_arguments([]):
        assert one.execute(source, capabilities=["args.read"]).value == [[], "", []]


def test_the_command_line_still_needs_args_read(one):
    with program_arguments(["tool.ml", "secret-token"]):
        refused = one.execute("import args; result = args.rest();")
    assert type(refused.error) is mlpy.CapabilityError and refused.value is None


# ----------------------------------------------------------------------------- the frame


def frame(key: bytes, **changes) -> bytes:
    source = "import file; result = file.read('in.txt');"
    body = {"type": "run", "execution_id": "e1", "result_name": "result",
            "program": {"source": source, "filename": "<string>", "inputs": [],
                        "fingerprint": task_fingerprint(source, "<string>", ())},
            "variables": {}, "limits": {"timeout": 5, "cpu": 5},
            "capabilities": CapabilitySet.parse(["file.read"]).to_wire(key)}
    return encode_frame({**body, **changes})


@pytest.mark.parametrize(("changes", "why"), [
    ({"cwd": "relative/dir"}, "working directory"), ({"cwd": 7}, "working directory"),
    ({"argv": "not a list"}, "arguments"), ({"argv": ["ok", 3]}, "arguments"),
])
def test_the_worker_refuses_a_malformed_directory_or_command_line(changes, why):
    key = os.urandom(32)
    worker = WorkerProcess(SandboxConfig(pool_size=1), key)
    try:
        worker.wait_ready()
        reply = worker.run(frame(key, **changes), "e1", time.monotonic() + 10)
        assert reply["type"] == "refused" and why in reply["message"]
    finally:
        worker.end("closed")
