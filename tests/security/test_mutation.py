"""Mutation of host data and of shared runtime objects.

Integration spec 2.4: values pass by reference in-process, so ML mutation of a passed list or
dict is visible to the host (documented); tuples and sets are read-only arrays (2.5). Everything
the runtime shares between executions -- modules, builtins, functions -- cannot be changed
by ML. (Read-only data with ``mlpy.frozen`` is tested in test_frozen_and_shadowing.py.)
"""

from __future__ import annotations

import math as py_math

import pytest

import mlpy
from mlpy import MLCompileError, MLRuntimeError, SecurityError

from .conftest import REACHED, assert_blocked, run


def test_lists_and_dicts_pass_by_reference_as_documented():
    data = {"items": [1, 2], "meta": {"n": 0}}
    result = run("data.items.append(3); data.meta.n = 1; data.extra = true;", {"data": data})
    assert result.ok, result.error
    assert data == {"items": [1, 2, 3], "meta": {"n": 1}, "extra": True}


@pytest.mark.parametrize("source", [
    't[0] = 9; print("REACHED");',
    't.append(9); print("REACHED");',
    't.sort(); print("REACHED");',
    't.x = 9; print("REACHED");',
    'x = t; x[1:2] = [9]; print("REACHED");',
])
def test_a_tuple_is_a_read_only_array(source):
    data = (3, 1, 2)
    assert_blocked(run(source, {"t": data}), MLRuntimeError, SecurityError)
    assert data == (3, 1, 2)


@pytest.mark.parametrize("value", [{3, 1}, frozenset({3, 1})], ids=["set", "frozenset"])
@pytest.mark.parametrize("source", [
    's.add(9); print("REACHED");', 's.clear(); print("REACHED");', 's.pop(); print("REACHED");',
    's.update([9]); print("REACHED");', 's.discard(1); print("REACHED");',
    's[0] = 9; print("REACHED");',
])
def test_a_set_is_a_read_only_array(value, source):
    before = set(value)
    assert_blocked(run(source, {"s": value}), MLRuntimeError, SecurityError)
    assert set(value) == before


@pytest.mark.parametrize("source", [
    'b[0] = 1; print("REACHED");', 'b.x = 1; print("REACHED");',
])
def test_bytes_are_immutable(source):
    data = bytearray(b"abc")
    result = run(source, {"b": bytes(data)})
    assert_blocked(result, MLRuntimeError, SecurityError)


@pytest.mark.parametrize("source", [
    'import math; math.pi = 3; print("REACHED");',
    'import json; json.parse = 1; print("REACHED");',
    'builtin.print = 5; print("REACHED");',
    'builtin.len = fn(x) => 0; print("REACHED");',
])
def test_module_members_cannot_be_assigned(source):
    assert_blocked(run(source), MLCompileError, code="E_MODULE_READONLY")


@pytest.mark.parametrize("source", [
    'import math; m = math; m.pi = 3; print("REACHED");',
    'import math; m = [math][0]; m["pi"] = 3; print("REACHED");',
    'import json; o = {mod: json}; o.mod.parse = 1; print("REACHED");',
    'function f() { return 1; } f.x = 1; print("REACHED");',
    'g = len; g.x = 1; print("REACHED");',
    'import math; s = math.sqrt; s.x = 1; print("REACHED");',
    'try { x = 1 / 0; } except (e) { e.message = "changed"; print("REACHED"); }',
    's = "abc"; s[0] = "x"; print("REACHED");',
    's = "abc"; s.x = 1; print("REACHED");',
])
def test_shared_runtime_objects_cannot_be_changed(source):
    assert_blocked(run(source), MLRuntimeError, SecurityError)


def test_nothing_one_execution_does_leaks_into_the_next():
    engine = mlpy.Engine()
    first = engine.execute("""
        import math; import json;
        print = 5; len = fn(x) => 0; math2 = math;
        function typeof(x) { return "hijacked"; }
        try { m = math; m.pi = 4; } except (e) { }
    """)
    assert first.ok, first.error
    second = engine.execute('import math; result = [math.pi, len("ab"), typeof(1)];'
                            ' print("ok");', capture_output=True)
    assert second.ok, second.error
    assert second.value == [py_math.pi, 2, "number"]
    assert second.stdout == "ok\n"


def test_result_globals_are_read_only_for_the_host():
    result = run("x = 1;")
    with pytest.raises(TypeError):
        result.globals["x"] = 2  # type: ignore[index]


def test_a_session_namespace_is_not_shared_with_other_sessions():
    engine = mlpy.Engine()
    one, two = engine.session(), engine.session()
    assert one.exec("secret = 42; function peek() { return secret; }").ok
    leaked = two.exec('x = secret; print("REACHED");', capture_output=True)
    assert not leaked.ok and REACHED not in (leaked.stdout or "")
    peek = two.exec('y = peek(); print("REACHED");', capture_output=True)
    assert not peek.ok and REACHED not in (peek.stdout or "")
