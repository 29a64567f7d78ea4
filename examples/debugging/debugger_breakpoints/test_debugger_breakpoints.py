"""Tests of the debugger example: breakpoints from Python, `mlpy debug`, the VS Code config."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_debugging_breakpoints_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_the_breakpoint_shows_why_gold_gets_no_discount():
    seen = app.inspect_discount(app.BASKET)
    assert (seen["function"], seen["line"]) == ("discount", 6)
    assert seen["locals"] == {"total": 60, "tier": "gold", "rate": 0}
    assert seen["stack"] == [("discount", 6), ("price", 14), ("<program>", 2)]
    assert seen["tier_matches"] is False  # the rule compares with "Gold"
    assert seen["result"] == 60  # the debugger changed nothing


def test_a_logpoint_logs_every_pass_and_a_condition_pauses_once():
    logged, paused = app.trace_loop(app.BASKET)
    assert logged == ["adding 40", "adding 20"]
    assert paused == [0]  # only the 40 line is over 30; total was 0 before it


def test_an_uncaught_error_pauses_where_it_is_raised():
    reason, function, line, watches = app.catch_errors(
        {"tier": "gold", "items": [{"price": "20", "qty": 2}]})
    assert (reason, function, line) == ("exception", "price", 12)
    assert watches == {"item": "{'price': '20', 'qty': 2}"}


def test_mlpy_debug_reads_commands_at_the_breakpoint():
    done = subprocess.run(
        [sys.executable, "-m", "mlpy", "debug", "check_gold.ml", "--break", "pricing.ml:6"],
        input='p tier == "Gold"\nlocals\nc\n', cwd=HERE, capture_output=True, text=True,
        timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "breakpoint 1 at pricing.ml:6"
    assert lines[1].endswith("pricing.ml:6 in discount")
    assert "(mldb) false" in lines and "  tier = 'gold'" in lines
    assert lines[-2:] == ["(mldb) gold basket: 60", "[the program finished: null]"]


def test_the_vscode_launch_configuration_names_a_file_of_the_example():
    launch = json.loads((HERE / ".vscode" / "launch.json").read_text(encoding="utf-8"))
    [config] = launch["configurations"]
    assert (config["type"], config["request"]) == ("mlpy", "launch")
    program = config["program"].replace("${workspaceFolder}", str(HERE))
    assert Path(program).is_file()


def test_main_prints_the_three_sessions(capsys):
    app.main()
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "discount 6 {'total': 60, 'tier': 'gold', 'rate': 0}"
    assert out[2] == "(['adding 40', 'adding 20'], [0])"
