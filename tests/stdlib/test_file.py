"""The ``file`` module: every function, its capability, scopes, denies, size limits and links."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from mlpy import Capability
from mlpy.stdlib import _fs
from mlpy.stdlib.file_bridge import File

ALL = ["file.read", "file.write", "file.append", "file.delete"]


@pytest.fixture
def tree(tmp: Path) -> Path:
    """tmp/pub/a.txt, tmp/secret.txt, tmp/outside/x.txt, and two links out of tmp/pub."""
    (tmp / "pub").mkdir()
    (tmp / "pub" / "a.txt").write_text("alpha\nbeta\n")
    (tmp / "secret.txt").write_text("top secret")
    (tmp / "outside").mkdir()
    (tmp / "outside" / "x.txt").write_text("outside")
    (tmp / "pub" / "link").symlink_to(tmp / "secret.txt")
    (tmp / "pub" / "outdir").symlink_to(tmp / "outside", target_is_directory=True)
    return tmp


# ----------------------------------------------------------------------------- granted


def test_text_files_are_written_read_appended_and_split_into_lines(run, tmp):
    out = run.output("""
        import file;
        p = d + "/sub/dir/notes.txt";
        file.write(p, "one\\r\\ntwo");
        file.append(p, "\\nthree\\n");
        print(file.read(p) == "one\\r\\ntwo\\nthree\\n", file.readLines(p));
        file.writeLines(p, ["x", 1, true, null]);
        print(file.readLines(p), file.size(p));
    """, ALL, d=str(tmp))
    assert out == "true ['one', 'two', 'three']\n['x', '1', 'true', 'null'] 14\n"
    assert (tmp / "sub" / "dir" / "notes.txt").read_text() == "x\n1\ntrue\nnull\n"


def test_read_lines_of_an_empty_file_is_an_empty_array(run, tmp):
    (tmp / "empty.txt").write_text("")
    assert run.output('import file; print(file.readLines(p));', ALL,
                      p=str(tmp / "empty.txt")) == "[]\n"


def test_bytes_round_trip_as_a_bytes_value_or_from_an_array_of_integers(run, tmp):
    (tmp / "in.bin").write_bytes(bytes([0, 1, 2, 255]))
    out = run.output("""
        import file;
        b = file.readBytes(d + "/in.bin");
        print(len(b), b[0], b[3], b[1:3] == file.readBytes(d + "/in.bin")[1:3]);
        file.writeBytes(d + "/copy.bin", b);
        file.writeBytes(d + "/made.bin", [104, 105]);
        print(file.read(d + "/made.bin"));
    """, ALL, d=str(tmp))
    assert out == "4 0 255 true\nhi\n"
    assert (tmp / "copy.bin").read_bytes() == bytes([0, 1, 2, 255])
    result = run("import file; bytes = file.readBytes(p); result = bytes;", ALL,
                 p=str(tmp / "in.bin"))
    assert result.value == bytes([0, 1, 2, 255])


@pytest.mark.parametrize("data", ["[256]", "[-1]", '["a"]', '"text"', "5"])
def test_write_bytes_refuses_what_is_not_bytes(run, tmp, data):
    out = run.output(f"""
        import file;
        try {{ file.writeBytes(d + "/x.bin", {data}); }} except (e) {{ print(e.type); }}
    """, ALL, d=str(tmp))
    assert out == "TypeError\n"
    assert not (tmp / "x.bin").exists()


def test_queries_report_files_and_directories(run, tree):
    out = run.output("""
        import file;
        print(file.exists(d + "/pub/a.txt"), file.exists(d + "/pub/none"),
              file.exists(d + "/pub"));
        print(file.isFile(d + "/pub/a.txt"), file.isFile(d + "/pub"), file.isFile(d + "/none"));
        print(file.isDirectory(d + "/pub"), file.isDirectory(d + "/pub/a.txt"));
        print(file.size(d + "/pub/a.txt"), typeof(file.modifiedTime(d + "/pub/a.txt")));
    """, ALL, d=str(tree))
    assert out == "true false true\ntrue false false\ntrue false\n11 number\n"


def test_modified_time_is_the_unix_mtime(run, tmp):
    (tmp / "t.txt").write_text("x")
    os.utime(tmp / "t.txt", (1_000_000_000, 1_000_000_000.5))
    out = run.output("import file; print(file.modifiedTime(p));", ALL, p=str(tmp / "t.txt"))
    assert out == "1000000000.5\n"


def test_delete_removes_a_file_and_reports_whether_one_was_there(run, tree):
    out = run.output("""
        import file;
        print(file.delete(d + "/pub/a.txt"), file.delete(d + "/pub/a.txt"));
        try { file.delete(d + "/pub"); } except (e) { print(e.type, e.message); }
    """, ALL, d=str(tree))
    assert out == f"true false\nValueError '{tree}/pub' is a directory; use path.removeDir\n"
    assert not (tree / "pub" / "a.txt").exists()


def test_copy_keeps_permissions_and_times_and_copies_into_a_directory(run, tree):
    source = tree / "pub" / "a.txt"
    os.chmod(source, 0o640)
    os.utime(source, (1_000_000_000, 1_000_000_000))
    run.output("""
        import file;
        file.copy(d + "/pub/a.txt", d + "/new/b.txt");
        file.copy(d + "/pub/a.txt", d + "/outside");
    """, ALL, d=str(tree))
    for copied in (tree / "new" / "b.txt", tree / "outside" / "a.txt"):
        assert copied.read_text() == "alpha\nbeta\n"
        assert stat.S_IMODE(copied.stat().st_mode) == 0o640
        assert copied.stat().st_mtime == 1_000_000_000


def test_move_renames_and_creates_parents(run, tree):
    run.output('import file; file.move(d + "/pub/a.txt", d + "/moved/a2.txt");', ALL,
               d=str(tree))
    assert not (tree / "pub" / "a.txt").exists()
    assert (tree / "moved" / "a2.txt").read_text() == "alpha\nbeta\n"


def test_copy_and_move_refuse_directories(run, tree):
    out = run.output("""
        import file;
        try { file.copy(d + "/pub", d + "/p2"); } except (e) { print(e.type); }
        try { file.move(d + "/pub", d + "/p2"); } except (e) { print(e.type); }
    """, ALL, d=str(tree))
    assert out == "IsADirectoryError\nIsADirectoryError\n"


def test_encodings(run, tmp):
    (tmp / "latin.txt").write_bytes("café".encode("latin-1"))
    out = run.output("""
        import file;
        print(file.read(p, "latin-1"));
        try { file.read(p); } except (e) { print(e.type); }
        try { file.read(p, "no-such-codec"); } except (e) { print(e.type, e.message); }
        file.write(p, "é", "utf-16");
        print(len(file.readBytes(p)), file.read(p, "utf-16"));
    """, ALL, p=str(tmp / "latin.txt"))
    assert out == "café\nValueError\nValueError unknown encoding 'no-such-codec'\n4 é\n"


def test_write_needs_a_string(run, tmp):
    out = run.output('import file; try { file.write(p, 5); } except (e) { print(e.type); }',
                     ALL, p=str(tmp / "x.txt"))
    assert out == "TypeError\n"


# ----------------------------------------------------------------------------- errors


def test_a_missing_file_is_a_catchable_error_naming_the_path_as_written(run, tree, monkeypatch):
    monkeypatch.chdir(tree)
    out = run.output("""
        import file;
        try { file.read("pub/missing.txt"); } except (e) { print(e.type, e.message); }
        try { file.size("pub/missing.txt"); } except (e) { print(e.type, e.message); }
    """, ALL)
    assert out == ("FileNotFoundError No such file or directory: 'pub/missing.txt'\n"
                   "FileNotFoundError No such file or directory: 'pub/missing.txt'\n")


def test_a_dangling_link_inside_the_scope_does_not_reveal_its_target(run, tree, monkeypatch):
    (tree / "pub" / "dangling").symlink_to(tree / "pub" / "gone-target.txt")
    monkeypatch.chdir(tree)
    out = run.output('import file; try { file.read("pub/dangling"); } '
                     'except (e) { print(e.type, e.message); }', [f"file.read:{tree}/pub/**"])
    assert out == "FileNotFoundError No such file or directory: 'pub/dangling'\n"


def test_reading_a_directory_or_a_fifo_is_refused_without_hanging(run, tmp):
    os.mkfifo(tmp / "fifo")
    out = run.output("""
        import file;
        try { file.read(d); } except (e) { print(e.type); }
        try { file.read(d + "/fifo"); } except (e) { print(e.type, e.message); }
    """, ALL, d=str(tmp))
    assert out == f"IsADirectoryError\nOSError '{tmp}/fifo' is not a regular file\n"


# ----------------------------------------------------------------------------- not granted


CALLS = {
    "read": ('file.read(p);', "file.read"),
    "readBytes": ('file.readBytes(p);', "file.read"),
    "readLines": ('file.readLines(p);', "file.read"),
    "write": ('file.write(p, "x");', "file.write"),
    "writeBytes": ('file.writeBytes(p, [1]);', "file.write"),
    "writeLines": ('file.writeLines(p, ["x"]);', "file.write"),
    "append": ('file.append(p, "x");', "file.append"),
    "exists": ('file.exists(p);', "file.read"),
    "isFile": ('file.isFile(p);', "file.read"),
    "isDirectory": ('file.isDirectory(p);', "file.read"),
    "delete": ('file.delete(p);', "file.delete"),
    "copy": ('file.copy(p, p + ".2");', "file.read"),
    "move": ('file.move(p, p + ".2");', "file.read"),
    "size": ('file.size(p);', "file.read"),
    "modifiedTime": ('file.modifiedTime(p);', "file.read"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_function_is_refused_without_its_capability(run, tree, name):
    call, needed = CALLS[name]
    p = str(tree / "pub" / "a.txt")
    error = run.refused(f"import file; {call}", p=p)
    assert error.required == needed
    caught = run.output(f'import file; try {{ {call} }} except (e) {{ print(e.type); }}', p=p)
    assert caught == "CapabilityError\n"
    others = [c for c in ALL if c != needed]
    assert run(f"import file; {call}", others, p=p).error.required == needed
    assert (tree / "pub" / "a.txt").read_text() == "alpha\nbeta\n"


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_function_works_with_its_capability_scoped_to_the_file(run, tree, name):
    call, _ = CALLS[name]
    grants = [f"{c}:{tree}/pub/**" for c in ALL]
    run.output(f"import file; {call}", grants, p=str(tree / "pub" / "a.txt"))


# ----------------------------------------------------------------------------- scopes


@pytest.mark.parametrize("path", [
    "{d}/secret.txt", "{d}/pub/../secret.txt", "{d}/pub/link", "{d}/pub/outdir/x.txt",
    "{d}/pub/./../pub/../secret.txt",
])
@pytest.mark.parametrize("call", ["file.read(p)", "file.exists(p)", "file.size(p)",
                                  "file.isFile(p)", "file.modifiedTime(p)", "file.readBytes(p)"])
def test_a_scoped_read_refuses_paths_that_lead_out_of_the_scope(run, tree, path, call):
    grants = [f"file.read:{tree}/pub/**"]
    p = path.format(d=tree)
    error = run.refused(f"import file; x = {call};", grants, p=p)
    assert error.required == "file.read"


def test_a_scoped_read_admits_paths_inside_the_scope(run, tree):
    out = run.output("""
        import file;
        print(file.read(d + "/pub/a.txt") == file.read(d + "/pub/../pub/a.txt"));
        print(file.exists(d + "/pub/nothing-here"));
    """, [f"file.read:{tree}/pub/**"], d=str(tree))
    assert out == "true\nfalse\n"


def test_a_link_inside_the_scope_to_a_file_inside_it_is_followed(run, tree):
    (tree / "pub" / "alias").symlink_to(tree / "pub" / "a.txt")
    out = run.output('import file; print(file.readLines(p));', [f"file.read:{tree}/pub/**"],
                     p=str(tree / "pub" / "alias"))
    assert out == "['alpha', 'beta']\n"


def test_relative_paths_are_taken_against_the_working_directory(run, tree, monkeypatch):
    grants = [f"file.read:{tree}/pub/**"]
    monkeypatch.chdir(tree)
    assert run.output('import file; print(file.read("pub/a.txt"));', grants) == "alpha\nbeta\n\n"
    run.refused('import file; file.read("secret.txt");', grants)
    monkeypatch.chdir(tree / "pub")
    assert run.output('import file; print(file.size("a.txt"));', grants) == "11\n"
    run.refused('import file; file.read("../secret.txt");', grants)
    run.refused('import file; file.read("link");', grants)


def test_a_tilde_is_the_home_directory(run, tree, monkeypatch):
    monkeypatch.setenv("HOME", str(tree))
    grants = [f"file.read:{tree}/pub/**"]
    assert run.output('import file; print(file.size("~/pub/a.txt"));', grants) == "11\n"
    run.refused('import file; file.read("~/secret.txt");', grants)


def test_a_scoped_write_creates_nothing_outside_the_scope(run, tree):
    grants = [f"file.write:{tree}/pub/**", f"file.append:{tree}/pub/**"]
    for call in ['file.write(d + "/new/x.txt", "x")', 'file.append(d + "/new/x.txt", "x")',
                 'file.write(d + "/pub/outdir/y.txt", "x")', 'file.write(d + "/pub/link", "x")']:
        run.refused(f"import file; {call};", grants, d=str(tree))
    assert not (tree / "new").exists()
    assert not (tree / "outside" / "y.txt").exists()
    assert (tree / "secret.txt").read_text() == "top secret"


def test_copy_needs_read_on_the_source_and_write_on_the_destination(run, tree):
    grants = [f"file.read:{tree}/**", f"file.write:{tree}/out/**"]
    run.output('import file; file.copy(d + "/secret.txt", d + "/out/s.txt");', grants,
               d=str(tree))
    error = run.refused('import file; file.copy(d + "/secret.txt", d + "/pub/s.txt");', grants,
                        d=str(tree))
    assert error.required == "file.write"
    assert not (tree / "pub" / "s.txt").exists()
    error = run.refused('import file; file.copy(d + "/pub/a.txt", d + "/out/a.txt");',
                        [f"file.read:{tree}/out/**", f"file.write:{tree}/**"], d=str(tree))
    assert error.required == "file.read"


def test_copy_into_a_directory_checks_the_final_path(run, tree):
    grants = [f"file.read:{tree}/**", f"file.write:{tree}/outside"]
    run.refused('import file; file.copy(d + "/pub/a.txt", d + "/outside");', grants,
                d=str(tree))
    assert not (tree / "outside" / "a.txt").exists()


def test_move_needs_read_and_delete_on_the_source_and_write_on_the_destination(run, tree):
    src, dst = str(tree / "pub" / "a.txt"), str(tree / "out" / "a.txt")
    source = 'import file; file.move(s, t);'
    everything = [f"file.read:{tree}/**", f"file.write:{tree}/**", f"file.delete:{tree}/**"]
    for narrowed, needed in [
        (f"file.read:{tree}/out/**", "file.read"),
        (f"file.delete:{tree}/out/**", "file.delete"),
        (f"file.write:{tree}/pub/**", "file.write"),
    ]:
        grants = [g for g in everything if not g.startswith(needed)] + [narrowed]
        assert run.refused(source, grants, s=src, t=dst).required == needed
        assert (tree / "pub" / "a.txt").exists() and not (tree / "out").exists()
    run.output(source, everything, s=src, t=dst)
    assert (tree / "out" / "a.txt").exists()


def test_delete_and_move_refuse_a_symbolic_link(run, tree):
    (tree / "pub" / "alias").symlink_to(tree / "pub" / "a.txt")
    out = run.output("""
        import file;
        try { file.delete(p); } except (e) { print(e.type); }
        try { file.move(p, p + "2"); } except (e) { print(e.type); }
    """, ALL, p=str(tree / "pub" / "alias"))
    assert out == "ValueError\nValueError\n"
    assert (tree / "pub" / "alias").is_symlink() and (tree / "pub" / "a.txt").exists()


def test_a_link_outside_the_scope_to_a_file_inside_cannot_be_deleted(run, tree):
    (tree / "outside" / "in").symlink_to(tree / "pub" / "a.txt")
    run.output('import file; try { file.delete(p); } except (e) { print(e.type); }',
               [f"file.delete:{tree}/pub/**"], p=str(tree / "outside" / "in"))
    assert (tree / "outside" / "in").is_symlink() and (tree / "pub" / "a.txt").exists()


def test_deny_wins_over_a_wider_grant(run, tree):
    (tree / "pub" / "secret-plan.txt").write_text("plan")
    grants, deny = [f"file.read:{tree}/**"], [f"file.read:{tree}/pub/secret*"]
    assert run.output('import file; print(file.read(p));', grants, deny,
                      p=str(tree / "pub" / "a.txt")) == "alpha\nbeta\n\n"
    run.refused('import file; file.read(p);', grants, deny,
                p=str(tree / "pub" / "secret-plan.txt"))
    run.refused('import file; file.exists(p);', grants, deny,
                p=str(tree / "pub" / "secret-plan.txt"))


# ----------------------------------------------------------------------------- size limits


def test_max_bytes_refuses_a_larger_file_before_reading_it(run, tree):
    grants = [Capability.parse(f"file.read:{tree}/**", max_bytes=11)]
    assert run.output('import file; print(len(file.readBytes(p)));', grants,
                      p=str(tree / "pub" / "a.txt")) == "11\n"
    (tree / "big.txt").write_text("x" * 12)
    out = run.output('import file; try { file.read(p); } except (e) { print(e.type, e.message); }',
                     grants, p=str(tree / "big.txt"))
    assert out == (f"CapabilityError file.read refused for '{tree}/big.txt': 12 bytes is more "
                   "than the 11 bytes the grant allows\n")


def test_max_bytes_bounds_writes_appends_and_copies(run, tree):
    grants = [Capability.parse(f"file.write:{tree}/**", max_bytes=4),
              Capability.parse(f"file.append:{tree}/**", max_bytes=6),
              f"file.read:{tree}/**"]
    out = run.output("""
        import file;
        file.write(d + "/w.txt", "1234");
        try { file.write(d + "/w.txt", "12345"); } except (e) { print(e.type); }
        file.append(d + "/w.txt", "56");
        try { file.append(d + "/w.txt", "7"); } except (e) { print(e.type); }
        try { file.copy(d + "/pub/a.txt", d + "/c.txt"); } except (e) { print(e.type); }
        print(file.read(d + "/w.txt"), file.exists(d + "/c.txt"));
    """, grants, d=str(tree))
    assert out == "CapabilityError\nCapabilityError\nCapabilityError\n123456 false\n"


# ----------------------------------------------------------------------------- the one gate


@pytest.mark.parametrize("source", [
    "f = file.read; x = f(p);",
    "m = file; x = m.read(p);",
    "x = call(file.read, p);",
    "function apply(g, v) { return g(v); }\nx = apply(file.read, p);",
    ("function each(g, vs) { out = []; for (v in vs) { out.append(g(v)); } return out; }\n"
     "x = each(file.read, [p]);"),
    "o = {reader: file.read}; x = o.reader(p);",
    "x = [file.size][0](p);",
    "g = fn(v) => file.read(v); x = g(p);",
])
def test_every_way_of_reaching_a_function_is_checked(run, tree, source):
    program = "import file;\n" + source
    p = str(tree / "secret.txt")
    run.refused(program, p=p)
    run.refused(program, [f"file.read:{tree}/pub/**"], p=p)
    run.output(program, [f"file.read:{tree}/**"], p=p)


def test_host_code_calling_the_bridge_directly_is_not_checked(tree):
    module = File()
    assert module.read(str(tree / "secret.txt")) == "top secret"
    assert module.exists(str(tree / "pub" / "link"))
    module.write(str(tree / "host.txt"), "from the host")
    assert (tree / "host.txt").read_text() == "from the host"


# ----------------------------------------------------------------------------- no link followed


def test_the_canonical_path_is_opened_without_following_links(tree):
    """A link that appears after the check (here: one already on the path) makes the open
    fail instead of redirecting it."""
    if not _fs._AT_SUPPORTED:
        pytest.skip("this platform has no openat")
    with pytest.raises(OSError) as caught:
        _fs.open_no_follow(str(tree / "pub" / "outdir" / "x.txt"), os.O_RDONLY)
    assert caught.value.errno in (errno.ELOOP, errno.ENOTDIR)
    with pytest.raises(OSError) as caught:
        _fs.open_no_follow(str(tree / "pub" / "link"), os.O_RDONLY)
    assert caught.value.errno == errno.ELOOP


def test_a_link_swapped_in_after_the_check_is_refused(run, tree, monkeypatch):
    """Simulate the race: the check sees a directory, the open meets a link."""
    if not _fs._AT_SUPPORTED:
        pytest.skip("this platform has no openat")
    (tree / "pub" / "d").mkdir()
    (tree / "pub" / "d" / "f.txt").write_text("inside")
    real_open = _fs.open_no_follow

    def swap_then_open(real, flags, mode=0o666):
        os.rename(tree / "pub" / "d", tree / "pub" / "d-old")
        os.symlink(tree / "outside", tree / "pub" / "d")
        (tree / "outside" / "f.txt").write_text("outside!")
        return real_open(real, flags, mode)

    monkeypatch.setattr("mlpy.stdlib._files.open_no_follow", swap_then_open)
    out = run.output('import file; try { print(file.read(p)); } '
                     'except (e) { print(e.type); }', [f"file.read:{tree}/pub/**"],
                     p=str(tree / "pub" / "d" / "f.txt"))
    assert out == "PermissionError\n"

