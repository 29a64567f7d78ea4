"""What ``max_memory`` sees: data held anywhere a program can keep it.

The budget is enforced by walking the program's data (runtime/memory.py). A value the walk
does not reach is memory the program can hoard unseen, until the host runs out of it.
Each program below keeps a fresh megabyte alive in a different kind of holder; each must
stop at the budget ("the program's data takes more than ..."), not at the host's end.
"""

from __future__ import annotations

import pytest

from .conftest import assert_isolated_limit, describe, run, run_isolated

MEGABYTE = '"x" * 1000000 + str(n)'

HOARDS = {
    "iterators": "its = []; n = 0; while (true) { n = n + 1; its.append(iter(BIG)); }",
    "array_iterators": "its = []; n = 0; while (true) { n = n + 1; its.append(iter([BIG])); }",
    "object_iterators": "its = []; n = 0; while (true) { n = n + 1;"
                        " its.append(iter({k: BIG})); }",
    "memoized_results": "import functional; f = functional.memoize(fn(n) => BIG); n = 0;"
                        " while (true) { n = n + 1; f(n); }",
    "memoized_in_closure": "import functional; function mk(v) { return fn() => v; }"
                           " g = functional.memoize(fn(n) => mk(BIG)); n = 0;"
                           " while (true) { n = n + 1; g(n); }",
    "partial_arguments": "import functional; ps = []; n = 0;"
                         " while (true) { n = n + 1; ps.append(functional.partial(print, BIG)); }",
    "error_payloads": "errs = []; n = 0; while (true) { n = n + 1;"
                      " try { throw {data: BIG}; } except (e) { errs.append(e); } }",
    "error_messages": "errs = []; n = 0; while (true) { n = n + 1;"
                      " try { throw BIG; } except (e) { errs.append(e); } }",
    "bound_methods": "ms = []; n = 0; while (true) { n = n + 1; ms.append((BIG).upper); }",
    "checked_bound_methods": "ms = []; n = 0; while (true) { n = n + 1;"
                             " ms.append((BIG).replace); }",
    "regex_matches": "import regex; ms = []; n = 0; while (true) { n = n + 1;"
                     ' ms.append(regex.search("x", BIG)); }',
}

CASES = {name: {"src": source.replace("BIG", MEGABYTE),
                "options": {"timeout": 20, "max_memory": 30_000_000}}
         for name, source in HOARDS.items()}


@pytest.fixture(scope="module")
def reports():
    return run_isolated(CASES, wall=25.0, memory=1_500_000_000)


@pytest.mark.parametrize("name", sorted(HOARDS))
def test_the_memory_budget_sees_every_holder(reports, name):
    report = reports[name]
    assert_isolated_limit(report, "MLResourceError", resource="memory")
    assert "the program's data takes more than 30,000,000 bytes" in report["message"], \
        describe(report)


def test_data_that_is_let_go_does_not_count():
    # A holder that is dropped frees its data: only what stays reachable counts.
    result = run("import functional; n = 0; while (n < 200) { n = n + 1;"
                 f" it = iter({MEGABYTE}); f = functional.memoize(fn(x) => {MEGABYTE});"
                 " f(1); }", max_memory=30_000_000, timeout=60)
    assert result.ok, result.error
