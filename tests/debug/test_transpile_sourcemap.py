"""``mlpy transpile FILE -o OUT --sourcemap``: OUT and OUT.map, read by a standard decoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlpy.cli.main import cli
from mlpy.debug import SourceMap

PROGRAM = "function inc(x) {\n    return x + 1;\n}\n\nprint(inc(2));\n"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_writes_the_python_and_its_map(tmp_path):
    (tmp_path / "rules.ml").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "build").mkdir()
    out = tmp_path / "build" / "rules.py"
    result = invoke("transpile", str(tmp_path / "rules.ml"), "-o", str(out), "--sourcemap")
    assert result.exit_code == 0, result.output
    code = out.read_text(encoding="utf-8").splitlines()
    assert code[-1] == "# sourceMappingURL=rules.py.map"
    data = json.loads((tmp_path / "build" / "rules.py.map").read_text(encoding="utf-8"))
    assert (data["version"], data["file"], data["sources"]) == (3, "rules.py", ["../rules.ml"])
    assert data["sourcesContent"] == [PROGRAM]
    source_map = SourceMap.from_json(data)
    assert code[source_map.first_py_line(2) - 1].strip() == "return x + 1"
    assert code[source_map.first_py_line(5) - 1].endswith("print(inc(2))")
    sourcemap = pytest.importorskip("sourcemap")
    token = sourcemap.loads(json.dumps(data)).lookup(source_map.first_py_line(2) - 1, 8)
    assert (token.src, token.src_line, token.src_col) == ("../rules.ml", 1, 4)


def test_without_sourcemap_no_map_is_written(tmp_path):
    (tmp_path / "rules.ml").write_text(PROGRAM, encoding="utf-8")
    out = tmp_path / "rules.py"
    assert invoke("transpile", str(tmp_path / "rules.ml"), "-o", str(out)).exit_code == 0
    assert "sourceMappingURL" not in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.ml", "rules.py"]


def test_sourcemap_needs_an_output_file(tmp_path):
    (tmp_path / "rules.ml").write_text(PROGRAM, encoding="utf-8")
    result = invoke("transpile", str(tmp_path / "rules.ml"), "--sourcemap")
    assert result.exit_code == 2
    assert "--sourcemap needs -o" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.ml"]


# ----------------------------------------------------------------------------- ML modules

ROOT = Path(__file__).resolve().parents[2]
MAIN = "import helpers;\nx = helpers.double(20);\nprint(x + 1);\n"
HELPERS = ("// helpers\nimport util.more;\nfunction double(x) {\n    y = x - 2;\n"
           "    return util.more.inc(y) - 1;\n}\n")
MORE = "// more\nfunction inc(v) {\n    return v + 1;\n}\n"


def transpiled(entry: Path, out: Path, *roots: Path) -> tuple[list[str], dict]:
    flags = [flag for root in roots for flag in ("-M", str(root))]
    result = invoke("transpile", str(entry), "-o", str(out), "--sourcemap", *flags)
    assert result.exit_code == 0, result.output
    data = json.loads(out.with_name(out.name + ".map").read_text(encoding="utf-8"))
    return out.read_text(encoding="utf-8").splitlines(), data


def test_appended_ml_modules_map_to_their_own_files(tmp_path):
    (tmp_path / "lib" / "util").mkdir(parents=True)
    (tmp_path / "main.ml").write_text(MAIN, encoding="utf-8")
    (tmp_path / "helpers.ml").write_text(HELPERS, encoding="utf-8")
    (tmp_path / "lib" / "util" / "more.ml").write_text(MORE, encoding="utf-8")
    (tmp_path / "build").mkdir()
    code, data = transpiled(tmp_path / "main.ml", tmp_path / "build" / "out.py",
                            tmp_path / "lib")
    assert data["sources"] == ["../main.ml", "../lib/util/more.ml", "../helpers.ml"]
    assert data["sourcesContent"] == [MAIN, MORE, HELPERS]
    source_map = SourceMap.from_json(data)
    assert source_map.sources == data["sources"]
    assert code[source_map.first_py_line(4, file="../helpers.ml") - 1].strip() == "y = x - 2"
    assert code[source_map.first_py_line(3, file="../lib/util/more.ml") - 1].strip() == \
        "return v + 1"
    assert code[source_map.first_py_line(2) - 1] == "x = helpers.double(20)"
    inside = source_map.py_to_ml(source_map.first_py_line(4, file="../helpers.ml"))
    assert (inside.file, inside.line, inside.column, inside.function) == (
        "../helpers.ml", 4, 4, "double")
    assert source_map.to_dict() == data
    sourcemap = pytest.importorskip("sourcemap")  # an independent decoder agrees
    tokens = {(t.dst_line + 1): (t.src, t.src_line + 1, t.src_col)
              for t in sourcemap.loads(json.dumps(data))}
    assert tokens == {s.py_line: (data["sources"][s.source], s.ml_line, s.ml_column)
                      for s in source_map.segments}
    assert tokens[source_map.first_py_line(3, file="../lib/util/more.ml")] == (
        "../lib/util/more.ml", 3, 4)


# Every example program that imports ML modules, with the module roots it runs with.
MODULE_PROGRAMS = [(ROOT / "examples" / "foundation" / "ml_user_modules" / "report.ml",
                    [ROOT / "examples" / "foundation" / "ml_user_modules" / "lib"])]


@pytest.mark.parametrize("entry, roots", MODULE_PROGRAMS,
                         ids=lambda value: value.name if isinstance(value, Path) else "")
def test_the_round_trip_holds_for_every_appended_module(entry, roots, tmp_path):
    """The round trip of each unit (the program, each module: checked statement by
    statement over the corpus in test_sourcemap.py) survives being appended: its lines in
    the combined map are its own map's lines, moved to where its code is in OUT."""
    import mlpy
    from mlpy.modules.registry import ModuleRegistry

    code, data = transpiled(entry, tmp_path / "out.py", *roots)
    combined = SourceMap.from_json(data)
    program = mlpy.Engine(registry=ModuleRegistry(ml_module_paths=roots)).compile(
        entry.read_text(encoding="utf-8"), filename=str(entry))
    assert program.modules, "the example imports no ML module"
    assert len(combined.sources) == 1 + len(program.modules)
    for unit, source in zip([program, *program.modules.values()], combined.sources,
                            strict=True):
        assert (tmp_path / source).resolve() == Path(unit.filename).resolve()
        own = unit.source_map
        generated = unit.python_code.splitlines()
        shift = combined.first_py_line(own.executable_ml_lines()[0], file=source) - \
            own.first_py_line(own.executable_ml_lines()[0])
        assert combined.executable_ml_lines(file=source) == own.executable_ml_lines()
        for line in own.executable_ml_lines():
            assert combined.ml_to_py(line, file=source) == [
                py_line + shift for py_line in own.ml_to_py(line)]
            first = own.first_py_line(line)
            assert code[first + shift - 1] == generated[first - 1]
