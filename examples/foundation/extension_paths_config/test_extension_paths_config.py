"""Tests of extension_paths_config: the command line and the application find the extension
modules where pyproject.toml says, and the environment and the Python call add directories."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent
LABELS = "A-17: 0.8 kg / 1.8 lb\nB-04: 2.3 kg / 5.1 lb\n"


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(
        "examples_foundation_extension_paths_config_app", HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture(autouse=True)
def no_machine_settings(monkeypatch):
    for variable in [v for v in os.environ if v.startswith("MLPY")]:
        monkeypatch.delenv(variable)


def mlpy_run(script: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLPY")}
    return subprocess.run([sys.executable, "-m", "mlpy", "run", script], cwd=HERE,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60, check=False)


def test_the_command_line_finds_the_plugins_the_project_file_lists():
    done = mlpy_run("label.ml")
    assert (done.returncode, done.stdout, done.stderr) == (0, LABELS, "")


def test_a_directory_the_file_does_not_list_is_not_searched():
    done = mlpy_run("service.ml")
    assert done.returncode == 3  # a compile error
    assert "module 'carrier' not found [E_MODULE_NOT_FOUND]" in done.stderr


def test_the_environment_adds_a_directory_after_the_files():
    done = mlpy_run("service.ml", MLPY_EXTENSION_PATHS="vendor")
    assert (done.returncode, done.stdout) == (0, "B-04: PARCEL\n"), done.stderr


def test_the_application_reads_the_same_project_file():
    engine = app.make_engine()
    assert engine.config.files == (HERE / "pyproject.toml",)
    assert engine.registry.extension_paths == [HERE / "plugins"]
    assert app.run(engine, "label.ml") == LABELS
    with pytest.raises(mlpy.MLImportError) as caught:
        app.run(engine, "service.ml")
    assert caught.value.code == "E_MODULE_NOT_FOUND"


def test_directories_from_python_come_before_the_files():
    engine = app.make_engine([HERE / "vendor"])
    assert engine.registry.extension_paths == [HERE / "vendor", HERE / "plugins"]
    assert app.run(engine, "service.ml") == "B-04: PARCEL\n"


def test_the_environment_variable_is_read_by_the_application_too(monkeypatch):
    monkeypatch.setenv("MLPY_EXTENSION_PATHS", str(HERE / "vendor"))
    engine = app.make_engine()
    assert engine.registry.extension_paths == [HERE / "plugins", HERE / "vendor"]
    assert app.run(engine, "service.ml") == "B-04: PARCEL\n"


def test_main_prints_the_labels(capsys):
    app.main()
    assert capsys.readouterr().out == (
        "settings from pyproject.toml\n" + LABELS
        + "service.ml: module 'carrier' not found [E_MODULE_NOT_FOUND]\nB-04: PARCEL\n")
