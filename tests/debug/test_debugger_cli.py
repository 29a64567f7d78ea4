"""``mlpy debug FILE``: the interactive command-line debugger, fed through stdin."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from mlpy.cli.main import cli

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


@pytest.fixture
def program(tmp_path):
    path = tmp_path / "adder.ml"
    path.write_text(PROGRAM, encoding="utf-8")
    return path


def debug(path, commands: str, *flags: str):
    return CliRunner().invoke(cli, ["debug", str(path), *flags], input=commands)


def test_breakpoint_locals_print_and_continue(program):
    result = debug(program, "locals\np total + 10\nc\n", "--break", "7")
    assert result.exit_code == 6, result.output  # stopped at the end of the input
    out = result.output
    assert f"breakpoint 1 at {program}:7" in out
    assert f"> {program}:7 in <program>" in out
    assert "total = total + add(i, 1);" in out
    assert "  total = 0\n" in out and "  i = 0\n" in out
    assert "10\n" in out
    # continue: the breakpoint again on the next pass
    assert out.count(f"> {program}:7 in <program>") == 2
    assert "[end of input: stopping]" in out


def test_stepping_into_a_function_and_where(program):
    result = debug(program, "s\nwhere\nlocals\nout\nq\n", "--break", "7")
    out = result.output
    assert f"> {program}:2 in add" in out
    assert f"> #0 add at {program}:2" in out and f"  #1 <program> at {program}:7" in out
    assert "  a = 0\n" in out and "  b = 1\n" in out
    assert out.count("in <program>") >= 2  # out: back in the caller


def test_quit_stops_the_program(program):
    result = debug(program, "quit\n", "--break-on-entry")
    assert "total 6" not in result.output
    assert result.exit_code == 6  # stopped: like any cancelled execution


def test_running_to_the_end(program):
    result = debug(program, "c\n", "--break-on-entry")
    assert result.exit_code == 0
    assert "total 6" in result.output
    assert "[the program finished: 6]" in result.output


def test_breakpoints_added_at_a_pause_and_conditions(program):
    commands = "b 2 if a == 2\nb 40\nb\nc\np a\nc\n"
    result = debug(program, commands, "--break-on-entry")
    out = result.output
    assert f"breakpoint 1 at {program}:2" in out
    assert f"breakpoint 2 at {program}:40 (unverified: line 40 of {program} holds no code)" in out
    assert "2: " in out and "unverified" in out
    assert f"> {program}:2 in add" in out
    assert "(mldb) 2\n" in out
    assert result.exit_code == 0


def test_watch_up_down_list_and_unknown_commands(program):
    commands = "watch c * 2\nc\nup\nlocals\ndown\nlist\nfrobnicate\nhelp\nc\nc\n"
    result = debug(program, commands, "--break", "3")
    out = result.output
    assert "  watch c * 2 = 4" in out  # shown from the next pause on (c is 2 there)
    assert f"> {program}:7 in <program>" in out  # up
    assert "  total = 1\n" in out  # the second pass
    assert "->   3      return c;" in out
    assert "unknown command 'frobnicate'" in out
    assert "continue [c]" in out


def test_an_error_in_print_is_reported_not_raised(program):
    result = debug(program, "p nope + 1\np (((\nc\nc\nc\n", "--break", "3")
    assert "error: " in result.output and "nope" in result.output
    assert result.exit_code == 0


def test_a_failing_program_reports_its_error(tmp_path):
    path = tmp_path / "fails.ml"
    path.write_text("x = 1;\ny = x / 0;\n", encoding="utf-8")
    result = debug(path, "n\nc\n", "--break", "1")
    assert result.exit_code == 1
    assert "division" in result.output.lower()


def test_bad_input(tmp_path, program):
    assert debug(program, "", "--break", "x").exit_code == 2
    broken = tmp_path / "broken.ml"
    broken.write_text("x = ;\n", encoding="utf-8")
    assert debug(broken, "").exit_code == 3
    assert debug(tmp_path / "missing.ml", "").exit_code == 2


def test_no_file_is_written_next_to_the_source(tmp_path, program):
    before = sorted(p.name for p in tmp_path.iterdir())
    debug(program, "c\nc\nc\n", "--break", "7")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_in_a_real_process(program):
    done = subprocess.run([sys.executable, "-m", "mlpy", "debug", str(program), "--break", "3"],
                          input="p c\nc\nc\nc\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(mldb) 1\n" in done.stdout and "total 6" in done.stdout
