"""The REPL as people use it: completion, the terminal loop, ``mlpy repl``.

Non-interactive runs go through the real command (``python -m mlpy repl`` with piped input) and
compare whole transcripts; the interactive ones drive the real command in a pseudo-terminal
with pexpect.
"""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mlpy.repl import MLREPLSession
from mlpy.repl.commands import COMMANDS, CommandError
from mlpy.repl.completion import candidates, keywords
from mlpy.repl.terminal import (
    InputGrouper,
    banner,
    edit_in_editor,
    prepare_history_file,
    prompt_text,
    run_repl,
)
from mlpy.runtime.builtins import BUILTINS

ROOT = Path(__file__).resolve().parents[2]

GREET = '''
"""Greetings."""
from mlpy.ext import ml_constant, ml_function, ml_module


@ml_module("greet", "Greetings", version="2.0.0")
class Greet:
    PREFIX = ml_constant("Hello", "the greeting word")

    @ml_function("Greet someone")
    def hello(self, name):
        return f"{self.PREFIX}, {name}"

    @ml_function("Shout", name="loud", capabilities=["console.write"])
    def shout_it(self, text):
        return text.upper()
'''


@pytest.fixture
def project(tmp_path):
    """A directory with an extension module, an ML module root and a package."""
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "greet_bridge.py").write_text(textwrap.dedent(GREET), encoding="utf-8")
    lib = tmp_path / "lib"
    (lib / "algorithms").mkdir(parents=True)
    (lib / "algorithms" / "search.ml").write_text(
        "// Searching\nfunction linear(xs, x) { return 0; }\nLIMIT = 3;\n", encoding="utf-8")
    (lib / "util.ml").write_text("function helper(a) { return a * 2; }\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def session(project):
    s = MLREPLSession(extension_paths=[project / "ext"], ml_module_paths=[project / "lib"])
    yield s
    s.close()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"NO_COLOR", "FORCE_COLOR", "MLPY_DEBUG", "MLPY_DEV_MODE",
                        "MLPY_EXTENSION_PATHS", "MLPY_ML_MODULE_PATHS"}}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def repl(stdin: str, *args: str, cwd: Path, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlpy", "repl", *args], input=stdin,
                          cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                          timeout=60)


# ----------------------------------------------------------------------------- completion


def test_dot_commands_complete_from_the_command_table(session):
    assert session.completions(".mo") == [".modinfo", ".modules"]
    assert session.completions(".he") == [".help"]
    everything = session.completions(".")
    assert {f".{name}" for name in COMMANDS} <= set(everything)
    assert all(c.meta for c in candidates(session, ".")), "each command shows its summary"
    assert session.completions("  .ex") == [".exit"]


def test_command_arguments_complete_by_kind(session, project):
    assert session.completions(".modinfo gr") == ["greet"]
    assert "algorithms.search" in session.completions(".modinfo ")
    assert session.completions(".addpath " + str(project) + "/e") == [f"{project}/ext/"]
    assert session.completions(".addmlpath " + str(project) + "/") == [
        f"{project}/ext/", f"{project}/lib/"]
    grantable = session.completions(".grant ")
    assert "console.write" in grantable and "file.read" in grantable
    assert session.completions(".grant -y console.w") == ["console.write"]
    assert session.completions(".revoke ") == []
    session.grant("file.read")
    assert session.completions(".revoke ") == ["file.read"]
    assert session.completions(".modinfo math ") == []  # one argument only
    assert session.completions(".vars ") == []  # free text
    session.execute("x = 1")
    session.execute("y = 2")
    assert session.completions(".edit ") == ["2", "1"]


def test_import_completes_every_kind_of_module(session):
    names = session.completions("import ")
    assert names == session.registry.available()
    assert {"math", "json", "greet", "util", "algorithms.search"} <= set(names)
    assert session.completions("import gr") == ["greet"]
    assert session.completions("x = 1; import algorithms.s") == ["algorithms.search"]
    assert session.completions("import m") == ["math"]


def test_members_of_stdlib_extension_and_ml_modules(session):
    result = session.execute("import math; import greet; import util; import algorithms.search;"
                             " import json as j;")
    assert result.ok, result.error
    assert session.completions("math.sq") == ["sqrt"]
    assert "pi" in session.completions("math.")
    assert {c.text: c.meta for c in candidates(session, "greet.")} == {
        "PREFIX": "const", "hello": "fn", "loud": "fn"}
    assert session.completions("util.") == ["helper"]
    assert session.completions("algorithms.") == ["search"]
    assert session.completions("algorithms.search.") == ["LIMIT", "linear"]
    assert "stringify" in session.completions("j.")  # the binding, not the module name
    assert session.completions("json.") == []  # imported as j
    assert session.completions("nothing.") == []
    assert session.completions("x = greet.he") == ["hello"]
    assert session.completions("print(greet.") == ["PREFIX", "hello", "loud"]


def test_names_come_in_priority_order(session):
    session.execute("maximum = 1; function make(a) { return a; } import math as mathx;")
    words = session.completions("ma", cursor=2)
    assert words[:2] == ["make", "maximum"]  # session symbols first
    assert words.index("max") < words.index("mathx")  # builtins, then imported bindings
    assert words[-1] == "math"  # modules that still need an import come last
    assert session.completions("whi") == ["while"]
    assert "function" in session.completions("f") and "fn" in session.completions("f")
    assert session.completions("nu") == ["null"]
    assert session.completions("pri") == ["print"]


def test_completion_is_derived_not_hard_coded(session):
    grammar = (ROOT / "mlpy" / "language" / "grammar.lark").read_text(encoding="utf-8")
    for word in keywords():
        assert f'"{word}"' in grammar or word == "null"
    assert {"if", "elif", "while", "function", "return", "import", "try", "except"} <= set(
        keywords())
    assert not {"let", "var", "const", "class", "new", "this"} & set(keywords())
    every = set()
    for letter in "abcdefghijklmnopqrstuvwxyz_":
        every |= set(session.completions(letter))
    assert set(BUILTINS) <= every
    assert not [w for w in every if w.startswith("__")]


def test_no_internal_names_are_offered(session):
    session.execute("function f(a, b) { return a + b; } total = f(1, 2); import math;")
    assert session.completions("__") == []
    assert session.completions("_") == []
    assert not [w for w in session.completions("math.") if w.startswith("_")]
    assert all(not w.startswith("__") for w in session.completions("t"))


def test_no_completion_inside_strings_and_comments(session):
    assert session.completions('"ma') == []
    assert session.completions("x = 1; // ma") == []
    assert session.completions("x // ma")[:1] == ["max"]  # floor division, not a comment
    assert session.completions("") == []
    assert session.completions("12") == []


def test_completion_cursor_in_the_middle(session):
    assert session.completions("pri + 1", cursor=3) == ["print"]
    assert session.completions("x = 1;\nwh") == ["while"]
    assert session.completions("x = 1;\n.mo") == []  # a dot-command only on a primary line


def test_a_broken_module_offers_nothing_instead_of_failing(session, project):
    (project / "lib" / "bad.ml").write_text("function (\n", encoding="utf-8")
    assert session.completions("import ba") == ["bad"]
    session.imports["bad"] = "bad"  # as if imported before the file broke
    assert session.completions("bad.") == []


# ----------------------------------------------------------------------------- the loop


def test_input_grouping_follows_the_completeness_rules():
    grouper = InputGrouper(MLREPLSession().is_complete)
    assert grouper.feed('print("{")') == ("code", 'print("{")')
    assert grouper.feed("if (x) {") is None and grouper.pending
    assert grouper.feed(".vars") == ("code", "if (x) {\n.vars")  # ML text, not a command
    assert grouper.feed("") is None and not grouper.pending
    assert grouper.feed("s = [1, 2]") == ("code", "s = [1, 2]")
    assert grouper.feed("t = s") == ("code", "t = s")
    assert grouper.feed("u = s.") is None
    assert grouper.feed("upper()") == ("code", "u = s.\nupper()")
    assert grouper.feed("  .vars  ") == ("command", ".vars")
    assert grouper.feed("x = [1,") is None
    assert grouper.feed("") == ("code", "x = [1,")  # a blank line submits
    assert grouper.feed("}") == ("code", "}")  # an unbalanced closer submits at once


def test_prompts_and_banner():
    s = MLREPLSession()
    assert prompt_text(s) == "ml[secure]> "
    s.dev_mode = True
    assert prompt_text(s) == "ml[secure,dev]> "
    unsafe = MLREPLSession(security=False)
    assert prompt_text(unsafe) == "ml[unsafe]> "
    assert any("security is off" in line for line in banner(unsafe))


def test_banner_shows_paths_with_provenance(project):
    s = MLREPLSession(extension_paths=[project / "ext"], ml_module_paths=[project / "lib",
                                                                          project],
                      path_origins={str(project / "ext"): "cli",
                                    str(project / "lib"): f"config:{project}/mlpy.json",
                                    str(project): "implicit"})
    lines = banner(s)
    assert re.match(r"mlpy \S+ REPL \[secure\] — \.help for commands, \.exit or Ctrl\+D to "
                    r"leave$", lines[0])
    assert lines[1] == f"extension paths: {project / 'ext'} (cli)"
    assert lines[2] == f"ml module roots: {project / 'lib'} (mlpy.json), {project} (implicit)"


def test_queued_reloads_are_shown_before_the_next_input():
    class Watching(MLREPLSession):
        queued = ["[watch] greet_bridge.py changed — reloaded greet in 1.0 ms"]

        def apply_pending_reloads(self):
            lines, self.queued = self.queued, []
            return lines

    out = io.StringIO()
    status = run_repl(session=Watching(), stdin=io.StringIO("1 + 1\n2 + 2\n"), stdout=out)
    assert status == 0
    assert out.getvalue() == ("[watch] greet_bridge.py changed — reloaded greet in 1.0 ms\n"
                              "=> 2\n=> 4\n")


def test_edit_in_editor_runs_the_editor_and_removes_the_file(tmp_path, monkeypatch):
    seen = tmp_path / "seen.txt"
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$1" > {seen}\nprintf "x = 41 + 1;\\n" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    assert edit_in_editor("x = 1;") == "x = 41 + 1;"
    used = Path(seen.read_text().strip())
    assert used.suffix == ".ml" and not used.exists()


def test_edit_in_editor_reports_a_missing_or_failing_editor(tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "no-such-editor-here --wait")
    with pytest.raises(CommandError, match="editor 'no-such-editor-here' not found; set "
                                           r"\$VISUAL or \$EDITOR"):
        edit_in_editor("x = 1;")
    monkeypatch.setenv("EDITOR", "false")
    with pytest.raises(CommandError, match="exited with status 1"):
        edit_in_editor("x = 1;")


def test_history_file_is_private(tmp_path):
    path = prepare_history_file(tmp_path / "sub" / "history")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loose = tmp_path / "loose"
    loose.write_text("+1\n")
    loose.chmod(0o644)
    prepare_history_file(loose)
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600 and loose.read_text() == "+1\n"


# ----------------------------------------------------------------------------- mlpy repl, piped

TRANSCRIPT_IN = """\
x = 2 + 3; x * 2
1 == 1
"a=b"
x = 1
null
x >= 1
print("{")
if (x) {
  print("yes");
}
function f(a) {
  return a + 1;
}

f(2)
[1, 2

.vars
1 / 0
.modinfo
.bogus
"""

TRANSCRIPT_OUT = """\
=> 10
=> true
=> "a=b"
=> true
{
yes
=> 3
Error: ParseError: unexpected end of input, expected `)` or `,` or `;` or `]` or `}`
  [1, 2
       ^
Tip: the `[` at line 1, column 1 is not closed
Variables (2):
  x = 1
  f = <function f(a)>
Error: RuntimeError: division by zero
  1 / 0;
  ^
Usage: .modinfo NAME [--all]
Unknown command '.bogus'.
Type .help for the list of commands.
"""


def test_piped_transcript_is_exact_and_stable(tmp_path):
    first = repl(TRANSCRIPT_IN, cwd=tmp_path)
    second = repl(TRANSCRIPT_IN, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == TRANSCRIPT_OUT
    assert (second.stdout, second.stderr) == (first.stdout, first.stderr)
    assert first.stderr == ""
    assert "\x1b" not in first.stdout and "ml[" not in first.stdout
    assert "REPL" not in first.stdout and "..." not in first.stdout


def test_piped_output_is_plain_even_when_colour_is_forced(tmp_path):
    done = repl("1/0\n", cwd=tmp_path, env=clean_env(FORCE_COLOR="1"))
    assert "\x1b" not in done.stdout
    assert done.stdout.startswith("Error: RuntimeError: division by zero\n")


def test_echo_rules(tmp_path):
    done = repl('1 == 1\n"a=b"\nx = 1\nnull\ny = 5;\ny >= 2\nfunction g() { }\n'
                'g()\n[1, "a\\nb", {"k": null}]\n', cwd=tmp_path)
    assert done.stdout == ('=> true\n=> "a=b"\n=> true\n'
                           '=> [1, "a\\nb", {"k": null}]\n')


def test_input_completeness(tmp_path):
    done = repl('print("{")\nif (true) {\nprint("in");\n}\nif (true) {\n\nprint("after")\n',
                cwd=tmp_path)
    lines = done.stdout.splitlines()
    assert lines[0] == "{" and lines[1] == "in"
    assert lines[2].startswith("Error: ParseError:")  # the blank line submitted `if (true) {`
    assert lines[-1] == "after"


def test_exit_on_error_stops_with_status_1(tmp_path):
    script = 'print("one");\nundefined_name\nprint("two");\n'
    assert repl(script, cwd=tmp_path).returncode == 0
    done = repl(script, "--exit-on-error", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("one\nError: ")
    assert "two" not in done.stdout
    ok = repl('print("fine");\n', "--exit-on-error", cwd=tmp_path)
    assert (ok.returncode, ok.stdout) == (0, "fine\n")
    refused = repl(".grant file.read\nprint(1);\n", "--exit-on-error", cwd=tmp_path)
    assert refused.returncode == 1 and "confirm with -y" in refused.stdout


def test_exit_command_ends_the_script(tmp_path):
    done = repl("1\n.exit\n2\n", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "=> 1\nBye.\n")


def test_startup_grants_and_grant_commands(project):
    script = "import greet;\ngreet.loud(\"hi\")\n"
    denied = repl(script, "-E", "ext", cwd=project)
    assert "Error: CapabilityError: greet.loud requires the capability 'console.write'" in \
        denied.stdout
    allowed = repl(script, "-E", "ext", "--allow", "console.write", cwd=project)
    assert allowed.stdout == '=> "HI"\n'
    granted = repl(script + ".grant -y console.write\ngreet.loud(\"hi\")\n.capabilities\n",
                   "-E", "ext", cwd=project)
    assert 'Granted console.write.\n=> "HI"\nGranted capabilities (1):\n  console.write' in \
        granted.stdout
    unsafe = repl(script, "-E", "ext", "--no-security", cwd=project)
    assert unsafe.stdout == '=> "HI"\n'


def test_module_paths_and_the_implicit_root(project):
    script = "import util;\nutil.helper(21)\nimport algorithms.search;\nalgorithms.search.LIMIT\n"
    done = repl(script, "-M", "lib", cwd=project)
    assert done.stdout == "=> 42\n=> 3\n", done.stdout
    (project / "here.ml").write_text("function here() { return \"cwd\"; }\n")
    done = repl("import here;\nhere.here()\n", cwd=project)
    assert done.stdout == '=> "cwd"\n'
    done = repl("import here;\n", "--no-local-imports", cwd=project)
    assert done.stdout.startswith("Error: ImportError:")
    paths = repl(".paths\n", "-E", "ext", "-M", "lib", cwd=project)
    assert f"{project / 'ext'}  (cli)" in paths.stdout
    assert f"{project / 'lib'}  (cli)" in paths.stdout
    assert f"{project}  (implicit)" in paths.stdout


def test_config_paths_are_found_from_the_working_directory(project):
    (project / "mlpy.json").write_text('{"python_extension_paths": ["./ext"], '
                                       '"ml_module_paths": ["./lib"]}')
    work = project / "sub"
    work.mkdir()
    done = repl("import greet;\ngreet.hello(\"x\")\n.paths\n", cwd=work)
    assert done.stdout.startswith('=> "Hello, x"\n')
    assert f"{project / 'ext'}  (config:{project / 'mlpy.json'})" in done.stdout
    assert f"Project config: {project / 'mlpy.json'}" in done.stdout
    isolated = repl("import greet;\n", "--isolated", cwd=work)
    assert isolated.stdout.startswith("Error: ImportError:")


def test_usage_errors(tmp_path):
    bad = repl("", "--allow", "nonsense", cwd=tmp_path)
    assert bad.returncode == 2 and "--allow nonsense" in bad.stderr
    missing = repl("", "-M", str(tmp_path / "missing"), cwd=tmp_path)
    assert missing.returncode == 2 and "-M" in missing.stderr
    helped = subprocess.run([sys.executable, "-m", "mlpy", "repl", "--help"],
                            capture_output=True, text=True, env=clean_env())
    for option in ("--security / --no-security", "--dev", "--basic", "--no-history",
                   "--history-file", "--no-pager", "--no-color", "--exit-on-error", "--debug",
                   "--allow", "-E, --extension-path", "-M, --ml-module-path", "--isolated",
                   "--no-local-imports"):
        assert option in helped.stdout, option


def test_debug_shows_the_python_traceback_only_when_asked(tmp_path):
    plain = repl("1/0\n", cwd=tmp_path)
    assert "Traceback" not in plain.stdout + plain.stderr
    debug = repl("1/0\n", "--debug", cwd=tmp_path)
    assert "Traceback (most recent call last)" in debug.stdout
    assert "ZeroDivisionError" in debug.stdout


@pytest.mark.parametrize("value, expected", [("1", True), ("ON", True), ("yes", True),
                                             ("0", False), ("", False), ("off", False)])
def test_dev_mode_from_the_environment(monkeypatch, value, expected):
    import mlpy.repl.terminal as terminal

    made = []

    class Recording(MLREPLSession):
        def __init__(self, **options):
            super().__init__(**options)
            made.append(self)

    monkeypatch.setattr(terminal, "MLREPLSession", Recording)
    monkeypatch.setenv("MLPY_DEV_MODE", value)
    assert run_repl(stdin=io.StringIO(""), stdout=io.StringIO()) == 0
    assert made[0].dev_mode is expected
    run_repl(stdin=io.StringIO(""), stdout=io.StringIO(), dev_mode=False)
    assert made[1].dev_mode is False


# ----------------------------------------------------------------------------- in a terminal


def spawn(*args: str, cwd: Path, env: dict[str, str] | None = None):
    pexpect = pytest.importorskip("pexpect", reason="pexpect is needed to drive a terminal")
    pytest.importorskip("prompt_toolkit", reason="the fancy REPL needs prompt_toolkit")
    env = env or clean_env()
    env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")
    try:
        child = pexpect.spawn(sys.executable, ["-m", "mlpy", "repl", *args], cwd=str(cwd),
                              env=env, encoding="utf-8", timeout=15, dimensions=(40, 120))
    except (OSError, pexpect.ExceptionPexpect) as error:  # e.g. no pseudo-terminals
        pytest.skip(f"pexpect cannot spawn a pseudo-terminal here: {error}")
    return child


def test_fancy_repl_end_to_end(tmp_path):
    history = tmp_path / "history"
    child = spawn(cwd=tmp_path, env=clean_env(MLPY_HISTORY_FILE=str(history)))
    try:
        child.expect_exact("REPL [secure]")
        child.expect_exact("ml[secure]>")
        child.sendline("6 * 7")
        child.expect_exact("=> 42")
        child.expect_exact("ml[secure]>")
        child.sendline("function add(a, b) {")
        child.expect_exact("...")  # the continuation prompt
        child.sendline("return a + b; }")
        child.expect_exact("ml[secure]>")
        child.send("ad\t")  # Tab completes the function just defined
        child.expect_exact("add")
        child.sendline("(2, 5)")
        child.expect_exact("=> 7")
        child.expect_exact("ml[secure]>")
        child.sendline(".exit")
        child.expect_exact("Bye.")
        child.expect(__import__("pexpect").EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    saved = history.read_text()
    assert "+6 * 7" in saved and "+function add(a, b) {\n+return a + b; }" in saved


@pytest.mark.parametrize("mode", [(), ("--basic",)], ids=["fancy", "basic"])
def test_interrupts_and_end_of_input(tmp_path, mode):
    child = spawn("--no-history", "--no-pager", *mode, cwd=tmp_path)
    try:
        child.expect_exact("ml[secure]>")
        child.sendline("i = 0; while (true) { i = i + 1; }")
        time.sleep(0.5)
        child.sendintr()  # Ctrl+C while code runs
        child.expect_exact("Interrupted.")
        child.expect_exact("ml[secure]>")
        child.sendline("i > 0")
        child.expect_exact("=> true")  # the session survived, with what had run
        child.expect_exact("ml[secure]>")
        child.send("if (true) {\r")
        child.expect_exact("...")
        time.sleep(0.2)
        child.sendintr()  # Ctrl+C at a continuation discards the buffer
        child.expect_exact("ml[secure]>")
        child.sendline("1")
        child.expect_exact("=> 1")
        child.expect_exact("ml[secure]>")
        time.sleep(0.3)
        child.sendeof()  # Ctrl+D at the prompt
        child.expect_exact("Bye.")
        child.expect(__import__("pexpect").EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_long_output_is_paged_in_a_terminal(tmp_path):
    child = spawn("--no-history", cwd=tmp_path, env=clean_env(PAGER="less"))
    try:
        child.expect_exact("ml[secure]>")
        child.sendline("range(120)")
        child.expect_exact("=> [")
        child.expect([r"\(END\)", ":"])  # less waits
        child.send("q")
        child.expect_exact("ml[secure]>")
        child.sendline(".exit")
        child.expect_exact("Bye.")
    finally:
        child.close()


def test_watch_notices_appear_while_idle(tmp_path):
    module = tmp_path / "live.ml"
    module.write_text('function version() { return "one"; }\n', encoding="utf-8")
    child = spawn("--no-history", cwd=tmp_path)
    try:
        child.expect_exact("ml[secure]>")
        child.sendline("import live;")
        child.expect_exact("ml[secure]>")
        child.sendline("live.version()")
        child.expect_exact('=> "one"')
        child.expect_exact("ml[secure]>")
        child.sendline(".watch live")
        child.expect_exact("ml[secure]>")
        time.sleep(0.3)
        module.write_text('function version() { return "two"; }\n', encoding="utf-8")
        child.expect_exact("[watch] live.ml changed", timeout=5)  # shown while idle
        child.sendline("live.version()")
        child.expect_exact('=> "two"', timeout=5)
        child.sendline(".exit")
        child.expect_exact("Bye.")
    finally:
        child.close()
