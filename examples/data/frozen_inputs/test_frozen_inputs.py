"""Tests of the frozen-inputs example: a frozen catalog cannot be changed by a rule."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_data_frozen_inputs_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


def test_a_rule_changes_a_catalog_passed_as_it_is():
    catalog = copy.deepcopy(app.CATALOG)
    result = app.price_shared(catalog, "pen", 10)
    assert result.ok and result.value == 0
    assert catalog["discount"] == 1 and catalog["items"]["pen"]["price"] == 0


def test_a_frozen_catalog_refuses_the_change_and_stays_intact():
    catalog = copy.deepcopy(app.CATALOG)
    result = app.price_frozen(catalog, "pen", 10)
    assert result.ok and result.value == 18.0
    assert result.stdout == "refused: this object is read-only: the host passed it frozen\n"
    assert catalog == app.CATALOG


def test_frozen_is_a_deep_copy_made_once():
    catalog = copy.deepcopy(app.CATALOG)
    shared = mlpy.frozen(catalog)
    catalog["discount"] = 0.5  # the host's later changes do not reach the frozen copy
    program = "result = [catalog.discount, typeof(catalog.items), len(keys(catalog.items))];"
    for _ in range(2):  # one frozen value serves every execution
        assert app.engine.execute(program, {"catalog": shared}).value == [0.1, "object", 2]


def test_every_kind_of_change_is_refused():
    frozen = mlpy.frozen({"tags": ["a"], "meta": {}})
    for change in ('frozen_value.tags.append("b");', 'frozen_value.tags[0] = "z";',
                   'frozen_value.meta.k = 1;', "frozen_value.tags.sort();"):
        result = app.engine.execute(change, {"frozen_value": frozen})
        assert isinstance(result.error, mlpy.MLRuntimeError), change
        assert "read-only" in result.error.message
    assert frozen == {"tags": ["a"], "meta": {}}


def test_main_prints_both_runs(capsys):
    app.main()
    frozen, shared = capsys.readouterr().out.splitlines()
    assert frozen.startswith("frozen: refused:") and "price 18.0" in frozen
    assert shared.startswith("shared: '' | price 0")
