"""Tests of extension_module: ML calls the bridge's decorated methods, the scoped grant
decides which warehouses a program reads, and nothing undecorated is reachable."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path):
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load("examples_foundation_extension_module_app", HERE / "app.py")


def test_the_rules_use_the_modules_function_and_constant():
    assert app.items_to_reorder("eu") == ["cake", "jam"]


def test_the_grants_scope_decides_which_warehouse_may_be_read():
    with pytest.raises(mlpy.CapabilityError) as caught:
        app.items_to_reorder("us")
    assert caught.value.required == "inventory.read"
    assert "'us'" in caught.value.message


def test_without_a_grant_the_gate_refuses_the_call_before_it_runs():
    engine = mlpy.Engine(extension_paths=[HERE / "ext"])
    error = engine.execute(app.reorder, {"warehouse": "eu"}).error
    assert isinstance(error, mlpy.CapabilityError)
    assert "which this execution was not granted" in error.message
    assert (error.ml_file, error.ml_line) == ("reorder.ml", 5)


def test_a_function_that_needs_no_capability_runs_without_grants():
    engine = mlpy.Engine(extension_paths=[HERE / "ext"])
    assert engine.execute("import inventory; inventory.warehouseNames();").value == ["eu", "us"]


@pytest.mark.parametrize("member, code", [("_connection", "E_PRIVATE_MEMBER"),
                                          ("stocks", "E_MODULE_MEMBER")])
def test_undeclared_members_are_refused_before_the_program_runs(member, code):
    with pytest.raises(mlpy.MLCompileError) as caught:
        app.engine.compile(f"import inventory; inventory.{member}();")
    assert code in [d.code for d in caught.value.diagnostics]


def test_a_bridge_that_fails_to_load_fails_only_the_programs_that_import_it(tmp_path):
    shutil.copy(HERE / "ext" / "inventory_bridge.py", tmp_path)
    (tmp_path / "prices_bridge.py").write_text(
        "from mlpy.ext import ml_function, ml_module\n"
        "raise RuntimeError('price service unreachable')\n\n"
        "@ml_module('prices')\nclass Prices:\n"
        "    @ml_function('A price')\n    def of(self, sku):\n        return 1\n")
    engine = mlpy.Engine(extension_paths=[tmp_path], capabilities=["inventory.read"])
    error = engine.execute("import prices; result = prices.of('tea');").error
    assert isinstance(error, mlpy.ModuleLoadError) and error.code == "E_MODULE_LOAD"
    assert "price service unreachable" in error.message
    assert engine.execute(app.reorder, {"warehouse": "us"}).value == []


def test_the_module_is_a_plain_python_class_the_host_can_test():
    bridge = _load("examples_foundation_inventory_bridge", HERE / "ext" / "inventory_bridge.py")
    # Outside an ML execution require() checks nothing: host code is trusted.
    assert bridge.Inventory().stock("us") == {"tea": 12, "jam": 9}


def test_the_command_line_describes_the_module_without_running_it():
    done = subprocess.run([sys.executable, "-m", "mlpy", "modules", "info", "inventory",
                           "-E", "ext"], cwd=HERE, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "functions: stock, warehouseNames" in done.stdout
    assert "constants: REORDER_LEVEL" in done.stdout


def test_main_prints_the_reorders_and_the_denial(capsys):
    app.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["warehouses: ['eu', 'us']", "reorder in eu: ['cake', 'jam']"]
    assert lines[2].startswith("us: this needs the capability 'inventory.read' for 'us'")
