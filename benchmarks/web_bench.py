#!/usr/bin/env python
"""What the web helpers cost per request.

Usage::

    python benchmarks/web_bench.py [--requests N]

1. **ASGI.** A trivial ASGI application is called directly, and through
   ``CapabilityMiddleware`` with a resolver that reads a header and grants one capability:
   the difference is what the middleware adds to a request (resolving, entering and
   leaving the scope). Once with the grant spelled as a string, which is parsed for every
   request, once with a ``CapabilitySet`` the resolver built once.
2. **WSGI.** The same for ``capability_middleware`` around a trivial WSGI application,
   including reading its one-chunk body and closing it.
3. **Grants in use.** ``Engine.execute`` of a cached trivial program under the request's
   grants (``capabilities=current_capabilities()``), inside and outside a scope.

Prints p50 and p95 in microseconds. Like ``run.py``, this reports and never fails because a
machine is slow.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

from mlpy.capabilities import capability_scope, current_capabilities  # noqa: E402
from mlpy.integration.asgi import CapabilityMiddleware  # noqa: E402
from mlpy.integration.wsgi import capability_middleware  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered) * 1e6, ordered[int(len(ordered) * 0.95)] * 1e6)


def timed(run: Callable[[], object], count: int) -> list[float]:
    for _ in range(min(count, 200)):  # warm-up
        run()
    samples = []
    gc.disable()
    try:
        for _ in range(count):
            start = time.perf_counter()
            run()
            samples.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return samples


def timed_async(run: Callable[[], object], count: int) -> list[float]:
    async def main() -> list[float]:
        for _ in range(min(count, 200)):
            await run()
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            await run()
            samples.append(time.perf_counter() - start)
        return samples

    return asyncio.run(main())


PREBUILT = mlpy.CapabilitySet.parse(["orders.read"])


def grants(headers: list[tuple[bytes, bytes]] | dict) -> list[str] | None:
    """A resolver that spells its grant as a string, parsed for every request."""
    return ["orders.read"] if headers else None


def prebuilt(headers: list[tuple[bytes, bytes]] | dict) -> mlpy.CapabilitySet | None:
    """A resolver that hands out a set built once."""
    return PREBUILT if headers else None


def report(name: str, plain: list[float], wrapped: list[float]) -> None:
    p50, p95 = percentiles(plain)
    w50, w95 = percentiles(wrapped)
    print(f"{name:<32} plain p50 {p50:7.1f} µs  p95 {p95:7.1f} µs | "
          f"wrapped p50 {w50:7.1f} µs  p95 {w95:7.1f} µs | added p50 {w50 - p50:6.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    count = parser.parse_args().requests

    async def asgi_app(scope, receive, send):
        current_capabilities()

    async def send(message):
        pass

    scope = {"type": "http", "path": "/", "headers": [(b"x-key", b"k")]}
    plain = timed_async(lambda: asgi_app(scope, None, send), count)
    for name, resolver in (("strings", grants), ("prebuilt set", prebuilt)):
        middleware = CapabilityMiddleware(asgi_app, lambda s, r=resolver: r(s["headers"]))
        report(f"ASGI middleware, {name}", plain,
               timed_async(lambda: middleware(scope, None, send), count))

    def wsgi_app(environ, start_response):
        start_response("200 OK", [])
        return [b"ok"]

    def request(app):
        body = app({"HTTP_X_KEY": "k"}, lambda status, headers: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    plain = timed(lambda: request(wsgi_app), count)
    for name, resolver in (("strings", grants), ("prebuilt set", prebuilt)):
        wrapped = capability_middleware(wsgi_app, lambda environ, r=resolver: r({"k": 1}))
        report(f"WSGI middleware, {name}", plain, timed(lambda: request(wrapped), count))

    engine = mlpy.Engine()
    program = engine.compile("result = 1 + 1;")

    def execute():
        engine.execute(program, capabilities=current_capabilities())

    def in_scope():
        with capability_scope(PREBUILT):
            execute()

    report("execute under request grants", timed(execute, count // 4),
           timed(in_scope, count // 4))


if __name__ == "__main__":
    main()
