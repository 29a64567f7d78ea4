"""The REPL's ``.debug`` (integration spec 8.2): the debugger of ``mlpy debug`` inside the
session, on a file or on a call of the session's code; driven through ``run_command`` with a
scripted ``read_line``, as the terminal drives it, and once through ``mlpy repl``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlpy.repl import MLREPLSession
from mlpy.repl.debugging import split_flags

ADD = "function add(a, b) {\n    c = a + b;\n    return c;\n}"
PROGRAM = """\
function add(a, b) {
    c = a + b;
    return c;
}
total = 0;
for (i in range(3)) {
    total = total + add(i, 1);
}
print("total", total);
result = total;
"""


class Typist:
    """The debugger commands a user types, one per read; '' (the end of the input) after
    the last. Remembers the prompts it was shown."""

    def __init__(self):
        self.lines: list[str] = []
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.lines.pop(0) + "\n" if self.lines else ""


@pytest.fixture
def typed():
    return Typist()


@pytest.fixture
def printed():
    return []


@pytest.fixture
def repl(printed, typed):
    session = MLREPLSession(output=printed.append, read_line=typed)
    assert session.execute(ADD).ok
    yield session
    session.close()


def debug(repl, printed, typed, line: str, *commands: str) -> tuple[bool, str, str]:
    printed.clear()
    typed.lines = list(commands)
    result = repl.run_command(line)
    return result.ok, result.text, "".join(printed)


def test_a_call_pauses_at_the_call_and_steps_into_the_function(repl, printed, typed):
    ok, text, out = debug(repl, printed, typed, ".debug add(2, 3)",
                          "step", "locals", "next", "p c * 10", "where", "continue")
    assert (ok, text) == (True, "[finished: 5]")
    assert out.startswith("> <debug>:1 in <program>\n     1  add(2, 3);\n")
    assert "> <input-1>:2 in add\n     2  c = a + b;\n  a = 2\n  b = 3\n" in out
    assert "> <input-1>:3 in add\n     3  return c;\n50\n" in out
    assert "> #0 add at <input-1>:3\n  #1 <program> at <debug>:1\n" in out
    assert set(typed.prompts) == {"ml[debug]> "}


def test_breakpoints_default_to_the_input_that_defined_the_function(repl, printed, typed):
    assert repl.execute("function twice(n) {\n    m = add(n, n);\n    return m;\n}").ok
    ok, text, out = debug(repl, printed, typed, ".debug twice(4) --break 3 -b <input-1>:3",
                          "c", "p m", "c")
    assert (ok, text) == (True, "[finished: 8]")
    # verified at once: the debugger knows the programs of the session's functions
    assert "breakpoint 1 at <input-2>:3\nbreakpoint 2 at <input-1>:3\n" in out
    assert out.index("> <input-1>:3 in add") < out.index("> <input-2>:3 in twice")
    assert "> <input-2>:3 in twice\n     3  return m;\n8\n" in out


def test_a_bare_function_name_is_called(repl, printed, typed):
    assert repl.execute("function seven() {\n    return 7;\n}").ok
    ok, text, _ = debug(repl, printed, typed, ".debug seven", "c")
    assert (ok, text) == (True, "[finished: 7]")


def test_a_file_runs_as_mlpy_debug_runs_it(repl, printed, typed, tmp_path):
    path = tmp_path / "adder.ml"
    path.write_text(PROGRAM, encoding="utf-8")
    repl.execute("total = 100")
    ok, text, out = debug(repl, printed, typed, f".debug {path} --break 7",
                          "locals", "c", "c", "c")
    assert (ok, text) == (True, "[finished: 6]")
    assert out.startswith(f"breakpoint 1 at {path}:7\n> {path}:7 in <program>\n")
    assert "  total = 0\n  i = 0\n" in out
    assert out.count(f"> {path}:7 in <program>") == 3
    assert out.endswith("total 6\n")  # what the program prints, as it prints it
    assert repl.session.get("total") == 100  # its own namespace: the session's stays
    assert "i" not in repl.session


def test_the_end_of_the_input_or_quit_stops_the_execution(repl, printed, typed):
    ok, text, out = debug(repl, printed, typed, ".debug add(1, 1) --break 2")
    assert (ok, text) == (False, "[stopped: the debugger stopped the execution]")
    assert "[end of input: stopping]" in out
    ok, text, _ = debug(repl, printed, typed, ".debug add(1, 1) --break 2", "quit")
    assert (ok, text) == (False, "[stopped: the debugger stopped the execution]")
    assert repl.execute("add(1, 1)").value == 2  # the session works on as before


def test_failures_of_the_debugged_code_are_shown_as_the_repl_shows_them(
        repl, printed, typed, tmp_path):
    ok, text, _ = debug(repl, printed, typed, ".debug add(1,")
    assert not ok and text.startswith("Error: ParseError:")
    ok, text, _ = debug(repl, printed, typed, ".debug add(1, nothing)", "c")
    assert not ok and text.startswith("Error: RuntimeError:") and "nothing" in text
    ok, text, _ = debug(repl, printed, typed, '.debug add(1, "x") --break-on-entry', "c")
    assert not ok and text.startswith("Error: RuntimeError:")
    broken = tmp_path / "broken.ml"
    broken.write_text("x = (1;\n", encoding="utf-8")
    ok, text, _ = debug(repl, printed, typed, f".debug {broken}")
    assert not ok and text.startswith("Error: ParseError:")


@pytest.mark.parametrize("line, message", [
    (".debug", "Usage: .debug FILE|CALL"),
    (".debug --break 3", "Error: nothing to debug"),
    (".debug nosuch.ml", "Error: no such file: nosuch.ml"),
    (".debug add(1, 2) --break x", "Error: --break x: give a line number, or FILE:LINE"),
])
def test_bad_input_gets_a_clear_error(repl, printed, typed, line, message):
    ok, text, _ = debug(repl, printed, typed, line)
    assert not ok and text.startswith(message), text


def test_without_an_input_to_read_from_it_says_so():
    repl = MLREPLSession(output=lambda text: None)
    result = repl.run_command(".debug 1 + 1")
    assert not result.ok and "reads its commands from the terminal" in result.text


def test_flags_are_taken_from_the_end_so_the_code_stays_as_typed():
    assert split_flags('greet("a --break 3 b") -b 2 --break f.ml:4 --break-on-entry') == (
        'greet("a --break 3 b")', ["2", "f.ml:4"], True)
    assert split_flags("add(1, 2)") == ("add(1, 2)", [], False)


def test_through_mlpy_repl(tmp_path):
    path = tmp_path / "adder.ml"
    path.write_text(PROGRAM, encoding="utf-8")
    typed = f".debug adder.ml --break 3\np c\nc\nc\nc\n"
    done = subprocess.run([sys.executable, "-m", "mlpy", "repl"], input=typed, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("> adder.ml:3 in add") == 3
    assert "\n1\n" in done.stdout and done.stdout.endswith("total 6\n[finished: 6]\n")
