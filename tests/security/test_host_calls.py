"""ML functions that leave an execution keep its limits and grants, however the host calls
them: each call is an execution of its own under the engine's limits and the grants the
function was created under (never more, whoever calls it later)."""

from __future__ import annotations

import threading
import time

import pytest

import mlpy

SPIN = "function spin(x) { while (true) { } }"
DEEP = "function deep(n) { if (n == 0) { return 0; } return 1 + deep(n - 1); }"
CHATTY = "function chatty(n) { for (i in range(n)) { print('xxxxxxxxxx'); } return n; }"
HOARD = ("function hoard(n) { a = []; for (i in range(n)) { a.append('x' * 100000 + str(i)); } "
         "return len(a); }")


def _kept(store: list):
    @mlpy.host_function
    def keep(fn):
        store.append(fn)
    return keep


# Every way the host can come to hold an ML function, as (program, extract(result)).
def _from_value(result):
    return result.value


def _from_globals(result):
    return result.globals["f"]


def _from_array(result):
    return result.globals["arr"][1]


def _from_object(result):
    return result.globals["obj"]["handler"]


def _from_closure(result):
    return result.globals["made"]


WAYS = {
    "result value": ("{fn} result = {name};", _from_value),
    "result globals": ("{fn} f = {name};", _from_globals),
    "inside an array": ("{fn} arr = [1, {name}];", _from_array),
    "inside an object": ("{fn} obj = {{handler: {name}}};", _from_object),
    "returned by a function": (
        "{fn} function make() {{ return fn(x) => {name}(x); }} made = make();", _from_closure),
}


@pytest.fixture(params=sorted(WAYS))
def way(request):
    return WAYS[request.param]


def _extract(engine, way, fn, name, **options):
    source, extract = way
    result = engine.execute(source.format(fn=fn, name=name), **options)
    assert result.ok, result.error
    return extract(result)


def _raises(error_type, call, *args, resource=None):
    started = time.monotonic()
    with pytest.raises(error_type) as caught:
        call(*args)
    if resource is not None:
        assert caught.value.resource == resource
    return time.monotonic() - started


def test_timeout_holds_on_every_way_out(way):
    f = _extract(mlpy.Engine(timeout=0.2), way, SPIN, "spin")
    elapsed = _raises(mlpy.MLTimeoutError, f, 1)
    assert elapsed < 30  # it ends: before the fix the call never returned


def test_max_steps_holds_on_every_way_out(way):
    f = _extract(mlpy.Engine(max_steps=5_000), way, SPIN, "spin")
    _raises(mlpy.MLResourceError, f, 1, resource="steps")


def test_max_depth_holds_on_every_way_out(way):
    f = _extract(mlpy.Engine(max_depth=50), way, DEEP, "deep")
    assert f(40) == 40
    _raises(mlpy.MLResourceError, f, 60, resource="recursion")


def test_max_output_holds_on_every_way_out(way):
    f = _extract(mlpy.Engine(max_output=100), way, CHATTY, "chatty", capture_output=True)
    assert f(5) == 5
    _raises(mlpy.MLResourceError, f, 50, resource="output")


def test_max_memory_holds_on_every_way_out(way):
    f = _extract(mlpy.Engine(max_memory=2_000_000), way, HOARD, "hoard")
    assert f(10) == 10
    _raises(mlpy.MLResourceError, f, 200, resource="memory")


def test_execute_timeout_of_the_one_line_api_holds_on_later_calls():
    f = mlpy.execute(f"{SPIN} result = spin;", timeout=0.2).value
    _raises(mlpy.MLTimeoutError, f, 1)


def test_each_call_has_its_own_deadline():
    engine = mlpy.Engine(timeout=0.5)
    f = engine.execute("function work(n) { s = 0; for (i in range(n)) { s = s + i; } "
                       "return s; } result = work;").value
    for _ in range(3):  # calls long after the execution ended still get their full time
        time.sleep(0.2)
        assert f(1000) == 499500


def test_a_limit_trips_again_on_every_call_and_lets_short_calls_through():
    engine = mlpy.Engine(timeout=0.2)
    result = engine.execute(f"{SPIN} function one(x) {{ return x + 1; }} "
                            "pair = [spin, one];")
    spin, one = result.globals["pair"]
    for _ in range(3):
        _raises(mlpy.MLTimeoutError, spin, 1)
        assert one(1) == 2


def test_a_kept_callback_called_later_from_another_thread_keeps_its_limits():
    store: list = []
    engine = mlpy.Engine(timeout=0.2)
    result = engine.execute(f"{SPIN} keep(spin);", {"keep": _kept(store)})
    assert result.ok, result.error
    outcome = {}

    def call():
        try:
            store[0](1)
        except mlpy.MLError as error:
            outcome["error"] = error

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert isinstance(outcome["error"], mlpy.MLTimeoutError)


def test_a_callback_a_host_function_calls_at_once_is_part_of_the_execution():
    @mlpy.host_function
    def twice(fn, x):
        return fn(fn(x))

    result = mlpy.Engine(timeout=0.3).execute(
        f"{SPIN} function inc(x) {{ return x + 1; }} a = twice(inc, 1); b = twice(spin, 1);",
        {"twice": twice})
    assert isinstance(result.error, mlpy.MLTimeoutError)
    assert result.globals["a"] == 3


def test_session_functions_get_the_engine_limits():
    session = mlpy.Engine(timeout=0.2).session()
    session.exec(SPIN)
    _raises(mlpy.MLTimeoutError, session.function("spin"), 1)
    _raises(mlpy.MLTimeoutError, session.get("spin"), 1)
    _raises(mlpy.MLTimeoutError, session.call, "spin", 1)


@pytest.mark.parametrize("limit", [50, 500])
def test_max_depth_is_the_same_on_every_path(limit):
    engine = mlpy.Engine(max_depth=limit)
    session = engine.session()
    session.exec(DEEP)
    paths = {
        "execute": lambda n: engine.execute(f"{DEEP} result = deep({n});").unwrap(),
        "session function": session.function("deep"),
        "early-bound function": session.function("deep", bind="early"),
        "session value": session.get("deep"),
        "result value": engine.execute(f"{DEEP} result = deep;").value,
        "raw function": engine.execute(f"{DEEP} arr = [deep];").globals["arr"][0],
    }
    for name, call in paths.items():
        assert call(limit) == limit, name
        with pytest.raises(mlpy.MLResourceError) as caught:
            call(limit + 1)
        assert caught.value.resource == "recursion", name


def test_default_depth_limit_holds_on_the_session_fast_path():
    session = mlpy.Engine().session()
    session.exec(DEEP)
    with pytest.raises(mlpy.MLResourceError):
        session.function("deep")(2000)  # returned 2000 before


# ----------------------------------------------------------------------------- grants


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOPSECRET", encoding="utf-8")
    return path


READER = "import file; function reader(p) { return file.read(p); }"


def _keeper():
    """A store, the host function an ML program hands its callback to, and the host function
    a later program calls it through."""
    store: list = []

    @mlpy.host_function
    def run_kept(path):
        return store[0](path)

    return store, _kept(store), run_kept


def test_a_kept_callback_never_gets_the_grants_of_a_later_caller(secret):
    store, keep, run_kept = _keeper()
    engine = mlpy.Engine()
    assert engine.execute(f"{READER} keep(reader);", {"keep": keep}).ok
    later = engine.execute("result = run_kept(path);", {"run_kept": run_kept,
                                                         "path": str(secret)},
                           capabilities=[f"file.read:{secret.parent}/**"])
    assert isinstance(later.error, mlpy.CapabilityError)
    assert "TOPSECRET" not in repr(later)
    with pytest.raises(mlpy.CapabilityError):  # nor when the host calls it
        store[0](str(secret))


def test_a_kept_callback_keeps_the_grants_it_was_created_under(secret):
    store, keep, run_kept = _keeper()
    engine = mlpy.Engine()
    grants = [f"file.read:{secret.parent}/**"]
    assert engine.execute(f"{READER} keep(reader);", {"keep": keep},
                          capabilities=grants).ok
    assert store[0](str(secret)) == "TOPSECRET"
    # called while an ungranted execution runs, it gets what both allow: nothing
    later = engine.execute("result = run_kept(path);",
                           {"run_kept": run_kept, "path": str(secret)})
    assert isinstance(later.error, mlpy.CapabilityError)


def test_a_function_of_an_ungranted_execution_passed_into_a_granted_one_stays_ungranted(
        secret):
    engine = mlpy.Engine()
    reader = engine.execute(f"{READER} arr = [reader];").globals["arr"][0]
    result = engine.execute("result = f(path);", {"f": mlpy.host_function(reader),
                                                  "path": str(secret)},
                            capabilities=[f"file.read:{secret.parent}/**"])
    assert isinstance(result.error, mlpy.CapabilityError)


def test_has_capability_answers_for_the_function_asking(secret):
    store: list = []

    @mlpy.host_function
    def ask_kept():
        return store[0]()

    engine = mlpy.Engine()
    assert engine.execute("function ask() { return hasCapability('file.read'); } keep(ask);",
                          {"keep": _kept(store)}).ok
    result = engine.execute("result = [hasCapability('file.read'), ask_kept()];",
                            {"ask_kept": ask_kept}, capabilities=["file.read"])
    assert result.value == [True, False]


def test_session_revoke_applies_to_raw_functions_the_host_holds(secret):
    session = mlpy.Engine().session(capabilities=[f"file.read:{secret.parent}/**"])
    session.exec(READER)
    reader = session.get("reader")
    assert reader(str(secret)) == "TOPSECRET"
    session.revoke("file.read")
    with pytest.raises(mlpy.CapabilityError):
        reader(str(secret))


# ----------------------------------------------------------------------------- errors


def test_a_raw_function_the_host_calls_fails_with_ml_errors():
    result = mlpy.execute("function half(x) { return x / 2; } "
                          "function first(a) { return a[0]; } arr = [half, first];")
    half, first = result.globals["arr"]
    with pytest.raises(mlpy.MLRuntimeError) as caught:
        half("text")  # fails in the function's first statements, before any step
    assert caught.value.ml_line == 1
    with pytest.raises(mlpy.MLRuntimeError):
        first([])
    with pytest.raises(TypeError):  # Python's own arity check, before any ML code runs
        half(1, 2)


def test_pure_leading_statements_run_once_per_call():
    result = mlpy.execute("count = {n: 0}; function f(o) { o.n = o.n + 1; return o.n; } "
                          "g = f;")
    f, count = result.globals["g"], result.globals["count"]
    assert f(count) == 1
    assert f(count) == 2  # the assignment to a member is not run twice on entry


def test_host_objects_passed_to_a_raw_function_arrive_as_opaque_handles():
    class Secret:
        password = "hunter2"

    f = mlpy.execute("function peek(o) { return o.password; } arr = [peek];").globals["arr"][0]
    with pytest.raises(mlpy.MLError):
        f(Secret())
