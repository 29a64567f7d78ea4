"""What a worker process is given and what it leaves behind: its environment, how it finds
mlpy, the protocol it refuses, and no descriptors or processes left after close()."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import mlpy
from mlpy import MLConfigurationError
from mlpy.runtime.capabilities import CapabilitySet
from mlpy.sandbox import SandboxConfig, SandboxPool
from mlpy.sandbox.process import WorkerProcess, classify
from mlpy.sandbox.wire import encode_frame, task_fingerprint

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc")


def worker_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if item)


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_workers_get_a_minimal_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MLPY_TEST_SECRET", "hunter2")
    monkeypatch.setenv("MLPY_TEST_SHARED", "visible")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    config = SandboxConfig(pool_size=1, env_passthrough=["MLPY_TEST_SHARED"],
                           extra_env={"APP_MODE": "test"})
    with SandboxPool(config) as pool:
        env = worker_environment(pool.workers()[0]["pid"])
        assert pool.execute("result = 1;").value == 1
    assert "MLPY_TEST_SECRET" not in env and "PYTHONPATH" not in env
    assert env["MLPY_TEST_SHARED"] == "visible" and env["APP_MODE"] == "test"
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "TMP", "TEMP", "MLPY_CACHE_DIR",
                        "MLPY_TEST_SHARED", "APP_MODE"}
    assert env["HOME"] == env["TMPDIR"] and "mlpy-sandbox-" in env["HOME"]


def test_the_key_is_never_in_argv_or_environment():
    with SandboxPool(SandboxConfig(pool_size=1)) as pool:
        pid = pool.workers()[0]["pid"]
        exposed = Path(f"/proc/{pid}/cmdline").read_bytes() + Path(
            f"/proc/{pid}/environ").read_bytes()
        assert pool._key.hex().encode() not in exposed and pool._key not in exposed


def test_close_leaves_no_descriptors_processes_or_directories():
    before = open_descriptors()
    pool = SandboxPool(SandboxConfig(pool_size=2, max_tasks_per_worker=1))
    pids = {w["pid"] for w in pool.workers()}
    for _ in range(3):  # each execution retires its worker and starts another
        assert pool.execute("result = 1;").ok
    pids |= {w["pid"] for w in pool.workers()}
    roots = [Path(f"/proc/{pid}/cwd").resolve() for pid in pids if Path(f"/proc/{pid}").exists()]
    pool.close()
    assert open_descriptors() == before
    for pid in pids:
        with pytest.raises(ChildProcessError):  # reaped: no zombie is left behind
            os.waitpid(pid, os.WNOHANG)
    assert not any(root.exists() for root in roots)
    assert pool.stats()["started"] == 5 and pool.stats()["workers"] == 0


def test_workers_are_replaced_after_max_tasks():
    with SandboxPool(SandboxConfig(pool_size=1, max_tasks_per_worker=2)) as pool:
        pids = [pool.execute("result = 1;").usage["worker_pid"] for _ in range(4)]
    assert pids[0] == pids[1] != pids[2] == pids[3]


def test_each_execution_gets_a_fresh_directory_removed_afterwards(tmp_path):
    with SandboxPool(SandboxConfig(pool_size=1)) as pool:
        pid = pool.workers()[0]["pid"]
        root = Path(f"/proc/{pid}/cwd").resolve()
        assert pool.execute("result = 1;").ok
        assert [p.name for p in root.iterdir()] == []
    with SandboxPool(SandboxConfig(pool_size=1, working_dir=str(tmp_path))) as pool:
        assert pool.execute("result = 1;").ok
        assert tmp_path.exists()


def test_a_limit_that_cannot_hold_is_refused_at_start():
    with pytest.raises(MLConfigurationError, match="memory_limit .* too small"):
        SandboxPool(SandboxConfig(pool_size=1, memory_limit="20MB"))


def test_a_missing_interpreter_is_a_configuration_error():
    with pytest.raises(MLConfigurationError, match="cannot start a sandbox worker"):
        SandboxPool(SandboxConfig(pool_size=1, python_executable="/no/such/python"))


def run_frame(key: bytes, capabilities: dict, source: str = "result = 1;") -> bytes:
    return encode_frame({
        "type": "run", "execution_id": "e1", "result_name": "result",
        "program": {"source": source, "filename": "<string>", "inputs": [],
                    "fingerprint": task_fingerprint(source, "<string>", ())},
        "variables": {}, "capabilities": capabilities,
        "limits": {"timeout": 5, "cpu": 5},
    })


def test_the_worker_refuses_forged_capabilities_and_unknown_frames():
    config = SandboxConfig(pool_size=1)
    key = os.urandom(32)
    worker = WorkerProcess(config, key)
    try:
        worker.wait_ready()
        deadline = time.monotonic() + 10
        granted = CapabilitySet.parse(["console.write"])
        assert worker.run(run_frame(key, granted.to_wire(key)), "e1", deadline)["type"] == "result"
        forged = worker.run(run_frame(key, granted.to_wire(b"x" * 32)), "e1", deadline)
        assert forged["type"] == "refused" and "signature" in forged["message"]
        unsigned = {"grants": granted.to_wire(key)["grants"], "denies": []}
        assert worker.run(run_frame(key, unsigned), "e1", deadline)["type"] == "refused"
        # The same frame with the program altered on the way (same length, same header).
        stale = run_frame(key, granted.to_wire(key)).replace(b"result = 1;", b"result = 2;", 1)
        refused = worker.run(stale, "e1", deadline)
        assert refused["type"] == "refused" and "fingerprint" in refused["message"]
        worker.channel.send({"type": "exec", "execution_id": "e1"}, deadline)
        assert worker.channel.recv(deadline)["type"] == "refused"
    finally:
        worker.end("closed")


def copy_of_mlpy(target: Path) -> Path:
    """A plain (non-editable) installation of this mlpy: the package in a site directory."""
    source = Path(mlpy.__file__).parent
    shutil.copytree(source, target / "mlpy", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_workers_load_mlpy_from_a_regular_installation(tmp_path):
    site = copy_of_mlpy(tmp_path / "site")
    # The pool refuses a worker whose mlpy is not the host's own (same version and package
    # directory), so a result proves the worker loaded the copy.
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        import mlpy
        from mlpy.sandbox import SandboxConfig, SandboxPool
        assert mlpy.__file__.startswith(sys.argv[1]), mlpy.__file__
        with SandboxPool(SandboxConfig(pool_size=1)) as pool:
            print(pool.execute("result = 6 * 7;").value)
    """)
    done = subprocess.run([sys.executable, "-I", "-c", script, str(site)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"


def test_network_isolation_gives_workers_a_network_namespace_of_their_own():
    try:
        pool = SandboxPool(SandboxConfig(pool_size=1, network_isolation="os"))
    except MLConfigurationError as refused:  # fail closed where namespaces are not allowed
        assert "network namespace" in refused.message
        return
    with pool:
        pid = pool.workers()[0]["pid"]
        assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
        assert pool.execute("result = 1;").value == 1


def test_scratch_files_live_in_the_execution_directory_within_the_size_limit():
    config = SandboxConfig(pool_size=1, file_size_limit="1KB")
    files = ["file.read", "file.write", "path.read"]
    scratch = "import file; import path; at = path.join(path.tempDir(), 'out.txt');\n"
    with SandboxPool(config) as pool:
        wrote = pool.execute(scratch + "file.write(at, 'x');\nresult = file.read(at);",
                             capabilities=files)
        assert wrote.value == "x"
        later = pool.execute(scratch + "result = file.exists(at);", capabilities=files)
        assert later.value is False  # the next execution has a fresh directory
        big = pool.execute(scratch + "file.write(at, 'x' * 5000);", capabilities=files)
        assert "File too large" in big.error.message and big.error.ml_line == 2


def test_read_only_mode_denies_writes_whatever_is_granted():
    with SandboxPool(SandboxConfig(pool_size=1, read_only_mode=True)) as pool:
        result = pool.execute("import file;\nfile.write('out.txt', 'x');",
                              capabilities=["file.*"])
    assert type(result.error) is mlpy.CapabilityError and "denies" in result.error.message


def test_the_cpu_backstop_kills_a_process_stuck_in_one_operation(tmp_path):
    # ML code is stopped at its next step; one long C-level operation has no next step, so
    # RLIMIT_CPU ends the process a second after the limit, and the pool calls it cpu_limit.
    script = textwrap.dedent("""
        import resource
        from mlpy.sandbox.limits import CpuBudget
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # as a worker does: no core dump
        budget = CpuBudget(lambda: True, True)
        budget.arm(0.2)
        sum(range(10**11))  # no Python-level step inside: the soft alarm cannot act
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60,
                          cwd=tmp_path)
    assert done.returncode == -signal.SIGXCPU
    assert classify(done.returncode, None, "")[0] == "cpu_limit"


def test_a_forked_copy_of_a_pool_leaves_the_workers_to_their_owner():
    with SandboxPool(SandboxConfig(pool_size=1)) as pool:
        child = os.fork()
        if child == 0:  # the copy refuses work, and closing it must not kill the workers
            try:
                pool.execute("result = 1;")
                code = 1
            except MLConfigurationError:
                pool.close()
                code = 0
            os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert pool.execute("result = 2;").value == 2
