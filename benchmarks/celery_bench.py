#!/usr/bin/env python
"""Throughput of ML tasks on Celery workers against the same ML run in one process.

Usage::

    python benchmarks/celery_bench.py [--quick] [--runs N] [--workers N] [--json out.json]

Needs Debian's ``redis-server`` and the ``celery[redis]`` package. The benchmark starts its
own Redis on a free loopback port and ``--workers`` (default 2) ``celery worker -P solo``
processes running this file's app, then for each workload:

1. **In one process**: ``Engine.execute`` of the task's compiled program, once per task,
   in a loop (no broker): tasks/s.
2. **On the workers**: the same number of tasks sent with ``delay`` and all results
   collected (``mlpy.integration.celery.ml_task``, JSON over Redis, ``acks_late``): tasks/s,
   and the ratio to (1).
3. **Round trip**: one light task at a time, from ``delay`` to its result: p50 and p95 in
   milliseconds.

Workloads: ``light`` (a few arithmetic steps: the broker's round trip dominates) and
``heavy`` (a loop of 20,000 steps, a few milliseconds: the work dominates and two workers
use two cores). Each is measured ``--runs`` times (default 3); the numbers are the range
and the median. Reported, never enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import mlpy
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(HERE.parent))
    import mlpy

import redis
from celery import Celery

from mlpy.integration.celery import ml_task

URL = os.environ.get("MLPY_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
app = Celery("mlpy_bench", broker=f"{URL}/0", backend=f"{URL}/1")
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                worker_prefetch_multiplier=4, worker_hijack_root_logger=False,
                broker_transport_options={"visibility_timeout": 60})

RULES = """
function score(order, rounds) {
    total = 0;
    i = 0;
    while (i < rounds) { total = total + (order.qty * order.price + i) % 7; i = i + 1; }
    return {id: order.id, score: total};
}
"""
score = ml_task(app, RULES, function="score", name="bench.score", arity=2)
WORKLOADS = {"light": 5, "heavy": 20_000}  # loop rounds per task


def in_one_process(count: int, rounds: int) -> float:
    """Tasks/s of the same program run by one engine in this process."""
    engine = mlpy.Engine()
    wrapped = RULES + "\nresult = score(task_arg_0, task_arg_1);\n"
    program = engine.compile(wrapped, inputs=["task_arg_0", "task_arg_1"])
    start = time.perf_counter()
    for i in range(count):
        result = engine.execute(program, {"task_arg_0": _order(i), "task_arg_1": rounds},
                                capabilities=[], capture_output=True)
        assert result.ok, result.error
    return count / (time.perf_counter() - start)


def on_workers(count: int, rounds: int) -> float:
    """Tasks/s of ``count`` tasks sent at once and all collected."""
    start = time.perf_counter()
    pending = [score.delay(_order(i), rounds) for i in range(count)]
    for task in pending:
        data = task.get(timeout=300)
        assert data["ok"], data["error"]
    return count / (time.perf_counter() - start)


def round_trips(count: int) -> list[float]:
    """Milliseconds from ``delay`` to the result, one light task at a time."""
    times = []
    for i in range(count):
        start = time.perf_counter()
        data = score.delay(_order(i), WORKLOADS["light"]).get(timeout=60)
        times.append((time.perf_counter() - start) * 1000)
        assert data["ok"], data["error"]
    return times


def _order(i: int) -> dict:
    return {"id": i, "qty": i % 5 + 1, "price": 2.5}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(workers: int, directory: str) -> list[subprocess.Popen]:
    port = _free_port()
    url = f"redis://127.0.0.1:{port}"
    redis_server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    app.conf.broker_url, app.conf.result_backend = f"{url}/0", f"{url}/1"
    env = {**os.environ, "MLPY_BENCH_REDIS_URL": url,
           "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    processes = [redis_server]
    deadline = time.monotonic() + 60
    client = redis.Redis(host="127.0.0.1", port=port)
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:  # not up yet
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start within 60 s") from None
            time.sleep(0.1)
    for i in range(workers):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_bench", "worker", "-P", "solo",
             "-n", f"bench{i}@%h", "--without-gossip", "--without-mingle", "-l", "warning"],
            cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    while len(app.control.ping(timeout=0.5) or []) < workers:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start within 60 s")
    return processes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tasks")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    counts = {"light": 200, "heavy": 40} if options.quick else {"light": 1000, "heavy": 200}
    report: dict = {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "workers": options.workers, "workloads": {}}
    with tempfile.TemporaryDirectory() as directory:
        processes = _start(options.workers, directory)
        try:
            on_workers(20, 5)  # warm-up: connections, result subscriptions
            for name, rounds in WORKLOADS.items():
                local, remote = [], []
                for _ in range(options.runs):
                    local.append(in_one_process(counts[name], rounds))
                    remote.append(on_workers(counts[name], rounds))
                ratios = [r / l for r, l in zip(remote, local)]
                report["workloads"][name] = {"tasks": counts[name], "rounds": rounds,
                                             "in_process": local, "workers": remote,
                                             "ratio": ratios}
                print(f"{name:5} ({counts[name]} tasks, {rounds} steps each): "
                      f"one process {_range(local)} tasks/s; {options.workers} workers "
                      f"{_range(remote)} tasks/s; ratio {_range(ratios, 2)}")
            latency = round_trips(counts["light"] // 5)
            cuts = statistics.quantiles(latency, n=20)
            report["round_trip_ms"] = {"p50": statistics.median(latency), "p95": cuts[18]}
            print(f"one light task at a time: round trip p50 {statistics.median(latency):.2f} "
                  f"ms, p95 {cuts[18]:.2f} ms ({len(latency)} tasks)")
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


def _range(values: list[float], digits: int = 0) -> str:
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{low:.{digits}f}-{high:.{digits}f} (median {mid:.{digits}f})"


if __name__ == "__main__":
    sys.exit(main())
