"""Tests of the configuration example: the application and the command line read the same
mlpy.toml, its production overlay changes where programs run, variables override it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REPORT = "north: 125.50 EUR\nsouth: 99.05 EUR\n"


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_foundation_configuration_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture(autouse=True)
def no_machine_settings(monkeypatch):
    for variable in [v for v in os.environ if v.startswith("MLPY")]:
        monkeypatch.delenv(variable)


def test_the_application_runs_the_report_with_the_files_settings():
    engine = app.make_engine()
    try:
        assert engine.config.files == (HERE / "mlpy.toml",)
        assert engine.timeout == 10.0 and engine.max_depth == 200
        assert engine.isolation == "inprocess"
        assert app.report(engine) == REPORT
    finally:
        engine.close()


def test_the_production_overlay_runs_programs_in_worker_processes():
    engine = app.make_engine("production")
    try:
        assert engine.isolation == "subprocess" and engine.timeout == 2.0
        assert engine.audit.redact is True
        assert engine.config.explain("runtime.timeout").source == \
            f"file:{HERE / 'mlpy.toml'}#environments.production"
        assert app.report(engine) == REPORT
    finally:
        engine.close()


def test_a_variable_overrides_the_file(monkeypatch):
    monkeypatch.setenv("MLPY__RUNTIME__TIMEOUT", "3")
    engine = app.make_engine()
    try:
        assert engine.timeout == 3.0
        assert engine.config.explain("runtime.timeout").source == "env:MLPY__RUNTIME__TIMEOUT"
    finally:
        engine.close()


def test_the_command_line_reads_the_same_file():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPY")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "report.ml"], cwd=HERE,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == REPORT and done.stderr == ""


def test_main_says_which_settings_are_in_effect(capsys):
    app.main("production")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("environment production: isolation subprocess, timeout 2.0 s, "
                        "max depth 200")
    assert lines[1:] == REPORT.splitlines()


def test_an_environment_the_file_does_not_define_is_an_error():
    from mlpy.errors import MLConfigurationError

    with pytest.raises(MLConfigurationError) as caught:
        app.make_engine("staging")
    assert "production" in caught.value.message  # it lists the ones the file defines


def test_a_misspelt_key_is_a_warning_that_names_the_right_one(tmp_path):
    import mlpy

    text = (HERE / "mlpy.toml").read_text().replace("max_workers = 8", "max_worker = 8")
    (tmp_path / "mlpy.toml").write_text(text)
    with pytest.warns(mlpy.MLConfigWarning, match="did you mean 'async.max_workers'"):
        config = mlpy.MLConfig.load(start_dir=tmp_path)
    assert config.get("async.max_workers") == 4  # the default: the misspelt key is ignored
