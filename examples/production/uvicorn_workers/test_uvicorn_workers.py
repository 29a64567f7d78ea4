"""A real uvicorn server with two worker processes, on a free port, driven over HTTP.

The test starts ``python -m uvicorn app:app --workers 2`` as a subprocess, waits until both
workers have compiled their rules, sends real requests with urllib until both workers have
answered, then stops the server with SIGTERM, as a process manager does, and checks that
it shut down cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

HERE = Path(__file__).resolve().parent
DEADLINE = 60  # seconds: a server that is not up by then is broken, not slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {DEADLINE} s"
        time.sleep(0.1)


@pytest.fixture
def server(tmp_path):
    """The base URL of a running two-worker server, and its log file."""
    port = free_port()
    log = tmp_path / "uvicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            cwd=HERE, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: log.read_text().count("compiled 2 rules") == 2 or
                 process.poll() is not None, "both workers compile their rules")
        assert process.poll() is None, log.read_text()
        yield process, f"http://127.0.0.1:{port}", log
    finally:
        if process.poll() is None:  # the test failed before stopping it: end the group
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=DEADLINE)


def test_two_workers_each_serve_with_an_engine_of_their_own(server):
    process, url, log = server
    # Each worker compiled the rules itself, at start, before serving.
    started = [line for line in log.read_text().splitlines() if "compiled 2 rules" in line]
    assert len({line.split()[2] for line in started}) == 2

    workers = set()
    for _ in range(200):  # new connections, until both processes have answered
        status, answer = post(f"{url}/score/acme", {"visits": 12, "requested_demo": True})
        assert (status, answer["score"]) == (200, 54)
        workers.add(answer["worker"])
        if len(workers) == 2:
            break
    assert len(workers) == 2, "one worker answered 200 requests in a row"
    assert post(f"{url}/score/globex", {"visits": 80})[1]["score"] == 50
    assert post(f"{url}/score/initech", {"visits": 1})[0] == 404
    bad = post(f"{url}/score/acme", {"visits": "many"})
    assert bad[0] == 400 and bad[1]["code"] == "MLR001"

    process.send_signal(signal.SIGTERM)  # what a process manager sends: a clean shutdown
    assert process.wait(timeout=DEADLINE) == 0
    assert log.read_text().count("Application shutdown complete.") == 2
