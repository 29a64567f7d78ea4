"""The ``csv`` module: text functions are pure; file functions check the canonical path."""

from __future__ import annotations

import os

import pytest

from mlpy import Capability


def test_read_and_write_strings_need_no_capability(run):
    out = run.output("""
        import csv;
        rows = csv.read_string("name,age
ann,31
,
bob,42,extra

cy
");
        print(rows);
        print(csv.read_string("a;b
1;2
", ";", false));
        print(csv.read_string(""));
        text = csv.write_string([{name: "ann", ok: true, note: null}, {name: "b,c", ok: false}]);
        print(csv.read_string(text));
        print(csv.write_string([]) == "", csv.write_string([[1, 2.5], "x"], "|"));
    """)
    assert out == (
        "[{'name': 'ann', 'age': '31'}, {'name': '', 'age': ''}, "
        "{'name': 'bob', 'age': '42'}, {'name': 'cy', 'age': ''}]\n"
        "[['a', 'b'], ['1', '2']]\n[]\n"
        "[{'name': 'ann', 'ok': 'true', 'note': ''}, {'name': 'b,c', 'ok': 'false', 'note': ''}]\n"
        "true 1|2.5\r\nx\r\n\n")


def test_write_string_line_endings_and_quoting():
    from mlpy.stdlib.csv_bridge import Csv
    assert Csv().write_string([{"a": 1, "b": 'say "hi"'}]) == 'a,b\r\n1,"say ""hi"""\r\n'
    assert Csv().write_string([{"a": 1}], headers=False) == "1\r\n"


def test_file_round_trip(run, tmp):
    path = str(tmp / "out" / "people.csv")
    out = run.output("""
        import csv;
        csv.write(p, [{name: "ann", age: 31}, {name: "bob"}]);
        print(csv.read(p));
        print(csv.read(p, ",", false));
        print(csv.count_rows(p), csv.get_headers(p));
        csv.append(p, {age: 7, name: "cy"});
        csv.append(p, ["dee", 9]);
        print(csv.read(p));
        csv.write(p, []);
        print(csv.read(p), csv.count_rows(p), csv.get_headers(p));
    """, [f"file.read:{tmp}/**", f"file.write:{tmp}/**"], p=path)
    assert out == (
        "[{'name': 'ann', 'age': '31'}, {'name': 'bob', 'age': ''}]\n"
        "[['name', 'age'], ['ann', '31'], ['bob', '']]\n"
        "2 ['name', 'age']\n"
        "[{'name': 'ann', 'age': '31'}, {'name': 'bob', 'age': ''}, {'name': 'cy', 'age': '7'}, "
        "{'name': 'dee', 'age': '9'}]\n"
        "[] 0 []\n")
    assert os.path.getsize(path) == 0


def test_append_to_a_file_without_a_final_newline(run, tmp):
    path = tmp / "t.csv"
    path.write_text("a,b\n1,2", encoding="utf-8")
    run.output('import csv; csv.append(p, {b: 4, a: 3});',
               [f"file.read:{tmp}/**", f"file.write:{tmp}/**"], p=str(path))
    assert path.read_bytes() == b"a,b\n1,2\r\n3,4\r\n"


def test_capabilities_are_checked_on_the_path(run, tmp):
    inside, outside = str(tmp / "in" / "a.csv"), str(tmp / "elsewhere.csv")
    (tmp / "elsewhere.csv").write_text("x\n1\n", encoding="utf-8")
    grants = [f"file.read:{tmp}/in/**", f"file.write:{tmp}/in/**"]
    run.output('import csv; csv.write(p, [[1]]); print(csv.read(p, ",", false));', grants,
               p=inside)
    for program in ('import csv; csv.read(p);', 'import csv; csv.write(p, [[1]]);',
                    'import csv; csv.count_rows(p);', 'import csv; csv.get_headers(p);',
                    'import csv; csv.append(p, [1]);', 'import csv; f = csv.read; f(p);'):
        error = run.refused(program, grants, p=outside)
        assert "elsewhere.csv" in str(error)
    error = run.refused('import csv; csv.read(p);', p=inside)
    assert error.required == "file.read"
    error = run.refused('import csv; csv.append(p, [1]);', [f"file.read:{tmp}/**"], p=inside)
    assert error.required == "file.write"


def test_a_symlink_out_of_the_scope_is_refused(run, tmp):
    (tmp / "in").mkdir()
    (tmp / "secret.csv").write_text("k\nv\n", encoding="utf-8")
    os.symlink(tmp / "secret.csv", tmp / "in" / "link.csv")
    error = run.refused('import csv; csv.read(p);', [f"file.read:{tmp}/in/**"],
                        p=str(tmp / "in" / "link.csv"))
    assert "link.csv" in str(error) and "secret" not in str(error)


def test_max_bytes_bounds_reads_and_writes(run, tmp):
    path = tmp / "big.csv"
    path.write_text("a\n" + "1\n" * 100, encoding="utf-8")
    read = Capability.parse(f"file.read:{tmp}/**", max_bytes=50)
    write = Capability.parse(f"file.write:{tmp}/**", max_bytes=50)
    run.refused('import csv; csv.read(p);', [read], p=str(path))
    run.refused('import csv; csv.write(q, data);', [write], q=str(tmp / "w.csv"),
                data=[[i] for i in range(100)])
    run.refused('import csv; csv.append(p, [1]);', [f"file.read:{tmp}/**", write],
                p=str(path))


@pytest.mark.parametrize("program, kind", [
    ('import csv; csv.read_string("a", "ab");', "ValueError"),
    ('import csv; csv.read_string(5);', "TypeError"),
    ('import csv; csv.write_string([{a: 1}, {b: 2}]);', "ValueError"),
    ('import csv; csv.write_string([{a: 1}, [2]]);', "TypeError"),
    ('import csv; csv.write_string("x");', "TypeError"),
    ('import csv; csv.read_string("a\\n\\"x", ",", false);', None),
])
def test_bad_arguments(run, program, kind):
    result = run(program)
    if kind is None:
        assert result.ok, result.error
    else:
        assert not result.ok
        out = run.output(f"try {{ {program.split('; ', 1)[1]} }} except (e) {{ print(e.type); }}"
                         .replace("try {", "import csv; try {"))
        assert out == kind + "\n"


def test_missing_file_is_a_catchable_error(run, tmp):
    out = run.output('import csv; try { csv.read(p); } except (e) { print(e.type); }',
                     [f"file.read:{tmp}/**"], p=str(tmp / "none.csv"))
    assert out == "FileNotFoundError\n"
