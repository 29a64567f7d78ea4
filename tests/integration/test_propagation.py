"""A request's grants on every path its work takes (spec §5.6), and nowhere else."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import mlpy
from mlpy.aio import AsyncEngine


@mlpy.host_function
def granted() -> str:
    return ",".join(sorted(str(c) for c in mlpy.current_capabilities()))


def test_a_thousand_concurrent_requests_on_three_paths_each_see_only_their_grant():
    """Attacker-style: each request holds one distinct grant and reaches ML three ways --
    an execution, a "caller" callback awaited on a worker, and a callback submitted from a
    thread of the request's own -- all at once; none ever sees another request's grant."""
    session = mlpy.Engine().session(variables={"granted": granted})
    session.exec("function report() { return granted(); }")
    report = mlpy.ml_callback(session, "report", capabilities="caller")

    async def request(engine, i):
        async with mlpy.capability_scope([f"env.read:VAR{i}"]):
            await asyncio.sleep(0)
            if i % 3 == 0:
                return (await engine.execute("result = granted();",
                                             variables={"granted": granted})).value
            if i % 3 == 1:
                return await engine.run_call(report)
            return await asyncio.wrap_future(engine.submit_call(report))

    async def main():
        async with AsyncEngine(max_workers=4, max_pending=None) as engine:
            return await asyncio.gather(*(request(engine, i) for i in range(1000)))

    assert asyncio.run(main()) == [f"env.read:VAR{i}" for i in range(1000)]


def test_a_host_thread_without_a_scope_has_no_grants():
    seen = {}

    def worker():
        seen["plain"] = str(mlpy.current_capabilities())

    with mlpy.capability_scope(["env.read:HOME"]):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a host pool copies nothing
            seen["pool"] = pool.submit(lambda: str(mlpy.current_capabilities())).result()
    assert seen == {"plain": str(mlpy.current_capabilities()),
                    "pool": str(mlpy.current_capabilities())}
    assert not mlpy.current_capabilities()


def test_the_toolkit_carries_the_scope_into_its_workers_and_drops_it_after():
    async def main():
        async with AsyncEngine(max_workers=1) as engine:
            async with mlpy.capability_scope(["env.read:HOME"]):
                inside = await engine.execute("result = granted();",
                                              variables={"granted": granted})
            outside = await engine.execute("result = granted();",
                                           variables={"granted": granted})
            return inside.value, outside.value

    inside, outside = asyncio.run(main())
    assert inside == "env.read:HOME"
    assert "env.read" not in outside  # the same worker thread keeps nothing of the last job


def test_an_ml_function_returned_to_python_keeps_the_grants_of_its_execution():
    result = mlpy.Engine().execute("function report() { return granted(); } result = report;",
                                   {"granted": granted}, capabilities=["env.read:HOME"])
    report = result.value
    with mlpy.capability_scope(["env.read:PATH"]):
        assert report() == "env.read:HOME"
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("v", report()))
    thread.start()
    thread.join()
    assert out["v"] == "env.read:HOME"  # from a thread with no scope, too


def test_an_ml_function_returned_to_python_keeps_the_limits_of_its_execution_on_any_thread():
    result = mlpy.Engine().execute("function spin() { while (true) {} } result = spin;",
                                   timeout=0.3)
    spin = result.value
    outcomes = []

    def call():
        try:
            spin()
        except mlpy.MLTimeoutError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 3  # every thread's call stopped at the execution's time limit
