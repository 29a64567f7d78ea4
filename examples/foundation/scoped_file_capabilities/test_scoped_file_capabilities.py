"""Tests of scoped_file_capabilities, on real files in a temporary folder: the report reads
and writes within its grants, and every way out of them -- `..`, a symbolic link, the denied
folder, another file type, another folder -- is refused with a CapabilityError."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(
        "examples_foundation_scoped_file_capabilities_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture
def folders(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    shutil.copytree(HERE / "data", data)
    out.mkdir()
    (tmp_path / "secret.txt").write_text("the host's secret")
    return data, out


def read(engine: mlpy.Engine, path: Path) -> mlpy.ExecutionResult:
    return engine.execute("import file; result = file.read(path);", {"path": str(path)})


def test_the_summary_is_written_within_the_grants(folders):
    data, out = folders
    result = app.run("summarise.ml", data, out)
    assert result.value == 3
    assert (out / "summary.csv").read_text().splitlines() == [
        "region,total", "north,160.5", "south,80.0", "west,15.25"]


def test_every_probe_is_refused_and_nothing_changes(folders):
    data, out = folders
    before = (data / "sales.csv").read_bytes()
    result = app.run("probe.ml", data, out)
    assert result.ok, result.error
    assert [line.rsplit(": ", 1)[1] for line in result.stdout.splitlines()] == \
        ["CapabilityError"] * 4
    assert (data / "sales.csv").read_bytes() == before
    assert not (out / "notes.txt").exists()


def test_dot_dot_is_resolved_before_the_scope_is_matched(folders):
    data, out = folders
    error = read(app.file_engine(data, out), data / ".." / "secret.txt").error
    assert isinstance(error, mlpy.CapabilityError) and error.required == "file.read"
    assert "whose granted scope does not include it" in error.message


def test_a_symbolic_link_inside_the_folder_does_not_lead_out_of_it(folders):
    data, out = folders
    (data / "shortcut.txt").symlink_to(data.parent / "secret.txt")
    error = read(app.file_engine(data, out), data / "shortcut.txt").error
    assert isinstance(error, mlpy.CapabilityError)


def test_the_deny_wins_over_the_grant_that_covers_it(folders):
    data, out = folders
    engine = app.file_engine(data, out)
    error = read(engine, data / "private" / "salaries.csv").error
    assert isinstance(error, mlpy.CapabilityError)
    assert "which the host denies" in error.message
    assert read(engine, data / "sales.csv").value.startswith("region,amount")


def test_a_file_larger_than_the_grant_allows_is_refused_not_read(folders):
    data, out = folders
    (data / "huge.csv").write_text("region,amount\n" + "north,1\n" * 200_000)
    error = read(app.file_engine(data, out), data / "huge.csv").error
    assert isinstance(error, mlpy.CapabilityError)
    assert f"more than the {app.MAX_INPUT:,} bytes the grant allows" in error.message


def test_the_engines_grants_answer_the_same_questions_for_the_host(folders):
    data, out = folders
    grants: mlpy.CapabilitySet = app.file_engine(data, out).capabilities
    assert grants.allows("file.read", str(data.resolve() / "sales.csv"))
    assert not grants.allows("file.read", str(data.resolve() / "private" / "salaries.csv"))
    assert not grants.allows("file.write", str(out.resolve() / "notes.txt"))


def test_each_refusal_is_in_the_audit_log(folders):
    data, out = folders
    engine = app.file_engine(data, out)
    read(engine, data / "private" / "salaries.csv")
    denials = [event for event in engine.audit if event["event"] == "deny"]
    assert [event["requirement"] for event in denials] == ["file.read"]


def test_main_writes_the_summary_and_reports_the_probes(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == ["summarise.ml wrote 3 regions:", "region,total", "north,160.5",
                         "south,80.0", "west,15.25"]
    assert lines[5:] == [f"{what}: CapabilityError" for what in (
        "read a file outside data/", "read the denied private/ folder",
        "write a file that is not a .csv", "write into data/")]
