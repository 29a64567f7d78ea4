"""The carrier's service codes: the extension module ``carrier``, found in ``vendor/``.

The project file does not list ``vendor/``: a deployment adds it with
``MLPY_EXTENSION_PATHS=vendor`` (directories separated like ``PATH``).
"""

from __future__ import annotations

from mlpy.ext import ml_function, ml_module


@ml_module("carrier", "The carrier's service codes")
class Carrier:
    @ml_function("The service code for a weight in grams")
    def service(self, grams: float) -> str:
        return "PARCEL" if grams > 2000 else "PACKET"
