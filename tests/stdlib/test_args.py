"""The ``args`` module: the host's command line needs ``args.read``; parsing an array the
script built needs nothing."""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def argv(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["tool.py", "--out", "x.txt", "in.csv"])


def test_reading_the_command_line(run):
    out = run.output("import args; print(args.all()); print(args.script(), args.rest());",
                     ["args.read"])
    assert out == "['tool.py', '--out', 'x.txt', 'in.csv']\ntool.py ['--out', 'x.txt', 'in.csv']\n"


def test_an_empty_command_line(run, monkeypatch):
    monkeypatch.setattr(sys, "argv", [])
    assert run.output("import args; print(args.all(), args.script() == '', args.rest());",
                      ["args.read"]) == "[] true []\n"


@pytest.mark.parametrize("call", [
    "args.all()", "args.script()", "args.rest()",
    "f = args.all; f()", "o = {r: args.rest}; o.r()", "args.create_parser().parse()",
])
def test_refused_without_args_read_on_every_path(run, call):
    run.refused(f"import args; {call};")
    out = run.output(f"import args; try {{ {call}; }} except (e) {{ print(e.type); }}")
    assert out == "CapabilityError\n"


PARSER = """
    import args;
    p = args.create_parser("tool", "Copies things");
    p.add_flag("verbose", "v", "Talk more");
    p.add_flag("quiet", "q");
    p.add_option("out", "o", "Output file", "a.txt");
    p.add_option("level", "l");
    p.add_positional("input", "Input file", true);
    p.add_positional("extra");
"""


def test_parsing_an_array(run):
    out = run.output(PARSER + """
        a = p.parse(["-vq", "--level=3", "-ofile.txt", "in.csv"]);
        print(typeof(p), typeof(a), a.get("out"), a.get("level"), a.get("input"), a.get("extra"));
        print(a.get_bool("verbose"), a.get_bool("quiet"), a.get_bool("help"), a.has("extra"));
        print(a.flags(), a.options(), a.positionals(), a.named_positionals());
        b = p.parse(["--out", "b.txt", "--", "-x", "y"]);
        print(b.get("out"), b.get("input"), b.get("extra"), b.get("missing", "dflt"));
        c = p.parse(["x", "-l", "9"]);
        print(c.get("out"), c.get("level"), c.has("level"), c.has("verbose"));
        print(p.parse(["-h"]).get_bool("help"));
    """)
    assert out == (
        "ArgParser ParsedArgs file.txt 3 in.csv null\n"
        "true true false false\n"
        "{'help': false, 'verbose': true, 'quiet': true} {'out': 'file.txt', 'level': '3'} "
        "['in.csv'] {'input': 'in.csv', 'extra': null}\n"
        "b.txt -x y dflt\n"
        "a.txt 9 true false\n"
        "true\n")


@pytest.mark.parametrize("argv, given", [
    ("[]", "[]"), ('["a"]', "['a']"), ('["a", "b"]', "['a', 'b']"),
    ('["-v", "a", "--level", "2", "b"]', "['a', 'b']"), ('["--", "-a", "-b"]', "['-a', '-b']"),
])
def test_positionals_is_the_array_of_the_positional_arguments_given(run, argv, given):
    out = run.output("""
        import args;
        p = args.create_parser("tool");
        p.add_flag("verbose", "v");
        p.add_option("level", "l");
        p.add_positional("first");
        p.add_positional("second");
        """ + f"a = p.parse({argv}); print(a.positionals(), typeof(a.positionals()));")
    assert out == f"{given} array\n"


def test_a_reference_program_reads_positionals_as_an_array(run):
    # written for mlpy 2.0, whose positionals() is an array of the values given
    out = run.output("""
        import args;
        parser = args.create_parser("copy", "Copy files");
        parser.add_positional("source", "From", true);
        parser.add_positional("target", "To", false);
        parsed = parser.parse(["a.txt", "b.txt"]);
        values = parsed.positionals();
        if (len(values) == 2 && values[0] == "a.txt" && values[1] == "b.txt") {
            print("PASS");
        } else {
            print("FAIL");
        }
        only = parser.parse(["a.txt"]).positionals();
        print(len(only) == 1 && only[0] == "a.txt" ? "PASS" : "FAIL");
    """)
    assert out == "PASS\nPASS\n"


def test_parsing_the_process_arguments_needs_args_read(run):
    out = run.output(PARSER + 'a = p.parse(); print(a.get("out"), a.get("input"));',
                     ["args.read"])
    assert out == "x.txt in.csv\n"


def test_help_text(run):
    out = run.output(PARSER + "print(p.help());")
    assert out.startswith("usage: tool [--help] [--verbose] [--quiet] [--out VALUE] "
                          "[--level VALUE] input [extra]\n\nCopies things\n")
    assert "  -o, --out VALUE      Output file (default: a.txt)\n" in out


@pytest.mark.parametrize("argv, message", [
    ('["--nope", "x"]', "unknown option '--nope'"),
    ('["-z", "x"]', "unknown option -z"),
    ('["x", "--out"]', "the option --out needs a value"),
    ('["x", "-o"]', "the option -o needs a value"),
    ('[]', "missing required argument 'input'"),
    ('["a", "b", "c"]', "unexpected argument 'c'"),
    ('[1]', "each argument must be a string, not number"),
])
def test_parse_errors_are_catchable(run, argv, message):
    out = run.output(PARSER + f"try {{ p.parse({argv}); }} except (e) {{ print(e.message); }}")
    assert out.strip().endswith(message) or message in out


def test_definition_errors(run):
    out = run.output("""
        import args;
        p = args.create_parser();
        p.add_flag("x", "x");
        for (bad in [fn() => p.add_flag("x"), fn() => p.add_option("y", "x"),
                     fn() => p.add_flag("--z"), fn() => p.add_flag("w", "ww")]) {
            try { bad(); } except (e) { print(e.type); }
        }
    """)
    assert out == "ValueError\n" * 4


def test_results_are_arrays_never_tuples(run):
    result = run(PARSER + "result = [args.all(), args.rest(), p.parse(['x']).flags()];",
                 ["args.read"])
    assert type(result.value[0]) is list and type(result.value[1]) is list
