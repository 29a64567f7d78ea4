"""Frozen host data and builtins that host variables may not replace.

* ``mlpy.frozen(value)`` (integration spec 2.4): a deep read-only copy of host data passed in
  ``variables=``; any mutation raises a catchable error and the host value stays unchanged,
  while reading works as for the plain value.
* ``allow_shadow=True`` (integration spec 2.4): host variables shadow builtins of the same
  name only when the host asks for it.
"""

from __future__ import annotations

import copy

import pytest

import mlpy
from mlpy import MLRuntimeError

from .conftest import REACHED, run


def config():
    return {"name": "prod", "limits": {"rate": 10, "tags": ["a", "b"]}, "items": [3, 1, 2],
            "users": [{"id": 1, "roles": ["admin"]}]}


MUTATIONS = [
    'cfg.name = "evil";',
    'cfg["name"] = "evil";',
    "cfg.new_key = 1;",
    "cfg.limits.rate = 0;",
    'cfg.limits["rate"] = 0;',
    'cfg.limits.tags.append("c");',
    "cfg.limits.tags[0] = 'z';",
    "cfg.items.append(4);",
    "cfg.items[0] = 9;",
    "cfg.items.sort();",
    "cfg.items.reverse();",
    "cfg.items.pop();",
    "cfg.items.clear();",
    "cfg.items.remove(1);",
    "cfg.items.insert(0, 5);",
    "cfg.items.extend([7]);",
    "cfg.items[0:2] = [];",
    'cfg.users[0].roles.append("root");',
    "cfg.users[0].id = 0;",
    "u = cfg.users[0]; u.id = 0;",
    "p = {k: cfg}; p.k.name = 'evil';",
    "a = [cfg.items]; a[0].append(4);",
    "function change(c) { c.limits.rate = 0; } change(cfg);",
    "f = fn(c) => c.items.append(5); f(cfg);",
]


@pytest.mark.parametrize("source", MUTATIONS)
def test_frozen_values_refuse_every_mutation(source):
    host = config()
    before = copy.deepcopy(host)
    result = run(source + '\nprint("REACHED");', {"cfg": mlpy.frozen(host)})
    assert not result.ok, "the mutation went through"
    assert isinstance(result.error, MLRuntimeError), result.error
    assert REACHED not in (result.stdout or "")
    assert host == before


@pytest.mark.parametrize("source", MUTATIONS[:6])
def test_a_caught_mutation_error_leaves_the_value_unchanged(source):
    host = config()
    before = copy.deepcopy(host)
    result = run(f"try {{ {source} }} except (e) {{ t = e.type; }}",
                 {"cfg": mlpy.frozen(host)})
    assert result.ok, result.error
    assert host == before


def test_frozen_values_read_like_plain_values():
    host = config()
    result = run("""
        import json;
        r = [cfg.name, cfg["limits"].rate, cfg.limits.tags[1], len(cfg.items), keys(cfg),
             cfg.items.index(1), cfg.items.count(3), sorted(cfg.items), typeof(cfg),
             typeof(cfg.items), cfg.missing];
        total = 0; for (x in cfg.items) { total = total + x; }
        s = json.stringify(cfg.limits);
        c = cfg.items.copy(); c.append(9);
    """, {"cfg": mlpy.frozen(host)})
    assert result.ok, result.error
    assert result.globals["r"] == ["prod", 10, "b", 3, ["name", "limits", "items", "users"],
                                   1, 1, [1, 2, 3], "object", "array", None]
    assert result.globals["total"] == 6
    assert result.globals["s"] == '{"rate": 10, "tags": ["a", "b"]}'
    assert result.globals["c"] == [3, 1, 2, 9]
    assert host["items"] == [3, 1, 2]


def test_allow_shadow_lets_a_host_variable_replace_a_builtin():
    impostor = mlpy.host_function(lambda *a: "host print", name="print")
    result = mlpy.Engine().execute('r = print("x");', {"print": impostor}, allow_shadow=True,
                                   capture_output=True)
    assert result.ok, result.error
    assert result.globals["r"] == "host print"
