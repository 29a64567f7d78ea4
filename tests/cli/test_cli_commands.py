"""The commands added to ``mlpy`` for operations (integration spec 8.2), through click's
CliRunner and, where the process matters, a real subprocess. Every --json output is parsed
with json.loads and every exit code asserted.

sarif-schema-2.1.0.json beside this file is the SARIF 2.1.0 (rtm.5) JSON schema as the
npm package @microsoft/jest-sarif 1.0.0-beta.0 (MIT) ships it, vendored because CI has no
network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import mlpy
from mlpy.cli.main import cli

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PROGRAMS = {
    "ok.ml": "result = 1 + 2;\n",
    "syntax.ml": "y = (2;\n",
    "reflect.ml": "x = __import__;\n",
    "writes.ml": 'import file;\nfile.write("out.txt", "x");\nimport console;\nconsole.log(1);\n',
    "prints.ml": 'import console;\nconsole.log("hello");\n',
    "fails.ml": "x = 1 / 0;\n",
}


@pytest.fixture
def work(tmp_path, monkeypatch):
    for name, text in PROGRAMS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    yield tmp_path
    after = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("report.html",))
    assert after == before, "a command wrote a file next to the sources"


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def json_of(result) -> object:
    return json.loads(result.stdout)


# ----------------------------------------------------------------------------- exec, -e


def test_exec_code_and_stdin(work):
    done = invoke("exec", 'print("hi"); result = 2;')
    assert done.exit_code == 0, done.output
    assert done.stdout == "hi\n"
    piped = invoke("execute", "-", "--json", input="result = 6 * 7;")
    assert piped.exit_code == 0
    assert json_of(piped)["value"] == 42


@pytest.mark.parametrize(("args", "code", "out"), [
    (("exec", "-e", "1 + 2"), 0, "3\n"),
    (("-e", "[1, 2].length"), None, None),
    (("exec", "-e", "x * 2", "--var", "x=21"), 0, "42\n"),
    (("exec", "-e", "1 / 0"), 1, ""),
    (("exec", "-e", "(1"), 3, ""),
])
def test_expression(work, args, code, out):
    done = invoke(*args)
    if code is None:  # any ML outcome, but never a usage error: -e works on the group
        assert done.exit_code in (0, 1), done.output
        return
    assert done.exit_code == code, done.output
    assert done.stdout == out


def test_group_expression_prints_the_value(work):
    done = invoke("-e", "'a' + 'b'")
    assert done.exit_code == 0, done.output
    assert "ab" in done.stdout


def test_exec_capability_and_json_errors(work):
    denied = invoke("exec", 'import console; console.log("x");', "--json")
    assert denied.exit_code == 5
    assert json_of(denied)["error"]["required_capability"] == "console.write"
    allowed = invoke("exec", 'import console; console.log("x");', "--allow", "console.write")
    assert allowed.exit_code == 0 and allowed.stdout == "x\n"


@pytest.mark.parametrize("args", [
    ("exec",),
    ("exec", "1;", "-e", "2"),
    ("exec", "1;", "--allow", "not a cap"),
    ("-e", "1", "run", "ok.ml"),
    ("--color", "purple", "version"),
    ("-q", "-v", "version"),
    ("bench", "ok.ml", "--iterations", "0"),
    ("bench", "ok.ml", "--mode", "gpu"),
    ("caps", "explain", "file"),
    ("init", "9lives"),
])
def test_usage_errors_exit_2_naming_the_problem(work, args):
    done = subprocess.run([sys.executable, "-m", "mlpy", *args], cwd=work,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Error" in done.stderr and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- check


def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_check_sarif_validates_against_the_schema(work):
    done = invoke("check", "ok.ml", "syntax.ml", "reflect.ml", "writes.ml",
                  "--format", "sarif")
    assert done.exit_code == 4  # the highest code over the files: a security rejection
    log = json_of(done)
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, [e.message for e in errors]
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    by_file = {}
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_file.setdefault(uri, []).append(result)
    assert set(by_file) == {"syntax.ml", "reflect.ml", "writes.ml"}
    [reflect] = by_file["reflect.ml"]
    assert reflect["level"] == "error" and reflect["ruleId"].startswith("MLSEC")
    assert reflect["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    rule = log["runs"][0]["tool"]["driver"]["rules"][reflect["ruleIndex"]]
    assert rule["id"] == reflect["ruleId"] and "external/cwe/cwe-94" in rule["properties"]["tags"]
    assert {r["level"] for r in by_file["writes.ml"]} == {"warning"}


def test_a_clean_sarif_log_is_valid_too(work):
    done = invoke("check", "ok.ml", "--format", "sarif")
    assert done.exit_code == 0
    log = json_of(done)
    assert not list(sarif_validator().iter_errors(log))
    assert log["runs"][0]["results"] == []


@pytest.mark.parametrize(("args", "code"), [
    (("check", "writes.ml"), 0),
    (("check", "writes.ml", "--fail-on", "warning"), 5),
    (("check", "writes.ml", "--fail-on", "warning", "--allow", "file.write",
      "--allow", "console.write"), 0),
    (("check", "reflect.ml"), 4),
    (("validate", "syntax.ml", "--format", "json"), 3),
])
def test_check_exit_codes(work, args, code):
    done = invoke(*args)
    assert done.exit_code == code, done.output
    if "json" in args:
        assert json_of(done)["ok"] is False


# ----------------------------------------------------------------------------- audit


def test_audit_ranks_findings(work):
    done = invoke("audit", "reflect.ml", "writes.ml", "--format", "json")
    assert done.exit_code == 4  # a critical finding
    report = json_of(done)
    assert report["summary"] == {"critical": 1, "high": 0, "medium": 1, "low": 1}
    writes = report["files"][1]
    assert writes["capabilities"] == ["console.write", "file.write"]
    assert {f["threat"]: f["line"] for f in writes["findings"]} == {"medium": 2, "low": 4}
    high = invoke("audit", "reflect.ml", "writes.ml", "--format", "json",
                  "--threat-level", "medium")
    assert [f["threat"] for e in json_of(high)["files"] for f in e["findings"]] == \
        ["critical", "medium"]


def test_audit_text_html_and_syntax(work):
    text = invoke("audit", "writes.ml")
    assert text.exit_code == 0 and "0 critical, 0 high, 1 medium, 1 low" in text.stdout
    page = invoke("audit", "reflect.ml", "--format", "html", "-o", "report.html")
    assert page.exit_code == 4 and page.stdout == ""
    html = (work / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "__import__" in html
    (work / "report.html").unlink()
    assert invoke("audit", "syntax.ml").exit_code == 3


# ----------------------------------------------------------------------------- bench


@pytest.mark.parametrize("mode", ["inprocess", "async", "sandbox"])
def test_bench_modes(work, mode):
    done = invoke("bench", "ok.ml", "--mode", mode, "--iterations", "12", "--warmup", "2",
                  "--concurrency", "2", "--json")
    assert done.exit_code == 0, done.output
    found = json_of(done)
    assert (found["mode"], found["iterations"], found["successes"]) == (mode, 12, 12)
    assert 0 < found["min_ms"] <= found["p50_ms"] <= found["p95_ms"] <= found["p99_ms"] \
        <= found["max_ms"]
    assert found["min_ms"] <= found["mean_ms"] <= found["max_ms"]


def test_bench_of_a_failing_program(work):
    done = invoke("bench", "fails.ml", "--iterations", "3", "--warmup", "0", "--json")
    assert done.exit_code == 1
    found = json_of(done)
    assert found["failures"] == 3 and found["first_error"]["type"] == "MLRuntimeError"
    granted = invoke("integration", "benchmark", "prints.ml", "--iterations", "2",
                     "--allow", "console.write")
    assert granted.exit_code == 0 and "hello" not in granted.stdout  # output is captured


# ----------------------------------------------------------------------------- init


@pytest.mark.parametrize("template", ["basic", "cli", "library", "web"])
def test_each_template_passes_its_own_tests(tmp_path, template):
    if template == "web":
        pytest.importorskip("fastapi")
        pytest.importorskip("httpx")
    done = invoke("init", f"shop-{template}", "--template", template, "--dir", str(tmp_path))
    assert done.exit_code == 0, done.output
    project = tmp_path / f"shop-{template}"
    assert (project / "tests").is_dir()
    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=project, capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout


def test_init_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    done = invoke("init", "taken", "--dir", str(tmp_path))
    assert done.exit_code == 2


def test_the_init_alias(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    done = invoke("--init", "fresh")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "fresh" / "main.ml").is_file()


# ----------------------------------------------------------------------------- cache, caps


def test_cache_stats_and_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPY_CACHE_DIR", str(tmp_path))
    (tmp_path / "grammar-0000-lark1.pickle").write_bytes(b"x" * 10)
    (tmp_path / "unrelated.txt").write_text("keep")
    stats = json_of(invoke("cache", "stats", "--json"))
    assert stats["parser_tables"]["directory"] == str(tmp_path)
    assert stats["parser_tables"]["bytes"] == 10
    assert stats["program_cache"]["kind"] == "memory"
    cleared = invoke("cache", "clear", "--json")
    assert cleared.exit_code == 0
    assert json_of(cleared)["removed"] == ["grammar-0000-lark1.pickle"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unrelated.txt"]


def test_caps_list_and_explain(work):
    listed = json_of(invoke("caps", "list", "--json"))
    areas = {a["area"]: a for a in listed["areas"]}
    console = {a["capability"]: a["needed_by"] for a in areas["console"]["actions"]}
    assert "console.log" in console["console.write"]
    assert "glob over absolute paths" in areas["file"]["scope_syntax"]
    explained = json_of(invoke("caps", "explain", "file.*:/srv/**", "--json"))
    assert explained["scope"] == "/srv/**" and "file.read" in explained["needed_by"]
    assert "file.write" in explained["needed_by"]


# ----------------------------------------------------------------------------- health, version


def test_integration_validate(work):
    done = invoke("integration", "validate", "--json")
    assert done.exit_code == 0, done.output
    report = json_of(done)
    assert report["ok"] is True
    checks = report["checks"]
    assert checks["capability_gate"] == {**checks["capability_gate"], "status": "ok",
                                         "denies_ungranted": True, "allows_granted": True}
    assert checks["canary_subprocess"]["status"] == "skipped"
    assert set(checks["optional_deps"]["present"]) >= {"prometheus", "opentelemetry-api"}


def test_integration_validate_deep_runs_the_sandbox_canary(work):
    report = json_of(invoke("integration", "validate", "--deep", "--json"))
    assert report["checks"]["canary_subprocess"] == {
        **report["checks"]["canary_subprocess"], "status": "ok", "value": 2}


def test_version(work):
    found = json_of(invoke("version", "--json"))
    assert found["mlpy"] == mlpy.__version__
    assert found["python"] == ".".join(map(str, sys.version_info[:3]))
    assert len(found["grammar"]) == 16


# ----------------------------------------------------------------------------- globals


def test_color_flag_beats_the_environment(work):
    forced = subprocess.run([sys.executable, "-m", "mlpy", "--color", "always", "run",
                             "fails.ml"], cwd=work, capture_output=True, text=True, timeout=60)
    assert forced.returncode == 1 and "\x1b[" in forced.stderr
    never = subprocess.run([sys.executable, "-m", "mlpy", "--color", "never", "run",
                            "fails.ml"], cwd=work, capture_output=True, text=True,
                           timeout=60, env={**__import__("os").environ, "FORCE_COLOR": "1"})
    assert never.returncode == 1 and "\x1b[" not in never.stderr


def test_verbose_sets_the_mlpy_logger_level(work):
    import logging
    logger = logging.getLogger("mlpy")
    level = logger.level
    try:
        assert invoke("-vv", "version").exit_code == 0
        assert logger.level == logging.DEBUG
        assert invoke("-q", "version").exit_code == 0
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(level)
        for handler in [h for h in logger.handlers if getattr(h, "_mlpy_cli", False)]:
            logger.removeHandler(handler)


def test_version_starts_quickly():
    # the target (150 ms) is measured in benchmarks/; this only catches a start-up that
    # imports the world (several seconds on a slow machine)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mlpy", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == f"mlpy {mlpy.__version__}\n"
    assert time.perf_counter() - start < 30
