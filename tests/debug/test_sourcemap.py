"""Source maps (spec §6.2) over every ML program in tests/ and examples/.

The round-trip obligation: for every statement, the generated line that
``first_py_line(stmt.line)`` returns is the first line emitted for that statement. The line
emitted first is recorded from the code generator itself while the program compiles; the map
is read back through an independent Source Map v3 decoder (the ``sourcemap`` package).
"""

from __future__ import annotations

import ast as py
import dataclasses
import json
import re
from pathlib import Path

import pytest

import mlpy
from mlpy.debug import MLPosition, SourceMap, SourceMapError, SourceMapIndex
from mlpy.errors import MLCompileError
from mlpy.language import ast as ml_ast
from mlpy.language.codegen import Generator
from mlpy.modules.registry import ModuleRegistry
from tests.language.conftest import parse_chunks

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(p for base in ("tests", "examples") for p in (ROOT / base).rglob("*.ml"))
# the pages with ```ml blocks
ML_BLOCK = re.compile(r"^```ml(?:[ \t][^\n]*)?\n(.*?)^```", re.M | re.S)
PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md") if ML_BLOCK.search(p.read_text("utf-8")))


def programs(path: Path) -> list[tuple[str, str, bool]]:
    """(name, source, whether it may be refused) of each program in a file: the chunks of
    a chunked language test file (a chunk that expects an error may not compile), else the
    whole file (which may be refused when it says so with a `//!` line, as an example of an
    error does)."""
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(ROOT))
    if path.suffix == ".md":  # a block that must fail says so with `//!` lines
        return [(f"{name}:{text[:m.start()].count(chr(10)) + 1}", m.group(1), "//!" in m.group(1))
                for m in ML_BLOCK.finditer(text)]
    if path.parent.name == "language":
        return [(f"{name}:{c.first_line}", c.source, c.error_pattern is not None)
                for c in parse_chunks(text)]
    return [(name, text, "//!" in text)]


def compile_recording(path: Path, source: str, monkeypatch) -> tuple[mlpy.Program, list]:
    """Compile ``source`` and record, for each ML statement the generator meets, the
    Python node it emitted first (a hoisted definition comes before the statement itself)."""
    emitted: list[tuple[object, py.AST]] = []
    original = Generator.statement

    def statement(self, stmt):
        generated = original(self, stmt)
        first = (self.prelude or generated or [None])[0]
        if first is not None:
            emitted.append((stmt, first))
        return generated

    monkeypatch.setattr(Generator, "statement", statement)
    roots = [d / sub for d in path.parents if ROOT in d.parents for sub in ("", "lib")]
    # An example project keeps its extension modules (*_bridge.py) in folders of its own.
    bridges = sorted({bridge.parent for d in path.parents if ROOT / "examples" in d.parents
                      for bridge in d.glob("*/*_bridge.py")})
    registry = ModuleRegistry(bridges, ml_module_paths=roots)
    engine = mlpy.Engine(registry=registry, cache_size=0)
    try:
        try:
            program = engine.compile(source, filename=path.name)
        except MLCompileError as error:  # names the host provides, or a session defined
            inputs, chunk = host_names(error)
            if not inputs:
                raise
            emitted.clear()
            # A file that continues a session (the app loads it into a running one) is
            # compiled as the session compiles it.
            program = engine._compile(source, path.name, inputs, (), chunk)[0]
    finally:
        monkeypatch.undo()
    ours = {id(node) for node in py.walk(program._tree)}
    return program, [(stmt, node) for stmt, node in emitted if id(node) in ours]


def arrows(node) -> list[ml_ast.Arrow]:
    """The arrow functions in an ML statement (not inside its nested statements' own)."""
    found = []
    values = [getattr(node, f.name) for f in dataclasses.fields(node)]
    while values:
        value = values.pop()
        if isinstance(value, (list, tuple)):
            values.extend(value)
        elif isinstance(value, ml_ast.Arrow):
            found.append(value)
        elif isinstance(value, ml_ast.Expr):
            values.extend(getattr(value, f.name) for f in dataclasses.fields(value))
    return found


def host_names(error: MLCompileError) -> tuple[list[str], bool]:
    """The names an example program expects its host (or the session it continues) to
    provide, and whether it continues a session; ([], False) for any other error."""
    pattern = r"(unknown name|unknown function|no binding for nonlocal) '(\w+)'( found)?"
    found = [re.fullmatch(pattern, d.message) for d in error.diagnostics
             if d.severity == "error"]
    if not all(found):
        return [], False
    return sorted({m.group(2) for m in found}), any(m.group(1).startswith("no binding") for m in found)


def python_lines(program: mlpy.Program) -> dict[int, int]:
    """id(generated statement) -> the line it sits on in ``program.python_code``."""
    parsed = py.parse(program.python_code)
    pairs = zip(statement_list(program._tree), statement_list(parsed), strict=True)
    return {id(ours): theirs.lineno for ours, theirs in pairs}


def statement_list(tree: py.AST) -> list[py.AST]:
    """Every statement and except clause of a tree, depth first in source order."""
    found = []
    for node in getattr(tree, "body", []) + getattr(tree, "handlers", []) + \
            getattr(tree, "orelse", []) + getattr(tree, "finalbody", []):
        found.append(node)
        found.extend(statement_list(node))
    return found


def test_the_corpus_is_the_ml_files_of_tests_and_examples_and_the_ml_blocks_of_docs():
    assert len(CORPUS) >= 30
    assert {p.relative_to(ROOT).parts[0] for p in CORPUS} == {"tests", "examples"}
    assert sum(len(programs(page)) for page in PAGES) >= 100


@pytest.mark.parametrize("path", CORPUS + PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_first_py_line_of_every_statement_is_its_first_emitted_line(path, monkeypatch):
    sourcemap = pytest.importorskip("sourcemap")
    checked = refused = 0
    for name, source, may_fail in programs(path):
        try:
            program, emitted = compile_recording(path, source, monkeypatch)
        except MLCompileError:
            if not may_fail:
                raise
            refused += 1
            continue  # a chunk that must be refused (its test says so); nothing to map
        source_map = program.source_map
        assert source_map is not None, name
        where = python_lines(program)
        # Code generated on a statement's behalf away from it carries its exact position
        # (the step tick a function runs before its first statement that is not pure; the
        # `elif` of a chain, which starts where its condition does).
        stamped: dict[tuple[int, int], list[int]] = {}
        for node in statement_list(program._tree):
            stamped.setdefault((node.lineno, node.col_offset), []).append(where[id(node)])
        starts = []  # (line, column, -end line, first Python line) of statements and elifs
        for stmt, node in emitted:
            span = stmt.span
            if node.lineno == span.line:  # (a bare `try {` has no code of its own)
                own = stamped.get((span.line, span.column - 1), [])
                starts.append((span.line, span.column, -span.end_line,
                               min([where[id(node)], *own])))
            for test, _ in getattr(stmt, "branches", [])[1:]:
                starts.append((test.span.line, test.span.column, 0,
                               min(stamped[(test.span.line, test.span.column - 1)])))
            for arrow in arrows(stmt):  # one with a block body is a `def` of its own
                own = stamped.get((arrow.span.line, arrow.span.column - 1))
                if own:
                    starts.append((arrow.span.line, arrow.span.column, -arrow.span.end_line,
                                   min(own)))
        first_on_line = {}  # the first statement starting on each ML line: outer, leftmost
        for line, *key, first in sorted(starts, reverse=True):
            first_on_line[line] = first
        decoded = decoded_lines(sourcemap, source_map)
        for line, expected in first_on_line.items():
            assert source_map.first_py_line(line) == expected, (name, line)
            assert min(decoded[line]) == expected, (name, line)
            checked += 1
    assert checked or refused, "no statement was checked"


def decoded_lines(sourcemap, source_map: SourceMap) -> dict[int, list[int]]:
    """ML line -> Python lines, from the map's JSON read by the ``sourcemap`` package
    (0-based lines there)."""
    index = sourcemap.loads(source_map.to_json())
    lines: dict[int, list[int]] = {}
    for token in index:
        lines.setdefault(token.src_line + 1, []).append(token.dst_line + 1)
    return lines


@pytest.mark.parametrize("path", CORPUS + PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_map_is_standard_v3_consistent_with_its_extension(path, monkeypatch):
    sourcemap = pytest.importorskip("sourcemap")
    for name, source, may_fail in programs(path):
        try:
            program, _ = compile_recording(path, source, monkeypatch)
        except MLCompileError:
            if not may_fail:
                raise
            continue
        data = json.loads(program.source_map.to_json())
        assert data["version"] == 3 and data["sources"] == [path.name]
        assert data["sourcesContent"] == [source]
        tokens = list(sourcemap.loads(json.dumps(data)))
        # one segment per mapped generated line, the same as x_mlpy's lines, sorted
        assert len({t.dst_line for t in tokens}) == len(tokens), name
        assert [[t.dst_line + 1, t.src_line + 1, t.src_col] for t in tokens] == \
            data["x_mlpy"]["lines"], name
        assert all(t.src == path.name for t in tokens)
        again = SourceMap.from_json(json.dumps(data))
        assert again.to_dict() == data


SOURCE = """\
function twice(x) {
    y = x - 2;

    return y;
}
h = fn(a) => {
    return a + 1;
};
z = twice(3); w = 4;
print(z);
"""


@pytest.fixture
def demo():
    return mlpy.Engine().compile(SOURCE, filename="demo.ml")


def test_lookups_both_ways(demo):
    source_map = demo.source_map
    lines = demo.python_code.splitlines()
    first = source_map.first_py_line(2)
    assert lines[first - 1].strip() == "y = x - 2"
    assert source_map.py_to_ml(first) == MLPosition("demo.ml", 2, 4, "twice")
    assert source_map.ml_to_py(9) == [lines.index("z = twice(3)") + 1,
                                       lines.index("w = 4") + 1]
    assert source_map.py_to_ml(lines.index("w = 4") + 1) == MLPosition("demo.ml", 9, 14)
    assert source_map.executable_ml_lines() == [1, 2, 4, 6, 7, 9, 10]
    assert source_map.next_executable_ml_line(2) == 4  # line 3 is blank
    assert source_map.next_executable_ml_line(10) is None
    assert source_map.first_py_line(3) is None


def test_py_to_ml_stays_inside_the_function(demo):
    source_map = demo.source_map
    functions = {f.name: f for f in source_map.functions}
    assert set(functions) == {"twice", "anonymous function"}
    arrow = functions["anonymous function"]
    assert (arrow.ml_start, arrow.ml_end) == (6, 8)
    # every line of the arrow's Python resolves to a line of the arrow
    for py_line in range(arrow.py_start, arrow.py_end + 1):
        position = source_map.py_to_ml(py_line)
        assert position is not None and 6 <= position.line <= 8, py_line
    # a top-level line after both functions resolves to top-level code, not into them
    after = arrow.py_end + 1
    assert source_map.py_to_ml(after).function is None


def test_transpile_result_keeps_the_line_mapping(demo):
    result = mlpy.Engine().transpile(SOURCE, filename="demo.ml")
    assert isinstance(result.source_map, SourceMap)
    code, _, lines = result
    assert lines == dict(result.source_map) and isinstance(lines, dict)
    assert lines[result.source_map.first_py_line(2)] == 2


def test_without_embedded_sources(demo):
    data = json.loads(demo.source_map.to_json(embed_sources=False))
    assert data["sourcesContent"] == [None]
    assert SourceMap.from_json(data).source is None


@pytest.mark.parametrize("text", ["{", "[]", '{"version": 2}', '{"version": 3, "sources": []}',
                                  '{"version": 3, "sources": ["a.ml"], "mappings": "A$"}'])
def test_bad_maps_are_refused_clearly(text):
    with pytest.raises(SourceMapError) as caught:
        SourceMap.from_json(text)
    assert caught.value.message


def test_a_map_whose_extension_disagrees_is_refused(demo):
    data = demo.source_map.to_dict()
    data["x_mlpy"]["lines"][0][1] += 1
    with pytest.raises(SourceMapError, match="disagree"):
        SourceMap.from_json(data)


def test_a_map_naming_a_source_it_does_not_list_is_refused(demo):
    data = demo.source_map.to_dict()
    data["mappings"] = "ACAA"  # line 1 -> source 1, of a map with one source
    data.pop("x_mlpy")
    with pytest.raises(SourceMapError, match="does not list"):
        SourceMap.from_json(data)
    with pytest.raises(SourceMapError, match="not a source of this map"):
        demo.source_map.first_py_line(2, file="other.ml")


def test_compat_index(demo):
    index = SourceMapIndex.from_source_map(demo.source_map)
    first = demo.source_map.first_py_line(2)
    assert index.ml_line_to_first_py_line(2) == first
    assert index.py_line_to_ml(first) == 2
    assert index.is_ml_line_executable(2) and not index.is_ml_line_executable(3)
    assert index.get_next_ml_line(2) == 4
    assert index.get_all_ml_files() == ["demo.ml"]
