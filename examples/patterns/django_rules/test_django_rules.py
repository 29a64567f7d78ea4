"""Runs the project's own Django tests (``shop/tests.py``) as its developers do:
``python app.py test shop``, in a process of its own.

Django has one configuration per process, and this project needs its own (a database, the
admin), so its tests cannot share a process with other Django tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("django")

HERE = Path(__file__).resolve().parent


def test_the_django_test_suite_of_the_project_passes():
    run = subprocess.run([sys.executable, "app.py", "test", "shop", "--verbosity", "2"],
                         cwd=HERE, capture_output=True, text=True, timeout=300)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "Ran 7 tests" in report and "OK" in report, report
    # Django's test database for sqlite is in memory, never the file runserver uses.
    assert "Creating test database for alias 'default' ('file:memorydb_default" in report
