"""The ``rates`` module, fixed: the vendor SDK is imported by the function that needs it, and
a fixed table serves where the SDK is not installed (a test machine, a laptop)."""

from mlpy.ext import ml_function, ml_module

FALLBACK = {"USD": 1.08, "GBP": 0.86}


@ml_module("rates")
class Rates:
    @ml_function("The exchange rate from EUR to a currency")
    def of(self, currency: str) -> float:
        try:
            import fxvendor_sdk
        except ImportError:
            return FALLBACK[currency]
        return fxvendor_sdk.rate("EUR", currency)
