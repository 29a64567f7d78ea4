"""Weights as labels show them: the extension module ``units``, found in ``plugins/``."""

from __future__ import annotations

from mlpy.ext import ml_function, ml_module


@ml_module("units", "Weights in kilograms and pounds")
class Units:
    @ml_function("A weight in grams as kilograms, with one decimal")
    def kilograms(self, grams: float) -> str:
        return f"{grams / 1000:.1f} kg"

    @ml_function("A weight in grams as pounds, with one decimal")
    def pounds(self, grams: float) -> str:
        return f"{grams / 453.59237:.1f} lb"
