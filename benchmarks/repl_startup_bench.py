#!/usr/bin/env python
"""REPL: statement latency end to end (spec B13 R1) and start to first prompt (R2).

Usage::

    python benchmarks/repl_startup_bench.py [--statements N] [--runs N] [--starts N]

R1 -- runs N simple statements (default 1000) one by one through the REPL's loop exactly as
piped input runs them (parse, security check, compile, run, echo; output to memory), each
defining a new variable so the session grows, plus an echoed expression every tenth
statement. Reports the average and p95 per statement and how much slower the statements at
the end (#991-#1000) are than those near the start (#6-#15), medians over ``--runs`` fresh
sessions. Targets: avg < 10 ms, p95 < 25 ms, #1000 at most 20% slower than #10.

R2 -- starts ``mlpy repl`` in a pseudo-terminal (fancy mode, like a person would) and times
until the first prompt is drawn, ``--starts`` times (the first start is the coldest this
script can make: a fresh interpreter, with whatever the OS has cached). Also checks, with
``python -X importtime``, that starting imports no module bridge (only ``builtin`` runs).
Target: < 1 s. Needs pexpect and prompt_toolkit for R2; without them R2 is skipped.

Reports only; never fails because a machine is slow.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    import mlpy  # noqa: F401
except ImportError:
    sys.path.insert(0, str(HERE.parent))

from mlpy.repl.session import MLREPLSession  # noqa: E402
from mlpy.repl.terminal import Terminal  # noqa: E402


def statement(i: int) -> str:
    if i % 10 == 0:
        return f"x{i - 1} * 2 + 1"  # an expression, echoed
    return f"x{i} = {i} * 2 + 1;"


def one_run(count: int) -> list[float]:
    out = io.StringIO()
    loop = Terminal(stdin=io.StringIO(""), stdout=out, basic=False, history=False,
                    history_file=None, pager=False, color=False, exit_on_error=False,
                    debug=False)
    session = MLREPLSession(output=loop.write_program_output)
    loop.session = session
    for i in range(1, 4):  # warm-up: first compile of the machinery
        loop.execute(f"warm{i} = {i};")
    times = []
    for i in range(1, count + 1):
        start = time.perf_counter()
        ok = loop.execute(statement(i))
        times.append(time.perf_counter() - start)
        if not ok:
            raise SystemExit(f"statement {i} failed: {out.getvalue()[-300:]}")
    session.close()
    return times


def r1(count: int, runs: int) -> None:
    averages, p95s, growth, first, last = [], [], [], [], []
    for _ in range(runs):
        times = one_run(count)
        averages.append(statistics.fmean(times))
        p95s.append(statistics.quantiles(times, n=20)[18])
        early = statistics.median(times[5:15])
        late = statistics.median(times[-10:])
        growth.append(late / early - 1)
        first.append(times[9])
        last.append(times[-1])
    ms = 1e3
    print(f"R1  statement end to end ({count} statements, {runs} fresh sessions, medians)")
    print(f"    average            {statistics.median(averages) * ms:7.3f} ms   (target < 10)")
    print(f"    p95                {statistics.median(p95s) * ms:7.3f} ms   (target < 25)")
    print(f"    #10                {statistics.median(first) * ms:7.3f} ms")
    print(f"    {'#' + str(count):<19}{statistics.median(last) * ms:7.3f} ms")
    window = f"#{count - 9}-#{count} vs #6-#15"
    print(f"    {window:<19}{statistics.median(growth) * 100:+7.1f} %   (target <= +20 %)")


def r2(starts: int) -> None:
    try:
        import pexpect
        import prompt_toolkit  # noqa: F401
    except ImportError as missing:
        print(f"R2  skipped: {missing.name} is not installed")
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPY_")}
    env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent),
                                                    env.get("PYTHONPATH")) if p)
    times = []
    with tempfile.TemporaryDirectory() as work:
        for _ in range(starts):
            start = time.perf_counter()
            child = pexpect.spawn(sys.executable, ["-m", "mlpy", "repl", "--no-history"],
                                  cwd=work, env=env, encoding="utf-8", timeout=30)
            child.expect_exact("ml[secure]>")
            times.append(time.perf_counter() - start)
            child.sendline(".exit")
            child.expect(pexpect.EOF)
            child.close()
        traced = subprocess.run([sys.executable, "-X", "importtime", "-m", "mlpy", "repl"],
                                input="", cwd=work, env=env, capture_output=True, text=True,
                                timeout=60)
    bridges = sorted({m.group(1) for m in re.finditer(r"\|\s*([\w.]*_bridge)\s*$",
                                                        traced.stderr, re.M)})
    print(f"R2  start to first prompt (fancy mode in a pseudo-terminal, {starts} starts)")
    print(f"    first start        {times[0] * 1e3:7.1f} ms   (target < 1000)")
    print(f"    median             {statistics.median(times) * 1e3:7.1f} ms")
    print(f"    slowest            {max(times) * 1e3:7.1f} ms")
    print(f"    bridges imported   {', '.join(bridges) or 'none'} (only builtin may run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--starts", type=int, default=5)
    options = parser.parse_args()
    r1(options.statements, options.runs)
    r2(options.starts)


if __name__ == "__main__":
    main()
