"""MLREPLSession: inputs, echo, errors, state and the session, capability and module
commands, exactly as the interactive loop runs them (no terminal needed)."""

from __future__ import annotations


import pytest

from mlpy.repl import MLREPLSession
from mlpy.repl.commands import COMMANDS


@pytest.fixture
def printed():
    return []


@pytest.fixture
def session(printed):
    repl = MLREPLSession(output=printed.append)
    yield repl
    repl.close()


def echo(session, text):
    result = session.execute(text)
    assert result.ok, result.error.format()
    return result.display


# ----------------------------------------------------------------------------- echo (R10)


@pytest.mark.parametrize("text, shown", [
    ("1 == 1", "true"),
    ('"a=b"', '"a=b"'),
    ("x = 1", None),
    ("null", None),
    ("2 >= 3", "false"),
    ("x = 2 + 3; x * 2", "10"),
    ("[1, 'two', {k: null}]", '[1, "two", {"k": null}]'),
    ('"tab\\there"', '"tab\\there"'),
    ("1 / 4", "0.25"),
    ("function f(a, b) { return a; }", None),
    ("if (true) { y = 1; }", None),
])
def test_echo_follows_the_last_statement(session, text, shown):
    assert echo(session, text) == shown


def test_functions_modules_and_long_values_are_shown_in_ml_syntax(session):
    session.execute("function greet(name, punctuation) { return name; }")
    assert echo(session, "greet") == "<function greet(name, punctuation)>"
    assert echo(session, "fn(x) => x") == "<function anonymous(x)>"
    assert echo(session, "import math; math") == "<module math>"
    long = echo(session, "range(30)")
    assert long.splitlines()[:2] == ["[", "  0,"] and long.endswith("\n]")
    assert echo(session, "x = [1]; x.append(x); x") == "[1, [...]]"


def test_printed_text_comes_before_the_echo(session, printed):
    assert echo(session, 'print("side effect"); 42') == "42"
    assert printed == ["side effect", "\n"] or "".join(printed) == "side effect\n"


# ----------------------------------------------------------------------------- input


@pytest.mark.parametrize("text, complete", [
    ('print("{")', True),
    ("if (x) {", False),
    ("x = [1, 2", False),
    ("x = 1 +", False),
    ('s = "open', False),
    ("// a comment {", True),
    ("}", True),
    ("x = 1", True),
    ("function f() {\n  return 1;\n}", True),
])
def test_completeness_is_decided_by_the_parser(session, text, complete):
    assert session.is_complete(text) is complete


def test_a_missing_final_semicolon_is_added_and_several_statements_run(session):
    assert echo(session, "a = 1; b = 2; a + b") == "3"
    assert echo(session, "a") == "1"


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("text, kind, message", [
    ("x = [1, 2", "ParseError", "expected"),
    ("z = missing + 1", "RuntimeError", "'missing' is not defined"),
    ("1 / 0", "RuntimeError", "division by zero"),
    ("import nosuch", "ImportError", "module 'nosuch' not found"),
    ("x.__class__", "SecurityError", "__class__"),
    ('import file; file.read("/etc/hostname")', "CapabilityError", "file.read"),
])
def test_errors_have_a_kind_a_message_and_a_caret(session, text, kind, message):
    result = session.execute(text)
    assert not result.ok
    assert result.error.kind == kind and message in result.error.message
    report = result.error.format()
    assert report.startswith(f"Error: {kind}: ")
    assert "Traceback" not in report


def test_the_caret_points_into_the_input(session):
    report = session.execute("a = 1;\nb = a / 0;").error.format()
    assert report.splitlines()[1:] == ["  b = a / 0;", "      ^"]


def test_a_failed_input_keeps_what_ran_before_it_and_can_be_retried(session):
    result = session.execute("done = 1; z = later + 1;")
    assert not result.ok and session.execute("done").value == 1
    session.execute("later = 41;")
    text = session.run_command(".retry").text
    assert text.splitlines()[0] == "Retrying #1: done = 1; z = later + 1;"
    assert session.execute("z").value == 42
    assert session.run_command(".retry").text == "Nothing to retry."


def test_an_error_in_a_function_from_an_earlier_input_shows_that_input(session):
    session.execute("function f(x) {\n  return x / 0;\n}")
    report = session.execute("y = 1;\nz = f(2);").error.format()
    assert report.splitlines()[1:] == ["    return x / 0;  (input 1:2)", "           ^"]


def test_an_interrupted_input_can_be_retried():
    printed = []

    def output(text):
        if "stop" in text and not printed:
            printed.append("interrupted")
            raise KeyboardInterrupt  # what Ctrl+C does while the input runs
        printed.append(text)

    repl = MLREPLSession(output=output)
    with pytest.raises(KeyboardInterrupt):
        repl.execute('print("stop")')
    assert repl.history[-1].text == 'print("stop")' and not repl.history[-1].ok
    assert repl.last_failure is repl.history[-1]
    assert repl.run_command(".retry").text == 'Retrying #1: print("stop")\n'
    assert "".join(printed[1:]) == "stop\n" and repl.last_failure is None


def test_members_of_modules_imported_on_earlier_lines_are_checked(session):
    session.execute("import math")
    error = session.execute("math.sqroot(2)").error
    assert error.kind == "ImportError" and error.tip == "did you mean: sqrt?"
    assert session.execute("math.sqrt(16)").value == 4.0
    session.execute("math = 5")  # rebinding the name ends the module check
    assert session.execute("math + 1").value == 6


# ----------------------------------------------------------------------------- capabilities (R13)


def test_grant_and_revoke_change_what_the_next_input_may_do(session, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("hello")
    read = f'file.read("{data}")'
    session.execute("import file")
    assert session.execute(read).error.kind == "CapabilityError"
    assert session.run_command(".grant -y file.read").text == "Granted file.read."
    assert session.execute(read).value == "hello"
    assert session.execute(f"import file as f2; f2.read(\"{data}\")").value == "hello"
    session.execute("function reader() { return file.read(\"" + str(data) + "\"); }")
    assert session.run_command(".revoke file.read").text == "Revoked file.read."
    assert session.execute(read).error.kind == "CapabilityError"
    assert session.execute("reader()").error.kind == "CapabilityError"  # defined before
    assert [action for action, _, _ in session.audit] == ["grant", "revoke"]


def test_grants_need_confirmation_in_a_terminal(printed):
    asked = []
    repl = MLREPLSession(output=printed.append, interactive=True,
                         confirm=lambda question: asked.append(question) or False)
    assert repl.run_command(".grant env.read").text == "Not granted."
    assert asked == ["Grant 'env.read' to code in this session? [y/N] "]
    assert repl.run_command(".capabilities").text == "No capabilities granted."


def test_startup_grants_are_listed_and_restored_by_reset(printed):
    repl = MLREPLSession(output=printed.append, capabilities=["console.write"])
    repl.run_command(".grant -y env.read")
    listing = repl.run_command(".capabilities").text.splitlines()
    assert listing[0] == "Granted capabilities (2):"
    assert listing[1].split() == ["console.write", "startup"]
    assert listing[2].split()[:2] == ["env.read", "granted"]
    repl.run_command(".reset")
    assert repl.run_command(".capabilities").text.splitlines()[1:] == [listing[1]]


def test_without_security_the_modules_capabilities_are_granted(printed, tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("open")
    repl = MLREPLSession(output=printed.append, security=False)
    assert repl.execute(f'import file; file.read("{data}")').value == "open"
    assert "Security is off" in repl.run_command(".capabilities").text


# ----------------------------------------------------------------------------- session commands


def test_vars_lists_definitions_in_order_and_modules_separately(session):
    session.execute('import json as j; x = 42; name = "Alice"; function greet(n) { return n; }')
    assert session.run_command(".vars").text.splitlines() == [
        "Variables (3):",
        "  x     = 42",
        '  name  = "Alice"',
        "  greet = <function greet(n)>",
        "Modules (1): json (as j)",
    ]
    assert session.run_command(".vars na*").text.splitlines()[1] == '  name = "Alice"'
    session.execute("big = range(100)")
    line = session.run_command(".vars big").text.splitlines()[1]
    assert line.endswith("…") and len(line) < 80


def test_history_marks_failures_and_shortens_multi_line_inputs(session):
    session.execute("x = 10")
    session.execute("y = nope")
    session.execute("function f() {\n  return 1;\n}")
    assert session.run_command(".history").text.splitlines() == [
        "    1  x = 10",
        "    2! y = nope",
        "    3  function f() { …(+2 lines)",
    ]
    assert session.run_command(".history 1").text == "    3  function f() { …(+2 lines)"
    assert session.run_command(".history x").text.startswith("Error:")


def test_reset_clears_names_but_keeps_history(session):
    session.execute("a = 1; import math")
    assert session.run_command(".reset").text == "Session reset (2 bindings removed)."
    assert session.execute("a").error.kind == "RuntimeError"
    assert session.run_command(".vars").text == "No variables defined."
    assert len(session.history) == 2
    assert session.run_command(".clear").ok


def test_load_runs_a_file_in_the_session(session, tmp_path):
    script = tmp_path / "tools.ml"
    script.write_text("function twice(x) { return x * 2; }\nlimit = 3;\ntwice(limit)\n")
    text = session.run_command(f".load {script}").text.splitlines()
    assert text[0] == "=> 6" and text[1].startswith(f"Loaded {script} (3 statements, ")
    assert session.execute("twice(21)").value == 42
    assert session.run_command(f".load {tmp_path / 'missing.ml'}").text.startswith(
        "Error: cannot read")


def test_unknown_commands_suggest_and_help_is_generated_from_the_table(session):
    assert session.run_command(".histroy").text.splitlines() == [
        "Unknown command '.histroy'. Did you mean .history?",
        "Type .help for the list of commands."]
    listing = session.run_command(".help").text
    for name, command in COMMANDS.items():
        assert command.usage in listing, name
    detail = session.run_command(".HELP vars").text
    assert detail.startswith("Usage: .vars [pattern]") and "Example: " in detail
    assert session.run_command(".exit").exit_requested
    assert session.run_command(".quit").text == "Bye."


# ----------------------------------------------------------------------------- module commands


@pytest.fixture
def modules_dir(tmp_path):
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "greet_bridge.py").write_text(
        'from mlpy.ext import ml_function, ml_module\n'
        '@ml_module("greet", "Greetings", version="2.0.0")\n'
        'class Greet:\n'
        '    @ml_function("Say hello")\n'
        '    def hello(self, name):\n'
        '        return "Hello, " + name\n'
        '    @ml_function("Shout", capabilities=["console.write"])\n'
        '    def shout(self, text):\n'
        '        return text.upper()\n')
    lib = tmp_path / "lib"
    (lib / "geo").mkdir(parents=True)
    (lib / "geo" / "shapes.ml").write_text("// Shapes.\nfunction square(x) { return x * x; }\n")
    return ext, lib


def test_module_commands(session, modules_dir):
    ext, lib = modules_dir
    assert session.run_command(f".addpath {ext}").text == (
        f"Added extension path {ext}: 1 new module (greet).")
    assert session.run_command(f".addpath {ext}").text == f"Already searched: {ext}."
    assert session.run_command(f".addmlpath {lib}").text == f"Added ML module root {lib}."
    assert session.execute('import greet; greet.hello("Ada")').value == "Hello, Ada"
    assert session.execute("import geo.shapes; geo.shapes.square(3)").value == 9
    listing = session.run_command(".modules").text.splitlines()
    assert listing[0].startswith("Modules: ") and "loaded" in listing[0]
    rows = {line.split()[0]: line.split()[1:3] for line in listing[2:-1]}
    assert rows["greet"] == ["extension", "loaded"] and rows["geo.shapes"] == ["ml", "loaded"]
    assert rows["builtin"] == ["builtin", "loaded"] and rows["json"][0] == "stdlib"
    info = session.run_command(".modinfo greet").text.splitlines()
    assert info[0] == "greet — extension module, version 2.0.0, loaded"
    assert any("shout" in line and "needs console.write" in line for line in info)
    assert session.run_command(".modinfo geo.shapes").text.splitlines()[0] == (
        "geo.shapes — ml module, loaded")
    paths = session.run_command(".paths").text
    assert f"{ext}  (session)" in paths and f"{lib}  (session)" in paths
    assert session.run_command(".modinfo gret").text == (
        "Error: no module named 'gret'. Did you mean: greet?")
    assert session.run_command(".addpath /no/such/dir").text == (
        "Error: '/no/such/dir' is not a directory")


def test_sessions_are_independent(printed, modules_dir):
    ext, _ = modules_dir
    first = MLREPLSession(output=printed.append, extension_paths=[ext])
    second = MLREPLSession(output=printed.append)
    first.execute("shared = 1")
    assert second.execute("shared").error is not None
    assert first.execute('import greet; greet.hello("x")').ok
    assert second.execute("import greet").error.kind == "ImportError"
    first.run_command(".grant -y env.read")
    assert second.run_command(".capabilities").text == "No capabilities granted."


# ----------------------------------------------------------------------------- every command (R12)


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("args", ["", " nonsense-argument", " a b c d"])
def test_every_command_answers_without_an_internal_error(session, name, args):
    result = session.run_command(f".{name}{args}")
    assert isinstance(result.text, str) and "Traceback" not in result.text
    if COMMANDS[name].min_args and not args:
        assert result.text.startswith("Usage: ")


def test_commands_are_case_insensitive_and_keep_argument_case(session, tmp_path):
    folder = tmp_path / "MixedCase"
    folder.mkdir()
    assert session.run_command(f".ADDMLPATH {folder}").text == f"Added ML module root {folder}."
    assert session.run_command(".edit").text == "Error: .edit needs a terminal"


def test_modinfo_shows_each_function_with_its_parameters_and_description(session,
                                                                          modules_dir):
    ext, lib = modules_dir
    session.run_command(f".addpath {ext}")
    session.run_command(f".addmlpath {lib}")
    greet = session.run_command(".modinfo greet").text.splitlines()
    assert "    hello(name)  Say hello" in greet
    assert any(line.startswith("    shout(text)  Shout") and "[needs console.write]" in line
               for line in greet)
    assert "    square(x)" in session.run_command(".modinfo geo.shapes").text.splitlines()
    math = session.run_command(".modinfo math").text.splitlines()
    assert any(line.split() == ["pow(x,", "y)", "Power", "(x^y)"] for line in math)
