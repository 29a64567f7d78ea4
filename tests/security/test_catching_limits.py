"""ML code trying to survive a limit.

DESIGN D5: ML code can catch ML errors, capability errors and host errors, but never a limit
(time, steps, recursion depth, sizes/memory, output, cancellation). A tripped limit is sticky:
a ``return``, ``break`` or ``continue`` in ``finally`` cannot swallow it, every later check
raises it again, and the result reports the limit whatever the ML code did. A stopped
execution has no more effects: no output, no host-function calls.
"""

from __future__ import annotations

import threading
import time

import pytest

import mlpy
from mlpy import MLCancelledError, MLResourceError, MLTimeoutError

from .conftest import REACHED, assert_limit, run

# name -> (trigger statement(s), execute options, error class, resource)
LIMITS = {
    "timeout": ("while (true) { }", {"timeout": 0.2}, MLTimeoutError, None),
    "steps": ("while (true) { }", {"max_steps": 5000}, MLResourceError, "steps"),
    "recursion": ("deep(0);", {}, MLResourceError, "recursion"),
    "size": ('big = "a" * 100000000;', {}, MLResourceError, "memory"),
    "integer": ("n = 2; while (true) { n = n * n; }", {}, MLResourceError, "memory"),
    "output": ('while (true) { print("o"); }', {"max_output": 50}, MLResourceError, "output"),
    "memory": ('hoard = []; while (true) { hoard.append("m" * 100000); }',
               {"max_memory": 3_000_000}, MLResourceError, "memory"),
}

PRELUDE = "function deep(n) { return deep(n + 1); }\n"

# Each pattern tries to get past TRIGGER and print REACHED.
PATTERNS = {
    "except": 'try { TRIGGER } except (e) { print("REACHED caught", e.type); }',
    "except_no_name": 'try { TRIGGER } except { print("REACHED caught"); }',
    "finally_return": 'function f() { try { TRIGGER } finally { return 1; } }\n'
                      'r = f(); print("REACHED", r);',
    "except_finally_return": 'function f() { try { TRIGGER } except (e) { return 2; }'
                             ' finally { return 1; } }\nr = f(); print("REACHED", r);',
    "finally_continue": 'for (i in range(3)) { try { TRIGGER } finally { continue; } }\n'
                        'print("REACHED");',
    "finally_break": 'while (true) { try { TRIGGER } finally { break; } }\nprint("REACHED");',
    "retry": 'tries = 0; while (tries < 3) { tries = tries + 1;'
             ' try { TRIGGER } except (e) { } }\nprint("REACHED", tries);',
    "nested_functions": 'function inner() { TRIGGER }\n'
                        'function outer() { try { inner(); } except (e) { return "swallowed"; } }\n'
                        'r = outer(); print("REACHED", r);',
    "callback_call": 'function cb() { TRIGGER }\ntry { call(cb); } except (e) { }\n'
                     'print("REACHED");',
    "callback_stored": 'o = {f: fn() => { TRIGGER }};\ntry { o.f(); } except (e) { }\n'
                       'print("REACHED");',
    "finally_prints": 'try { TRIGGER } finally { print("REACHED in finally"); }',
    "rethrow_other": 'try { TRIGGER } except (e) { throw {message: "replaced"}; }',
    "nested_try": 'try { try { TRIGGER } finally { x = 1; } } except (e) { print("REACHED"); }',
    "handler_returns_value": 'function f() { try { TRIGGER } except (e) { return e; } }\n'
                             'err = f(); print("REACHED", err);',
    "recursion_catcher": 'function g(n) { try { if (n > 3) { TRIGGER } return g(n + 1); }'
                         ' except (e) { return "caught at " + str(n); } }\n'
                         'print("REACHED", g(0));',
}


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_ml_code_cannot_catch_or_swallow_a_limit(limit, pattern):
    trigger, options, kind, resource = LIMITS[limit]
    source = PRELUDE + PATTERNS[pattern].replace("TRIGGER", trigger)
    start = time.monotonic()
    result = run(source, timeout=options.get("timeout", 5),
                 **{k: v for k, v in options.items() if k != "timeout"})
    assert time.monotonic() - start < 5
    assert REACHED not in (result.stdout or ""), result.stdout
    assert_limit(result, kind, resource)


# ----------------------------------------------------------------------------- host functions

class Host:
    """Host functions for the tests: ``apply`` calls back into ML and swallows whatever the
    callback raises (as careless host code does); ``effect`` records that it ran."""

    def __init__(self):
        self.effects: list = []
        self.swallowed: list[str] = []

        @mlpy.host_function
        def apply(fn, *args):
            try:
                return fn(*args)
            except Exception as error:  # noqa: BLE001 - the careless host
                self.swallowed.append(type(error).__name__)
                return "host swallowed it"

        @mlpy.host_function
        def effect(*args):
            self.effects.append(args)
            return "effect"

        @mlpy.host_function(capabilities=["audit.write"])
        def guarded_effect(*args):
            self.effects.append(("guarded",) + args)

        @mlpy.host_function
        def slow():
            time.sleep(0.4)
            return "slow done"

        self.variables = {"apply": apply, "effect": effect, "guarded_effect": guarded_effect,
                          "slow": slow}


@pytest.mark.parametrize("after", [
    'effect("after");',
    'print("REACHED");',
    'x = [1, 2]; x.append(3); effect(x);',
    'function g() { return effect("in g"); } g();',
    'guarded_effect("after");',
    'o = {f: effect}; o.f("stored");',
])
@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_a_limit_swallowed_by_host_code_still_ends_the_execution(limit, after):
    # "limit raised inside a host function called by ML": the ML callback trips the limit,
    # the host function swallows the exception and returns normally. The execution must
    # still end with the limit, and nothing may happen after the trip.
    trigger, options, kind, resource = LIMITS[limit]
    host = Host()
    source = (PRELUDE + "function cb() { " + trigger + " }\n"
              "r = apply(cb);\n" + after)
    result = run(source, host.variables, capabilities=["audit.write"],
                 timeout=options.get("timeout", 5),
                 **{k: v for k, v in options.items() if k != "timeout"})
    assert host.effects == [], f"a side effect ran after the trip: {host.effects}"
    assert REACHED not in (result.stdout or "")
    assert_limit(result, kind, resource)


@pytest.mark.parametrize("after", ['print("REACHED");', 'effect("after");',
                                   'x = slow(); effect(x);'])
def test_a_deadline_passed_inside_a_host_call_is_enforced_when_ml_resumes(after):
    # integration 2.8: a long host call cannot be interrupted, but "the deadline is checked
    # as soon as control returns to ML code".
    host = Host()
    result = run('s = slow();\n' + after, host.variables, timeout=0.2)
    assert host.effects == []
    assert REACHED not in (result.stdout or "")
    assert_limit(result, MLTimeoutError)


def test_cancellation_cannot_be_caught():
    engine = mlpy.Engine()
    host = Host()
    source = ('while (true) { try { while (true) { } } except (e) { effect("caught"); } '
              'finally { continue; } }')
    execution_id = "f" * 32
    timer = threading.Timer(0.2, engine.cancel, args=(execution_id,))
    timer.start()
    try:
        # The time limit only keeps a broken cancel from hanging the test: generous, since
        # a busy machine can keep the timer's thread waiting for seconds.
        result = engine.execute(source, host.variables, execution_id=execution_id, timeout=60,
                                capture_output=True)
    finally:
        timer.cancel()
    assert host.effects == []
    assert_limit(result, MLCancelledError)


def test_the_error_value_of_a_limit_is_never_bound():
    # Even where ML code sees an exception object pass by, it cannot keep the limit in a
    # variable and rethrow or inspect it later.
    result = run(PRELUDE + """
        saved = null;
        function f() { try { deep(0); } except (e) { saved = e; } }
        try { f(); } except (e2) { saved = e2; }
    """)
    assert_limit(result, MLResourceError, "recursion")
    assert result.globals.get("saved") is None


def test_every_later_check_raises_the_same_limit():
    # After the trip, each further operation that checks (a tick, output, a gated call)
    # raises the tripped limit again; the reported error is the first trip.
    host = Host()
    result = run("""
        function cb() { while (true) { } }
        r1 = apply(cb);
        r2 = apply(fn() => 1);
        r3 = apply(fn() => print("REACHED"));
    """, host.variables, max_steps=3000)
    error = assert_limit(result, MLResourceError, "steps")
    assert "3000" in error.message
    assert REACHED not in (result.stdout or "")
