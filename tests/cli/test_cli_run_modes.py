"""``mlpy run``/``exec`` in both isolation modes (integration spec 8.2): the sandbox is the
default, the configuration may choose this process and a flag wins over both; the same JSON
document (exactly the keys of the spec) and the same exit codes either way; ``--cpu-time``,
``--memory`` and ``--max-output`` with units, ``--strict``; relative grants and paths mean
the caller's directory in the sandbox too."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from mlpy.cli.main import cli

RUN_KEYS = {"ok", "value", "stdout", "stderr", "stdout_truncated", "error", "diagnostics",
            "timing", "usage", "exit_reason"}
ERROR_KEYS = {"type", "code", "message", "ml_file", "ml_line", "ml_column",
              "required_capability"}
TIMING_KEYS = {"compile_ms", "run_ms", "total_ms", "cache_hit"}
USAGE_KEYS = {"cpu_ms", "max_rss_bytes", "steps"}

PROGRAMS = {
    "ok.ml": 'print("hi");\nresult = 1 + 2;\n',
    "runtime.ml": "x = 1;\ny = 0;\nz = x / y;\n",
    "syntax.ml": "x = 1;\ny = (2;\n",
    "security.ml": "x = __import__;\n",
    "denied.ml": 'import file;\nresult = file.read("secret.txt");\n',
    "loop.ml": "while (true) { }\n",
    "spin.ml": "n = 0;\nwhile (true) { n = n + 1; }\n",
    "chatty.ml": 'while (true) { print("x"); }\n',
    "hoard.ml": "a = []; while (true) { a.append([1, 2, 3]); }\n",
    "data.ml": 'import file;\nresult = file.read("data/in.txt");\n',
    "escape.ml": 'import file;\nresult = file.read("data/../secret.txt");\n',
}
MODES = ["--sandbox", "--no-sandbox"]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the sandbox needs POSIX")


@pytest.fixture
def work(tmp_path, monkeypatch):
    for name, text in PROGRAMS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text("inside", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("the-secret-content", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def document_of(*args: str) -> tuple[int, dict]:
    done = invoke("run", *args, "--json")
    document = json.loads(done.stdout)  # exactly one document on stdout
    assert done.stdout.count("\n") == 1
    return done.exit_code, document


def check_keys(document: dict) -> None:
    assert set(document) == RUN_KEYS
    assert set(document["timing"]) == TIMING_KEYS
    assert set(document["usage"]) == USAGE_KEYS
    assert document["error"] is None or set(document["error"]) == ERROR_KEYS
    assert isinstance(document["stdout_truncated"], bool)
    assert isinstance(document["usage"]["steps"], int)
    assert document["usage"]["cpu_ms"] >= 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("args", "code", "error_type", "reason"), [
    (("ok.ml",), 0, None, "ok"),
    (("runtime.ml",), 1, "MLRuntimeError", "error"),
    (("syntax.ml",), 3, "MLSyntaxError", "compile_error"),
    (("security.ml",), 4, "MLSecurityError", "compile_error"),
    (("denied.ml",), 5, "CapabilityError", "capability_denied"),
    (("loop.ml", "--timeout", "0.5"), 6, "MLTimeoutError", "timeout"),
    (("loop.ml", "--max-steps", "3000"), 6, "MLResourceError", "steps"),
])
def test_the_json_document_and_exit_code_are_the_same_in_both_modes(
        work, mode, args, code, error_type, reason):
    exit_code, document = document_of(*args, mode)
    check_keys(document)
    assert exit_code == code
    assert document["exit_reason"] == reason
    assert document["ok"] is (code == 0)
    if error_type is None:
        assert document["error"] is None and document["value"] == 3
        assert document["stdout"] == "hi\n"
    else:
        assert document["error"]["type"] == error_type and document["value"] is None
    if error_type == "CapabilityError":
        assert document["error"]["required_capability"] == "file.read"
        assert document["error"]["ml_line"] == 2


@pytest.mark.parametrize("mode", MODES)
def test_the_exit_codes_without_json_are_the_same_in_both_modes(work, mode):
    for args, code in [(("ok.ml",), 0), (("runtime.ml",), 1), (("syntax.ml",), 3),
                       (("security.ml",), 4), (("denied.ml",), 5),
                       (("loop.ml", "--timeout", "0.5"), 6), (("ok.ml", "--var", "x"), 2)]:
        done = invoke("run", *args, mode)
        assert done.exit_code == code, (args, done.output)
        assert "Traceback" not in done.output


def test_the_sandbox_reports_the_workers_usage(work):
    _, document = document_of("spin.ml", "--timeout", "0.5")
    assert document["usage"]["cpu_ms"] > 100  # the worker's CPU time, spent spinning
    assert document["usage"]["max_rss_bytes"] > 0 and document["usage"]["steps"] > 0


# ----------------------------------------------------------------------------- the default


def test_the_sandbox_is_the_default(work):
    # --cpu-time only works in the sandbox: accepted by default, refused in this process.
    assert invoke("run", "ok.ml", "--cpu-time", "5").exit_code == 0
    assert invoke("run", "ok.ml", "--cpu-time", "5", "--no-sandbox").exit_code == 2


def test_the_configuration_may_choose_this_process_and_a_flag_wins(work):
    (work / "mlpy.toml").write_text('[runtime]\nisolation = "inprocess"\n', encoding="utf-8")
    refused = invoke("run", "ok.ml", "--cpu-time", "5")
    assert refused.exit_code == 2 and "--cpu-time" in refused.output
    assert invoke("run", "ok.ml", "--cpu-time", "5", "--sandbox").exit_code == 0
    assert invoke("run", "ok.ml", "--profile").exit_code == 0  # profiled in this process


# ----------------------------------------------------------------------------- limits


def test_cpu_time_stops_a_program_in_the_sandbox(work):
    exit_code, document = document_of("spin.ml", "--cpu-time", "1", "--timeout", "60")
    assert exit_code == 6
    assert document["exit_reason"] == "cpu"
    assert document["error"]["type"] == "MLResourceError"


def test_cpu_time_in_this_process_is_refused_naming_the_flag(work):
    done = invoke("run", "ok.ml", "--no-sandbox", "--cpu-time", "1")
    assert done.exit_code == 2
    assert "--cpu-time is enforced by the operating system in a sandbox worker" in done.output


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", ["5MB", "5000k", "5000000", "4.8MiB"])
def test_memory_takes_a_size(work, mode, size):
    exit_code, document = document_of("hoard.ml", "--memory", size, mode)
    assert exit_code == 6 and document["exit_reason"] == "memory"


@pytest.mark.parametrize("mode", MODES)
def test_max_memory_stays_as_the_old_name(work, mode):
    assert invoke("run", "hoard.ml", "--max-memory", "5000000", mode).exit_code == 6


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("size", "lines"), [("10", 5), ("1k", 500), ("1KiB", 512)])
def test_max_output_takes_a_size(work, mode, size, lines):
    done = invoke("run", "chatty.ml", "--max-output", size, mode)
    assert done.exit_code == 6
    assert done.stdout == "x\n" * lines


@pytest.mark.parametrize("flag", ["--memory", "--max-memory", "--max-output"])
@pytest.mark.parametrize("bad", ["lots", "12x", "-5MB", "0", "1.5.5MB", ""])
def test_a_bad_size_names_the_flag_and_the_form(work, flag, bad):
    done = invoke("run", "ok.ml", flag, bad)
    assert done.exit_code == 2
    assert flag in done.output
    assert "bytes (1048576) or a number and a unit (512k, 100MB, 2GiB)" in done.output \
        or "at least 1 byte" in done.output


@pytest.mark.parametrize("flag", ["--cpu-time", "--timeout"])
@pytest.mark.parametrize("bad", ["soon", "0", "-1", "inf"])
def test_a_bad_number_of_seconds_names_the_flag(work, flag, bad):
    done = invoke("run", "ok.ml", flag, bad)
    assert done.exit_code == 2
    assert flag in done.output and "not a positive number of seconds" in done.output


# ----------------------------------------------------------------------------- --strict


@pytest.mark.parametrize("command", [("run", "ok.ml"), ("exec", "result = 1;"),
                                     ("transpile", "ok.ml")])
def test_strict_is_always_on(work, command):
    assert invoke(*command, "--strict").exit_code == 0
    refused = invoke(*command, "--no-strict")
    assert refused.exit_code == 2
    assert "--no-strict is not available" in refused.output
    assert invoke(*command[:1], "security.ml" if command[0] != "exec" else "x = __import__;",
                  "--strict").exit_code == 4


# ----------------------------------------------------------------------------- paths, exec


@pytest.mark.parametrize("mode", MODES)
def test_a_relative_grant_and_path_mean_the_callers_directory(work, mode):
    granted = ("--allow", "file.read:./data/**")
    exit_code, document = document_of("data.ml", *granted, mode)
    assert exit_code == 0, document["error"]
    assert document["value"] == "inside"
    exit_code, document = document_of("escape.ml", *granted, mode)
    assert exit_code == 5 and document["value"] is None
    assert "the-secret-content" not in json.dumps(document)


@pytest.mark.parametrize("mode", MODES)
def test_exec_and_expressions_in_both_modes(work, mode):
    done = invoke("exec", "-e", "1 + 2", mode)
    assert (done.exit_code, done.stdout) == (0, "3\n")
    done = invoke("exec", "-e", "[1, 'a']", "--json", mode)
    assert json.loads(done.stdout)["value"] == [1, "a"]
    done = invoke("exec", "print(price * 2);", "--var", "price=3", mode)
    assert (done.exit_code, done.stdout) == (0, "6\n")
    assert invoke("exec", "-e", "1 +", mode).exit_code == 3


def test_a_sandbox_that_cannot_start_is_a_configuration_error(work):
    (work / "mlpy.toml").write_text('[sandbox]\nmemory_limit = "20MB"\n', encoding="utf-8")
    for command in (("run", "ok.ml"), ("exec", "-e", "1 + 2")):
        done = invoke(*command)
        assert done.exit_code == 2, done.output
        assert "the sandbox cannot start: memory_limit" in done.output
        assert "Traceback" not in done.output and "bug in mlpy" not in done.output
    assert invoke("run", "ok.ml", "--no-sandbox").exit_code == 0


def test_output_past_the_workers_cap_is_cut_and_said_so(work):
    (work / "mlpy.toml").write_text('[sandbox]\nmax_output = "1KB"\n', encoding="utf-8")
    (work / "long.ml").write_text('i = 0;\nwhile (i < 200) { print("123456789"); i = i + 1; }\n',
                                  encoding="utf-8")
    done = invoke("run", "long.ml")
    assert done.exit_code == 0
    assert done.stdout == ("123456789\n" * 100)  # the first 1000 bytes
    assert "warning: the program's stdout was cut at 1 KB" in done.stderr
    _, document = document_of("long.ml")
    assert document["stdout_truncated"] is True and len(document["stdout"]) == 1000
    assert document["stderr"] == ""
    # --max-output makes room for what it allows: the limit, not the cap, decides.
    done = invoke("run", "long.ml", "--max-output", "5k")
    assert done.exit_code == 0 and done.stdout == "123456789\n" * 200 and done.stderr == ""
    _, document = document_of("long.ml", "--no-sandbox")
    assert document["stdout_truncated"] is False and len(document["stdout"]) == 2000
