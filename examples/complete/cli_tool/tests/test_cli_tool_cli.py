"""Tests of the mlbatch command: real files in tmp_path, through click's CliRunner and once
as a real process (``python -m mlbatch``), as the console script runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

click = pytest.importorskip("click")
pytest.importorskip("rich")

from click.testing import CliRunner

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # the project is not installed: import it from its folder

from mlbatch import Batch, load_config
from mlbatch.cli import EXIT_OK, EXIT_REJECTED, EXIT_RULE_BROKEN, EXIT_USAGE, main


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example's config, rules and inbox, free to change."""
    for name in ("rules", "inbox"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    shutil.copy(PROJECT / "mlbatch.toml", tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_sample_batch_reports_rejections_and_exits_1(project):
    outcome = run(str(project / "mlbatch.toml"))
    assert outcome.exit_code == EXIT_REJECTED
    assert "M-2: amount must be positive" in outcome.output
    assert "T-2: no customer" in outcome.output
    accepted = json.loads((project / "outbox" / "orders-tuesday.json").read_text())
    assert [order["id"] for order in accepted] == ["T-1"]


def test_a_clean_batch_exits_0(project):
    (project / "inbox" / "orders-tuesday.json").unlink()
    (project / "inbox" / "orders-monday.csv").write_text(
        "id,customer,amount\nM-1,ada,10\n", encoding="utf-8")
    outcome = run(str(project / "mlbatch.toml"))
    assert outcome.exit_code == EXIT_OK, outcome.output
    assert "orders-monday.csv" in outcome.output


def write_many(inbox: Path, count: int) -> None:
    for number in range(count):
        rows = [{"id": f"F{number}-{row}", "customer": "ada" if row % 3 else "",
                 "amount": row * 700} for row in range(20)]
        if number % 2:
            (inbox / f"batch-{number:02}.json").write_text(json.dumps(rows), encoding="utf-8")
        else:
            lines = ["id,customer,amount"] + [f"{r['id']},{r['customer']},{r['amount']}"
                                              for r in rows]
            (inbox / f"batch-{number:02}.csv").write_text("\n".join(lines), encoding="utf-8")


def test_a_parallel_run_gives_what_a_serial_run_gives(project):
    write_many(project / "inbox", 16)
    batch = Batch(load_config(project / "mlbatch.toml"))
    serial = batch.run(workers=1)
    serial_files = {path.name: path.read_bytes() for path in (project / "outbox").iterdir()}
    shutil.rmtree(project / "outbox")
    parallel = batch.run(workers=4)
    assert parallel == serial
    assert len(serial) == 18 and all(outcome.error is None for outcome in serial)
    assert {path.name: path.read_bytes() for path in (project / "outbox").iterdir()} == \
        serial_files


def test_a_rule_reading_another_file_is_denied_and_reported(project):
    (project / "secret.csv").write_text("id,customer,amount\nS-1,mallory,1\n", encoding="utf-8")
    rules = project / "rules" / "orders.ml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "records = input_format",
        'peek = csv.read(input_path + "/../../secret.csv");\nrecords = input_format'),
        encoding="utf-8")
    outcome = run(str(project / "mlbatch.toml"))
    assert outcome.exit_code == EXIT_REJECTED
    assert outcome.output.count("MLCAP001") == 2  # both files, each denied on its own
    assert "mallory" not in outcome.output
    assert not list((project / "outbox").iterdir())  # stopped before writing anything


def test_a_runaway_rule_is_stopped_by_the_step_limit(project):
    config = project / "mlbatch.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "max_steps = 1_000_000", "max_steps = 10_000"), encoding="utf-8")
    rules = project / "rules" / "orders.ml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "accepted = [];", "accepted = [];\nwhile (true) { }"), encoding="utf-8")
    outcome = run(str(config))
    assert outcome.exit_code == EXIT_REJECTED
    assert outcome.output.count("MLL00") == 2, outcome.output  # a limit error per file


@pytest.mark.parametrize("change, message", [
    (lambda text: text.replace('rules = "rules/orders.ml"', ""), "'rules' is missing"),
    (lambda text: text.replace('"inbox"', '"no-such-folder"'), "there is no such folder"),
    (lambda text: text.replace("workers = 4", "workers = 0"), "workers = 0"),
    (lambda text: text.replace("timeout = 5.0", "timeout = -1"), "give a positive number"),
    (lambda text: text.replace("timeout =", "timeuot ="), "no setting 'timeuot'"),
    (lambda text: text + "\n[broken", "is not valid TOML"),
])
def test_a_bad_config_exits_2_with_a_clear_message(project, change, message):
    config = project / "mlbatch.toml"
    config.write_text(change(config.read_text(encoding="utf-8")), encoding="utf-8")
    outcome = run(str(config))
    assert outcome.exit_code == EXIT_USAGE
    assert message in outcome.output and "Traceback" not in outcome.output


def test_a_missing_config_or_a_bad_option_exits_2(project):
    assert run(str(project / "nope.toml")).exit_code == EXIT_USAGE
    assert run(str(project / "mlbatch.toml"), "--workers", "0").exit_code == EXIT_USAGE


def test_rules_that_do_not_compile_exit_3_before_any_file_is_read(project):
    (project / "rules" / "orders.ml").write_text("result = ;", encoding="utf-8")
    outcome = run(str(project / "mlbatch.toml"))
    assert outcome.exit_code == EXIT_RULE_BROKEN
    assert "do not compile" in outcome.output and "MLS001" in outcome.output
    assert not (project / "outbox").exists()


def test_the_command_runs_as_a_real_process(project):
    # What the installed console script runs (`mlbatch = "mlbatch.cli:main"`), without the
    # cost of a pip install into a new virtual environment.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), *sys.path])}
    done = subprocess.run([sys.executable, "-m", "mlbatch", "mlbatch.toml"], check=False,
                          cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_REJECTED, done.stderr
    assert "mlbatch summary" in done.stdout and "M-2: amount must be positive" in done.stdout
    assert "\x1b[" not in done.stderr  # not a terminal: no progress bars drawn
    assert sorted(path.name for path in (project / "outbox").iterdir()) == [
        "orders-monday.json", "orders-tuesday.json"]
