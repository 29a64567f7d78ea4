"""Tests of per-tenant grants: each tenant reads its own folder and nothing else, however its
script asks; the configuration's denies win over every grant; grants never cross between
tenants running at the same time; every denial is in the audit log."""

from __future__ import annotations

import importlib.util
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

import mlpy
from mlpy.config import MLConfig

HERE = Path(__file__).resolve().parent


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_production_capabilities_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()
REPORT = (HERE / "report.ml").read_text(encoding="utf-8")


def config(environment: str | None = None) -> MLConfig:
    """mlpy.toml without this machine's MLPY_* variables."""
    return MLConfig.load(HERE / "mlpy.toml", environment=environment, env={})


@pytest.fixture
def runner(tmp_path):
    """A runner over a copy of the tenants' data, which a test may add files to."""
    shutil.copytree(HERE / "data", tmp_path / "data")
    shutil.copy(HERE / "tenants.toml", tmp_path / "tenants.toml")
    runner = example.TenantRunner(config(), tenants=tmp_path / "tenants.toml")
    yield runner
    runner.close()


def read(path_expression: str) -> str:
    return f"import file;\nresult = file.read({path_expression});"


def denied(result: mlpy.ExecutionResult, required: str) -> mlpy.CapabilityError:
    assert isinstance(result.error, mlpy.CapabilityError), result.error
    assert result.error.required == required
    return result.error


def test_each_tenant_reads_its_own_orders(runner):
    acme, globex = runner.run("acme", REPORT), runner.run("globex", REPORT)
    assert (acme.value, acme.stdout) == (242.75, "3 orders, 242.75 in total\n")
    assert (globex.value, globex.stdout) == (999.0, "1 orders, 999.00 in total\n")


# [denied]
@pytest.mark.parametrize("path", [
    '"{root}/globex/orders.json"',            # another tenant's file, by its full path
    'data_dir + "/../globex/orders.json"',    # climbing out of its own folder
    '"/etc/passwd"',                          # anything else on the machine
])
def test_a_tenant_cannot_read_outside_its_folder(runner, path):
    source = read(path.format(root=runner.data_root))
    error = denied(runner.run("acme", source), "file.read")
    assert "globex" not in error.message and "passwd" not in error.message  # redacted


def test_a_link_in_the_tenants_folder_does_not_lead_out_of_it(runner):
    link = runner.data_dir("acme") / "shared.json"
    os.symlink(runner.data_dir("globex") / "orders.json", link)
    denied(runner.run("acme", read('data_dir + "/shared.json"')), "file.read")


def test_the_plan_decides_the_rest(runner):
    now = "import datetime;\nresult = datetime.now();"
    assert runner.run("acme", now).ok  # analytics
    denied(runner.run("globex", now), "datetime.now")  # basic


@pytest.mark.parametrize("source, required", [
    ('import file;\nfile.write(data_dir + "/orders.json", "[]");', "file.write"),
    ('import http;\nresult = http.get("https://example.com/");', "network.http"),
    ('import env;\nresult = env.get("HOME");', "env.read"),
])
def test_the_configuration_denies_win_over_any_grant(runner, source, required):
    denied(runner.run("acme", source), required)
    # Even host code that grants it outright cannot lift a deny of mlpy.toml.
    result = runner.engine.execute(source, {"data_dir": str(runner.data_dir("acme"))},
                                   capabilities=[required])
    assert "which the host denies" in denied(result, required).message


def test_an_unknown_tenant_runs_nothing(runner):
    with pytest.raises(example.UnknownTenant):
        runner.run("initech", REPORT)


def test_a_plan_the_configuration_lacks_stops_the_service_at_start(tmp_path):
    tenants = (HERE / "tenants.toml").read_text().replace('"basic"', '"gold"')
    (tmp_path / "tenants.toml").write_text(tenants)
    with pytest.raises(mlpy.MLConfigurationError, match="unknown capability profile 'gold'"):
        example.TenantRunner(config(), tenants=tmp_path / "tenants.toml")
# [/denied]


def test_tenants_running_at_once_never_see_each_others_grants(runner):
    """Many runs interleaved on a thread pool: each run holds exactly its tenant's grants."""
    probe = ('import file;\nmine = file.read(data_dir + "/orders.json");\n'
             'result = [getCapabilities(), hasCapability("file.read", other)];')
    others = {"acme": runner.data_dir("globex"), "globex": runner.data_dir("acme")}

    def run(tenant: str):
        source_vars = {"other": str(others[tenant] / "orders.json")}
        grants = runner.grants_for(tenant)
        result = runner.engine.execute(probe, {"data_dir": str(runner.data_dir(tenant)),
                                               **source_vars}, capabilities=grants)
        return tenant, result.value

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(run, ["acme", "globex"] * 20))
    expected = {"acme": [["console.write", "datetime.now", "file.read"], False],
                "globex": [["console.write", "file.read"], False]}
    assert all(value == expected[tenant] for tenant, value in outcomes)


def test_every_denial_is_audited_with_its_execution(runner):
    result = runner.run("globex", read('"/etc/passwd"'))
    (event,) = [e for e in runner.engine.audit if e["event"] == "deny"]
    assert event["execution_id"] == result.execution_id  # which run, so which tenant
    assert event["requirement"] == "file.read" and event["resource"] == "<redacted>"


def test_the_security_log_names_each_kind_of_refusal(runner):
    escape = runner.run("acme", "import os;\nresult = os.getcwd();")
    assert isinstance(escape.error, mlpy.MLSecurityError) and escape.error.code == "MLSEC002"
    assert example.security_event(escape).startswith("refused before running: MLSEC002")
    assert example.security_event(runner.run("acme", read('"/etc/passwd"'))) == (
        "denied file.read")
    lost = SimpleNamespace(error=mlpy.MLSandboxError("the worker was killed (SIGKILL)"))
    assert example.security_event(lost) == "sandbox worker lost: the worker was killed (SIGKILL)"
    assert example.security_event(runner.run("acme", REPORT)) is None


@pytest.fixture(scope="module")
def sandboxed():
    """The runner with the production overlay: every script in a sandbox worker process
    (started once for the tests below)."""
    runner = example.TenantRunner(config("production"))
    yield runner
    runner.close()


def test_the_production_overlay_denies_the_same_in_sandbox_workers(sandboxed):
    assert sandboxed.engine.isolation == "subprocess"
    assert sandboxed.run("acme", REPORT).value == 242.75
    denied(sandboxed.run("acme", read('data_dir + "/../globex/orders.json"')), "file.read")
    denied(sandboxed.run("acme", 'import env;\nresult = env.get("HOME");'), "env.read")


def test_the_production_overlay_redacts_denials_too(sandboxed):
    error = denied(sandboxed.run("acme", read('"/etc/passwd"')), "file.read")
    assert "passwd" not in error.message
