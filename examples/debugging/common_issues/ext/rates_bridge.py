"""The ``rates`` module, as first written: the vendor SDK is imported when the file loads.

Where the SDK is not installed, loading fails, and so does every program that imports
``rates`` -- with a ModuleLoadError that names this file's ImportError as its cause."""

import fxvendor_sdk  # not installed here: this is the issue

from mlpy.ext import ml_function, ml_module


@ml_module("rates")
class Rates:
    @ml_function("The exchange rate from EUR to a currency")
    def of(self, currency: str) -> float:
        return fxvendor_sdk.rate("EUR", currency)
