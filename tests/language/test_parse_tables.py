"""The shipped parser tables: current, used without lark, never used when stale or damaged,
and parsing exactly as lark does (the same trees, the same errors)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

import mlpy
from mlpy.language import ast, lalr, parser, tables
from mlpy.language.transform import Statements, ToAST, TreeError

ROOT = Path(__file__).resolve().parents[2]


def _programs() -> list[str]:
    """The ML programs of the repository: language tests, examples, benchmarks."""
    found = []
    for folder in ("tests", "examples", "benchmarks", "docs"):
        for path in sorted((ROOT / folder).glob("**/*.ml")):
            text = path.read_text(encoding="utf-8", errors="replace")
            found.extend(chunk for chunk in text.split("\n---\n") if chunk.strip())
    return found


PROGRAMS = _programs()


def _shape(value):
    """A comparable form of a syntax tree: node types, fields and spans, block ends."""
    if isinstance(value, Statements):
        return ("block", [_shape(item) for item in value], value.end)
    if isinstance(value, (list, tuple)):
        return [_shape(item) for item in value]
    if isinstance(value, ast.Node):
        return (type(value).__name__,
                {name: _shape(getattr(value, name)) for name in value.__dataclass_fields__})
    return value


def _outcome(parse, source: str):
    try:
        return ("tree", _shape(parse(source)))
    except lalr.Reject:
        return ("rejected",)
    except TreeError as error:
        return ("refused", error.message, error.span, error.hint)
    except Exception as error:  # noqa: BLE001 - lark's syntax errors
        return ("syntax error", type(error).__name__)


def _agree(source: str) -> None:
    fast = _outcome(parser.fast_parser().parse, source)
    slow = _outcome(parser.get_parser().parse, source)
    if fast[0] == "rejected":  # lark then reports the error: it must find one
        assert slow[0] == "syntax error", (source, slow[0])
    else:
        assert fast == slow, source


def test_the_shipped_tables_are_those_of_the_grammar():
    assert tables.load(parser.GRAMMAR) is not None, (
        "mlpy/language/_parse_tables.py is stale: run python -m mlpy.language.tables")
    assert parser.fast_parser() is not None


def test_the_repository_has_programs_to_compare():
    assert len(PROGRAMS) > 200


@pytest.mark.parametrize("start", range(0, len(PROGRAMS), 50))
def test_the_tables_parse_every_program_as_lark_does(start):
    for source in PROGRAMS[start:start + 50]:
        _agree(source)


PIECES = ["(", ")", "{", "}", "[", "]", ";", ",", ".", "-", "+", "//", "/", "*", "=", "==",
          "!", "?", ":", "=>", "fn", "if", "else", "elif", "x", "1", "-1", "'s'", '"t', "null",
          "true", "return", "in", "for", "// c\n", "\n", "import", "capability", "allow", "1e5",
          ".5", "\\", "'\\q'", "\t"]


@pytest.mark.parametrize("seed", range(4))
def test_broken_programs_fail_the_same_way(seed):
    """Programs cut and patched at random: both parsers build the same tree, or refuse the
    same shape, or -- where the tables stop -- lark finds a syntax error."""
    chooser = random.Random(seed)
    for source in chooser.sample([p for p in PROGRAMS if len(p) < 3000], 60):
        for _ in range(5):
            text = source
            for _ in range(chooser.randint(1, 3)):
                at = chooser.randrange(len(text) + 1)
                if chooser.random() < 0.5:
                    text = text[:at] + chooser.choice(PIECES) + text[at:]
                else:
                    text = text[:at] + text[at + chooser.randint(1, 4):]
            _agree(text)


def test_long_flat_programs_parse_in_linear_time():
    def seconds(items: int) -> float:
        source = "x = [" + "1, " * items + "1];"
        start = time.process_time()
        parser.fast_parser().parse(source)
        return time.process_time() - start

    small, big = seconds(5_000), seconds(50_000)
    # Ten times the items may take thirty times as long (copying the list at each item, a
    # hundred times); the floor keeps a short pause of the machine from passing for growth.
    assert big < max(30 * small, 1.0)


def test_a_syntax_error_is_reported_by_lark_with_its_usual_message():
    with pytest.raises(mlpy.MLSyntaxError) as caught:
        mlpy.compile("x = (1 + ;")
    assert "unexpected `;`" in str(caught.value)


def _use_tables(monkeypatch, module) -> None:
    monkeypatch.setitem(sys.modules, "mlpy.language._parse_tables", module)
    monkeypatch.setattr(parser, "_fast", None)


def _copy_of_shipped() -> types.ModuleType:
    from mlpy.language import _parse_tables as shipped

    copy = types.ModuleType("mlpy.language._parse_tables")
    copy.__dict__.update({k: v for k, v in vars(shipped).items() if k.isupper()})
    return copy


def test_stale_tables_are_not_used(monkeypatch, caplog):
    stale = _copy_of_shipped()
    stale.GRAMMAR_SHA = tables.grammar_sha(parser.GRAMMAR + "\n// changed")
    _use_tables(monkeypatch, stale)
    assert tables.load(parser.GRAMMAR) is None
    assert parser.fast_parser() is None
    assert "do not match the grammar" in caplog.text
    assert mlpy.Engine(cache_size=0).execute("result = 1 + 2;").value == 3  # lark parses


def test_damaged_tables_are_not_used(monkeypatch):
    damaged = _copy_of_shipped()
    damaged.TABLES = dict(damaged.TABLES, start=damaged.TABLES["end"])  # still well formed
    _use_tables(monkeypatch, damaged)
    assert tables.load(parser.GRAMMAR) is None
    assert parser.fast_parser() is None
    assert mlpy.Engine(cache_size=0).execute("result = 2 * 3;").value == 6


def test_missing_or_unreadable_tables_are_not_used(monkeypatch):
    _use_tables(monkeypatch, None)  # the import fails
    assert tables.load(parser.GRAMMAR) is None
    broken = types.ModuleType("mlpy.language._parse_tables")  # no names at all
    _use_tables(monkeypatch, broken)
    assert tables.load(parser.GRAMMAR) is None
    assert mlpy.Engine(cache_size=0).execute("result = 7;").value == 7


def test_tables_that_pass_the_checks_but_misparse_are_not_used(monkeypatch):
    """The digest is the tables' own: a table rewritten with a matching digest is caught by
    the parse of a probe program at load."""
    wrong = _copy_of_shipped()
    wrong.TABLES = dict(wrong.TABLES, rules=[(o, s, "keyword" if c == "import_stmt" else c, e,
                                              i, a) for o, s, c, e, i, a in wrong.TABLES["rules"]])
    wrong.TABLES_SHA = tables.tables_sha(wrong.TABLES)
    _use_tables(monkeypatch, wrong)
    assert tables.load(parser.GRAMMAR) is not None
    assert parser.fast_parser() is None


def test_a_first_compile_imports_no_lark():
    code = ("import sys, mlpy; assert mlpy.execute('result = [1, 2][0] + 1;').value == 2; "
            "print('lark' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False"


def test_the_generator_reproduces_tables_lark_agrees_with():
    fresh = lalr.Parser(tables.build(parser.GRAMMAR), ToAST())
    for source in PROGRAMS[:40]:
        assert _outcome(fresh.parse, source) == _outcome(parser.fast_parser().parse, source)


SMALL_SHAPES = ([f"x = {'!' * k}y;" for k in (10, 38, 60)]
                + [f"x = {'[' * k}{']' * k};" for k in (10, 19, 40, 130)]
                + [f"x = {'f(' * k}1{')' * k};" for k in (10, 19, 70)]
                + [f"x = {'fn() => ' * k}1;" for k in (10, 13, 70)]
                + ["try { " * k + "x = 1;" + " } finally { }" * k for k in (2, 3, 10)]
                + ["while (a) { " * k + "x;" + " }" * k for k in (5, 10, 21)])


@pytest.mark.parametrize("source", PROGRAMS[::7] + SMALL_SHAPES)
def test_the_nesting_check_skips_only_programs_that_cannot_nest_too_deeply(source):
    try:
        program, tokens, blocks = parser.fast_parser().parse_counting(source)
    except (lalr.Reject, TreeError):
        return
    if parser._too_small_to_nest(tokens, blocks):
        assert parser._nesting_problem(program) is None, source


def test_deep_nesting_is_still_refused():
    for source in ("x = " + "[" * 130 + "]" * 130 + ";",
                   "try { " * 10 + "x = 1;" + " } finally { }" * 10,
                   "while (a) { " * 21 + "x;" + " }" * 21):
        with pytest.raises(mlpy.MLSyntaxError, match="nested too deeply"):
            mlpy.compile(source)
