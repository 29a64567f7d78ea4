"""``python app.py decide_pending``: the nightly batch that lets the rules decide every
pending order, as the admin action does for the selected ones."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from mlpy import MLError
from mlpy.integration.django import create_engine

from ...models import RULES, Order


# [command]
class Command(BaseCommand):
    help = "Decide every pending order with the ML rules."

    def handle(self, *args: object, **options: object) -> None:
        # An engine of its own, configured from the same settings.MLPY["ENGINE"] as the
        # views' one (get_engine()), and closed when the batch ends: a long batch does not
        # share the engine, or its caches, with the web process's requests.
        with create_engine() as engine:
            decided = failed = 0
            for order in Order.objects.filter(status="pending"):
                try:
                    decision = engine.call(RULES, "decide", order.for_rules())
                except MLError as error:  # one broken order is reported, the rest decided
                    self.stderr.write(f"{order}: {error.message}")
                    failed += 1
                    continue
                order.status, order.note = decision["status"], decision["reason"]
                order.save(update_fields=["status", "note"])
                decided += 1
        self.stdout.write(f"decided {decided} orders, {failed} could not be decided")
# [/command]
