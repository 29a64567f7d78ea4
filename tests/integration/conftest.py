"""Shared by the web framework tests (test_web_flask.py, test_web_django.py,
test_web_fastapi.py): fifty tenants, a host function that reads one only under the grant
``tenant.read:<id>``, a host function whose error holds a secret a response must never show,
and the ML rules the Flask and Django apps run with them.

The test modules import these names (``from tests.integration.conftest import ...``): they
are the same objects in every module, as the apps register them by name.
"""

from __future__ import annotations

import mlpy
from mlpy.capabilities import require

TENANTS = [f"t{i}" for i in range(50)]
SECRET = "hunter2"

# visible(ids): the ids whose tenant the request may read; spin(): a runaway rule;
# leak(): a host error with internals in its message.
RULES = """
function visible(ids) {
    seen = [];
    for (t in ids) { try { tenant(t); seen.append(t); } except (e) { } }
    return seen;
}
function spin() { while (true) { } }
function leak() { return vault(); }
"""


@mlpy.host_function(capabilities=["tenant.read"])
def tenant(tenant_id):
    require("tenant.read", tenant_id)
    return {"id": tenant_id}


@mlpy.host_function
def vault():
    raise PermissionError(f"vault at /srv/secrets refused token {SECRET}")


def grants_from_header(request):
    """The grants of a Flask or Django request: its X-Tenant header's tenant, or none."""
    name = request.headers.get("X-Tenant")
    return [f"tenant.read:{name}"] if name else None
