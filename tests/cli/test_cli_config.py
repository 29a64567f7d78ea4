"""The command line and the configuration (integration spec §8.2, §10): the global --config,
--env and --isolated, ``config show|validate|explain``, and run/exec/check taking module
directories, limits and default grants from the configuration. A configuration that does
not load is exit 2 naming the source, the key and the expected type.

Through click's CliRunner, and a real subprocess where the process's logging matters.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlpy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]

BRIDGE = '''
from mlpy.ext import ml_function, ml_module


@ml_module("greet", "Greetings")
class Greet:
    @ml_function("Greet someone")
    def hello(self, name):
        return "hello " + name
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project: an extension in ext/, programs in app/, the config written by each test;
    the working directory is the project; no MLPY_* variable of the machine counts."""
    for variable in [v for v in os.environ if v.startswith("MLPY")]:
        monkeypatch.delenv(variable)
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "greet_bridge.py").write_text(BRIDGE, encoding="utf-8")
    app = tmp_path / "app"
    app.mkdir()
    (app / "greet.ml").write_text('import greet;\nimport console;\n'
                                  'console.log(greet.hello("ada"));\n', encoding="utf-8")
    (app / "loop.ml").write_text("while (true) {}\n", encoding="utf-8")
    (app / "value.ml").write_text("result = 6 * 7;\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("mlpy")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield tmp_path
    logger.handlers[:], (logger.level, logger.propagate) = saved[0], saved[1:]


def config_file(folder: Path, data: dict, name: str = "mlpy.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


SHOP = {
    "name": "shop",
    "python_extension_paths": ["./ext"],
    "security": {"default_capabilities": ["console.write"]},
    "runtime": {"timeout": 5},
    "async": {"max_workers": 6},
    "environments": {"ci": {"runtime": {"timeout": 0.3},
                            "security": {"default_capabilities": []}}},
}


# ----------------------------------------------------------------------------- config show


def test_config_show_lists_every_setting_with_its_source(project):
    file = config_file(project, SHOP)
    done = invoke("config", "show", env={"MLPY__ASYNC__MAX_PENDING": "50"})
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    # paths in the text relative to the working directory (--json has them absolute)
    assert any(line.split() == ["async.max_workers", "6", "(file:mlpy.json)"] for line in lines)
    assert any(line.split() == ["async.max_pending", "50", "(env:MLPY__ASYNC__MAX_PENDING)"]
               for line in lines)
    assert any(line.split() == ["debug.enabled", "false", "(default)"] for line in lines)
    assert done.stderr == "configuration: mlpy.json\n"
    assert file.is_file()


def test_config_show_json_is_one_document(project):
    file = config_file(project, SHOP)
    done = invoke("--env", "ci", "config", "show", "--json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["files"] == [str(file)] and document["environment"] == "ci"
    settings = {row["key"]: row for row in document["settings"]}
    assert settings["runtime.timeout"] == {"key": "runtime.timeout", "value": 0.3,
                                           "source": f"file:{file}#environments.ci"}
    assert settings["python_extension_paths"]["value"] == [str(project / "ext")]
    assert set(document["environments"]) == {"ci"}


# ----------------------------------------------------------------------------- config explain


def test_config_explain_gives_the_value_and_its_provenance_chain(project):
    config_file(project, SHOP)
    done = invoke("--env", "ci", "config", "explain", "runtime.timeout",
                  env={"MLPY__RUNTIME__TIMEOUT": "7"})
    assert done.exit_code == 0, done.output
    lines = [line.split() for line in done.stdout.splitlines()]
    assert lines[0] == ["runtime.timeout", "=", "7.0"]
    assert lines[1] == ["from", "env:MLPY__RUNTIME__TIMEOUT"]
    assert lines[3:7] == [["env:MLPY__RUNTIME__TIMEOUT", "7.0"],
                          ["file:mlpy.json#environments.ci", "0.3"],
                          ["file:mlpy.json", "5.0"], ["default", "30.0"]]


def test_config_explain_json_and_the_cli_layer_of_v_and_q(project):
    done = invoke("-vv", "config", "explain", "observability.logging.level", "--json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["value"] == "DEBUG" and document["source"] == "cli:-vv"
    assert document["layers"] == [{"source": "cli:-vv", "value": "DEBUG"},
                                  {"source": "default", "value": "WARNING"}]
    quiet = json.loads(invoke("-q", "config", "explain", "observability.logging.level",
                              "--json").stdout)
    assert quiet["value"] == "ERROR" and quiet["source"] == "cli:-q"


def test_config_explain_an_unknown_key_is_a_usage_error_with_a_suggestion(project):
    done = invoke("config", "explain", "async.max_worker")
    assert done.exit_code == 2
    assert "did you mean 'async.max_workers'?" in done.stderr
    section = invoke("config", "explain", "async")
    assert section.exit_code == 2 and "is a section" in section.stderr


# ----------------------------------------------------------------------------- config validate


def test_config_validate_passes_a_good_config(project):
    file = config_file(project, SHOP)
    done = invoke("config", "validate")
    assert done.exit_code == 0, done.output
    assert done.stderr == "configuration ok: mlpy.json\n"
    as_json = json.loads(invoke("config", "validate", "--json").stdout)
    assert as_json == {"ok": True, "files": [str(file)], "environment": None, "warnings": []}


def test_config_validate_with_no_file_validates_the_defaults(project):
    done = invoke("config", "validate")
    assert done.exit_code == 0 and "the defaults" in done.stderr


def test_a_wrong_type_in_the_file_is_exit_2_naming_file_key_and_type(project):
    file = config_file(project, {"async": {"max_workers": "many"}})
    done = invoke("config", "validate")
    assert done.exit_code == 2
    assert (f"mlpy: configuration error: {file}: error: async.max_workers: expected an "
            "integer >= 1, got 'many'") in done.stderr
    assert "Traceback" not in done.stderr


def test_a_malformed_file_is_exit_2_with_its_line(project):
    file = project / "mlpy.toml"
    file.write_text("[async]\nmax_workers = = 2\n", encoding="utf-8")
    done = invoke("config", "validate")
    assert done.exit_code == 2 and f"{file}:2:" in done.stderr


def test_a_bad_variable_is_exit_2_naming_the_variable(project):
    done = invoke("config", "validate", env={"MLPY__RUNTIME__CAPTURE_OUTPUT": "maybe"})
    assert done.exit_code == 2
    assert ("env:MLPY__RUNTIME__CAPTURE_OUTPUT: runtime.capture_output: expected true or "
            "false, got 'maybe'") in done.stderr


def test_config_validate_json_reports_the_failure_as_one_document(project):
    config_file(project, {"runtime": {"isolation": "docker"}})
    done = invoke("config", "validate", "--json")
    assert done.exit_code == 2
    document = json.loads(done.stdout)
    assert document["ok"] is False
    assert "runtime.isolation: expected one of inprocess, subprocess" in document["error"]


def test_config_validate_fails_when_enabled_metrics_lack_their_extra(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlpy.observability.prometheus", None)  # not importable
    config_file(project, {"observability": {"metrics": {"enabled": True}}})
    done = invoke("config", "validate")
    assert done.exit_code == 2
    assert "'prometheus' extra" in done.stderr and "mlpy[prometheus]" in done.stderr


def test_unknown_keys_are_warnings_on_stderr_and_q_silences_them(project):
    config_file(project, {"asyncc": {"max_workers": 2}})
    done = invoke("config", "validate")
    assert done.exit_code == 0
    assert "warning: file:" in done.stderr and "did you mean 'async'?" in done.stderr
    quiet = invoke("-q", "config", "validate")
    assert quiet.exit_code == 0 and quiet.stderr == ""


# ----------------------------------------------------------------------------- --config, --env


def test_config_names_the_file_and_a_missing_one_is_exit_2(project):
    config_file(project, SHOP)
    other = config_file(project / "app", {"async": {"max_workers": 2}}, name="other.json")
    done = invoke("--config", str(other), "config", "explain", "async.max_workers")
    assert done.exit_code == 0 and done.stdout.split()[:3] == ["async.max_workers", "=", "2"]
    missing = invoke("--config", "nope.json", "config", "show")
    assert missing.exit_code == 2 and "nope.json" in missing.stderr


def test_env_chooses_the_overlay_and_an_unknown_one_is_exit_2(project):
    config_file(project, SHOP)
    done = invoke("--env", "staging", "config", "show")
    assert done.exit_code == 2
    assert "'staging'" in done.stderr and "defines ci" in done.stderr


def test_isolated_ignores_the_file_and_the_variables(project):
    config_file(project, SHOP)
    done = invoke("--isolated", "config", "explain", "async.max_workers",
                  env={"MLPY__ASYNC__MAX_WORKERS": "9"})
    assert done.exit_code == 0 and done.stdout.splitlines()[1].split() == ["from", "default"]


# ----------------------------------------------------------------------------- run, exec, check


def test_run_takes_extension_paths_and_grants_from_the_programs_project(project, monkeypatch):
    config_file(project, SHOP)
    elsewhere = project.parent / f"{project.name}-elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the config is found from the program's directory
    done = invoke("run", str(project / "app" / "greet.ml"))
    assert done.exit_code == 0, done.output
    assert done.stdout == "hello ada\n"


def test_run_with_an_overlay_and_a_flag_that_wins(project):
    config_file(project, SHOP)
    denied = invoke("--env", "ci", "run", "app/greet.ml")
    assert denied.exit_code == 5, denied.output  # the overlay grants nothing
    granted = invoke("--env", "ci", "run", "--allow", "console.write", "app/greet.ml")
    assert granted.exit_code == 0 and granted.stdout == "hello ada\n"


def test_run_takes_the_time_limit_from_the_config_and_the_flag_wins(project):
    config_file(project, SHOP)
    limited = invoke("--env", "ci", "run", "--json", "app/loop.ml")
    assert limited.exit_code == 6, limited.output
    assert json.loads(limited.stdout)["exit_reason"] == "timeout"
    from_env = invoke("run", "--json", "app/loop.ml", env={"MLPY__RUNTIME__TIMEOUT": "0.3"})
    assert from_env.exit_code == 6
    flag = invoke("--env", "ci", "run", "--timeout", "5", "--json", "app/value.ml")
    assert flag.exit_code == 0 and json.loads(flag.stdout)["value"] == 42


def test_a_bad_config_stops_run_with_exit_2_before_running(project):
    config_file(project, {"runtime": {"timeout": "soon"}})
    done = invoke("run", "app/value.ml")
    assert done.exit_code == 2
    assert "runtime.timeout: expected a number > 0 or null, got 'soon'" in done.stderr


def test_exec_reads_the_configuration_of_the_working_directory(project):
    config_file(project, SHOP)
    done = invoke("exec", 'import greet; import console; console.log(greet.hello("bo"));')
    assert done.exit_code == 0, done.output
    assert done.stdout == "hello bo\n"
    value = invoke("exec", "-e", "1 + 2")
    assert value.exit_code == 0 and value.stdout == "3\n"


def test_check_evaluates_coverage_with_the_configured_grants(project):
    config_file(project, SHOP)
    covered = invoke("check", "--format", "json", "app/greet.ml")
    assert covered.exit_code == 0, covered.output
    assert json.loads(covered.stdout)["diagnostics"] == []
    uncovered = invoke("--env", "ci", "check", "--format", "json", "app/greet.ml")
    codes = [d["code"] for d in json.loads(uncovered.stdout)["diagnostics"]]
    assert "MLCAP002" in codes


def test_module_directories_of_the_config_are_listed_with_their_origin(project):
    config_file(project, SHOP)
    done = invoke("modules", "list", "--paths")
    assert done.exit_code == 0, done.output
    assert "extension path ext (config: mlpy.json)" in done.stdout.splitlines()


def test_a_program_run_with_json_logging_in_the_config_logs_json(project):
    config_file(project, {"observability": {"logging": {"format": "json", "level": "DEBUG"}}})
    (project / "app" / "fails.ml").write_text("x = 1 / 0;\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPY")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "app/fails.ml"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert records, done.stderr
    assert all(record["logger"].startswith("mlpy") for record in records)
    assert any(record["level"] == "DEBUG" for record in records)
