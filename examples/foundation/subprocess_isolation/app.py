"""Run untrusted scripts in worker processes: limits the operating system enforces.

With ``isolation="subprocess"`` every execution runs in a warm worker process of the
engine's pool, with an address-space limit, a CPU-time limit and a minimal environment.
``whoami.ml`` shows that the worker is another process that does not have the host's
environment; ``balloon.ml`` allocates until the worker's memory limit stops it. A worker
that dies -- here, killed by the host in the middle of a run -- fails that one execution
with ``MLSandboxError``; the pool starts a new worker and the host carries on. Run it with
``python app.py``.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import mlpy
from mlpy.sandbox import SandboxConfig

HERE = Path(__file__).resolve().parent

# [engine]
sandbox = SandboxConfig(
    pool_size=1,            # one warm worker is enough for this demo; size it to your load
    memory_limit="200MB",   # RLIMIT_AS of each worker
    cpu_timeout=5,          # CPU seconds of one execution
)
engine = mlpy.Engine(isolation="subprocess", sandbox=sandbox, timeout=2.0,
                     capabilities=["env.read:SHOP_*"])
# [/engine]


def run(script: str) -> mlpy.ExecutionResult:
    return engine.execute(HERE / script, filename=script)


# [crash]
def crash_during_run() -> mlpy.ExecutionResult:
    """Kill the worker while it runs a script, as a crash in native code or the kernel's
    out-of-memory killer would; the host only sees that execution fail."""
    worker = engine.execute("result = 0;").usage["worker_pid"]
    killer = threading.Timer(0.5, os.kill, [worker, signal.SIGKILL])
    killer.start()
    try:  # the time limit only has to outlast the killer: the crash ends the run first
        return engine.execute("while (true) { }", timeout=10.0)
    finally:
        killer.cancel()
# [/crash]


def main() -> None:
    os.environ["SHOP_API_KEY"] = "s3cret"  # the host's secret; workers never inherit it
    seen = run("whoami.ml")
    print("worker is another process:", seen.usage["worker_pid"] != os.getpid())
    print("worker sees the host's secret:", seen.value["api_key"] is not None)
    balloon = run("balloon.ml")
    print("balloon.ml:", type(balloon.error).__name__, balloon.error.resource)
    crashed = crash_during_run()
    print("crash:", type(crashed.error).__name__, crashed.error.message)
    print("host still running:", engine.execute("result = 6 * 7;").value)
    engine.close()


if __name__ == "__main__":
    main()
