"""User ML source modules: `import utils;`, `import algorithms.sorting;`, `import a.b.c as c;`.

Every test builds its own Engine over directories under tmp_path (no shared state, any order),
runs real ML programs through ``Engine.execute`` / ``Session.exec`` or the real command line,
and looks at what an ML author would see: values, output, error codes, files and lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlpy
from mlpy import CapabilityError

UTILS = """\
// Small helpers for tests.
// They double numbers.
import math;
print("utils loaded");
x = 10;
_hidden = 5;
count = 0;
function double(n) { return n * 2; }
function bump() { nonlocal count; count = count + 1; return count; }
function _secret() { return 1; }
"""

SORTING = """\
// Sorting helpers.
import utils;
function quad(n) { return utils.double(utils.double(n)); }
function ordered(a) { return sorted(a); }
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(engine: mlpy.Engine, source: str, **options) -> mlpy.ExecutionResult:
    return engine.execute(textwrap.dedent(source), filename="main.ml", capture_output=True,
                          **options)


def cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("MLPY_ML_MODULE_PATHS", "MLPY_EXTENSION_PATHS")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "mlpy", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, env=environment)


@pytest.fixture
def lib(tmp_path) -> Path:
    root = tmp_path / "lib"
    write(root, "utils.ml", UTILS)
    write(root, "algorithms/sorting.ml", SORTING)
    write(root, "algorithms/search.ml", "function find(a, v) { return 0; }\n")
    return root


@pytest.fixture
def engine(lib) -> mlpy.Engine:
    return mlpy.Engine(ml_module_paths=[lib])


# ----------------------------------------------------------------------------- importing


def test_import_a_module_and_call_its_function(engine):
    result = run(engine, "import utils; result = [utils.double(21), utils.x];")
    assert result.ok, result.error
    assert result.value == [42, 10]
    assert result.stdout == "utils loaded\n"


def test_a_dotted_import_binds_the_head_as_a_package(engine):
    result = run(engine, """
        import algorithms.sorting;
        result = [algorithms.sorting.quad(1), algorithms.sorting.ordered([3, 1, 2]),
                  typeof(algorithms), typeof(algorithms.sorting)];
    """)
    assert result.ok, result.error
    assert result.value == [4, [1, 2, 3], "module", "module"]
    # the module that `algorithms.sorting` imports ran (it printed) but is not bound in main
    assert result.stdout == "utils loaded\n"
    unbound = run(engine, "import algorithms.sorting; result = utils.x;")
    assert not unbound.ok and "utils" in unbound.error.message


def test_an_alias_binds_only_the_alias(engine):
    result = run(engine, "import algorithms.sorting as s; result = [s.quad(2), typeof(s)];")
    assert result.ok, result.error
    assert result.value == [8, "module"]
    head = run(engine, "import algorithms.sorting as s; result = typeof(algorithms);")
    assert not head.ok
    assert "unknown name 'algorithms'" in head.error.message
    both = run(engine, """
        import algorithms.sorting as s;
        import algorithms.sorting;
        result = [s.quad(1), algorithms.sorting.quad(1)];
    """)
    assert both.ok, both.error
    assert both.value == [4, 4] and both.stdout == "utils loaded\n"


def test_two_imports_under_one_head_merge(engine):
    result = run(engine, """
        import algorithms.sorting;
        import algorithms.search;
        result = [algorithms.sorting.quad(1), algorithms.search.find([1], 1)];
    """)
    assert result.ok, result.error
    assert result.value == [4, 0]


def test_a_name_cannot_be_both_a_module_and_a_package(tmp_path):
    root = tmp_path / "lib"
    write(root, "a.ml", "x = 1;\n")
    write(root, "a/b.ml", "y = 2;\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    for source in ("import a; import a.b;", "import a.b; import a;"):
        result = run(engine, source)
        assert not result.ok
        assert result.error.code == "E_IMPORT_CONFLICT", source
    assert run(engine, "import a; import a.b as b; result = [a.x, b.y];").value == [1, 2]


def test_a_module_function_is_a_first_class_value(engine):
    result = run(engine, """
        import utils;
        f = utils.double;
        function apply(g, v) { return g(v); }
        m = utils;
        fs = [utils.double, utils.bump];
        result = [f(2), apply(utils.double, 3), m.double(4), fs[0](5), fs[1](), utils.count];
    """)
    assert result.ok, result.error
    assert result.value == [4, 6, 8, 10, 1, 1]


def test_imports_inside_a_module_are_not_exports(engine):
    for member in ("math", "utils"):
        module = "utils" if member == "math" else "algorithms.sorting"
        result = run(engine, f"import {module}; result = {module}.{member};")
        assert not result.ok
        assert result.error.code == "E_MODULE_MEMBER", member


def test_compile_lists_the_modules_a_program_imports(engine):
    program = engine.compile("import algorithms.sorting as s; result = s.quad(1);")
    assert set(program.modules) == {"algorithms.sorting", "utils"}
    assert "algorithms.sorting" in program.python_code


# ----------------------------------------------------------------------------- run once


def test_a_module_top_level_runs_once_per_execution(tmp_path):
    root = tmp_path / "lib"
    write(root, "noisy.ml", 'print("noisy top");\nv = 1;\n')
    write(root, "left.ml", 'import noisy;\nprint("left top");\nfunction get() { return noisy.v; }\n')
    write(root, "right.ml", 'import noisy;\nfunction get() { return noisy.v + 1; }\n')
    engine = mlpy.Engine(ml_module_paths=[root])
    source = """
        import noisy;
        import left;
        import right;
        print("main");
        result = [noisy.v, left.get(), right.get()];
    """
    first = run(engine, source)
    assert first.ok, first.error
    assert first.value == [1, 1, 2]
    assert first.stdout == "noisy top\nleft top\nmain\n"
    again = run(engine, source)  # a new execution runs the modules again (cached program)
    assert again.stdout == "noisy top\nleft top\nmain\n"
    assert again.timings["cache_hit"] is True


def test_a_module_runs_once_per_session_across_chunks(engine):
    session = engine.session()
    outputs = []
    for chunk in ("import utils;", "import utils; a = utils.bump();",
                  "import algorithms.sorting as s; b = s.quad(1);",
                  "result = [utils.bump(), utils.count, a, b];"):
        result = session.exec(chunk, capture_output=True)
        assert result.ok, (chunk, result.error)
        outputs.append(result.stdout)
    assert outputs == ["utils loaded\n", "", "", ""]
    assert result.value == [2, 2, 1, 4]
    fresh = engine.session().exec("import utils; result = utils.count;", capture_output=True)
    assert fresh.value == 0 and fresh.stdout == "utils loaded\n"


def test_imports_under_one_head_merge_across_session_chunks(engine):
    together = run(engine, "import algorithms.sorting;\nimport algorithms.search;\n"
                           "result = algorithms.sorting.quad(1);")
    assert together.value == 4
    session = engine.session()
    assert session.exec("import algorithms.sorting;").ok
    assert session.exec("import algorithms.search;").ok
    result = session.exec("result = algorithms.sorting.quad(1);")
    assert result.ok, result.error
    assert result.value == 4


def test_module_variables_are_live(engine):
    result = run(engine, """
        import utils;
        import utils as u;
        m = utils;
        before = utils.count;
        utils.bump();
        m.bump();
        f = u.bump;
        f();
        result = [before, utils.count, u.count, m.count];
    """)
    assert result.ok, result.error
    assert result.value == [0, 3, 3, 3]
    # state is per execution: the next run starts from the module's top level again
    assert run(engine, "import utils; result = utils.count;").value == 0


def test_a_module_has_its_own_namespace(tmp_path):
    root = tmp_path / "lib"
    write(root, "mod.ml", 'result = 99;\nname = "mod";\nfunction who() { return name; }\n')
    engine = mlpy.Engine(ml_module_paths=[root])
    result = run(engine, 'name = "main";\nimport mod;\nwho = mod.who();\n')
    assert result.ok, result.error
    assert result.value is None  # the module's `result` is not the program's
    assert result.globals["who"] == "mod" and result.globals["name"] == "main"


# ----------------------------------------------------------------------------- member rules


def test_modules_are_read_only_at_compile_time(engine):
    for source in ("import utils; utils.x = 1;",
                   "import algorithms.sorting; algorithms.sorting = 1;",
                   "import algorithms.sorting; algorithms.sorting.quad = 1;"):
        result = run(engine, source)
        assert not result.ok
        assert result.error.code == "E_MODULE_READONLY", source
        assert result.stdout == ""  # refused before anything ran


def test_modules_are_read_only_at_run_time_through_a_variable(engine):
    for source in ("import utils; m = utils; m.x = 1;",
                   'import utils; m = utils; m["x"] = 1;',
                   "import utils; o = {m: utils}; o.m.count = 5;",
                   "import algorithms.sorting; p = algorithms; p.sorting = 1;"):
        result = run(engine, source)
        assert not result.ok, source
        assert "read-only" in result.error.message, source


def test_private_members_are_refused(engine):
    for member in ("_hidden", "_secret()"):
        result = run(engine, f"import utils; result = utils.{member};")
        assert not result.ok
        assert result.error.code == "E_PRIVATE_MEMBER"
        assert "private" in result.error.message
    through_variable = run(engine, "import utils; m = utils; result = m._hidden;")
    assert not through_variable.ok
    assert "private" in through_variable.error.message


def test_an_unknown_member_suggests_a_close_name(engine):
    result = run(engine, "import utils; result = utils.dubble(1);")
    assert not result.ok
    assert result.error.code == "E_MODULE_MEMBER"
    assert "dubble" in result.error.message
    assert "did you mean: double?" in result.error.hints
    package = run(engine, "import algorithms.sorting; result = algorithms.sortin.quad(1);")
    assert package.error.code == "E_MODULE_MEMBER"
    at_run_time = run(engine, "import utils; m = utils; result = m.nope;")
    assert not at_run_time.ok and "nope" in at_run_time.error.message


def test_a_missing_module_suggests_and_names_the_roots(engine, lib):
    result = run(engine, "import utilz;")
    error = result.error
    assert not result.ok and error.code == "E_MODULE_NOT_FOUND"
    assert "utilz" in error.message
    assert "did you mean: utils?" in error.hints
    assert any(str(lib.resolve()) in hint and "ML module root" in hint for hint in error.hints)
    dotted = run(engine, "import algorithms.sortng;")
    assert dotted.error.code == "E_MODULE_NOT_FOUND"
    assert any("algorithms.sorting" in hint for hint in dotted.error.hints)
    [found] = engine.check("import utilz;")
    assert found.code == "E_MODULE_NOT_FOUND" and found.severity == "error"
    assert "did you mean: utils?" in found.suggestions


# ----------------------------------------------------------------------------- resolution


def test_the_first_root_wins_and_the_standard_library_beats_a_file(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "same.ml", 'who = "first";\n')
    write(second, "same.ml", 'who = "second";\n')
    write(second, "only.ml", "n = 2;\n")
    write(first, "math.ml", 'function floor(x) { return "fake"; }\npi = 3;\n')
    write(first, "json.ml", 'print("fake json ran");\n')
    engine = mlpy.Engine(ml_module_paths=[first, second])
    result = run(engine, """
        import same;
        import only;
        import math;
        import json;
        result = [same.who, only.n, math.floor(2.5), math.pi > 3.14];
    """, capabilities=["math.compute"])
    assert result.ok, result.error
    assert result.value == ["first", 2, 2, True]
    assert result.stdout == ""
    swapped = mlpy.Engine(ml_module_paths=[second, first])
    assert run(swapped, "import same; result = same.who;").value == "second"


def test_modules_import_modules_by_the_roots_not_next_to_the_importer(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    write(one, "pkg/user.ml", "import sib;\nw = sib.w;\n")
    write(one, "pkg/sib.ml", 'w = "next to the importer";\n')
    write(two, "sib.ml", 'w = "from a root";\n')
    engine = mlpy.Engine(ml_module_paths=[one, two])
    result = run(engine, "import pkg.user; result = pkg.user.w;")
    assert result.ok, result.error
    assert result.value == "from a root"
    alone = mlpy.Engine(ml_module_paths=[one])  # no root has sib.ml
    missing = run(alone, "import pkg.user;")
    assert missing.error.code == "E_MODULE_NOT_FOUND"
    assert Path(missing.error.file) == (one / "pkg" / "user.ml").resolve()
    assert missing.error.span.line == 1
    assert "import pkg.sib" not in missing.error.message  # never tried relative to pkg/


def test_a_module_named_like_a_python_module_does_not_replace_it(tmp_path):
    import textwrap as python_textwrap

    root = tmp_path / "lib"
    write(root, "textwrap.ml", 'function dedent(s) { return "ML " + s; }\n')
    write(root, "os.ml", "x = 1;\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    result = run(engine, 'import textwrap; result = textwrap.dedent("x");')
    assert result.ok, result.error
    assert result.value == "ML x"
    assert sys.modules["textwrap"] is python_textwrap
    assert python_textwrap.dedent("  a\n  b") == "a\nb"
    # and a name the language forbids stays forbidden even with a file for it
    assert not run(engine, "import os;").ok


# ----------------------------------------------------------------------------- cycles


def test_an_import_cycle_of_two_modules(tmp_path):
    root = tmp_path / "lib"
    a = write(root, "a.ml", "import b;\nfunction fa() { return 1; }\n")
    b = write(root, "b.ml", "x = 1;\nimport a;\nfunction fb() { return 2; }\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    result = run(engine, "\nimport a;\nresult = a.fa();")
    error = result.error
    assert not result.ok and error.code == "E_IMPORT_CYCLE"
    assert "import cycle: a -> b -> a" in error.message
    assert Path(error.file) == b.resolve() and error.span.line == 2
    assert f"imported by {a.resolve()}:1" in error.hints
    assert "imported by main.ml:2" in error.hints
    assert result.stdout == ""
    [diagnostic] = engine.check("import a;")
    assert diagnostic.code == "E_IMPORT_CYCLE" and diagnostic.severity == "error"


def test_an_import_cycle_of_three_modules_and_a_self_import(tmp_path):
    root = tmp_path / "lib"
    write(root, "p/x.ml", "import q;\n")
    write(root, "q.ml", "import r;\n")
    r = write(root, "r.ml", "// r closes the cycle\nimport p.x;\n")
    me = write(root, "selfie.ml", "\n\nimport selfie;\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    three = run(engine, "import p.x;").error
    assert three.code == "E_IMPORT_CYCLE"
    assert "p.x -> q -> r -> p.x" in three.message
    assert Path(three.file) == r.resolve() and three.span.line == 2
    selfie = run(engine, "import selfie;").error
    assert selfie.code == "E_IMPORT_CYCLE"
    assert "selfie -> selfie" in selfie.message
    assert Path(selfie.file) == me.resolve() and selfie.span.line == 3


def test_a_cycle_made_by_an_edit_is_reported_like_on_a_fresh_engine(tmp_path):
    root = tmp_path / "lib"
    write(root, "a.ml", "import b;\nfunction fa() { return b.fb(); }\n")
    write(root, "b.ml", "function fb() { return 1; }\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    assert run(engine, "import a; result = a.fa();").value == 1
    write(root, "b.ml", "import a;\nfunction fb() { return 2; }\n")
    cached = run(engine, "import a; result = a.fa();").error
    fresh = run(mlpy.Engine(ml_module_paths=[root]), "import a; result = a.fa();").error
    assert fresh.code == cached.code == "E_IMPORT_CYCLE"
    assert "a -> b -> a" in fresh.message
    assert (cached.message, cached.file, cached.hints) == (fresh.message, fresh.file, fresh.hints)


# ----------------------------------------------------------------------------- containment


def _symlink(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError) as error:
        pytest.skip(f"symlinks are not available here: {error}")


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    root = tmp_path / "lib"
    root.mkdir()
    outside = write(tmp_path / "elsewhere", "evil.ml", "secret = 1;\n")
    sibling = write(tmp_path / "lib_evil", "near.ml", "secret = 2;\n")  # prefix, not inside
    write(root, "real.ml", "ok = 3;\n")
    _symlink(root / "evil.ml", outside)
    _symlink(root / "near.ml", sibling)
    _symlink(root / "alias.ml", root / "real.ml")  # a link that stays inside is fine
    (root / "sub").mkdir()
    _symlink(root / "sub" / "far", tmp_path / "elsewhere")  # a linked directory
    engine = mlpy.Engine(ml_module_paths=[root])
    for name in ("evil", "near", "sub.far.evil"):
        result = run(engine, f"import {name}; result = 1;")
        assert not result.ok, name
        assert result.error.code == "E_IMPORT_OUTSIDE_ROOT", name
        assert str(root.resolve()) in result.error.message
    assert run(engine, "import alias; result = alias.ok;").value == 3


# ----------------------------------------------------------------------------- errors


def test_a_compile_error_in_a_module_names_the_module_file(tmp_path):
    root = tmp_path / "lib"
    bad = write(root, "bad.ml", "// broken\nfunction f() { return 1 +; }\n")
    unknown = write(root, "unknown.ml", "\nfunction f() { return undefined_name; }\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    syntax = run(engine, "x = 1;\n\nimport bad;\n").error
    assert isinstance(syntax, mlpy.MLSyntaxError)
    assert Path(syntax.file) == bad.resolve() and syntax.span.line == 2
    assert "imported by main.ml:3" in syntax.hints
    shown = syntax.format()
    assert "function f() { return 1 +; }" in shown and "^" in shown
    assert str(bad.resolve()) + ":2:" in shown
    name = run(engine, "import unknown;").error
    assert Path(name.file) == unknown.resolve() and name.span.line == 2
    assert "undefined_name" in name.message and "imported by main.ml:1" in name.hints
    [diagnostic] = [d for d in engine.check("import bad;") if d.severity == "error"]
    assert Path(diagnostic.file) == bad.resolve()


def test_a_runtime_error_in_a_module_is_positioned_in_the_module(tmp_path):
    root = tmp_path / "lib"
    rt = write(root, "rt.ml", "// divides\nfunction f(n) {\n  return 10 / n;\n}\n"
                              "function g(n) { return f(n); }\n")
    write(root, "thrower.ml", 'x = 1;\nthrow "top-level boom";\n')
    engine = mlpy.Engine(ml_module_paths=[root])
    result = run(engine, 'import rt;\nprint("before");\nresult = rt.g(0);\n')
    error = result.error
    assert not result.ok and result.stdout == "before\n"
    assert Path(error.file) == rt.resolve() and error.span.line == 3
    chain = [line for line in str(error).splitlines() if line.startswith("calls:")]
    assert chain and "main.ml:3" in chain[0] and "rt.ml:5" in chain[0] and "rt.ml:3" in chain[0]
    top = run(engine, "import thrower;").error
    assert Path(top.file).name == "thrower.ml" and top.span.line == 2
    assert "top-level boom" in top.message


def test_limits_apply_to_a_module_top_level(tmp_path):
    root = tmp_path / "lib"
    write(root, "spin.ml", "i = 0;\nwhile (true) { i = i + 1; }\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    result = run(engine, "import spin;", max_steps=5_000)
    assert isinstance(result.error, mlpy.MLResourceError)
    assert Path(result.error.file).name == "spin.ml"


def test_an_undecodable_module_is_an_import_error(tmp_path):
    root = tmp_path / "lib"
    root.mkdir()
    (root / "latin.ml").write_bytes(b'x = "\xff\xfe";\n')
    result = run(mlpy.Engine(ml_module_paths=[root]), "import latin;")
    assert not result.ok
    assert result.error.code == "E_MODULE_LOAD" and "UTF-8" in result.error.message


# ----------------------------------------------------------------------------- capabilities


def test_a_module_runs_under_the_importer_grants(tmp_path, monkeypatch):
    root = tmp_path / "lib"
    data = write(tmp_path / "data", "f.txt", "hello data\n")
    write(root, "reader.ml", "import file;\nfunction read_it(p) { return file.read(p); }\n")
    write(root, "envmod.ml", 'import env;\nhome = env.get("MLPY_MODULE_TEST_VAR");\n')
    monkeypatch.setenv("MLPY_MODULE_TEST_VAR", "zz")
    engine = mlpy.Engine(ml_module_paths=[root])
    source = f"import reader; result = reader.read_it({json.dumps(str(data))});"
    denied = run(engine, source)
    assert isinstance(denied.error, CapabilityError)
    assert Path(denied.error.file).name == "reader.ml"
    assert run(engine, source, capabilities=["file.read"]).value == "hello data\n"
    at_top_level = run(engine, "import envmod; result = envmod.home;")
    assert isinstance(at_top_level.error, CapabilityError)
    assert run(engine, "import envmod; result = envmod.home;",
               capabilities=["env.read"]).value == "zz"
    granted = mlpy.Engine(ml_module_paths=[root], capabilities=["env.read"])
    assert run(granted, "import envmod; result = envmod.home;").value == "zz"


def test_a_module_capability_block_stops_the_program_when_not_granted(tmp_path):
    root = tmp_path / "lib"
    write(root, "needs.ml", '// reads data\ncapability Reader { allow read "data/*"; }\n'
                            "function one() { return 1; }\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    source = 'print("main started");\nimport needs;\nresult = needs.one();\n'
    refused = run(engine, source)
    assert isinstance(refused.error, CapabilityError)
    assert refused.stdout == ""  # the program did not start
    assert "file.read" in refused.error.message
    assert run(engine, source, capabilities=["file.read:data/*"]).value == 1
    assert [str(r) for r in engine.compile(source).requests] == ["file.read:data/*"]
    assert any(d.code == "MLCAP002" for d in engine.check(source))


def test_a_module_capability_refusal_points_into_the_module(tmp_path):
    root = tmp_path / "lib"
    needs = write(root, "needs.ml", '// reads data\n\ncapability Reader { allow read "data/*"; }\n'
                                    "function one() { return 1; }\n")
    refused = run(mlpy.Engine(ml_module_paths=[root]), "import needs;\nresult = needs.one();\n")
    assert isinstance(refused.error, CapabilityError)
    # either the block in needs.ml (line 3) or the import in main.ml (line 1) is honest
    where = (Path(refused.error.file).name, refused.error.span.line)
    assert where in {(needs.name, 3), ("main.ml", 1)}, where


# ----------------------------------------------------------------------------- editing


def test_an_edited_module_is_picked_up_by_the_next_execution(tmp_path):
    root = tmp_path / "lib"
    noisy = write(root, "noisy.ml", "v = 1;\n")
    write(root, "user.ml", "import noisy;\nfunction get() { return noisy.v; }\n")
    engine = mlpy.Engine(ml_module_paths=[root])
    source = "import user; result = user.get();"
    assert run(engine, source).value == 1
    noisy.write_text("v = 22;\n", encoding="utf-8")  # a dependency of a dependency changed
    assert run(engine, source).value == 22
    # settled file (mtime well in the past): the stat fast path serves the cached unit
    past = time.time() - 100
    os.utime(noisy, (past, past))
    assert run(engine, source).value == 22
    assert run(engine, source).value == 22
    # same size, different content, a different (old) mtime: read again, hash differs
    noisy.write_text("v = 33;\n", encoding="utf-8")
    os.utime(noisy, (past - 50, past - 50))
    assert run(engine, source).value == 33
    # touched without a change: same content hash, still correct
    os.utime(noisy, None)
    assert run(engine, source).value == 33
    # a module that stops compiling is reported, and fixing it recovers
    noisy.write_text("v = ;\n", encoding="utf-8")
    broken = run(engine, source)
    assert not broken.ok and Path(broken.error.file) == noisy.resolve()
    noisy.write_text("v = 4;\n", encoding="utf-8")
    assert run(engine, source).value == 4


def test_a_deleted_module_and_a_new_one_in_an_earlier_root(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    two = write(second, "two.ml", "k = 1;\n")
    engine = mlpy.Engine(ml_module_paths=[first, second])
    source = "import two; result = two.k;"
    assert run(engine, source).value == 1
    two.unlink()
    assert run(engine, source).error.code == "E_MODULE_NOT_FOUND"
    write(second, "two.ml", "k = 2;\n")
    assert run(engine, source).value == 2
    shadow = write(first, "two.ml", 'k = "first";\n')
    assert run(engine, source).value == "first"
    shadow.unlink()
    assert run(engine, source).value == 2


# ----------------------------------------------------------------------------- host hygiene


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_no_files_are_written_into_module_directories(tmp_path, lib):
    write(lib, "bad.ml", "x = ;\n")
    write(lib, "deep/er/mod.ml", "import algorithms.sorting as s;\nfunction f() { return s.quad(1); }\n")
    before = _files(lib)
    engine = mlpy.Engine(ml_module_paths=[lib])
    assert run(engine, "import deep.er.mod; result = deep.er.mod.f();").value == 4
    assert not run(engine, "import bad;").ok
    engine.check("import utils;")
    engine.transpile("import algorithms.search;")
    session = engine.session()
    session.exec("import utils; utils.bump();")
    assert _files(lib) == before
    leftovers = [p for p in lib.rglob("*") if p.suffix in (".py", ".pyc")
                 or p.name in ("__pycache__", "__init__.py")]
    assert leftovers == []


def test_sys_modules_is_left_alone(tmp_path, lib):
    write(lib, "textwrap.ml", 'function dedent(s) { return s; }\n')
    write(lib, "collections.ml", "x = 1;\n")
    source = """
        import utils;
        import algorithms.sorting;
        import textwrap;
        import collections;
        result = [algorithms.sorting.quad(1), textwrap.dedent("a")];
    """
    # warm up (mlpy's own lazy imports, the math bridge utils uses) on another engine
    assert run(mlpy.Engine(ml_module_paths=[lib]), source).ok
    before = dict(sys.modules)
    engine = mlpy.Engine(ml_module_paths=[lib])
    result = run(engine, source)
    assert result.ok, result.error
    engine.session().exec("import utils; import textwrap;")
    after = dict(sys.modules)
    allowed = ("mlpy._ml.", "mlpy._ext.")
    added = {n for n in after.keys() - before.keys() if not n.startswith(allowed)}
    removed = {n for n in before.keys() - after.keys() if not n.startswith(allowed)}
    replaced = {n for n in before.keys() & after.keys()
                if before[n] is not after[n] and not n.startswith(allowed)}
    assert (added, removed, replaced) == (set(), set(), set())
    for name in ("utils", "algorithms", "algorithms.sorting"):
        assert name not in sys.modules


def test_two_engines_with_different_roots_are_isolated(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    write(one, "same.ml", 'who = "one";\n')
    write(two, "same.ml", 'who = "two";\n')
    write(two, "only_two.ml", "n = 2;\n")
    first = mlpy.Engine(ml_module_paths=[one])
    second = mlpy.Engine(ml_module_paths=[two])
    for _ in range(2):  # interleaved, both orders
        assert run(first, "import same; result = same.who;").value == "one"
        assert run(second, "import same; result = same.who;").value == "two"
        assert run(second, "import only_two; result = only_two.n;").value == 2
        assert run(first, "import only_two;").error.code == "E_MODULE_NOT_FOUND"
    assert run(mlpy.Engine(), "import same;").error.code == "E_MODULE_NOT_FOUND"


def test_the_environment_adds_ml_roots_after_the_given_ones(tmp_path, monkeypatch):
    given, from_env = tmp_path / "given", tmp_path / "env"
    write(given, "same.ml", 'who = "given";\n')
    write(from_env, "same.ml", 'who = "env";\n')
    write(from_env, "extra.ml", "n = 7;\n")
    monkeypatch.setenv("MLPY_ML_MODULE_PATHS", os.pathsep.join(["", f" {from_env} ", ""]))
    engine = mlpy.Engine(ml_module_paths=[given])
    assert engine.registry.ml_module_paths == [given.resolve(), from_env.resolve()]
    result = run(engine, "import same; import extra; result = [same.who, extra.n];")
    assert result.value == ["given", 7]
    assert run(mlpy.Engine(), "import same; result = same.who;").value == "env"


# ----------------------------------------------------------------------------- introspection


def test_introspection_builtins_describe_ml_modules(engine, lib, tmp_path):
    result = run(engine, """
        result = [available_modules("ml"), has_module("utils"),
                  has_module("algorithms.sorting"), has_module("algorithms.nope"),
                  has_module("math"), module_info("utils"), module_info("nope")];
    """)
    assert result.ok, result.error
    names, has_utils, has_sorting, has_nope, has_math, info, missing = result.value
    assert names == ["algorithms.search", "algorithms.sorting", "utils"]
    assert (has_utils, has_sorting, has_nope, has_math) == (True, True, False, True)
    assert missing is None
    assert info["name"] == "utils" and info["kind"] == "ml"
    assert info["description"] == "Small helpers for tests. They double numbers."
    assert info["functions"] == ["bump", "double"]
    assert info["constants"] == ["count", "x"]
    assert str(tmp_path) not in json.dumps(info)
    assert str(lib) not in json.dumps(info) and ".ml" not in json.dumps(info)
    assert "math" not in run(engine, "result = available_modules(\"ml\");").value
    assert not run(engine, 'result = available_modules("bogus");').ok


def test_module_info_does_not_claim_an_unimported_module_is_loaded(engine):
    assert run(engine, 'result = module_info("algorithms.search").loaded;').value is False


def test_transpile_output_includes_the_imported_ml_modules(engine):
    result = engine.transpile("import algorithms.sorting as s; result = s.quad(1);")
    assert result.ok
    assert "def quad(" in result.modules["algorithms.sorting"]  # the module's own code
    assert "def quad(" not in result.python_code


def test_the_sandbox_finds_ml_modules(lib):
    with mlpy.Engine(ml_module_paths=[lib], isolation="subprocess") as engine:
        result = engine.execute("import algorithms.sorting as s; import utils;\n"
                                "result = [s.quad(3), utils.bump(), utils.bump(), utils.count];",
                                capture_output=True)
        assert result.ok, result.error
        assert result.value == [12, 1, 2, 2] and result.stdout == "utils loaded\n"
        again = engine.execute("import utils; result = utils.count;", capture_output=True)
        assert again.value == 0 and again.stdout == "utils loaded\n"
        assert engine.execute("import utilz;").error.code == "E_MODULE_NOT_FOUND"


# ----------------------------------------------------------------------------- command line


def listed_roots(stderr: str, cwd: Path) -> list[Path]:
    """The directories of the `ml module roots: ...` line (shown absolute or CWD-relative)."""
    [line] = [l for l in stderr.splitlines() if l.startswith("ml module roots:")]
    return [(cwd / part.strip()).resolve() for part in line.split(":", 1)[1].split(", ")]


@pytest.fixture
def project(tmp_path) -> Path:
    """project/app/main.ml importing geo.shapes (from project/lib) and helper (next to it)."""
    project = tmp_path / "project"
    write(project / "lib", "geo/shapes.ml",
          "// Geometry shapes.\n// Areas only.\nfunction area(w, h) { return w * h; }\n"
          'UNIT = "m2";\n')
    write(project / "app", "helper.ml", 'function hi() { return "local"; }\n')
    write(project / "app", "main.ml", "import geo.shapes;\nimport helper;\n"
          "print(geo.shapes.area(2, 3));\nprint(helper.hi());\n")
    return project


def test_cli_run_uses_the_program_directory_as_an_implicit_root(tmp_path):
    write(tmp_path / "app", "helper.ml", 'function hi() { return "local"; }\n')
    script = write(tmp_path / "app", "main.ml", "import helper;\nprint(helper.hi());\n")
    done = cli("run", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "local\n"
    assert "ml module roots" not in done.stderr  # only the implicit root: nothing to say
    no_local = cli("run", "--no-local-imports", str(script), cwd=tmp_path)
    assert no_local.returncode == 3
    assert "E_MODULE_NOT_FOUND" in no_local.stderr and "helper" in no_local.stderr


def test_cli_run_with_ml_module_paths(project, tmp_path):
    script = project / "app" / "main.ml"
    lib = project / "lib"
    done = cli("run", "-v", "-M", str(lib), str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "6\nlocal\n"
    assert listed_roots(done.stderr, tmp_path) == [lib.resolve(), (project / "app").resolve()]
    missing = cli("run", "-M", str(tmp_path / "nope"), str(script), cwd=tmp_path)
    assert missing.returncode == 2
    assert "-M" in missing.stderr and "nope" in missing.stderr


def test_cli_project_config_in_mlpy_json(project, tmp_path):
    (project / "mlpy.json").write_text('{"ml_module_paths": ["./lib"]}', encoding="utf-8")
    script = project / "app" / "main.ml"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()  # relative config paths are relative to the config, not the CWD
    done = cli("run", str(script), cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "6\nlocal\n"
    assert done.stderr == ""  # the roots are listed with -v only
    isolated = cli("run", "--isolated", str(script), cwd=elsewhere,
                   env={"MLPY_ML_MODULE_PATHS": str(project / "lib")})
    assert isolated.returncode == 3
    assert "geo.shapes" in isolated.stderr and "E_MODULE_NOT_FOUND" in isolated.stderr


def test_cli_project_config_in_pyproject_and_cli_roots_come_first(project, tmp_path):
    (project / "pyproject.toml").write_text('[tool.mlpy]\nml_module_paths = ["lib"]\n',
                                            encoding="utf-8")
    override = tmp_path / "override"
    write(override, "geo/shapes.ml", 'function area(w, h) { return "override"; }\n')
    script = project / "app" / "main.ml"
    done = cli("run", "--verbose", "-M", str(override), str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "override\nlocal\n"
    assert listed_roots(done.stderr, tmp_path) == [
        override.resolve(), (project / "lib").resolve(), (project / "app").resolve()]


def test_cli_run_reports_errors_inside_modules(tmp_path):
    app = tmp_path / "app"
    write(app, "broken.ml", "\nfunction f() { return 1 +; }\n")
    write(app, "rtm.ml", "function boom(n) {\n  return 10 / n;\n}\n")
    compile_error = cli("run", str(write(app, "m1.ml", "import broken;\n")), cwd=tmp_path)
    assert compile_error.returncode == 3
    assert "broken.ml:2:" in compile_error.stderr
    assert "function f() { return 1 +; }" in compile_error.stderr
    assert "imported by" in compile_error.stderr and "m1.ml:1" in compile_error.stderr
    runtime = cli("run", str(write(app, "m2.ml", 'import rtm;\nprint("before");\nrtm.boom(0);\n')),
                  cwd=tmp_path)
    assert runtime.returncode == 1
    assert runtime.stdout == "before\n"
    assert "rtm.ml:2:" in runtime.stderr and "return 10 / n;" in runtime.stderr
    assert "m2.ml:3" in runtime.stderr  # the call chain names both files


def test_cli_transpile_and_check_find_ml_modules(project, tmp_path):
    script = project / "app" / "main.ml"
    transpiled = cli("transpile", "-M", str(project / "lib"), str(script), cwd=tmp_path)
    assert transpiled.returncode == 0, transpiled.stderr
    assert "geo" in transpiled.stdout and "helper" in transpiled.stdout
    compile(transpiled.stdout, "out.py", "exec")  # it is Python
    checked = cli("check", "-M", str(project / "lib"), str(script), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "ok" in checked.stderr


def test_cli_check_shows_the_module_line_of_an_error_in_a_module(tmp_path):
    app = tmp_path / "app"
    write(app, "broken.ml", "\nfunction f() { return 1 +; }\n")
    script = write(app, "main.ml", "import broken;\n")
    checked = cli("check", str(script), cwd=tmp_path)
    assert checked.returncode == 3
    assert "broken.ml:2:" in checked.stderr
    assert "function f() { return 1 +; }" in checked.stderr


def test_cli_isolate_runs_ml_modules_in_the_sandbox(project, tmp_path):
    script = project / "app" / "main.ml"
    done = cli("run", "--isolate", "-M", str(project / "lib"), str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "6\nlocal\n"


def test_cli_modules_list_info_and_check(project, tmp_path):
    lib = str(project / "lib")
    listed = cli("modules", "list", "--kind", "ml", "-M", lib, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    [row] = listed.stdout.splitlines()
    assert row.split()[0] == "geo.shapes" and "ml" in row.split()
    info = cli("modules", "info", "geo.shapes", "-M", lib, "--json", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    described = json.loads(info.stdout)
    assert described["kind"] == "ml"
    assert described["functions"] == ["area"] and described["constants"] == ["UNIT"]
    assert described["description"] == "Geometry shapes. Areas only."
    good = cli("modules", "check", "-M", lib, cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    write(project / "lib", "geo/broken.ml", "x = ;\n")
    bad = cli("modules", "check", "-M", lib, cwd=tmp_path)
    assert bad.returncode == 1
    assert "broken.ml:1:" in bad.stderr and "geo.shapes" in bad.stderr


def test_a_program_named_like_the_module_it_imports_is_told_so(tmp_path):
    # Its own folder is searched first, so the program finds itself instead of the module.
    program = write(tmp_path, "carrier.ml", "import carrier;\nresult = carrier.rate(2);\n")
    result = mlpy.Engine(ml_module_paths=[tmp_path]).execute(program.read_text(),
                                                             filename=str(program))
    error = result.error
    assert error.code == "E_IMPORT_CYCLE"
    assert "carrier -> carrier (the module imports itself)" in error.message
    assert any("rename the program or the module" in hint for hint in error.hints)
