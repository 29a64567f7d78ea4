"""Error excerpts show a window of a long line: the part around the error, "..." where the line
is cut, and the caret still under the right character -- in every renderer (compile and
run-time errors, diagnostics, the REPL, the CLI). A report on a huge line stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mlpy
from mlpy.errors import EXCERPT_WIDTH, Span, clip_line, excerpt
from mlpy.repl.session import MLREPLSession

ROOT = Path(__file__).resolve().parents[1]
TERMS = 50_000  # a line of 200 KB
SUM = " + ".join(["1"] * TERMS)
SMALL = 1_000  # characters a report on one long line may take, at most


def pointed_at(report: str) -> str:
    """The text the first caret of a report's excerpt stands under."""
    lines = report.splitlines()
    for index, line in enumerate(lines):
        if line.lstrip(" |").startswith("^") and index > 0:
            column = line.index("^")
            return lines[index - 1][column:]
    raise AssertionError(f"no caret in:\n{report}")


LONG_LINE_ERRORS = {  # source, what the caret must stand under
    "syntax error at the end": (f"x = {SUM} + ;", ";"),
    "syntax error at the start": (f"x = ) + {SUM};", ")"),
    "syntax error in the middle": (f"x = {SUM} 7 + {SUM};", "7"),
    "unknown name at the end": (f"x = {SUM} + missing_name;", "missing_name"),
    "run-time error in the middle": (f"x = {SUM} + (1 / 0) + {SUM};", "1 / 0"),
    "run-time error at the start": (f"x = (1 / 0) + {SUM};", "1 / 0"),
}


@pytest.mark.parametrize("name", list(LONG_LINE_ERRORS))
def test_an_error_on_a_long_line_shows_a_window_with_the_caret_in_place(name):
    source, target = LONG_LINE_ERRORS[name]
    error = mlpy.execute(source).error
    report = str(error)
    assert len(report) < SMALL, report[:300]
    assert pointed_at(report).startswith(target)
    shown = report.splitlines()[1].split(" | ", 1)[1]
    assert shown.startswith("...") or shown.endswith("...")
    assert shown.strip(".") in source  # a piece of the line, cut at most at both ends


def test_a_diagnostic_on_a_long_line_shows_a_window():
    source = f"x = {SUM} + no_such_function(1);"
    program = mlpy.compile(source)
    [warning] = [d for d in program.diagnostics if d.code == "MLW010"]
    report = warning.format(source)
    assert len(report) < SMALL
    assert pointed_at(report).startswith("no_such_function")


def test_a_report_of_many_errors_on_long_lines_stays_proportionate():
    lines = [f"x{i} = {' + '.join(['1'] * 500)} + unknown{i};" for i in range(300)]
    error = mlpy.execute("\n".join(lines)).error
    assert len(error.diagnostics) == 300
    assert len(str(error)) < 300 * SMALL


def test_a_huge_token_is_quoted_in_part():
    source = 'x = "b" "' + "a" * 100_000 + '";'
    report = str(mlpy.execute(source).error)
    assert len(report) < SMALL
    message = report.splitlines()[0]
    assert message.startswith('<string>:1:9: error: unexpected `"aaaaaaaaaa')
    assert "..." in message and message.count("a") < 100


def test_the_repl_shows_a_window_too():
    session = MLREPLSession()
    result = session.execute(f"x = {SUM} + ;")
    report = result.error.format()
    assert len(report) < SMALL
    assert pointed_at(report).startswith(";")


@pytest.mark.parametrize("command", ["run", "check"])
def test_the_cli_shows_a_window_too(tmp_path, command):
    (tmp_path / "long.ml").write_text(f"x = {SUM} + missing_name;\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mlpy", command, "long.ml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0
    assert len(done.stderr) < SMALL, done.stderr[:300]
    assert pointed_at(done.stderr).startswith("missing_name")


@pytest.mark.parametrize("column", [1, 2, 40, 60, 5000, 9950, 9999, 10000, 10001])
@pytest.mark.parametrize("marked", [1, 5, 300])
def test_clip_line_keeps_the_marked_columns_in_view(column, marked):
    text = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    shown, start, end = clip_line(text, column, column + marked - 1)
    assert len(shown) <= EXCERPT_WIDTH + 2 * len("...")
    assert 1 <= start <= end and end - start < marked
    # the marked columns in view are the line's own characters at those columns
    assert shown[start - 1:end] == text[column - 1:column - 1 + end - start + 1]
    if column <= len(text):
        assert shown[start - 1] == text[column - 1]
    else:  # just past the end of the line, where "unexpected end of input" points
        assert start == len(shown) + 1


def test_a_short_line_is_shown_whole():
    source = "total = price * count;"
    assert excerpt(source, Span(1, 9, 1, 21)) == \
        "  1 | total = price * count;\n    |         ^^^^^^^^^^^^^"
