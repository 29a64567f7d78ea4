"""The REPL's development commands: hot reload, .perfmon, .memreport, .watch (spec B6-B11).

Everything runs ML through an MLREPLSession and the commands through ``run_command``, as a
user would. Timing assertions are lower bounds or generous deadlines, never tight upper
bounds.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from mlpy.repl import MLREPLSession

GREET = '''
from mlpy.ext import ml_function, ml_module


@ml_module("greet", "Greetings")
class Greet:
    def __init__(self):
        self.calls = 0

    @ml_function
    def hello(self, name):
        self.calls += 1
        return "hello " + name

    @ml_function
    def calls_so_far(self):
        return self.calls
'''

UTIL = '''// helpers over greet
import greet;
function shout(x) { return greet.hello(x) + "!"; }
version = 1;
'''

TOP = '''import util;
function go() { return util.shout("t") + str(util.version); }
'''


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def dirs(tmp_path):
    ext, lib = tmp_path / "ext", tmp_path / "lib"
    write(ext / "greet_bridge.py", GREET)
    write(lib / "util.ml", UTIL)
    write(lib / "top.ml", TOP)
    return ext, lib


@pytest.fixture
def make(dirs):
    sessions = []

    def factory(**options):
        printed: list[str] = []
        options.setdefault("extension_paths", [str(dirs[0])])
        options.setdefault("ml_module_paths", [str(dirs[1])])
        session = MLREPLSession(output=printed.append, **options)
        session.printed = printed
        sessions.append(session)
        return session
    yield factory
    for session in sessions:
        if session.dev_mode:
            session.run_command(".devmode off")
        session.close()


@pytest.fixture
def session(make):
    return make()


def value(session, text):
    result = session.execute(text)
    assert result.ok, session.show(result)
    return result.value


def command(session, line):
    result = session.run_command(line)
    assert result.ok, result.text
    return result.text


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# ----------------------------------------------------------------------------- every command

CASES = {
    "devmode": ([], ["maybe"], ["on"]),
    "reload": ([], ["nosuchmodule"], ["greet"]),
    "reloadall": ([], None, []),
    "refresh": ([], None, []),
    "perfmon": ([], ["bogus"], ["threshold", "50"]),
    "memreport": ([], ["-3"], ["5"]),
    "watch": ([], ["nosuchmodule"], ["greet"]),
    "unwatch": ([], ["nosuchmodule"], ["all"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_development_command_handles_no_bad_and_good_arguments(session, name):
    value(session, "import greet;")
    none, bad, good = CASES[name]
    first = session.run_command(f".{name} {' '.join(none)}")
    assert "Unknown command" not in first.text and "Traceback" not in first.text
    if name == "reload":
        assert first.text == "Usage: .reload NAME..."
    if bad is not None:
        failed = session.run_command(f".{name} {' '.join(bad)}")
        assert not failed.ok and failed.text.startswith("Error: ")
    ok = session.run_command(f".{name} {' '.join(good)}")
    assert ok.ok, ok.text
    assert "Traceback" not in ok.text


def test_the_commands_are_listed_under_development(session):
    text = command(session, ".help")
    development = text.split("Development:")[1]
    for name in CASES:
        assert f".{name}" in development


# ----------------------------------------------------------------------------- reload


def test_reloading_a_bridge_changes_the_very_next_input_without_reimport(session, dirs):
    assert value(session, 'import greet; greet.hello("a")') == "hello a"
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"HI "')
    text = command(session, ".reload greet")
    assert re.match(r"Reloaded greet \(extension\) in \d+\.\d ms; rebound: greet", text)
    assert value(session, 'greet.hello("a")') == "HI a"


def test_an_alias_and_a_function_defined_in_the_repl_see_the_new_version(session, dirs):
    value(session, 'import greet as g; function hi(n) { return g.hello(n); }')
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"hey "')
    assert "rebound: g" in command(session, ".reload greet")
    assert value(session, 'hi("b")') == "hey b"


def test_functions_from_before_a_reload_keep_calling_the_module_natively(session, dirs):
    # the identity test of a session's native module path compares the name with what the
    # import bound: a reload rebinds both, so the test keeps passing for the new version
    value(session, 'import greet as g; function hi(n) { return g.hello(n); }')
    assert "g.hello(n) if g is __ml_module_greet" in session.session.last_program.python_code
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"hey "')
    command(session, ".reload greet")
    namespace = session.session._namespace
    assert namespace["__ml_module_greet"] is namespace["g"]
    assert value(session, 'hi("b")') == "hey b"


def test_reloading_an_ml_module_reruns_it_and_rebinds(session, dirs):
    value(session, "import util;")
    assert value(session, "util.version") == 1
    edit(dirs[1] / "util.ml", "version = 1;", "version = 2;\nfunction extra() { return 7; }")
    text = command(session, ".reload util")
    assert text.startswith("Reloaded util (ml) in ") and "rebound: util" in text
    assert value(session, "util.version") == 2
    assert value(session, "util.extra()") == 7  # a new export is usable at once
    assert value(session, 'import util as u2; u2.version') == 2  # later imports: new too


def test_a_name_the_user_rebound_is_not_overwritten(session, dirs):
    value(session, "import greet;")
    value(session, "greet = 5;")
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"HI "')
    text = command(session, ".reload greet")
    assert "rebound" not in text
    assert value(session, "greet") == 5


def test_dependents_run_again_after_the_module_they_import(session, dirs):
    value(session, "import top;")
    assert value(session, "top.go()") == "hello t!1"
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"HI "')
    text = command(session, ".reload greet")
    assert "also reloaded dependents: util (ml), top (ml)" in text
    assert value(session, "top.go()") == "HI t!1"
    edit(dirs[1] / "util.ml", "version = 1;", "version = 9;")
    text = command(session, ".reload util")
    assert "also reloaded dependents: top (ml)" in text
    assert value(session, "top.go()") == "HI t!9"


def test_dotted_imports_are_rebound_along_the_package_path(session, dirs):
    write(dirs[1] / "pkg" / "inner.ml", "function f() { return 1; }\n")
    value(session, "import pkg.inner;")
    assert value(session, "pkg.inner.f()") == 1
    edit(dirs[1] / "pkg" / "inner.ml", "return 1;", "return 2;")
    text = command(session, ".reload pkg.inner")
    assert "rebound: pkg" in text
    assert value(session, "pkg.inner.f()") == 2


@pytest.mark.parametrize("old, broken, why", [
    ('"hello " + name', '"hello " + name\n    oops(', "SyntaxError at greet_bridge.py:"),
    ("from mlpy.ext", 'raise RuntimeError("boom")\nfrom mlpy.ext',
     "RuntimeError at greet_bridge.py:2: boom"),
    ("from mlpy.ext", "import no_such_package_xyz\nfrom mlpy.ext",
     "ModuleNotFoundError at greet_bridge.py:2"),
])
def test_a_failed_bridge_reload_keeps_the_old_version(session, dirs, old, broken, why):
    assert value(session, 'import greet; greet.hello("a")') == "hello a"
    edit(dirs[0] / "greet_bridge.py", old, broken)
    result = session.run_command(".reload greet")
    assert not result.ok
    assert result.text.startswith("Reload of greet failed — previous version still active:")
    assert why in result.text
    assert value(session, 'greet.hello("a")') == "hello a"
    assert value(session, "greet.calls_so_far()") == 2  # the same instance, state intact
    assert "last failure" in command(session, ".perfmon")


def test_a_failed_ml_reload_keeps_the_old_version_for_later_inputs(session, dirs):
    value(session, "import util;")
    edit(dirs[1] / "util.ml", "version = 1;", "version = = 3;")
    failed = session.run_command(".reload util")
    assert not failed.ok
    assert failed.text.startswith("Reload of util failed") and "util.ml:4" in failed.text
    assert value(session, "util.version") == 1
    assert value(session, 'util.shout("x")') == "hello x!"
    edit(dirs[1] / "util.ml", "version = = 3;", "version = 3;")
    command(session, ".reload util")
    assert value(session, "util.version") == 3


def test_a_reload_whose_file_now_declares_another_name_fails(session, dirs):
    value(session, "import greet;")
    edit(dirs[0] / "greet_bridge.py", '@ml_module("greet"', '@ml_module("greeting"')
    text = session.run_command(".reload greet").text
    assert "now declares 'greeting' instead of 'greet'; use .refresh" in text
    assert value(session, 'greet.hello("a")') == "hello a"


def test_reload_migrates_state_with_ml_reload(session, dirs):
    write(dirs[0] / "count_bridge.py", '''
        from mlpy.ext import ml_function, ml_module

        @ml_module("count")
        class Count:
            def __init__(self):
                self.n = 0

            @ml_function
            def bump(self):
                self.n += 1
                return self.n

            def __ml_reload__(self, previous):
                self.n = previous.n + 100
        ''')
    value(session, "import count; count.bump(); count.bump();")
    edit(dirs[0] / "count_bridge.py", "self.n += 1", "self.n += 10")
    command(session, ".reload count")
    assert value(session, "count.bump()") == 112


def test_without_migration_state_starts_fresh(session, dirs):
    value(session, 'import greet; greet.hello("a"); greet.hello("b");')
    command(session, ".reload greet")
    assert value(session, "greet.calls_so_far()") == 0


def test_the_stale_object_note_names_variables_holding_old_objects(session, dirs):
    value(session, 'import greet; import util; h = greet.hello; fs = [util.shout]; n = 1;')
    text = command(session, ".reload greet")
    assert re.search(r"note: 2 variables still hold objects created by the previous "
                     r"version: (h, fs|fs, h)", text)


def test_reload_of_builtin_unknown_and_not_loaded_modules(session):
    assert session.run_command(".reload builtin").text == "Error: builtin cannot be reloaded"
    assert session.run_command(".reload gret").text == \
        "Error: no module named 'gret'. Did you mean: greet?"
    assert command(session, ".reload greet") == (
        "greet is not loaded; its description was refreshed (it will load on next import).")
    assert "not loaded" in command(session, ".reload util")


def test_reloadall_reloads_every_loaded_module_in_order(session, dirs):
    assert command(session, ".reloadall") == "No loaded modules to reload."
    value(session, "import math; import top;")
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"HI "')
    text = command(session, ".reloadall")
    assert re.match(r"Reloaded 4 of 4 modules in \d+\.\d ms", text)
    rows = [line.split()[1] for line in text.splitlines()[1:]]
    assert rows.index("greet") < rows.index("util") < rows.index("top")
    assert value(session, "top.go()") == "HI t!1"
    assert value(session, "math.sqrt(16)") == 4


def test_refresh_reloads_only_modules_whose_content_changed(session, dirs):
    write(dirs[0] / "other_bridge.py", '''
        from mlpy.ext import ml_function, ml_module

        @ml_module("other")
        class Other:
            @ml_function
            def v(self):
                return 1
        ''')
    value(session, "import greet; import other; import util;")
    os.utime(dirs[0] / "other_bridge.py")  # touched, not changed
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"HI "')
    write(dirs[0] / "new_bridge.py", GREET.replace('"greet"', '"fresh"'))
    text = command(session, ".refresh")
    assert re.match(r"Rescanned 2 paths in \d+\.\d ms: \d+ modules \(1 new, 0 removed\)", text)
    assert "new:      fresh" in text
    assert "changed:  greet — reloaded in" in text
    assert "other" not in text.split("new:")[1].replace("fresh", "")
    assert value(session, 'greet.hello("a")') == "HI a"
    assert session.registry.stats().modules["other"].reloads == 0
    assert "changed:  none" in command(session, ".refresh")


def test_reload_keeps_the_host_sys_modules_and_user_files_untouched(make, dirs, tmp_path):
    ext, lib = dirs
    write(ext / "json_bridge.py", GREET.replace('"greet"', '"jsonish"'))
    write(ext / "random_bridge.py", GREET.replace('"greet"', '"rnd"'))
    write(lib / "textwrap.ml", "x = 1;\n")
    session = make()
    value(session, "import json; import random; import math; import jsonish; import rnd; "
                   "import textwrap; import greet;")
    before = dict(sys.modules)
    files_before = sorted(p for p in tmp_path.rglob("*"))
    for name in ("json", "random", "math", "jsonish", "rnd", "textwrap", "greet"):
        assert command(session, f".reload {name}").startswith(f"Reloaded {name}")
    command(session, ".reloadall")
    command(session, ".refresh")
    after = dict(sys.modules)
    changed = {k for k in set(before) | set(after) if before.get(k) is not after.get(k)}
    assert all(k.startswith(("mlpy._ext.", "mlpy._ml.")) for k in changed), changed
    for name in ("json", "random", "math", "textwrap"):
        assert sys.modules.get(name) is before.get(name)
    assert sorted(p for p in tmp_path.rglob("*")) == files_before
    assert value(session, "json.parse(\"[1]\")") == [1]
    assert value(session, "textwrap.x") == 1


def test_a_reload_replaces_its_private_module_instead_of_accumulating(session, dirs):
    value(session, "import greet;")
    keys = lambda: [k for k in sys.modules if k.startswith("mlpy._ext.") and "greet_bridge" in k
                    and sys.modules[k].__file__ == str(dirs[0] / "greet_bridge.py")]
    first = keys()
    for _ in range(3):
        command(session, ".reload greet")
    assert len(keys()) == len(first) == 1
    assert keys() != first


# ----------------------------------------------------------------------------- perfmon


def test_perfmon_reports_a_slow_bridge_load_truthfully(make, dirs):
    write(dirs[0] / "slow_bridge.py", '''
        import time
        from mlpy.ext import ml_function, ml_module
        time.sleep(0.15)

        @ml_module("slow")
        class Slow:
            @ml_function
            def one(self):
                return 1
        ''')
    session = make()
    value(session, "import slow; slow.one();")
    stats = session.registry.stats()
    assert stats.scans > 0 and stats.files >= 2
    assert stats.modules["slow"].load >= 0.15
    text = command(session, ".perfmon")
    row = next(line for line in text.splitlines() if line.strip().startswith("slow "))
    load = float(re.search(r"(\d+\.\d) ms !", row).group(1))
    assert load >= 150.0
    assert re.search(r"Discovery: [1-9]\d* scans? \(last \d+\.\d ms", text)
    assert re.search(r"Statements: 1 — p50 parse \d+\.\d / compile \d+\.\d / run \d+\.\d ms;"
                     r" p95 total \d+\.\d ms", text)
    assert "import slow; slow.one();" in text.split("Slowest:")[1]
    assert "Load: " in command(session, ".modinfo slow")


def test_perfmon_threshold_reset_and_empty_report(session):
    text = command(session, ".perfmon")
    assert "Modules: none yet" in text and "Statements: none yet" in text
    assert command(session, ".perfmon threshold 50") == "Slow threshold: 50 ms."
    assert "slow threshold 50 ms" in command(session, ".perfmon")
    value(session, "import greet;")
    assert command(session, ".perfmon reset") == "Performance counters cleared."
    assert "Statements: none yet" in command(session, ".perfmon")
    assert session.run_command(".perfmon threshold x").text.startswith("Error:")
    assert session.run_command(".perfmon threshold -1").text.startswith("Error:")


def test_reload_timings_are_recorded_and_shown_by_modinfo(session, dirs):
    value(session, "import greet;")
    command(session, ".reload greet")
    command(session, ".reload greet")
    entry = session.registry.stats().modules["greet"]
    assert entry.reloads == 2 and entry.reload_last > 0 and entry.load > 0
    assert re.search(r"Reloads: 2 \(last \d+\.\d ms", command(session, ".modinfo greet"))


def test_dev_mode_prints_load_notices_and_slow_warnings(make, dirs):
    session = make(dev_mode=True)
    assert tracemalloc.is_tracing()
    command(session, ".perfmon threshold 0.001")
    value(session, "import greet;")
    printed = "".join(session.printed)
    assert session.registry.stats().scans == 1  # a notice never triggers another scan
    assert re.search(r"\[load\] greet \d+\.\d ms \(slow\)", printed)
    assert "[slow] statement" in printed
    assert command(session, ".devmode off") == "Development mode off."
    session.printed.clear()
    value(session, "import util;")
    assert "".join(session.printed) == ""


# ----------------------------------------------------------------------------- memreport

TEN_MB = 10 * 1024 * 1024

BIG = f'''
from mlpy.ext import ml_function, ml_module
DATA = [None] * ({TEN_MB} // 8)

@ml_module("big")
class Big:
    @ml_function
    def size(self):
        return len(DATA)
'''


def _module_size(session, name):
    from mlpy.repl.dev import ml_footprints

    report = session.registry.memory_report(extra=ml_footprints(session))
    return next(m for m in report.modules if m.name == name)


def test_memreport_attributes_traced_allocations_to_the_bridge(make, dirs):
    write(dirs[0] / "big_bridge.py", BIG)
    session = make()
    command(session, ".devmode on")
    value(session, "import big; import greet; big.size();")
    entry = _module_size(session, "big")
    assert entry.method == "traced"
    assert 0.8 * TEN_MB <= entry.size <= 1.2 * TEN_MB
    text = command(session, ".memreport")
    row = next(line for line in text.splitlines() if line.strip().startswith("big "))
    assert re.search(r"(9\.\d|10\.\d|11\.\d) MB +traced", row)
    assert re.match(r"Memory — process RSS \d+\.\d MB; allocation tracing on", text)


def test_memreport_estimates_without_tracing(make, dirs):
    if tracemalloc.is_tracing():
        pytest.skip("tracemalloc is on for the whole process")
    write(dirs[0] / "big_bridge.py", BIG)
    session = make()
    value(session, "import big; import greet; data = [1, 2, 3];")
    entry = _module_size(session, "big")
    assert entry.method == "estimated"
    assert 0.8 * TEN_MB <= entry.size <= 1.2 * TEN_MB
    assert _module_size(session, "greet").size < 100_000  # not the same number for all
    text = command(session, ".memreport 1")
    assert "Modules (top 1 of 2):" in text and "estimated" in text
    assert re.search(r"data +array\[3\]", text)


def test_memreport_never_loads_modules(session):
    assert "No modules loaded." in command(session, ".memreport")
    assert session.registry.loaded_names() == []


# ----------------------------------------------------------------------------- watch


def _wait_for_lines(session, deadline=1.5):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        lines = session.apply_pending_reloads()
        if lines:
            return lines, time.monotonic() - start
        time.sleep(0.02)
    return [], time.monotonic() - start


@pytest.mark.parametrize("polling", [False, True])
def test_watch_reloads_after_a_save_and_ignores_a_touch(make, dirs, polling):
    session = make()
    session.force_polling = polling
    value(session, "import greet;")
    text = command(session, ".watch greet")
    assert text.startswith("Watching greet (") and "saves reload it automatically" in text
    backend = "polling every 0.5 s" if polling else "watchfiles"
    assert backend in command(session, ".watch")
    time.sleep(0.1)
    edit(dirs[0] / "greet_bridge.py", '"hello "', '"HI "')
    lines, _ = _wait_for_lines(session)
    assert len(lines) == 1 and re.match(
        r"\[watch\] greet_bridge\.py changed — reloaded greet in \d+\.\d ms "
        r"\(rebound: greet\)", lines[0]), lines
    assert value(session, 'greet.hello("a")') == "HI a"
    os.utime(dirs[0] / "greet_bridge.py")
    path = dirs[0] / "greet_bridge.py"
    path.write_text(path.read_text())  # rewritten, same content
    time.sleep(1.0)
    assert session.apply_pending_reloads() == []


def test_watch_reports_a_failed_reload_and_an_ml_module(session, dirs):
    value(session, "import top;")
    command(session, ".watch util")
    edit(dirs[1] / "util.ml", "version = 1;", "version = = 1;")
    lines, _ = _wait_for_lines(session, 3.0)
    assert lines and "reload FAILED" in lines[0] and "(previous version kept)" in lines[0]
    edit(dirs[1] / "util.ml", "version = = 1;", "version = 4;")
    lines, _ = _wait_for_lines(session, 3.0)
    assert lines and "reloaded util" in lines[0] and "dependents: top" in lines[0]
    assert value(session, "top.go()") == "hello t!4"


def test_unwatch_and_close_stop_the_watcher_thread(make, dirs):
    session = make()
    value(session, "import greet;")
    command(session, ".watch all")
    assert any(t.name == "mlpy-watch" for t in threading.enumerate())
    assert command(session, ".unwatch greet") == "Stopped watching greet."
    start = time.monotonic()
    while any(t.name == "mlpy-watch" for t in threading.enumerate()):
        assert time.monotonic() - start < 1.5
        time.sleep(0.02)
    command(session, ".watch greet")
    session.close()
    assert not any(t.name == "mlpy-watch" and t.is_alive() for t in threading.enumerate())


def test_watch_all_covers_modules_loaded_later(session, dirs):
    assert "none is loaded yet" in command(session, ".watch all")
    value(session, "import util;")
    listing = command(session, ".watch")
    assert "greet" in listing and "util" in listing
    command(session, ".unwatch")
