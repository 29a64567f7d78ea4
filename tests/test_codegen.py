"""The generated Python: every runtime name it uses exists, and positions are ML positions."""

from __future__ import annotations

import ast as py
import re
from pathlib import Path

import pytest

import mlpy
from mlpy.language.codegen import HELPERS, LAST, SELF_PREFIX, TICK_VAR, TICKER_VAR
from tests.language.conftest import parse_chunks

CORPUS = sorted((Path(__file__).parent / "language").glob("*.ml"))
# Names the generated code binds itself: temporaries, hoisted arrows, caught exceptions.
LOCAL = re.compile(r"__ml_(left|class|exc|arrow|value)\d+\Z")


def programs():
    engine = mlpy.Engine()
    for path in CORPUS:
        for chunk in parse_chunks(path.read_text(encoding="utf-8")):
            try:
                yield engine.compile(chunk.source, filename=path.name)
            except mlpy.MLCompileError:
                continue


def test_every_runtime_name_the_code_uses_is_bound():
    engine = mlpy.Engine()
    bound = set(engine._builtins) | {TICK_VAR, TICKER_VAR, LAST}
    seen = set()
    for program in programs():
        for node in py.walk(program._tree):
            if isinstance(node, py.Name) and node.id.startswith("__ml_"):
                seen.add(node.id)
                assert node.id in bound or LOCAL.match(node.id) \
                    or node.id.startswith(SELF_PREFIX), (node.id, program.source)
    # the corpus exercises them
    assert {HELPERS["get"], HELPERS["call"], HELPERS["ticker"], HELPERS["enter"]} <= seen


@pytest.mark.parametrize("source, line, column", [
    ("\nx = 1 / 0;", 2, 5),
    ("\n\nfunction f(a) {\n  return a.b.c;\n}\nf({b: null});", 4, 10),
    ("\nx = [1, 2];\ny = x[5];", 3, 5),
    ("\nfn_ = fn(a) => a / 0;\nfn_(1);", 2, 16),
])
def test_runtime_errors_point_at_the_ml_expression(source, line, column):
    error = mlpy.execute(source, filename="pos.ml").error
    assert (error.ml_file, error.ml_line, error.ml_column) == ("pos.ml", line, column), error


def test_transpile_source_map_maps_python_lines_to_ml_lines():
    source = "\n\nx = 1;\nfunction f(a) {\n  return a + 1;\n}\n"
    result = mlpy.transpile(source)
    lines = result.python_code.splitlines()
    def_line = next(i for i, text in enumerate(lines, 1) if text.startswith("def f"))
    return_line = next(i for i, text in enumerate(lines, 1) if "return" in text)
    assert result.source_map[def_line] == 4
    assert result.source_map[return_line] == 5
