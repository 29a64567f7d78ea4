"""The ``path`` module: string functions, directory listings filtered by scope, directory
changes, and the functions that reveal host paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlpy.stdlib.path_bridge import Path as PathModule


@pytest.fixture
def tree(tmp: Path) -> Path:
    """tmp/pub/{a.txt, b.csv, .hidden, sub/c.txt, sub/deep/d.txt, link -> tmp/secret.txt,
    outdir -> tmp/outside}, tmp/secret.txt, tmp/outside/x.txt."""
    pub = tmp / "pub"
    (pub / "sub" / "deep").mkdir(parents=True)
    for name in ["a.txt", "b.csv", ".hidden", "sub/c.txt", "sub/deep/d.txt"]:
        (pub / name).write_text(name)
    (tmp / "secret.txt").write_text("secret")
    (tmp / "outside").mkdir()
    (tmp / "outside" / "x.txt").write_text("x")
    (pub / "link").symlink_to(tmp / "secret.txt")
    (pub / "outdir").symlink_to(tmp / "outside", target_is_directory=True)
    return tmp


# ----------------------------------------------------------------------------- strings


def test_string_functions_need_no_capability(run):
    out = run.output("""
        import path;
        print(path.join("a", "b", "c.txt"), path.dirname("/x/y/z.txt"),
              path.basename("/x/y/z.txt"));
        print(path.extname("a/b.tar.gz"), path.extname("README"), path.split("/x/y"));
        print(path.normalize("a//b/../c/."), path.isAbsolute("/a"), path.isAbsolute("a"));
        print(path.relative("/a/b", "/a/c/d"), path.absolute("/a/./b/../c"));
        print(path.separator(), path.delimiter(), path.join("~", "x"));
    """)
    assert out == ("a/b/c.txt /x/y z.txt\n.gz  ['/x', 'y']\na/c true false\n"
                   "../c/d /a/c\n/ : ~/x\n")


def test_string_functions_check_their_arguments(run):
    out = run.output("""
        import path;
        try { path.join("a", 1); } except (e) { print(e.type); }
        try { path.basename(null); } except (e) { print(e.type); }
    """)
    assert out == "TypeError\nTypeError\n"


def test_paths_that_consult_the_working_or_home_directory_need_path_read(run, tmp, monkeypatch):
    monkeypatch.chdir(tmp)
    monkeypatch.setenv("HOME", str(tmp))
    for call in ['path.absolute("x")', 'path.absolute("~/x")', 'path.relative("a", "/b")',
                 "path.cwd()", "path.home()", "path.tempDir()"]:
        assert run.refused(f"import path; x = {call};").required == "path.read"
        run.refused(f"import path; x = {call};", ["path.read:/elsewhere/**"])
    out = run.output("""
        import path;
        print(path.absolute("x"), path.absolute("~/y"), path.cwd(), path.home());
        print(path.relative("a", d + "/b"));
    """, [f"path.read:{tmp}/**"], d=str(tmp))
    assert out == f"{tmp}/x {tmp}/y {tmp} {tmp}\n../b\n"


# ----------------------------------------------------------------------------- looking


def test_queries_work_with_path_read(run, tree):
    out = run.output("""
        import path;
        print(path.exists(d + "/pub/a.txt"), path.exists(d + "/pub/none"),
              path.exists(d + "/pub"));
        print(path.isFile(d + "/pub/a.txt"), path.isFile(d + "/pub/sub"));
        print(path.isDirectory(d + "/pub/sub"), path.isDirectory(d + "/pub/a.txt"));
    """, [f"path.read:{tree}/pub/**"], d=str(tree))
    assert out == "true false true\ntrue false\ntrue false\n"


@pytest.mark.parametrize("call", ["path.exists(p)", "path.isFile(p)", "path.isDirectory(p)",
                                  "path.listDir(p)", "path.walk(p)", 'path.glob(p + "/*")'])
@pytest.mark.parametrize("where", ["{d}", "{d}/secret.txt", "{d}/pub/../outside",
                                   "{d}/pub/outdir", "{d}/pub/link"])
def test_looking_outside_the_scope_is_refused(run, tree, call, where):
    error = run.refused(f"import path; x = {call};", [f"path.read:{tree}/pub/**"],
                        p=where.format(d=tree))
    assert error.required == "path.read"


@pytest.mark.parametrize("call", ["path.exists(p)", "path.listDir(p)", "path.walk(p)",
                                  'path.glob(p + "/*")', "path.createDir(p)",
                                  "path.removeDir(p)", "path.removeDirRecursive(p)"])
def test_directory_functions_are_refused_without_a_grant(run, tree, call):
    out = run.output(f'import path; try {{ x = {call}; }} except (e) {{ print(e.type); }}',
                     p=str(tree / "pub"))
    assert out == "CapabilityError\n"
    assert (tree / "pub" / "a.txt").exists()


def test_list_dir_lists_sorted_names_inside_the_scope(run, tree):
    out = run.output("""
        import path;
        print(path.listDir(d + "/pub"));
        print(path.listDir(d + "/pub/sub"));
    """, [f"path.read:{tree}/pub/**"], d=str(tree))
    assert out == "['.hidden', 'a.txt', 'b.csv', 'sub']\n['c.txt', 'deep']\n"


def test_list_dir_shows_links_whose_target_is_in_scope(run, tree):
    out = run.output('import path; print(path.listDir(p));', [f"path.read:{tree}/**"],
                     p=str(tree / "pub"))
    assert out == "['.hidden', 'a.txt', 'b.csv', 'link', 'outdir', 'sub']\n"


def test_list_dir_defaults_to_the_working_directory(run, tree, monkeypatch):
    monkeypatch.chdir(tree / "pub" / "sub")
    assert run.output("import path; print(path.listDir());",
                      [f"path.read:{tree}/pub/**"]) == "['c.txt', 'deep']\n"


def test_list_dir_errors(run, tree):
    out = run.output("""
        import path;
        try { path.listDir(d + "/pub/a.txt"); } except (e) { print(e.type); }
        try { path.listDir(d + "/pub/none"); } except (e) { print(e.type, e.message); }
    """, ["path.read"], d=str(tree))
    assert out == ("NotADirectoryError\n"
                   f"FileNotFoundError No such file or directory: '{tree}/pub/none'\n")


def test_deny_hides_entries_and_refuses_the_denied_directory(run, tree):
    grants = [f"path.read:{tree}/**"]
    deny = [f"path.read:{tree}/pub/sub", f"path.read:{tree}/pub/sub/**",
            f"path.read:{tree}/pub/b*"]
    out = run.output('import path; print(path.listDir(p), path.walk(p));', grants, deny,
                     p=str(tree / "pub"))
    assert out == "['.hidden', 'a.txt', 'link', 'outdir'] ['.hidden', 'a.txt', 'link']\n"
    run.refused('import path; path.listDir(p);', grants, deny, p=str(tree / "pub" / "sub"))
    run.refused('import path; path.listDir(p);', grants, [f"path.read:{tree}/pub/sub"],
                p=str(tree / "pub" / "sub"))


def test_glob_returns_sorted_absolute_matches_inside_the_scope(run, tree):
    out = run.output("""
        import path;
        print(path.glob(d + "/pub/*.txt"));
        print(path.glob(d + "/pub/**/*.txt"));
        print(path.glob(d + "/pub/*"));
        print(path.glob(d + "/pub/sub/deep/d.txt"), path.glob(d + "/pub/none.txt"));
    """, [f"path.read:{tree}/pub/**"], d=str(tree))
    pub = f"{tree}/pub"
    assert out.split("\n") == [
        f"['{pub}/a.txt']",
        f"['{pub}/a.txt', '{pub}/sub/c.txt', '{pub}/sub/deep/d.txt']",
        f"['{pub}/a.txt', '{pub}/b.csv', '{pub}/sub']",
        f"['{pub}/sub/deep/d.txt'] []",
        "",
    ]


def test_glob_does_not_follow_links_to_directories(run, tree):
    out = run.output('import path; '
                     'print(path.glob(d + "/pub/**/x.txt"), path.glob(d + "/pub/*/x.txt"));',
                     [f"path.read:{tree}/**"], d=str(tree))
    assert out == "[] []\n"


def test_glob_with_a_relative_pattern_uses_the_working_directory(run, tree, monkeypatch):
    monkeypatch.chdir(tree / "pub")
    out = run.output('import path; print(path.glob("sub/*.txt"));', [f"path.read:{tree}/pub/**"])
    assert out == f"['{tree}/pub/sub/c.txt']\n"
    run.refused('import path; path.glob("../*.txt");', [f"path.read:{tree}/pub/**"])


def test_glob_with_a_trailing_double_star_lists_everything_below(run, tree):
    out = run.output('import path; print(path.glob(d + "/pub/sub/**"));',
                     [f"path.read:{tree}/pub/**"], d=str(tree))
    sub = f"{tree}/pub/sub"
    assert out == f"['{sub}/c.txt', '{sub}/deep', '{sub}/deep/d.txt']\n"


def test_walk_returns_files_below_a_directory_with_a_depth_limit(run, tree):
    out = run.output("""
        import path;
        print(path.walk(d + "/pub"));
        print(path.walk(d + "/pub", 0), path.walk(d + "/pub", 1));
    """, [f"path.read:{tree}/pub/**"], d=str(tree))
    assert out.split("\n") == [
        "['.hidden', 'a.txt', 'b.csv', 'sub/c.txt', 'sub/deep/d.txt']",
        "['.hidden', 'a.txt', 'b.csv'] ['.hidden', 'a.txt', 'b.csv', 'sub/c.txt']",
        "",
    ]


def test_walk_shows_in_scope_links_when_the_scope_covers_their_targets(run, tree):
    out = run.output("import path; print(path.walk(p));", [f"path.read:{tree}/**"],
                     p=str(tree / "pub"))
    assert out == "['.hidden', 'a.txt', 'b.csv', 'link', 'sub/c.txt', 'sub/deep/d.txt']\n"


# ----------------------------------------------------------------------------- changing


def test_create_and_remove_directories(run, tree):
    out = run.output("""
        import path;
        path.createDir(d + "/pub/new/deeper");
        path.createDir(d + "/pub/new/deeper", false);
        print(path.isDirectory(d + "/pub/new/deeper"));
        path.removeDir(d + "/pub/new/deeper");
        try { path.removeDir(d + "/pub/sub"); } except (e) { print(e.type); }
        path.removeDirRecursive(d + "/pub/sub");
        print(path.listDir(d + "/pub"));
    """, [f"path.read:{tree}/pub/**", f"path.write:{tree}/pub/**"], d=str(tree))
    assert out == "true\nOSError\n['.hidden', 'a.txt', 'b.csv', 'new']\n"


@pytest.mark.parametrize("call", ['path.createDir(d + "/made")', 'path.removeDir(d + "/outside")',
                                  'path.removeDirRecursive(d + "/outside")',
                                  'path.removeDirRecursive(d + "/pub/outdir")',
                                  'path.createDir(d + "/pub/outdir/new")'])
def test_changing_directories_outside_the_scope_is_refused(run, tree, call):
    error = run.refused(f"import path; {call};", [f"path.write:{tree}/pub/**"], d=str(tree))
    assert error.required == "path.write"
    assert (tree / "outside" / "x.txt").exists() and not (tree / "made").exists()
    assert not (tree / "outside" / "new").exists()


def test_remove_dir_recursive_refuses_a_tree_with_a_denied_part(run, tree):
    error = run.refused('import path; path.removeDirRecursive(p);', [f"path.write:{tree}/**"],
                        [f"path.write:{tree}/pub/sub/deep/**"], p=str(tree / "pub"))
    assert error.required == "path.write"
    assert (tree / "pub" / "sub" / "deep" / "d.txt").exists() and (tree / "pub" / "a.txt").exists()


def test_remove_dir_refuses_a_link_to_a_directory(run, tree):
    (tree / "pub" / "empty").mkdir()
    (tree / "pub" / "to-empty").symlink_to(tree / "pub" / "empty", target_is_directory=True)
    out = run.output("""
        import path;
        try { path.removeDir(d + "/pub/to-empty"); } except (e) { print(e.type); }
        try { path.removeDirRecursive(d + "/pub/to-empty"); } except (e) { print(e.type); }
    """, ["path.write"], d=str(tree))
    assert out == "NotADirectoryError\nNotADirectoryError\n"
    assert (tree / "pub" / "empty").is_dir()


@pytest.mark.parametrize("grant", ["path.write", "path.write:{d}/**", "path.write:{d}/pub/**"])
def test_remove_dir_recursive_removes_links_not_their_targets(run, tree, grant):
    grants = [grant.format(d=tree), f"path.write:{tree}/pub"]
    run.output('import path; path.removeDirRecursive(p);', grants, p=str(tree / "pub"))
    assert not (tree / "pub").exists()
    assert (tree / "secret.txt").exists() and (tree / "outside" / "x.txt").exists()


# ----------------------------------------------------------------------------- the one gate


@pytest.mark.parametrize("source", [
    "p = path; x = p.listDir(d);",
    "f = path.listDir; x = f(d);",
    "x = call(path.walk, d);",
    "function apply(g, v) { return g(v); }\nx = apply(path.exists, d);",
])
def test_every_way_of_reaching_a_function_is_checked(run, tree, source):
    program = "import path;\n" + source
    run.refused(program, d=str(tree))
    run.refused(program, [f"path.read:{tree}/pub/**"], d=str(tree))
    run.output(program, [f"path.read:{tree}/**"], d=str(tree))


def test_host_code_calling_the_bridge_directly_is_not_checked(tree):
    module = PathModule()
    assert "link" in module.listDir(str(tree / "pub"))
    assert module.walk(str(tree / "outside")) == ["x.txt"]
    assert module.cwd() == os.getcwd()
