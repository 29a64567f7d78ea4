"""Tests of sync_thread_pool: shared engine and program, per-job grants that never leak."""

from __future__ import annotations

import importlib.util
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import mlpy

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_patterns_sync_thread_pool_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app = _load_app()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path.resolve()
    app.write_ledgers(root)
    return root


def test_each_tenant_gets_its_total_and_a_missing_ledger_fails_alone(root):
    assert app.nightly(root, ["acme", "globex", "initech"]) == {
        "acme": 30.5, "globex": 1234.0, "initech": "failed: MLRuntimeError at line 6"}


def test_a_job_cannot_read_another_tenants_ledger_through_a_link(root):
    (root / "mallory").mkdir()
    os.symlink(root / "acme" / "ledger.txt", root / "mallory" / "ledger.txt")
    with pytest.raises(mlpy.CapabilityError):
        app.report(root, "mallory")


def test_a_job_cannot_climb_out_of_its_folder(root):
    climbing = root / "acme" / ".." / "globex" / "ledger.txt"
    result = app.engine.execute(app.REPORT, {"path": str(climbing)},
                                capabilities=app.tenant_grants(root, "acme"))
    assert isinstance(result.error, mlpy.CapabilityError)


def test_concurrent_jobs_never_see_each_others_grants(root):
    # Forty jobs at once on four threads: half read their own ledger, half try the other
    # tenant's with their own grant. Every honest job succeeds; every other one is refused.
    other = {"acme": "globex", "globex": "acme"}

    def job(tenant: str, honest: bool) -> mlpy.ExecutionResult:
        target = tenant if honest else other[tenant]
        return app.engine.execute(app.REPORT, {"path": str(root / target / "ledger.txt")},
                                  capabilities=app.tenant_grants(root, tenant))

    plan = [(tenant, i % 2 == 0) for i in range(20) for tenant in ("acme", "globex")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda step: job(*step), plan))
    for (tenant, honest), result in zip(plan, results):
        if honest:
            assert result.value == {"acme": 30.5, "globex": 1234.0}[tenant]
        else:
            assert isinstance(result.error, mlpy.CapabilityError)


def test_a_scope_reaches_a_pool_job_only_through_a_copied_context(root):
    ledger = root / "acme" / "ledger.txt"
    with ThreadPoolExecutor(max_workers=1) as pool:
        with mlpy.capability_scope(app.tenant_grants(root, "acme")):
            copied = app.submit_in_scope(pool, ledger).result()
            not_copied = pool.submit(app.engine.execute, app.REPORT,
                                     {"path": str(ledger)}).result()
        # The same pool thread ran a job with the grant: it kept nothing of it.
        afterwards = pool.submit(app.engine.execute, app.REPORT,
                                 {"path": str(ledger)}).result()
    assert copied.value == 30.5
    assert isinstance(not_copied.error, mlpy.CapabilityError)
    assert isinstance(afterwards.error, mlpy.CapabilityError)


def test_main_prints_the_batch(capsys):
    app.main()
    assert capsys.readouterr().out.splitlines() == [
        "acme: 30.5",
        "globex: 1234.0",
        "initech: failed: MLRuntimeError at line 6",
        "scope copied into the job: 30.5",
        "scope not copied: CapabilityError",
    ]
