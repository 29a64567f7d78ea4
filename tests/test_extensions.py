"""Extension modules: one decorated file in a folder, found without running it, loaded on use."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlpy
from mlpy import CapabilityError

ROOT = Path(__file__).resolve().parent.parent

GREET = '''
"""Greetings for ML."""
from pathlib import Path

from mlpy.ext import ml_constant, ml_function, ml_module
from ._words import shout

Path(__file__).with_name("ran.txt").write_text("the bridge ran")


@ml_module("greet", "Greetings", version="2.0.0")
class Greet:
    PREFIX = ml_constant("Hello", "the greeting word")

    @ml_function("Greet someone")
    def hello(self, name):
        return f"{self.PREFIX}, {name}"

    @ml_function("Shout", name="loud", capabilities=["console.write"])
    def shout_it(self, text):
        return shout(text)
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def ext(tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    write(folder, "greet_bridge.py", GREET)
    write(folder, "_words.py", "def shout(text):\n    return text.upper() + '!'\n")
    return folder


def test_listing_and_compiling_run_nothing(ext):
    engine = mlpy.Engine(extension_paths=[ext])
    assert engine.registry.available("extension") == ["greet"]
    info = engine.registry.info("greet")
    assert info["functions"] == ["hello", "loud"] and info["constants"] == ["PREFIX"]
    assert info["version"] == "2.0.0" and info["loaded"] is False
    engine.compile("import greet; x = greet.hello('a');")
    bad = engine.check("import greet; greet.nope();")
    assert [d.code for d in bad] == ["E_MODULE_MEMBER"]
    assert not (ext / "ran.txt").exists()


def test_a_module_loads_when_a_program_runs_and_is_gated(ext):
    engine = mlpy.Engine(extension_paths=[ext])
    result = engine.execute('import greet; result = [greet.hello("Ada"), greet.PREFIX];')
    assert result.value == ["Hello, Ada", "Hello"] and (ext / "ran.txt").exists()
    assert isinstance(engine.execute('import greet; greet.loud("x");').error, CapabilityError)
    granted = mlpy.Engine(extension_paths=[ext], capabilities=["console.write"])
    assert granted.execute('import greet; result = greet.loud("hi");').value == "HI!"
    assert not list(ext.glob("**/*.pyc"))  # nothing written next to the sources
    assert not any(name == "greet_bridge" or name == "_words" for name in sys.modules)


def test_the_environment_adds_extension_paths(ext, monkeypatch):
    monkeypatch.setenv("MLPY_EXTENSION_PATHS", f"{ext}")
    assert mlpy.Engine().execute('import greet; result = greet.hello("B");').value == "Hello, B"


def test_a_broken_bridge_is_reported_and_the_others_keep_working(ext):
    write(ext, "broken_bridge.py", "from mlpy.ext import ml_module\n@ml_module(\n")
    write(ext, "twice_bridge.py", '''
        from mlpy.ext import ml_module
        @ml_module("a")
        class A: pass
        @ml_module("b")
        class B: pass
    ''')
    write(ext, "math_bridge.py", '''
        from mlpy.ext import ml_module
        @ml_module("math")
        class Fake: pass
    ''')
    engine = mlpy.Engine(extension_paths=[ext])
    problems = [str(p) for p in engine.registry.problems()]
    assert any("broken_bridge.py:" in p and "not valid Python" in p for p in problems)
    assert any("twice_bridge.py:" in p and "declares one module" in p for p in problems)
    assert any("math_bridge.py:" in p and "standard-library" in p for p in problems)
    assert engine.execute('import greet; result = greet.hello("C");').value == "Hello, C"
    assert engine.execute("import math; result = math.floor(2.5);").value == 2


def test_earlier_directories_win_and_the_same_file_name_in_two_folders_is_fine(tmp_path, ext):
    other = tmp_path / "other"
    other.mkdir()
    write(other, "greet_bridge.py", '''
        from mlpy.ext import ml_function, ml_module
        @ml_module("greet")
        class Other:
            @ml_function
            def hello(self, name):
                return "other " + name
    ''')
    write(other, "extra_bridge.py", '''
        from mlpy.ext import ml_function, ml_module
        @ml_module("extra")
        class Extra:
            @ml_function
            def one(self):
                return 1
    ''')
    engine = mlpy.Engine(extension_paths=[ext, other])
    result = engine.execute('import greet; import extra; result = [greet.hello("D"), extra.one()];')
    assert result.value == ["Hello, D", 1]
    assert any("shadowed by" in str(p) and p.code == "W_MODULE_SHADOWED"
               for p in engine.registry.problems())


def test_the_command_line_takes_extension_paths(ext, tmp_path):
    script = write(tmp_path, "use.ml", 'import greet;\nprint(greet.hello("E"));\n')
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", "-E", str(ext), str(script)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, E\n"
    check = subprocess.run([sys.executable, "-m", "mlpy", "check", "--extension-path",
                            str(ext), str(script)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    missing = subprocess.run([sys.executable, "-m", "mlpy", "run", "-E",
                              str(tmp_path / "nope"), str(script)],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "nope" in missing.stderr


def test_modules_commands_list_describe_and_check(ext, tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "mlpy", "modules", *args],
                              capture_output=True, text=True, timeout=60)

    listed = cli("list", "-E", str(ext), "--kind", "extension", "--paths")
    assert listed.returncode == 0, listed.stderr
    assert f"extension path {ext} (cli)" in listed.stdout and "greet" in listed.stdout
    info = cli("info", "greet", "-E", str(ext), "--json")
    assert info.returncode == 0, info.stderr
    assert '"functions": [' in info.stdout and '"loud"' in info.stdout
    assert cli("info", "nope").returncode == 2
    assert not (ext / "ran.txt").exists()  # describing ran nothing
    assert cli("check", "-E", str(ext)).returncode == 0
    write(ext, "broken_bridge.py", "from mlpy.ext import ml_module\n@ml_module(\n")
    checked = cli("check", "-E", str(ext))
    assert checked.returncode == 1
    assert checked.stderr.count("broken_bridge.py:2: error") == 1


def test_the_project_config_adds_extension_paths(ext, tmp_path, monkeypatch):
    from mlpy.modules.paths import load_project_config, resolve_module_paths

    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[tool.mlpy]\npython_extension_paths = ["{ext}", "./optional"]\n', encoding="utf-8")
    config = load_project_config(project / "scripts")
    assert config.path == project / "pyproject.toml"
    monkeypatch.setenv("MLPY_EXTENSION_PATHS", str(ext))
    resolved = resolve_module_paths((), (), config)
    assert resolved.extension_dirs == [ext.resolve()]  # the env duplicate is dropped
    assert resolved.extension_paths[0].origin.startswith("config:")
    assert any("optional" in w and "skipped" in w for w in resolved.warnings)
    script = write(project / "scripts", "use.ml", 'import greet;\nprint(greet.hello("F"));\n')
    monkeypatch.delenv("MLPY_EXTENSION_PATHS")
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, F\n" and "optional" in done.stderr


def test_a_malformed_project_config_is_a_usage_error(tmp_path):
    (tmp_path / "mlpy.json").write_text('{"python_extension_paths": "not a list"}')
    script = write(tmp_path, "x.ml", "print(1);\n")
    done = subprocess.run([sys.executable, "-m", "mlpy", "run", str(script)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert (f"{tmp_path / 'mlpy.json'}: error: python_extension_paths: expected a list of "
            "strings, got 'not a list'") in done.stderr


def test_a_failed_import_says_where_modules_were_searched(ext):
    [found] = mlpy.Engine(extension_paths=[ext]).check("import greeet;")
    assert found.code == "E_MODULE_NOT_FOUND"
    assert "did you mean: greet?" in found.suggestions
    assert any(str(ext.resolve()) in hint and "1 extension directory" in hint
               for hint in found.suggestions)


def test_discovery_problems_carry_stable_codes(ext):
    write(ext, "broken_bridge.py", "from mlpy.ext import ml_module\n@ml_module(\n")
    write(ext, "noname_bridge.py", '''
        from mlpy.ext import ml_module
        NAME = "x"
        @ml_module(NAME)
        class A: pass
    ''')
    write(ext, "twice_bridge.py", '''
        from mlpy.ext import ml_module
        @ml_module("a")
        class A: pass
        @ml_module("b")
        class B: pass
    ''')
    write(ext, "math_bridge.py", '''
        from mlpy.ext import ml_module
        @ml_module("math")
        class Fake: pass
    ''')
    codes = {p.path.name: (p.code, p.severity, p.line)
             for p in mlpy.Engine(extension_paths=[ext]).registry.problems()}
    assert codes == {
        "broken_bridge.py": ("E_DISCOVERY_SYNTAX", "error", 2),
        "noname_bridge.py": ("E_DISCOVERY_NO_NAME", "error", 5),
        "twice_bridge.py": ("E_DISCOVERY_MULTIPLE", "error", 6),
        "math_bridge.py": ("W_MODULE_SHADOWED", "warning", 1),
    }


def test_a_bridge_that_raises_is_a_module_load_error_until_it_is_fixed(tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    bridge = write(folder, "pay_bridge.py", '''
        from mlpy.ext import ml_function, ml_module
        import stripe_is_not_installed

        @ml_module("pay")
        class Pay:
            @ml_function
            def charge(self, amount):
                return amount
    ''')
    engine = mlpy.Engine(extension_paths=[folder])
    for _ in range(2):  # the failure is remembered, and reported the same way again
        error = engine.execute("import pay;\nresult = pay.charge(5);", filename="main.ml").error
        assert isinstance(error, mlpy.ModuleLoadError) and error.code == "E_MODULE_LOAD"
        assert "stripe_is_not_installed" in error.message and "pay_bridge.py:3" in error.message
        assert (error.file, error.span.line) == ("main.ml", 1)
    assert not any(name.endswith(".pay_bridge") for name in sys.modules)  # not half-loaded
    bridge.write_text(bridge.read_text().replace("import stripe_is_not_installed\n", ""))
    assert engine.execute("import pay;\nresult = pay.charge(5);").value == 5


def test_a_module_class_that_needs_arguments_says_how_to_fix_it(tmp_path):
    folder = tmp_path / "ext"
    folder.mkdir()
    write(folder, "keyed_bridge.py", '''
        from mlpy.ext import ml_function, ml_module

        @ml_module("keyed")
        class Keyed:
            def __init__(self, key):
                self.key = key

            @ml_function
            def key_length(self):
                return len(self.key)
    ''')
    engine = mlpy.Engine(extension_paths=[folder])
    error = engine.execute("import keyed; result = keyed.key_length();").error
    assert isinstance(error, mlpy.ModuleLoadError) and error.code == "E_MODULE_NO_INSTANCE"
    assert "keyed = Keyed(...)" in error.message
    with open(folder / "keyed_bridge.py", "a", encoding="utf-8") as handle:
        handle.write('\nkeyed = Keyed("secret")\n')
    assert engine.execute("import keyed; result = keyed.key_length();").value == 6


def test_threads_racing_the_first_import_run_the_bridge_once(tmp_path):
    import threading

    folder = tmp_path / "ext"
    folder.mkdir()
    runs = tmp_path / "runs.txt"
    write(folder, "slow_bridge.py", f'''
        import time
        from mlpy.ext import ml_function, ml_module

        with open({str(runs)!r}, "a") as log:
            log.write("ran\\n")
        time.sleep(0.2)

        @ml_module("slow")
        class Slow:
            @ml_function
            def ping(self):
                return "pong"
    ''')
    registry = mlpy.Engine(extension_paths=[folder]).registry
    barrier = threading.Barrier(8)
    found = []

    def first_use():
        barrier.wait()
        found.append(registry.load("slow"))

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs.read_text() == "ran\n"
    assert len(found) == 8 and all(module is found[0] for module in found)


def test_two_engines_with_different_directories_do_not_see_each_others_modules(ext, tmp_path):
    with_ext = mlpy.Engine(extension_paths=[ext])
    without = mlpy.Engine(extension_paths=[tmp_path])
    assert with_ext.execute('import greet; result = greet.hello("G");').value == "Hello, G"
    error = without.execute('import greet; result = greet.hello("G");').error
    assert error.code == "E_MODULE_NOT_FOUND"
    assert "greet" not in without.registry.available()


def test_the_sandbox_loads_extension_modules_from_the_engines_directories(ext):
    with mlpy.Engine(extension_paths=[ext], isolation="subprocess") as engine:
        result = engine.execute('import greet; result = greet.hello("H");')
    assert result.ok, result.error
    assert result.value == "Hello, H"


def test_the_environment_and_isolated_on_the_command_line(ext, tmp_path):
    script = write(tmp_path, "use.ml", 'import greet;\nprint(greet.hello("I"));\n')
    environment = {**os.environ, "MLPY_EXTENSION_PATHS": str(ext)}
    command = [sys.executable, "-m", "mlpy", "run", "-q", str(script)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env=environment)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, I\n"
    isolated = subprocess.run([*command, "--isolated"], capture_output=True, text=True,
                              timeout=60, env=environment)
    assert isolated.returncode == 3 and "E_MODULE_NOT_FOUND" in isolated.stderr
