"""Tests of the CSV pipeline: real files in tmp_path, grants scoped to inbox and outbox."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_csv_pipeline_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture
def folders(tmp_path):
    inbox = Path(shutil.copytree(HERE / "inbox", tmp_path / "inbox"))
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    return inbox, outbox


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_rows_are_split_into_accepted_and_rejected_files(folders):
    inbox, outbox = folders
    assert app.run_pipeline(inbox, outbox).unwrap() == {"accepted": 2, "rejected": 2}
    assert lines(outbox / "accepted.csv") == ["order_id,customer,total", "A-1,ada,7.5",
                                              "A-3,linus,9.0"]
    assert lines(outbox / "rejected.csv") == ["order_id,reason", "A-2,bad qty",
                                              "A-4,no customer"]


def test_the_pipeline_cannot_read_outside_the_inbox(folders, tmp_path):
    inbox, outbox = folders
    (tmp_path / "secret.csv").write_text("token\nabc\n", encoding="utf-8")
    source = 'import csv;\nresult = csv.read(inbox + "/../secret.csv");'
    result = app.engine.execute(source, {"inbox": str(inbox), "outbox": str(outbox)},
                                capabilities=app.grants(inbox, outbox))
    assert isinstance(result.error, mlpy.CapabilityError)
    assert result.error.required == "file.read"


def test_a_symbolic_link_in_the_inbox_does_not_lead_out(folders, tmp_path):
    inbox, outbox = folders
    (tmp_path / "secret.csv").write_text("token\nabc\n", encoding="utf-8")
    os.remove(inbox / "orders.csv")
    os.symlink(tmp_path / "secret.csv", inbox / "orders.csv")
    result = app.run_pipeline(inbox, outbox)
    assert isinstance(result.error, mlpy.CapabilityError)
    assert not (outbox / "accepted.csv").exists()


def test_the_outbox_takes_csv_files_only(folders):
    inbox, outbox = folders
    source = 'import csv;\ncsv.write(outbox + "/run.sh", [["echo hi"]]);'
    result = app.engine.execute(source, {"inbox": str(inbox), "outbox": str(outbox)},
                                capabilities=app.grants(inbox, outbox))
    assert isinstance(result.error, mlpy.CapabilityError)
    assert not (outbox / "run.sh").exists()


def test_an_input_larger_than_the_grant_allows_is_refused(folders, monkeypatch):
    inbox, outbox = folders
    monkeypatch.setattr(app, "MAX_INPUT", 64)  # orders.csv has 95 bytes
    result = app.run_pipeline(inbox, outbox)
    assert isinstance(result.error, mlpy.CapabilityError)
    assert "more than the 64 bytes the grant allows" in result.error.message


def test_main_prints_both_files(capsys):
    app.main()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "{'accepted': 2, 'rejected': 2}"
    assert out[1] == "--- accepted.csv" and out[5] == "--- rejected.csv"
