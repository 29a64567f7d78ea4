"""``mlpy bench FILE`` (also ``mlpy integration benchmark FILE``): how long a program takes.

The program is compiled once; ``--warmup`` executions run first and are not counted, then
``--iterations`` executions are timed one by one, ``--concurrency`` at a time:

* ``inprocess`` -- :meth:`mlpy.Engine.execute` of the compiled program, from that many
  threads;
* ``async`` -- :class:`mlpy.aio.AsyncEngine` with that many workers, awaited from one event
  loop;
* ``sandbox`` -- the engine's ``isolation="subprocess"``, a pool of that many worker
  processes.

The report gives p50, p95, p99, mean, min and max latency in milliseconds and the
throughput. The program's output is captured, not printed. Exit 0 when every execution
succeeded, else the exit code of the first failure.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import click

from mlpy.cli.options import PathOptions, allow_option, check_capabilities, module_path_options
from mlpy.cli.options import read_source
from mlpy.cli.output import EXIT_OK, diagnostics_exit_code, emit_json, exit_code, report

MODES = ("inprocess", "async", "sandbox")


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    """Latency statistics in milliseconds (``latencies`` in seconds) and executions/s."""
    ms = sorted(value * 1000.0 for value in latencies)
    if len(ms) > 1:
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        p50, p95, p99 = cuts[49], cuts[94], cuts[98]
    else:
        p50 = p95 = p99 = ms[0]
    return {"p50_ms": round(p50, 4), "p95_ms": round(p95, 4), "p99_ms": round(p99, 4),
            "mean_ms": round(statistics.fmean(ms), 4), "min_ms": round(ms[0], 4),
            "max_ms": round(ms[-1], 4),
            "stdev_ms": round(statistics.stdev(ms), 4) if len(ms) > 1 else 0.0,
            "throughput_per_s": round(len(ms) / wall, 2) if wall > 0 else 0.0}


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    error = run()
    return time.perf_counter() - start, error


def threaded(run: Callable[[], Any], warmup: int, iterations: int,
             concurrency: int) -> tuple[list[tuple[float, Any]], float]:
    """(latency, error) for each counted execution, and the wall time they took."""
    for _ in range(warmup):
        run()
    start = time.perf_counter()
    if concurrency == 1:
        outcomes = [timed(run) for _ in range(iterations)]
    else:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="mlpy-bench") as pool:
            outcomes = list(pool.map(lambda _: timed(run), range(iterations)))
    return outcomes, time.perf_counter() - start


def on_async_engine(engine: Any, program: Any, warmup: int, iterations: int,
                    concurrency: int) -> tuple[list[tuple[float, Any]], float]:
    import asyncio

    from mlpy.aio import AsyncEngine

    async def measure() -> tuple[list[tuple[float, Any]], float]:
        async with AsyncEngine(engine, max_workers=concurrency,
                               max_pending=None, default_timeout=None) as runner:
            async def one() -> tuple[float, Any]:
                begun = time.perf_counter()
                result = await runner.execute(program, capture_output=True)
                return time.perf_counter() - begun, result.error_info

            for _ in range(warmup):
                await one()
            limit = asyncio.Semaphore(concurrency)

            async def bounded() -> tuple[float, Any]:
                async with limit:
                    return await one()

            start = time.perf_counter()
            outcomes = await asyncio.gather(*(bounded() for _ in range(iterations)))
            return list(outcomes), time.perf_counter() - start

    return asyncio.run(measure())


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--iterations", type=click.IntRange(min=1), default=100, show_default=True,
              help="Timed executions.")
@click.option("--warmup", type=click.IntRange(min=0), default=10, show_default=True,
              help="Executions before timing starts.")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Executions at a time (threads, async workers or worker processes).")
@click.option("--mode", type=click.Choice(MODES), default="inprocess", show_default=True,
              help="Where the program runs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@allow_option("Grant a capability to every execution (repeatable).")
@module_path_options
def bench(file: str, iterations: int, warmup: int, concurrency: int, mode: str,
          as_json: bool, allow: tuple[str, ...], paths: PathOptions) -> None:
    """Time the ML program FILE: p50/p95/p99, mean, min and max latency."""
    import mlpy
    from mlpy.errors import MLCompileError, MLError

    check_capabilities("--allow", allow)
    source = read_source(file)
    registry = paths.registry(Path(file).parent)
    sandbox = None
    if mode == "sandbox":
        from mlpy.sandbox import SandboxConfig
        sandbox = SandboxConfig(pool_size=concurrency)
    try:
        engine = mlpy.Engine(capabilities=allow, registry=registry, sandbox=sandbox,
                             isolation="subprocess" if mode == "sandbox" else "inprocess")
        program = engine.compile(source, filename=file)
    except MLCompileError as error:
        report(error)
        sys.exit(diagnostics_exit_code(error.diagnostics))
    except MLError as error:
        raise click.UsageError(error.message) from None
    try:
        if mode == "async":
            outcomes, wall = on_async_engine(engine, program, warmup, iterations, concurrency)
        else:
            target = source if mode == "sandbox" else program

            def run() -> Any:
                return engine.execute(target, filename=file, capture_output=True).error

            outcomes, wall = threaded(run, warmup, iterations, concurrency)
    finally:
        engine.close()
    errors = [error for _, error in outcomes if error is not None]
    document = {"file": file, "mode": mode, "iterations": iterations, "warmup": warmup,
                "concurrency": concurrency, "successes": len(outcomes) - len(errors),
                "failures": len(errors), "total_s": round(wall, 6),
                **summary([latency for latency, _ in outcomes], wall),
                "first_error": errors[0].to_dict() if errors else None}
    if as_json:
        emit_json(document)
    else:
        click.echo(f"{file}: {iterations} runs ({mode}, concurrency {concurrency}, "
                   f"warmup {warmup}): {document['successes']} ok, "
                   f"{document['failures']} failed")
        for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "min_ms", "max_ms"):
            click.echo(f"  {key[:-3]:<5} {document[key]:10.3f} ms")
        click.echo(f"  throughput {document['throughput_per_s']} executions/s")
        if errors:
            report(errors[0])
    sys.exit(exit_code(errors[0]) if errors else EXIT_OK)
