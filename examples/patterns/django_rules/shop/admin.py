"""The admin of orders, with an action that lets the ML rules decide the selected ones."""

from __future__ import annotations

from django.contrib import admin, messages

from mlpy import MLError
from mlpy.integration.django import get_engine
from mlpy.integration.http import public_message

from .models import RULES, Order


# [action]
@admin.action(description="Decide the selected orders with the rules")
def decide_with_rules(modeladmin: admin.ModelAdmin, request, queryset) -> None:
    decided = 0
    for order in queryset.filter(status="pending"):
        try:
            decision = get_engine().call(RULES, "decide", order.for_rules())
        except MLError as error:  # one order's failure does not stop the others
            modeladmin.message_user(request, f"{order}: {public_message(error)}",
                                    messages.ERROR)
            continue
        order.status, order.note = decision["status"], decision["reason"]
        order.save(update_fields=["status", "note"])
        decided += 1
    modeladmin.message_user(request, f"Orders decided by the rules: {decided}")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "customer", "country", "amount", "express", "status", "note"]
    actions = [decide_with_rules]
# [/action]
