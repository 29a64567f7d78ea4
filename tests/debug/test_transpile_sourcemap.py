"""``mlpy transpile FILE -o OUT --sourcemap``: OUT and OUT.map, read by a standard decoder."""

from __future__ import annotations

import json

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
