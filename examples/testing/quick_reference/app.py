"""The mlpy API on one page: each function below is one topic of the quick reference.

Every function prints what its ``#>`` comments say, and test_quick_reference.py checks that
it does, so the card cannot go stale. ``python app.py`` runs every topic, then the ML
cheat sheet (cheatsheet.ml).
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import mlpy
from mlpy.aio import (
    AsyncEngine,
    ExecutorStats,
    SessionPool,
    SessionPoolStats,
    async_ml_execute,
)
from mlpy.config import MLConfig
from mlpy.integration.asgi import request_scope
from mlpy.integration.wsgi import capability_middleware, run_in_own_context
from mlpy.testing import assert_ml_result

HERE = Path(__file__).resolve().parent


# [run]
def run() -> None:
    result = mlpy.execute("total = price * qty; result = total > 10;",
                          {"price": 2.5, "qty": 6})
    print(result.ok, result.value, result.globals["total"])
    #> True True 15.0
    failed = mlpy.execute("result = 1 / 0;")
    print(failed.ok, type(failed.error).__name__, failed.error.ml_line)
    #> False MLRuntimeError 1
    print(mlpy.default_engine().timeout)  # the engine of execute, compile and transpile
    #> None
# [/run]


# [compile]
def compile_once() -> None:
    engine = mlpy.Engine(timeout=1.0)
    rule: mlpy.Program = engine.compile("result = qty >= 10 ? price * 0.9 : price;", inputs=["qty", "price"])
    print([engine.execute(rule, {"qty": q, "price": 100}).value for q in (1, 10)])
    #> [100, 90.0]
# [/compile]


# [transpile]
def transpile() -> None:
    shown: mlpy.TranspileResult = mlpy.transpile("result = price - discount;",
                                                 inputs=["price", "discount"])
    print(shown.ok, shown.python_code.strip())
    #> True result = price - discount
    broken = mlpy.transpile("result = ;")
    print(broken.ok, [d.code for d in broken.diagnostics])
    #> False ['MLS001']
# [/transpile]


# [session]
def sessions() -> None:
    engine = mlpy.Engine()
    session = engine.session()
    session.exec("seen = {n: 0}; function bump(k) { seen.n = seen.n + k; return seen.n; }")
    session.call("bump", 2)  # the namespace persists between calls
    bump: mlpy.MLFunction = session.function("bump")
    print(bump(3), session.get("seen"))
    #> 5 {'n': 5}
# [/session]


# [callback]
def callbacks() -> None:
    session = mlpy.Engine().load("function key(order) { return -order.total; }")
    by_total = mlpy.ml_callback(session, "key")
    orders = [{"id": 1, "total": 5}, {"id": 2, "total": 9}]
    print([o["id"] for o in sorted(orders, key=by_total)])
    #> [2, 1]
    safe = mlpy.ml_callback(session, "key", default_return=0)
    print(safe({"total": "n/a"}))  # the ML error is logged, the default returned
    #> 0
# [/callback]


# [host]
def host_functions() -> None:
    @mlpy.host_function
    def rate(currency):
        return {"EUR": 1.0, "USD": 1.25}[currency]

    print(mlpy.execute("result = 100 * rate('USD');", {"rate": rate}).value)
    #> 125.0
# [/host]


# [grants]
def grants() -> None:
    engine = mlpy.Engine(deny=["network.*"], audit=mlpy.AuditLog(redact=True))
    source = "import file; result = file.exists(path);"
    print(engine.execute(source, {"path": "/etc/hostname"}).error.required)  # none granted
    #> file.read
    here = [f"file.read:{HERE}/**"]
    print(engine.execute(source, {"path": str(HERE / "app.py")}, capabilities=here).value)
    #> True
    outside = engine.execute(source, {"path": "/etc/hostname"}, capabilities=here)
    denials = [e["resource"] for e in engine.audit if e["event"] == "deny"]  # uses: sampled
    print(type(outside.error).__name__, denials)
    #> CapabilityError [None, '<redacted>']
    caps = mlpy.CapabilitySet.parse(["file.read:/srv/**"], deny=["file.read:/srv/keys/**"])
    print(caps.allows("file.read", "/srv/a.csv"), caps.allows("file.read", "/srv/keys/k"))
    #> True False
    with mlpy.capability_scope(["console.write"]):  # grants of the code inside
        print(engine.execute("result = getCapabilities();").value)
    #> ['console.write']
# [/grants]


# [limits]
def limits() -> None:
    engine = mlpy.Engine()
    slow = engine.execute("while (true) { }", timeout=0.05)
    print(type(slow.error).__name__, slow.error.code)
    #> MLTimeoutError MLL001
    deep = engine.execute("function f(n) { return f(n + 1); } f(0);", max_depth=50)
    print(type(deep.error).__name__, deep.error.code)
    #> MLResourceError MLL003
    print(isinstance(slow.error, mlpy.MLLimitError), isinstance(deep.error, mlpy.MLLimitError))
    #> True True
# [/limits]


# [errors]
def errors() -> None:
    try:
        mlpy.execute("x = [1];\nresult = x[5];").raise_for_error()
    except mlpy.MLRuntimeError as error:
        print(error.code, error.ml_line, error.message)
        #> MLR001 2 array index out of range
    try:
        mlpy.compile("result = ;")
    except mlpy.MLSyntaxError as error:
        print(error.code, isinstance(error, mlpy.MLCompileError), isinstance(error, mlpy.MLError))
        #> MLS001 True True
    failed = mlpy.execute("result = 1 / 0;").error  # raised while running, not compiling
    print(isinstance(failed, mlpy.MLExecutionError), isinstance(failed, mlpy.MLCompileError))
    #> True False
# [/errors]


# [async]
def async_engine() -> None:
    async def main():
        async with AsyncEngine(max_workers=2) as engine:
            results = await asyncio.gather(*(engine.execute("result = n * n;",
                                                            variables={"n": n}, timeout=1.0)
                                             for n in (2, 3)))
            stats: ExecutorStats = engine.stats()
            return [r.value for r in results if r.success], stats.completed

    print(asyncio.run(main()))
    #> ([4, 9], 2)

    async def one_call():  # on the process-wide default AsyncEngine
        return (await async_ml_execute("result = n + 1;", context={"n": 41}, timeout=1.0)).value

    print(asyncio.run(one_call()))
    #> 42
# [/async]


# [pool]
def session_pool() -> None:
    pool: SessionPool = mlpy.Engine().session_pool(2, setup="rate = 0.2;")
    with pool.acquire_sync(timeout=1.0) as session:
        session.exec("rate = 0.5;")  # one user's change...
    with pool.acquire_sync(timeout=1.0) as session:
        print(session.get("rate"))  # ...is rolled back when the session is given back
    #> 0.2
    stats: SessionPoolStats = pool.stats()
    print(stats.size, stats.in_use, stats.waiters)
    #> 2 0 0
    pool.close()
# [/pool]


# [web]
def web() -> None:
    def wsgi_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [",".join(sorted(mlpy.current_capabilities().names())).encode()]

    app = capability_middleware(wsgi_app, resolver=lambda environ: environ["grants"])
    print(b"".join(app({"grants": ["console.write"]}, lambda status, headers: None)))
    #> b'console.write'
    body = run_in_own_context(wsgi_app, {}, lambda status, headers: None,
                              mlpy.capability_scope(["file.read"]))
    print(b"".join(body), len(mlpy.current_capabilities()))  # the grants stay in the request
    #> b'file.read' 0

    async def endpoint(request):  # request_scope awaits an async resolver
        with await request_scope(lambda r: r["grants"], request):
            return sorted(mlpy.current_capabilities().names())

    print(asyncio.run(endpoint({"grants": ["env.read"]})))
    #> ['env.read']
# [/web]


# [config]
def configuration() -> None:
    config = MLConfig({"runtime": {"timeout": 5}, "security": {"deny": ["file.write"]}})
    engine = mlpy.Engine(config)
    print(engine.timeout, config.explain("runtime.timeout").source)
    #> 5.0 api
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLConfig({"runtime": {"timout": 5}})  # a typo is a warning, never silently ignored
    print(caught[0].category is mlpy.MLConfigWarning, str(caught[0].message).split("; ")[1])
    #> True did you mean 'runtime.timeout'?
# [/config]


# [testing]
def testing() -> None:
    result = assert_ml_result("result = a + b;", 3, variables={"a": 1, "b": 2})
    print(result.value)
    #> 3
    try:
        assert_ml_result("result = a + b;", 4, variables={"a": 1, "b": 2})
    except AssertionError as failure:
        print(failure)
        #> the ML program gave 3, expected 4
# [/testing]


TOPICS = [run, compile_once, transpile, sessions, callbacks, host_functions, grants, limits,
          errors, async_engine, session_pool, web, configuration, testing]


def cheatsheet() -> str:
    """What cheatsheet.ml prints when it runs as one program."""
    result = mlpy.execute((HERE / "cheatsheet.ml").read_text(encoding="utf-8"),
                          filename="cheatsheet.ml", capabilities=["console.write"],
                          capture_output=True)
    result.raise_for_error()
    return result.stdout


if __name__ == "__main__":
    for topic in TOPICS:
        print(f"-- {topic.__name__}")
        topic()
    print("-- cheatsheet.ml")
    print(cheatsheet(), end="")
