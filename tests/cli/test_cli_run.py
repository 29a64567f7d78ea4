"""``mlpy run``'s flags beyond grants and limits (integration spec 8.2): ``--vars-file``,
``--emit-py``, ``--no-cache``, ``--profile``/``--report``/``--profile-output``,
``--sandbox/--no-sandbox`` and ``run FILE -- ARGS``. Through click's CliRunner, and a real
subprocess where a fresh process matters (the parser's disk cache)."""

from __future__ import annotations

import json
import os
import pstats
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlpy.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]

PROGRAMS = {
    "total.ml": "result = price * qty;\n",
    "fib.ml": "function fib(n) {\n  if (n < 2) { return n; }\n  return fib(n - 1) + fib(n - 2);"
              "\n}\nfunction go() { return fib(15); }\nresult = go();\n",
    "argv.ml": "import args;\nresult = args.all();\n",
    "parts.ml": "subtotal = price * qty;\nresult = subtotal + 1;\n",
}


@pytest.fixture
def work(tmp_path, monkeypatch):
    for name, text in PROGRAMS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def value_of(done) -> object:
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["ok"], document["error"]
    return document["value"]


# ----------------------------------------------------------------------------- --vars-file

VARS_FILES = {
    "vars.json": '{"price": 2.5, "qty": 4}',
    "vars.toml": "price = 2.5\nqty = 4\n",
    "vars.yaml": "price: 2.5\nqty: 4\n",
}


@pytest.mark.parametrize("name", sorted(VARS_FILES))
def test_vars_file_in_each_format(work, name):
    if name.endswith(".yaml"):
        pytest.importorskip("yaml")
    (work / name).write_text(VARS_FILES[name], encoding="utf-8")
    assert value_of(invoke("run", "total.ml", "--vars-file", name, "--json")) == 10.0


def test_var_wins_over_the_vars_file(work):
    (work / "vars.json").write_text('{"price": 2.5, "qty": 4}', encoding="utf-8")
    done = invoke("run", "total.ml", "--vars-file", "vars.json", "--var", "qty=2", "--json")
    assert value_of(done) == 5.0


@pytest.mark.parametrize(("name", "text", "why"), [
    ("bad.json", '{"price": 2.5,', "bad.json: not valid JSON: "),
    ("bad.toml", "price = \n", "bad.toml: not valid TOML: "),
    ("list.json", "[1, 2]", "list.json: must hold one object of variables (name: value), "
                            "not list"),
    ("key.json", '{"not a name": 1}', "key.json: 'not a name' is not a variable name"),
    ("vars.ini", "price=1", "vars.ini: unknown kind of file; name it .json, .toml, .yaml"),
])
def test_a_bad_vars_file_is_a_usage_error_naming_the_file_and_why(work, name, text, why):
    (work / name).write_text(text, encoding="utf-8")
    done = invoke("run", "total.ml", "--vars-file", name)
    assert done.exit_code == 2
    assert f"--vars-file {why}" in done.output
    assert "Traceback" not in done.output


def test_a_missing_vars_file_is_a_usage_error(work):
    done = invoke("run", "total.ml", "--vars-file", "nowhere.json")
    assert done.exit_code == 2
    assert "cannot read nowhere.json" in done.output


def test_a_bad_yaml_file_is_a_usage_error(work):
    pytest.importorskip("yaml")
    (work / "bad.yaml").write_text("price: [1, 2\n", encoding="utf-8")
    done = invoke("run", "total.ml", "--vars-file", "bad.yaml")
    assert done.exit_code == 2
    assert "--vars-file bad.yaml: not valid YAML: " in done.output


# ----------------------------------------------------------------------------- --emit-py


def test_emit_py_writes_the_generated_python_to_the_path_only(work):
    out = work / "build" / "fib.py"
    out.parent.mkdir()
    assert value_of(invoke("run", "fib.ml", "--emit-py", str(out), "--json")) == 610
    text = out.read_text(encoding="utf-8")
    assert "def fib(n):" in text and "def go():" in text
    compile(text, str(out), "exec")  # it is Python
    assert not (work / "fib.py").exists()


def test_without_emit_py_nothing_is_written(work):
    before = sorted(p.name for p in work.iterdir())
    assert value_of(invoke("run", "fib.ml", "--json")) == 610
    assert sorted(p.name for p in work.iterdir()) == before


def test_emit_py_to_an_unwritable_path_is_a_usage_error(work):
    done = invoke("run", "fib.ml", "--emit-py", str(work / "missing" / "dir" / "fib.py"))
    assert done.exit_code == 2
    assert "--emit-py" in done.output and "cannot write it" in done.output


# ----------------------------------------------------------------------------- --no-cache


def _fresh_run(work: Path, cache: Path, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLPY_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "mlpy", "run", "total.ml", "--var", "price=2",
                           "--var", "qty=3", "--json", *flags], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)


def test_no_cache_neither_writes_nor_needs_the_parser_cache(work, tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    done = _fresh_run(work, cache, "--no-cache")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == 6
    assert list(cache.iterdir()) == []
    done = _fresh_run(work, cache)  # the ordinary run fills the cache: the test can fail
    assert done.returncode == 0, done.stderr
    assert [p.name.startswith("grammar-") for p in cache.iterdir()] == [True]


# ----------------------------------------------------------------------------- --profile


def test_profile_prints_each_ml_function_with_its_calls(work):
    done = invoke("run", "fib.ml", "--profile")
    assert done.exit_code == 0, done.output
    lines = done.stderr.splitlines()
    assert lines[0] == "profile (ml-summary): 3 of 3 functions, longest first"
    rows = {}
    for line in lines[2:]:  # "    1973      1.367      1.234  fib (fib.ml:1)"
        calls, total, own, function, where = re.fullmatch(
            r" *(\d+) +([\d.]+) +([\d.]+)  (.+) \((.+)\)", line).groups()
        rows[function] = (int(calls), where)
    assert rows["fib"] == (1973, "fib.ml:1")  # fib(15) calls fib 1973 times
    assert rows["go"] == (1, "fib.ml:5")
    assert set(rows) == {"fib", "go", "<top level>"}


def test_profile_in_the_json_document_and_the_raw_report(work, tmp_path):
    done = invoke("run", "fib.ml", "--json", "--report", "raw",
                  "--profile-output", str(tmp_path / "fib.prof"))
    document = json.loads(done.stdout)
    assert document["value"] == 610
    by_name = {row["function"]: row for row in document["profile"]}
    assert by_name["fib"]["calls"] == 1973 and by_name["fib"]["file"] == "fib.ml"
    assert any(row["file"].endswith(".py") for row in document["profile"])  # raw: mlpy too
    stats = pstats.Stats(str(tmp_path / "fib.prof"))
    assert any(name == "fib" for (_, _, name) in stats.stats)  # type: ignore[attr-defined]


def test_no_profile_no_profile_key(work):
    document = json.loads(invoke("run", "fib.ml", "--json").stdout)
    assert "profile" not in document
    assert invoke("run", "fib.ml").stderr == ""


def test_profile_and_args_need_the_program_in_this_process(work):
    for flags in (["--profile"], ["--", "x"]):
        done = invoke("run", "fib.ml", "--sandbox", *flags)
        assert done.exit_code == 2
        assert "not a sandbox worker: add --no-sandbox" in done.output


# ----------------------------------------------------------------------------- -- ARGS


def test_args_after_the_double_dash_reach_the_program(work):
    done = invoke("run", "argv.ml", "--allow", "args.read", "--json", "--", "in.csv",
                  "--out", "x.json")
    assert value_of(done) == ["argv.ml", "in.csv", "--out", "x.json"]


def test_without_args_the_program_sees_only_its_file_not_the_mlpy_command_line(work):
    done = invoke("run", "argv.ml", "--allow", "args.read", "--json")
    assert value_of(done) == ["argv.ml"]


def test_args_still_need_the_args_read_grant(work):
    done = invoke("run", "argv.ml", "--json", "--", "secret")
    assert done.exit_code == 5
    assert json.loads(done.stdout)["error"]["required_capability"] == "args.read"


def test_sandbox_and_no_sandbox_are_the_isolation_flags(work):
    assert value_of(invoke("run", "fib.ml", "--sandbox", "--json")) == 610
    assert value_of(invoke("run", "fib.ml", "--no-sandbox", "--json")) == 610
    assert value_of(invoke("run", "fib.ml", "--isolate", "--json")) == 610  # older name


@pytest.mark.parametrize("isolation", ["--no-sandbox", "--sandbox"])
def test_result_name_picks_the_variable_whose_value_is_the_result(work, isolation):
    done = invoke("run", "parts.ml", "--var", "price=2", "--var", "qty=3", "--json",
                  "--result-name", "subtotal", isolation)
    assert value_of(done) == 6
    assert value_of(invoke("run", "parts.ml", "--var", "price=2", "--var", "qty=3",
                           "--json", isolation)) == 7
