"""Every Python the package installs on is tested: pyproject.toml, the nox sessions and CI
name the same versions, CI finds the interpreters that are installed, and the README's test
command is the one CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _classified() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: 3."
    return [c.rsplit(" ", 1)[1] for c in project["classifiers"] if c.startswith(prefix)]


def _nox_pythons() -> list[str]:
    source = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    return re.findall(r'"(3\.\d+)"', re.search(r"PYTHONS = \[(.*?)\]", source)[1])


def _ci_pythons() -> list[str]:
    return re.search(r"OTHER_PYTHONS=\((.*?)\)", CI)[1].split()


def test_pyproject_nox_and_ci_name_the_same_pythons():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11"
    assert _classified() == ["3.11", "3.12", "3.13"]
    assert _nox_pythons() == _classified()
    assert ["3.11", *_ci_pythons()] == _classified()  # 3.11 is CI's default python


def test_the_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"^pip install -e '(\.\[[a-z,]+\])' && (python -m pytest[^\n]*)$",
                        readme, re.M)
    assert command, "the README shows how to run the tests"
    assert f"EXTRAS='{command[1]}'" in CI
    installs = re.findall(r"pip install --quiet -e (\S+)", CI)
    assert installs and set(installs) == {'"$EXTRAS"'}  # every Python's venv alike
    assert re.search(rf"^{re.escape(command[2])} \|\| status=1$", CI, re.M)


def _find_python(version: str, path: Path, home: Path) -> str:
    function = re.search(r"^find_python\(\) \{.*?^\}$", CI, re.M | re.S)[0]
    done = subprocess.run(["bash", "-c", f"{function}\nfind_python {version}"],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": f"{path}:/usr/bin:/bin", "HOME": str(home)})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _fake_python(where: Path, prints: str, status: int = 0) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(f"#!/bin/sh\necho {prints}\nexit {status}\n", encoding="utf-8")
    where.chmod(0o755)
    return where


@pytest.mark.skipif(sys.platform == "win32", reason="CI's script is a bash script")
def test_ci_finds_each_installed_python_and_only_a_working_one(tmp_path):
    path, home = tmp_path / "bin", tmp_path / "home"
    path.mkdir()
    assert _find_python("3.12", path, home) == ""  # not installed: CI skips it with a note
    pyenv = _fake_python(home / ".pyenv/versions/3.12.4/bin/python", "3.12")
    assert _find_python("3.12", path, home) == str(pyenv)
    _fake_python(path / "python3.12", "pyenv: python3.12: command not found", 127)  # a shim
    assert _find_python("3.12", path, home) == str(pyenv)
    on_path = _fake_python(path / "python3.13", "3.13")
    assert _find_python("3.13", path, home) == str(on_path)
    _fake_python(home / ".pyenv/versions/3.13.1/bin/python", "3.11")  # a stale link
    (path / "python3.13").unlink()
    assert _find_python("3.13", path, home) == ""
