"""The ``mlpy`` command line, run for real in a subprocess (integration spec 8.2).

Exit codes (mlpy/cli/main.py): 0 ok, 1 runtime error, 2 usage, 3 syntax, 4 security,
5 capability denied, 6 time/resource limit, 7 internal failure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

RUN_KEYS = {"ok", "value", "stdout", "stderr", "stdout_truncated", "error", "diagnostics",
            "timing", "usage", "exit_reason"}
ERROR_KEYS = {"type", "code", "message", "ml_file", "ml_line", "ml_column",
              "required_capability"}
TIMING_KEYS = {"compile_ms", "run_ms", "total_ms", "cache_hit"}
USAGE_KEYS = {"cpu_ms", "max_rss_bytes", "steps"}
DIAGNOSTIC_KEYS = {"code", "severity", "category", "message", "file", "line", "column",
                   "end_line", "end_column", "suggestions", "cwe"}

PROGRAMS = {
    "ok.ml": 'print("hi");\nresult = 1 + 2;\n',
    "runtime.ml": "x = 1;\ny = 0;\nz = x / y;\n",
    "syntax.ml": "x = 1;\ny = (2;\n",
    "security.ml": "x = __import__;\n",
    "capability.ml": 'import console;\nconsole.log("hello");\n',
    "loop.ml": "while (true) { }\n",
    "thrown.ml": "throw {message: 'nope'};\n",
    "deep.ml": "function f(n) { return f(n + 1); }\nf(0);\n",
    "chatty.ml": 'while (true) { print("x"); }\n',
    "hoard.ml": "a = []; while (true) { a.append([1, 2, 3]); }\n",
}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "MLPY_DEBUG"}}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def mlpy_cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlpy", *args], cwd=cwd, env=env or clean_env(),
                          capture_output=True, text=True, timeout=timeout)


def listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


@pytest.fixture
def work(tmp_path):
    """A directory holding the sample programs; the test fails if anything else appears."""
    src = tmp_path / "src"
    src.mkdir()
    for name, text in PROGRAMS.items():
        (src / name).write_text(text, encoding="utf-8")
    before = listing(src)
    yield src
    assert listing(src) == before, "the CLI created files next to the sources"


# ----------------------------------------------------------------------------- run


def test_run_prints_program_output(work):
    done = mlpy_cli("run", "ok.ml", cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hi\n"
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("file", "flags", "code", "message"),
    [
        ("runtime.ml", (), 1, "runtime.ml:3:5: error: division by zero"),
        ("thrown.ml", (), 1, "nope"),
        ("syntax.ml", (), 3, "syntax.ml:2:7: error:"),
        ("security.ml", (), 4, "security.ml:1:5: error:"),
        ("capability.ml", (), 5, "console.write"),
        ("loop.ml", ("--timeout", "0.3"), 6, "time limit"),
        ("loop.ml", ("--max-steps", "5000"), 6, "step limit"),
        ("capability.ml", ("--allow", "console.*", "--deny", "console.write"), 5, "denies"),
        ("deep.ml", ("--max-depth", "20"), 6, "more than 20 nested calls"),
        ("loop.ml", ("--isolate", "--timeout", "0.5"), 6, "time limit"),
        ("deep.ml", ("--isolate",), 6, "more than 500 nested calls"),
    ],
)
def test_run_exit_codes(work, file, flags, code, message):
    done = mlpy_cli("run", file, *flags, cwd=work)
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_run_limits_output_and_memory(work):
    done = mlpy_cli("run", "chatty.ml", "--max-output", "10", cwd=work)
    assert done.returncode == 6 and done.stdout == "x\n" * 5
    done = mlpy_cli("run", "hoard.ml", "--max-memory", "5000000", cwd=work)
    assert done.returncode == 6 and "memory limit" in done.stderr


def test_run_allow_grants_a_capability(work):
    done = mlpy_cli("run", "capability.ml", "--allow", "console.write", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "hello" in done.stdout


def test_run_passes_variables(work):
    (work / "vars.ml").write_text("print(order.qty * price, name);\n", encoding="utf-8")
    done = mlpy_cli("run", "vars.ml", "--var", 'order={"qty": 3}', "--var", "price=2.5",
                    "--var", 'name="x"', cwd=work)
    (work / "vars.ml").unlink()
    assert done.returncode == 0, done.stderr
    assert done.stdout == "7.5 x\n"


@pytest.mark.parametrize(
    "args",
    [
        ("run", "missing.ml"),
        ("run", "ok.ml", "--var", "novalue"),
        ("run", "ok.ml", "--var", "x={not json"),
        ("run", "ok.ml", "--allow", "not a capability"),
        ("run", "ok.ml", "--no-such-option"),
        ("no-such-command",),
        ("check", "missing.ml"),
        ("transpile", "missing.ml"),
    ],
)
def test_usage_errors_exit_2(work, args):
    done = mlpy_cli(*args, cwd=work)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.strip()
    assert "Traceback" not in done.stderr


def test_internal_failure_exits_7_without_a_traceback(work):
    script = ("import sys, mlpy, mlpy.cli.main as cli\n"
              "def broken(*args, **kwargs):\n    raise RuntimeError('engine exploded')\n"
              "mlpy.Engine.execute = broken\n"
              "sys.argv = ['mlpy', 'run', 'ok.ml']\ncli.main()\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=work, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 7, done.stderr
    assert "internal error" in done.stderr and "engine exploded" in done.stderr
    assert "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- run --json


def run_json(work: Path, *args: str) -> tuple[int, dict, str]:
    done = mlpy_cli("run", *args, "--json", cwd=work)
    document = json.loads(done.stdout)  # exactly one JSON document on stdout
    assert done.stdout.count("\n") == 1
    return done.returncode, document, done.stderr


def check_schema(document: dict) -> None:
    assert set(document) == RUN_KEYS
    assert set(document["timing"]) == TIMING_KEYS
    assert set(document["usage"]) == USAGE_KEYS
    assert isinstance(document["timing"]["cache_hit"], bool)
    for key in ("compile_ms", "run_ms", "total_ms"):
        assert document["timing"][key] >= 0
    assert isinstance(document["usage"]["steps"], int)
    assert isinstance(document["stdout_truncated"], bool)
    assert isinstance(document["exit_reason"], str)
    if document["error"] is not None:
        assert set(document["error"]) >= ERROR_KEYS
    for diagnostic in document["diagnostics"]:
        assert set(diagnostic) >= DIAGNOSTIC_KEYS


def test_run_json_success(work):
    code, document, stderr = run_json(work, "ok.ml")
    check_schema(document)
    assert code == 0
    assert document["ok"] is True and document["error"] is None
    assert document["value"] == 3
    assert document["stdout"] == "hi\n"  # the program's output is inside the document
    assert document["exit_reason"] == "ok"
    assert document["timing"]["total_ms"] >= document["timing"]["run_ms"]


@pytest.mark.parametrize(
    ("file", "flags", "code", "error_type", "line", "column"),
    [
        ("runtime.ml", (), 1, "MLRuntimeError", 3, 5),
        ("syntax.ml", (), 3, "MLSyntaxError", 2, 7),
        ("security.ml", (), 4, "MLSecurityError", 1, 5),
        ("capability.ml", (), 5, "CapabilityError", 2, 1),
        ("loop.ml", ("--max-steps", "3000"), 6, "MLResourceError", 1, 1),
    ],
)
def test_run_json_errors(work, file, flags, code, error_type, line, column):
    returncode, document, _ = run_json(work, file, *flags)
    check_schema(document)
    assert returncode == code
    assert document["ok"] is False and document["value"] is None
    error = document["error"]
    assert error["type"] == error_type
    assert (error["ml_file"], error["ml_line"], error["ml_column"]) == (file, line, column)
    assert error["message"]
    if error_type == "CapabilityError":
        assert error["required_capability"] == "console.write"
    else:
        assert error["required_capability"] is None
    if code in (3, 4):
        assert document["diagnostics"][0]["line"] == line
        assert document["diagnostics"][0]["severity"] == "error"


def test_run_json_values_use_the_wire_format(work):
    (work / "values.ml").write_text(
        "result = [1, 2.5, 'x\"\\n', true, null, {a: [1]}, float('nan'), float('inf')];\n",
        encoding="utf-8")
    code, document, _ = run_json(work, "values.ml")
    (work / "values.ml").unlink()
    assert code == 0, document["error"]
    assert document["value"] == [1, 2.5, 'x"\n', True, None, {"a": [1]},
                                 {"$ml": "float", "v": "nan"}, {"$ml": "float", "v": "inf"}]


def test_run_json_function_result_is_a_marshal_error(work):
    (work / "fn.ml").write_text("result = fn(x) => x;\n", encoding="utf-8")
    code, document, _ = run_json(work, "fn.ml")
    (work / "fn.ml").unlink()
    check_schema(document)
    assert code == 1
    assert document["ok"] is False
    assert document["error"]["type"] == "MLMarshalError"


# ----------------------------------------------------------------------------- transpile


def test_transpile_prints_python(work):
    done = mlpy_cli("transpile", "ok.ml", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "result = 1 + 2" in done.stdout
    compile(done.stdout, "transpiled", "exec")
    assert done.stdout.strip() == mlpy.transpile(PROGRAMS["ok.ml"], filename="ok.ml") \
        .python_code.strip()


def test_transpile_output_file_writes_only_that_file(tmp_path):
    src = tmp_path / "src"
    out_dir = tmp_path / "out"
    src.mkdir()
    out_dir.mkdir()
    (src / "ok.ml").write_text(PROGRAMS["ok.ml"], encoding="utf-8")
    before_src, before_out = listing(src), listing(out_dir)
    done = mlpy_cli("transpile", str(src / "ok.ml"), "-o", str(out_dir / "ok_gen.py"),
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert listing(src) == before_src
    assert listing(out_dir) == before_out | {"ok_gen.py"}
    text = (out_dir / "ok_gen.py").read_text(encoding="utf-8")
    assert "result = 1 + 2" in text
    compile(text, "ok_gen.py", "exec")


@pytest.mark.parametrize(("file", "code"), [("syntax.ml", 3), ("security.ml", 4)])
def test_transpile_failure_writes_nothing_and_exits_non_zero(work, tmp_path, file, code):
    out = tmp_path / "never.py"
    done = mlpy_cli("transpile", file, "-o", str(out), cwd=work)
    assert done.returncode == code
    assert not out.exists()
    assert done.stdout == ""
    assert f"{file}:" in done.stderr and "^" in done.stderr


# ----------------------------------------------------------------------------- check


def test_check_reports_missing_grants_as_warnings(work):
    done = mlpy_cli("check", "capability.ml", cwd=work)
    assert done.returncode == 0 and "warning" in done.stderr and "MLCAP002" in done.stderr
    done = mlpy_cli("check", "capability.ml", "--allow", "console.write", cwd=work)
    assert done.returncode == 0 and done.stderr == "capability.ml: ok\n"


def test_check_json_clean_file(work):
    done = mlpy_cli("check", "ok.ml", "--json", cwd=work)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"file": "ok.ml", "ok": True, "diagnostics": []}


@pytest.mark.parametrize(("file", "code", "category"),
                         [("syntax.ml", 3, "syntax"), ("security.ml", 4, "security")])
def test_check_json_reports_diagnostics(work, file, code, category):
    done = mlpy_cli("check", file, "--json", cwd=work)
    assert done.returncode == code
    document = json.loads(done.stdout)
    assert document["file"] == file and document["ok"] is False
    [diagnostic] = [d for d in document["diagnostics"] if d["severity"] == "error"]
    assert set(diagnostic) >= DIAGNOSTIC_KEYS
    assert diagnostic["category"] == category
    assert diagnostic["file"] == file and diagnostic["line"] >= 1 and diagnostic["column"] >= 1


def test_check_json_several_files(work):
    done = mlpy_cli("check", "ok.ml", "syntax.ml", "runtime.ml", "--json", cwd=work)
    assert done.returncode == 3
    documents = json.loads(done.stdout)
    assert [(d["file"], d["ok"]) for d in documents] == \
        [("ok.ml", True), ("syntax.ml", False), ("runtime.ml", True)]


def test_check_does_not_run_the_program(work):
    done = mlpy_cli("check", "ok.ml", "runtime.ml", "loop.ml", cwd=work, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "hi" not in done.stdout


def test_check_text_output_has_excerpt(work):
    done = mlpy_cli("check", "syntax.ml", cwd=work)
    assert done.returncode == 3
    assert "syntax.ml:2:7: error:" in done.stderr
    assert "  2 | y = (2;" in done.stderr


# ----------------------------------------------------------------------------- version, help


def test_version(work):
    done = mlpy_cli("--version", cwd=work)
    assert done.returncode == 0
    assert done.stdout.strip() == f"mlpy {mlpy.__version__}"


def test_help_lists_commands(work):
    done = mlpy_cli("--help", cwd=work)
    assert done.returncode == 0
    for command in ("run", "transpile", "check"):
        assert re.search(rf"^\s+{command}\b", done.stdout, re.M), command


# ----------------------------------------------------------------------------- rendering


def test_errors_render_with_excerpt_and_caret_without_colour(work):
    done = mlpy_cli("run", "runtime.ml", cwd=work)
    lines = done.stderr.splitlines()
    assert lines[0] == "runtime.ml:3:5: error: division by zero [MLR001]"
    assert lines[1] == "  3 | z = x / y;"
    assert lines[2] == "    |     ^^^^^"
    assert "\x1b[" not in done.stderr


def test_force_color_in_a_pipe_and_no_color_wins(work):
    forced = mlpy_cli("run", "runtime.ml", cwd=work, env=clean_env(FORCE_COLOR="1"))
    assert "\x1b[" in forced.stderr
    assert ANSI.sub("", forced.stderr).splitlines()[2] == "    |     ^^^^^"
    both = mlpy_cli("run", "runtime.ml", cwd=work, env=clean_env(FORCE_COLOR="1", NO_COLOR="1"))
    assert "\x1b[" not in both.stderr
    assert both.returncode == forced.returncode == 1


def _run_on_terminal(work: Path, env: dict[str, str]) -> str:
    pty = pytest.importorskip("pty")
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "mlpy", "run", "runtime.ml"], cwd=work,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=secondary, timeout=60)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    assert done.returncode == 1
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_on_a_terminal_and_no_colour_with_no_color(work):
    coloured = _run_on_terminal(work, clean_env(TERM="xterm-256color"))
    assert "\x1b[" in coloured  # the terminal gets colour...
    assert "z = x / y;" in ANSI.sub("", coloured)
    plain = _run_on_terminal(work, clean_env(TERM="xterm-256color", NO_COLOR="1"))
    assert "\x1b[" not in plain  # ...unless NO_COLOR is set
    assert "runtime.ml:3:5: error: division by zero" in plain
    assert "    |     ^^^^^" in plain


# ----------------------------------------------------------------------------- no side files


def test_no_file_is_created_next_to_sources(work):
    # every command, including failing ones; the `work` fixture compares the listings
    for args in (("run", "ok.ml"), ("run", "ok.ml", "--json"), ("run", "runtime.ml"),
                 ("run", "syntax.ml"), ("check", "ok.ml", "syntax.ml"),
                 ("check", "ok.ml", "--json"), ("transpile", "ok.ml"),
                 ("transpile", "syntax.ml")):
        mlpy_cli(*args, cwd=work)
    assert not (work / "ok.py").exists()
    assert not (work / "__pycache__").exists()


def test_a_sibling_py_file_is_never_executed(work):
    (work / "ok.py").write_text("raise SystemExit('sibling executed')\n", encoding="utf-8")
    done = mlpy_cli("run", "ok.ml", cwd=work)
    (work / "ok.py").unlink()
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hi\n"


# ----------------------------------------------------------------------------- quiet stderr

WITH_PATHS = {
    # how the module directories come into effect: (extra arguments, extra environment)
    "project config": ((), {}),
    "command line": (("-E", "ext", "-M", "lib"), {}),
    "environment": ((), {"MLPY_EXTENSION_PATHS": "ext", "MLPY_ML_MODULE_PATHS": "lib"}),
}


@pytest.fixture
def project(tmp_path):
    for name in ("ext", "lib"):
        (tmp_path / name).mkdir()
    (tmp_path / "prog.ml").write_text('print("out");\n', encoding="utf-8")
    (tmp_path / "loud.ml").write_text('import console;\nconsole.error("err");\n',
                                      encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("command", ["run", "transpile"])
@pytest.mark.parametrize("source", sorted(WITH_PATHS))
def test_a_programs_stderr_is_the_programs(project, command, source):
    extra, env = WITH_PATHS[source]
    if source == "project config":
        (project / "mlpy.json").write_text(
            '{"python_extension_paths": ["./ext"], "ml_module_paths": ["./lib"]}',
            encoding="utf-8")
    done = mlpy_cli(command, *extra, "prog.ml", cwd=project, env=clean_env(**env))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    quiet = mlpy_cli(command, "-q", *extra, "prog.ml", cwd=project, env=clean_env(**env))
    assert quiet.returncode == 0 and quiet.stderr == ""  # -q is still understood
    verbose = mlpy_cli(command, "-v", *extra, "prog.ml", cwd=project, env=clean_env(**env))
    assert verbose.returncode == 0, verbose.stderr
    assert verbose.stderr.splitlines() == ["extension paths: ext", "ml module roots: lib, ."]
    assert verbose.stdout == done.stdout


def test_what_the_program_writes_to_stderr_is_all_there_is(project):
    (project / "mlpy.json").write_text('{"python_extension_paths": ["./ext"]}',
                                       encoding="utf-8")
    done = mlpy_cli("run", "--allow", "console.error", "loud.ml", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "err\n"
    as_json = mlpy_cli("run", "--json", "-v", "--allow", "console.error", "loud.ml", cwd=project)
    assert as_json.stderr == "" and json.loads(as_json.stdout)["stderr"] == "err\n"


def test_the_paths_are_listed_on_request(project):
    (project / "mlpy.json").write_text('{"python_extension_paths": ["./ext"]}',
                                       encoding="utf-8")
    listed = mlpy_cli("modules", "list", "--paths", cwd=project)
    assert listed.returncode == 0, listed.stderr
    assert "extension path ext (config: mlpy.json)" in listed.stdout.splitlines()
    assert listed.stderr == ""
