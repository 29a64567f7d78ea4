"""Celery workers that run ML risk rules, with the grants and limits each task brings.

The Celery app (``app``) has two ML tasks: ``risk.check`` calls ``check(order)`` of
``risk.ml``, compiled once in each worker process when it starts; ``risk.run_script``
runs ML that the caller sends, in a sandbox process, for code you do not trust. The
producer, :func:`check_orders`, sends each order with the grant the rules need and a time
limit, and reads plain results back.

Run it with a Redis server on localhost (Debian: ``apt-get install redis-server``)::

    celery -A app worker --loglevel=info     # in this directory, one or more times
    python app.py                            # sends three orders, prints the results

``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND`` point it at another Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery

from mlpy.integration.celery import async_result, ml_task

HERE = Path(__file__).resolve().parent

# [app]
app = Celery(
    "risk",
    broker=os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0"),
    backend=os.environ.get("CELERY_RESULT_BACKEND", "redis://localhost:6379/1"),
)
app.conf.update(
    task_serializer="json", result_serializer="json", accept_content=["json"],
    # One message at a time per worker process: with acks_late, a message a worker holds
    # but has not started waits for that worker.
    worker_prefetch_multiplier=1,
    # A message whose worker died is delivered again after this many seconds: longer
    # than the slowest task, or a slow task runs twice.
    broker_transport_options={"visibility_timeout": 60},
)
# [/app]

# [tasks]
check_order = ml_task(
    app, HERE / "risk.ml", function="check", name="risk.check",
    # The most any producer may grant these rules.
    allowed_grants=["env.read:RISK_*"],
)
run_script = ml_task(
    app, name="risk.run_script", isolation="subprocess",
    # Celery's own hard limit, past the ML timeout: a backstop for a stuck worker.
    time_limit=30,
)
# [/tasks]


# [producer]
def check_orders(orders: list[dict], *, timeout: float = 2.0) -> list[dict]:
    """Check orders on the workers; each result says whether the order is flagged."""
    pending = [check_order.delay(order, grants=["env.read:RISK_*"], timeout=timeout)
               for order in orders]
    results = [task.get(timeout=30) for task in pending]
    return [async_result(data).unwrap() for data in results]
# [/producer]


ORDERS = [
    {"id": "A-1", "total": 120.0, "country": "FR", "card_country": "FR", "items": ["tea"]},
    {"id": "A-2", "total": 950.0, "country": "FR", "card_country": "FR", "items": ["tv"]},
    {"id": "A-3", "total": 40.0, "country": "DE", "card_country": "US", "items": []},
]

if __name__ == "__main__":
    for verdict in check_orders(ORDERS):
        reasons = "; ".join(verdict["reasons"])
        print(verdict["order"], f"flagged: {reasons}" if verdict["flagged"] else "ok")
