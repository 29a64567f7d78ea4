"""Helpers for the security suite: run attack programs and check that they were refused.

Every attack program is real ML. Most of them print the sentinel :data:`REACHED` right after
the step that must be refused, so "the attack got through" is visible in the output even when
a refusal is reported for some later, unrelated reason.

* :func:`run` executes a program with a fresh :class:`mlpy.Engine` and captured output.
* :func:`assert_blocked` accepts a compile-time refusal (``MLCompileError`` and subclasses) or
  a run-time one (``SecurityError``, ``CapabilityError``, a limit), optionally of given
  classes and with a message fragment, and never a run that completed or printed REACHED.
* :func:`run_isolated` runs programs that could hang, exhaust memory or crash the interpreter
  in child processes with a memory rlimit and a kill when a case computes too long, all
  cases of a module at once, so a bug shows up as a failed test instead of a stuck or dead
  test session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

import mlpy
from mlpy import (
    CapabilityError,
    ExecutionResult,
    MLCompileError,
    MLError,
    MLLimitError,
    MLResourceError,
    SecurityError,
)

REACHED = "REACHED"

# What "refused" means when a test does not name the classes itself.
BLOCKING: tuple[type[MLError], ...] = (MLCompileError, SecurityError, CapabilityError,
                                       MLLimitError)

ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("_child.py")


def run(source: str, variables: Mapping[str, Any] | None = None, *,
        engine: mlpy.Engine | None = None, **options: Any) -> ExecutionResult:
    """Run ``source`` with captured output (a fresh Engine unless one is given)."""
    options.setdefault("capture_output", True)
    engine = engine or mlpy.Engine()
    return engine.execute(source, variables, **options)


def compile_error(source: str, **options: Any) -> MLCompileError:
    """The MLCompileError ``source`` is refused with (fails the test if it compiles)."""
    try:
        mlpy.Engine().compile(source, **options)
    except MLCompileError as error:
        return error
    pytest.fail(f"the program compiled, but it must be refused:\n{source}")


def assert_blocked(outcome: ExecutionResult | BaseException, *kinds: type[BaseException],
                   match: str | None = None, code: str | None = None,
                   reached: str = REACHED) -> MLError:
    """Check that ``outcome`` is a refusal and return the error.

    ``outcome`` is an ExecutionResult or the exception raised by compiling. ``kinds`` are the
    accepted error classes (default :data:`BLOCKING`), ``match`` a regex searched in the
    message, ``code`` the exact error code. A run that completed, or whose output contains
    ``reached``, fails the test.
    """
    kinds = kinds or BLOCKING
    if isinstance(outcome, ExecutionResult):
        stdout = outcome.stdout or ""
        assert reached not in stdout, (
            f"the attack reached its target (output {stdout[:300]!r}); error: {outcome.error!r}")
        assert not outcome.ok, (
            f"the attack ran to completion: value={outcome.value!r}, output={stdout[:300]!r}")
        error = outcome.error
    else:
        error = outcome
    assert isinstance(error, MLError), f"not an MLError: {error!r}"
    assert isinstance(error, kinds), (
        f"expected {' or '.join(k.__name__ for k in kinds)}, got "
        f"{type(error).__name__}: {error.message}")
    assert_clean_error(error)
    if match is not None:
        assert re.search(match, error.message), (
            f"message {error.message!r} does not match {match!r}")
    if code is not None:
        assert error.code == code, f"code {error.code!r}, expected {code!r} ({error.message})"
    return error


def assert_clean_error(error: BaseException | None) -> None:
    """An error a host may show to a user: an MLError whose text is not a Python traceback."""
    if error is None:
        return
    assert isinstance(error, MLError), f"not an MLError: {type(error).__name__}: {error}"
    text = str(error)
    assert "Traceback (most recent call last)" not in text, text
    assert not re.search(r"mlpy[/\\](runtime|language|stdlib)[/\\]\w+\.py", text), text


def assert_limit(result: ExecutionResult, kind: type[MLLimitError] = MLLimitError,
                 resource: str | Iterable[str] | None = None) -> MLLimitError:
    """The execution ended with the limit ``kind`` (and, for MLResourceError, ``resource``)."""
    assert not result.ok, f"no limit was reported; output {(result.stdout or '')[:200]!r}"
    error = result.error
    assert isinstance(error, kind), (
        f"expected {kind.__name__}, got {type(error).__name__}: {error.message}")
    if resource is not None:
        wanted = {resource} if isinstance(resource, str) else set(resource)
        assert isinstance(error, MLResourceError) and error.resource in wanted, (
            f"resource {getattr(error, 'resource', None)!r}, expected one of {sorted(wanted)}")
    assert_clean_error(error)
    return error


def assert_healthy() -> None:
    """The host can still run ML programs normally."""
    result = mlpy.Engine().execute("function f(n) { return n < 2 ? n : f(n - 1) + f(n - 2); }"
                                   " result = f(15);", timeout=5)
    assert result.ok and result.value == 610, result.error


# ----------------------------------------------------------------------------- isolation


def run_isolated(cases: Mapping[str, Mapping[str, Any]], *, wall: float = 5.0,
                 memory: int = 1 << 30, parallel: int = 3) -> dict[str, dict[str, Any]]:
    """Run the cases in child processes, ``parallel`` children at a time; a report per case.

    A case is ``{"src": ML source, "options": execute() keywords, "engine": Engine()
    keywords, "after": "to_dict", "group": name}`` (all but ``src`` optional). Cases of one
    ``group`` run one after the other in the same child (for cheap cases that are expected to
    end at once); any other case gets a child of its own. Each child limits its address space
    to ``memory`` bytes and its CPU time, and is killed when one case has used ``wall``
    seconds of CPU (or, blocked rather than computing, stood still for ``WALL_BACKSTOP``
    times as long on the clock): CPU time, so a busy machine does not pass for a hang. A
    report has ``status`` ("done", "hung", "crashed" or "not run"), ``seconds`` (of CPU
    when done, on the clock when hung) and, when done, ``wall_seconds``, ``ok``,
    ``error_type``, ``resource``, ``message``, ``stdout_len``, ``stdout_head``,
    ``stdout_tail``, ``healthy`` (the child ran another program correctly afterwards) and
    the ``after`` outcome.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    batches: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for name, case in cases.items():
        batches.setdefault(case.get("group") or f"case:{name}", []).append((name, case))
    pending = list(batches.values())
    running: list[list[Any]] = []
    reports: dict[str, dict[str, Any]] = {}

    def collect(batch, process, out, err, started, killed):
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        out.close()
        err.close()
        for line in stdout.splitlines():
            if line.startswith("@@RESULT@@"):
                report = json.loads(line[len("@@RESULT@@"):])
                report["status"] = "done"
                reports[report.pop("name")] = report
        elapsed = time.monotonic() - started
        stuck = None
        for name, _ in batch:
            if name in reports:
                continue
            if stuck is None:
                stuck = name
                if killed:
                    reports[name] = {"status": "hung", "seconds": elapsed}
                else:
                    reports[name] = {"status": "crashed", "returncode": process.returncode,
                                     "stderr": stderr[-2000:], "seconds": elapsed}
            else:
                reports[name] = {"status": "not run", "seconds": 0.0,
                                 "stderr": f"an earlier case of its group ({stuck}) did not end"}

    try:
        while pending or running:
            while pending and len(running) < parallel:
                batch = pending.pop(0)
                # closed in collect() or in the finally clause below
                out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
                process = subprocess.Popen([sys.executable, str(CHILD)], stdin=subprocess.PIPE,
                                           stdout=out, stderr=err, env=env, cwd=str(ROOT))
                payload = {"memory": memory, "cpu": int(wall * len(batch)) + 2,
                           "cases": [{"name": name, **case} for name, case in batch]}
                process.stdin.write(json.dumps(payload).encode())
                process.stdin.close()
                now = time.monotonic()
                running.append([batch, process, out, err, now, (now, 0.0), 0])
            time.sleep(0.02)
            for entry in list(running):
                batch, process, out, err, started, progress, done = entry
                if process.poll() is None:
                    out.seek(0)
                    count = out.read().count(b"@@RESULT@@")
                    if count > done:  # a case ended: the next one gets its own allowance
                        entry[5], entry[6] = (time.monotonic(), _cpu_seconds(process.pid)), count
                        continue
                    if not _stuck(process.pid, progress, wall):
                        continue
                running.remove(entry)
                killed = process.poll() is None
                if killed:
                    process.kill()
                process.wait()
                collect(batch, process, out, err, started, killed)
    finally:
        for _, process, out, err, *_ in running:  # never leave a child behind
            if process.poll() is None:
                process.kill()
            process.wait()
            out.close()
            err.close()
    return reports


# A child that blocks instead of computing uses no CPU time: it is killed once it has stood
# still this many times ``wall`` on the clock.
WALL_BACKSTOP = 6


def _cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) process ``pid`` has used, where /proc tells it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _stuck(pid: int, progress: tuple[float, float | None], wall: float) -> bool:
    """Whether the child has run its current case too long: ``wall`` seconds of CPU since
    ``progress`` (clock time, CPU time) or, without /proc, of clock time; or the backstop."""
    since, cpu_then = progress
    elapsed = time.monotonic() - since
    cpu_now = _cpu_seconds(pid)
    if cpu_now is None or cpu_then is None:
        return elapsed >= wall
    return cpu_now - cpu_then >= wall or elapsed >= wall * WALL_BACKSTOP


def describe(report: Mapping[str, Any]) -> str:
    if report["status"] == "not run":
        return f"not run: {report['stderr']}"
    if report["status"] == "hung":
        return f"the child was still running after {report['seconds']:.1f} s and was killed"
    if report["status"] == "crashed":
        return (f"the child died (exit code {report['returncode']}): "
                f"{report.get('stderr', '')[-600:]}")
    return (f"ok={report['ok']} error={report['error_type']}({report.get('resource')}): "
            f"{report['message'][:200]!r}; output {report['stdout_head'][:120]!r}")


def assert_isolated_limit(report: Mapping[str, Any], *kinds: str,
                          resource: str | Iterable[str] | None = None) -> None:
    """The child finished, reported one of the limit classes ``kinds`` (names) and stayed
    healthy."""
    kinds = kinds or ("MLTimeoutError", "MLResourceError")
    assert report["status"] == "done", describe(report)
    assert report["error_type"] in kinds, describe(report)
    if resource is not None:
        wanted = {resource} if isinstance(resource, str) else set(resource)
        assert report["resource"] in wanted, describe(report)
    assert report["healthy"], "the interpreter did not run the next program correctly"
