"""Per-tenant grants from configuration: a service that runs its tenants' own report scripts.

Every tenant's grants are built from two files. ``mlpy.toml`` holds the plans (its
``security.profiles``) and what no script may do, whatever it is granted
(``security.deny``); ``tenants.toml`` says which plan each tenant is on and where the
tenants' data lives. A tenant's script gets its plan plus one scoped grant, reading its own
folder, and nothing else: another tenant's files, a path that climbs out with ``..``, a
link pointing elsewhere, writing, the network and the environment are all refused. Run it
with ``python app.py``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import mlpy
from mlpy.config import MLConfig

HERE = Path(__file__).resolve().parent


class UnknownTenant(LookupError):
    """A request named a tenant the service does not have: nothing runs for it."""


# [runner]
class TenantRunner:
    def __init__(self, config: MLConfig | None = None, tenants: Path = HERE / "tenants.toml"):
        self.engine = mlpy.Engine(config or MLConfig.load(start_dir=HERE))
        table = tomllib.loads(tenants.read_text(encoding="utf-8"))
        self.data_root = (tenants.parent / table["data_root"]).resolve()
        self.plans = {name: entry["plan"] for name, entry in table["tenants"].items()}
        for plan in set(self.plans.values()):  # a plan mlpy.toml lacks stops the start
            self.engine.resolve_capabilities(f"profile:{plan}")

    def grants_for(self, tenant: str) -> mlpy.CapabilitySet:
        """The tenant's plan (an mlpy.toml profile, the engine's denies applied) and the
        reading of its own folder."""
        if tenant not in self.plans:
            raise UnknownTenant(f"no tenant {tenant!r}")
        plan = self.engine.resolve_capabilities(f"profile:{self.plans[tenant]}")
        return plan.union([f"file.read:{self.data_dir(tenant)}/**"])

    def data_dir(self, tenant: str) -> Path:
        return self.data_root / tenant

    def run(self, tenant: str, source: str) -> mlpy.ExecutionResult:
        """Run a tenant's script under the tenant's grants only (never the caller's)."""
        grants = self.grants_for(tenant)
        return self.engine.execute(source, {"data_dir": str(self.data_dir(tenant))},
                                   capabilities=grants, filename=f"{tenant}.ml",
                                   capture_output=True)
# [/runner]

    def close(self) -> None:
        self.engine.close()


# [security-log]
def security_event(result: mlpy.ExecutionResult) -> str | None:
    """The security log's line for a tenant's run; None when nothing was refused.

    A refusal is no crash of the service: the script tried what it may not do, and the
    operators want to see who tries what."""
    error = result.error
    if isinstance(error, mlpy.MLSecurityError):  # refused before it ran: a host import, a dunder
        return f"refused before running: {error.code} {error.message}"
    if isinstance(error, mlpy.CapabilityError):  # ran, and asked for more than its grants
        return f"denied {error.required}"
    if isinstance(error, mlpy.MLSandboxError):  # its worker process died: a crash, an OS limit
        return f"sandbox worker lost: {error.message}"
    return None
# [/security-log]


def main() -> None:
    runner = TenantRunner()
    try:
        report = (HERE / "report.ml").read_text(encoding="utf-8")
        for tenant in sorted(runner.plans):
            result = runner.run(tenant, report)
            print(f"{tenant}: {result.stdout.strip()}")
        prying = 'import file;\nresult = file.read(data_dir + "/../acme/orders.json");'
        denied = runner.run("globex", prying).error
        print(f"globex reading acme's orders: {type(denied).__name__}: {denied.message}")
        print("security log:", security_event(runner.run("globex", "import os;")))
    finally:
        runner.close()


if __name__ == "__main__":
    main()
