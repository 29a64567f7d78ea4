"""Tests of the diagnostics example: checker, audit command, health report, audit log, logs."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_debugging_diagnostics_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def mlpy_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlpy", *args], cwd=HERE, capture_output=True,
                          text=True, timeout=60, check=False)


def test_the_checker_finds_all_three_mistakes_without_running():
    assert [(severity, code, line) for severity, code, line, _ in app.findings()] == [
        ("warning", "MLW001", 5), ("warning", "MLW005", 10), ("error", "MLC001", 14)]


def test_mlpy_check_fails_on_the_error_and_names_the_fix():
    done = mlpy_cli("check", "rules.ml", "--input", "order")
    assert done.returncode == 3
    assert "rules.ml:14:15: error: unknown name 'ordr' [MLC001]" in done.stderr
    assert "hint: did you mean: order, ord, sorted?" in done.stderr


def test_mlpy_audit_lists_the_capabilities_a_script_would_need():
    done = mlpy_cli("audit", "untrusted.ml")
    assert done.returncode == 0
    assert "capabilities needed: file.read, network.http" in done.stdout


def test_the_health_report_of_a_working_engine():
    report = app.health_report(mlpy.Engine())
    assert (report["status"], report["ready"]) == ("healthy", True)
    assert set(report["checks"]) == {"capabilities", "compiler", "executor", "module_registry",
                                     "sandbox_pool"}


def test_the_audit_log_records_grant_use_revoke_and_deny():
    assert app.audit_trail() == [("grant", "console.write"), ("use", "console.write"),
                                 ("revoke", "console.write"), ("deny", "console.write")]


def test_debug_logging_shows_the_full_report_and_leaves_the_logger_as_it_was():
    lines = app.debug_log()
    assert " DEBUG mlpy.engine [" in lines[0]
    assert lines[0].endswith("the execution failed: fail.ml:2:10: error: division by zero "
                             "[MLR001]")
    logger = logging.getLogger("mlpy")
    assert logger.level == logging.NOTSET and logger.propagate


def test_main_prints_each_tool(capsys):
    app.main()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "warning MLW001 5 function 'max' shadows the builtin max()"
    assert out[4].startswith("[('grant', 'console.write')")
