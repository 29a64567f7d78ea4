"""An order whose validation is a rule written in ML (``order_rules.ml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

import mlpy
from mlpy.integration.django import get_engine

# Compiled once, when Django loads the models: a broken rule stops the project at start-up.
RULES = mlpy.compile(Path(__file__).with_name("order_rules.ml"))


# [model]
class Order(models.Model):
    STATUSES = {"pending": "pending", "approved": "approved", "rejected": "rejected"}

    customer = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    amount = models.PositiveIntegerField(help_text="EUR")
    express = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=STATUSES, default="pending")
    note = models.CharField(max_length=200, blank=True)

    def for_rules(self) -> dict[str, Any]:
        """What the ML rules see of the order: plain values only."""
        return {"customer": self.customer, "country": self.country, "amount": self.amount,
                "express": self.express}

    def clean(self) -> None:
        """Django calls this from full_clean() -- in every ModelForm, so in the admin."""
        problems = get_engine().call(RULES, "problems", self.for_rules())
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                errors.setdefault(problem["field"], []).append(problem["message"])
            raise ValidationError(errors)
# [/model]

    def __str__(self) -> str:
        return f"order {self.pk} of {self.customer}"
