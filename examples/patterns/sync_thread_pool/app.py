"""Run ML jobs on a thread pool: one engine, one compiled program, a grant for each job.

A nightly batch totals each tenant's ledger with ``report.ml``. The jobs run side by side on
a ``ThreadPoolExecutor``. The engine and the compiled program are shared by every thread;
the grants are not: each job may read its own tenant's folder and nothing else. A pool thread
does not inherit the capability scope of the code that submitted the job, so the job is
handed its grant with the call, or runs in a copy of the submitter's context.
Run it with ``python app.py``: it writes the tenants' ledgers to a temporary folder first.
"""

from __future__ import annotations

import contextvars
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import mlpy

# [setup]
# Shared by every thread: an engine is thread-safe, and so is a compiled program.
engine = mlpy.Engine(timeout=2.0)  # a ledger takes milliseconds; two seconds is a broken one
REPORT = engine.compile(Path(__file__).with_name("report.ml").read_text(encoding="utf-8"),
                        filename="report.ml", inputs=["path"])
# [/setup]


# [job]
def tenant_grants(root: Path, tenant: str) -> list[str]:
    """What one tenant's job may do: read the files of its own folder."""
    return [f"file.read:{root / tenant}/**"]


def report(root: Path, tenant: str) -> float:
    """One job, on whatever thread runs it. ``capabilities=`` gives the job its grants
    (they replace the engine's, which are none), so the thread needs no scope of its own."""
    ledger = root / tenant / "ledger.txt"
    result = engine.execute(REPORT, {"path": str(ledger)},
                            capabilities=tenant_grants(root, tenant))
    return result.unwrap()
# [/job]


# [pool]
def nightly(root: Path, tenants: list[str], workers: int = 4) -> dict[str, float | str]:
    """Every tenant's total, or why its job failed: one failure does not stop the batch."""
    outcomes: dict[str, float | str] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        jobs = {tenant: pool.submit(report, root, tenant) for tenant in tenants}
        for tenant, job in jobs.items():
            try:
                outcomes[tenant] = job.result()
            except mlpy.MLError as error:
                outcomes[tenant] = f"failed: {type(error).__name__} at line {error.ml_line}"
    return outcomes
# [/pool]


# [scope]
def submit_in_scope(pool: ThreadPoolExecutor, path: Path) -> Future:
    """Code that runs inside a capability_scope (set by a middleware, say) and hands ML work
    to a pool: the job runs in a copy of this context, so the scope's grants go with it."""
    context = contextvars.copy_context()
    return pool.submit(context.run, engine.execute, REPORT, {"path": str(path)})
# [/scope]


def write_ledgers(root: Path) -> None:
    for tenant, amounts in {"acme": "10.5\n20\n", "globex": "1200\n34\n\n"}.items():
        (root / tenant).mkdir()
        (root / tenant / "ledger.txt").write_text(amounts, encoding="utf-8")
    (root / "initech").mkdir()  # its ledger is missing tonight


# [main]
def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        write_ledgers(root)
        for tenant, outcome in nightly(root, ["acme", "globex", "initech"]).items():
            print(f"{tenant}: {outcome}")

        ledger = root / "acme" / "ledger.txt"
        with ThreadPoolExecutor(max_workers=1) as pool, \
                mlpy.capability_scope(tenant_grants(root, "acme")):
            copied = submit_in_scope(pool, ledger).result()
            not_copied = pool.submit(engine.execute, REPORT, {"path": str(ledger)}).result()
        print("scope copied into the job:", copied.value)
        print("scope not copied:", type(not_copied.error).__name__)
# [/main]


if __name__ == "__main__":
    main()
