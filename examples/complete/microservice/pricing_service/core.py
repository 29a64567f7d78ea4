"""What both front doors share: the compiled rules, one AsyncEngine, grants per caller,
the status of every failure, and the metrics.

REST (:mod:`pricing_service.rest`) and gRPC (:mod:`pricing_service.grpc_api`) only turn
their requests into :meth:`PricingService.evaluate` calls and its errors into their own
status codes, so a rule gives the same answer on both.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.http import problem_details
from mlpy.observability import prometheus

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

# [metrics]
REGISTRY = CollectorRegistry()  # served at /metrics by the REST app
MLPY_METRICS = prometheus.install(registry=REGISTRY)  # before any engine: they are found
REQUESTS = Counter("pricing_requests", "Rule evaluations, by transport, rule and outcome.",
                   ("transport", "rule", "outcome"), registry=REGISTRY)
# [/metrics]


# [grants]
# Who may do what. In production the key comes from a secret store and the grants from the
# caller's contract; the point is that the *service* decides, per call, never the caller.
API_KEYS: dict[str, list[str]] = {
    "partner-key": ["rates.read"],  # partners may quote in other currencies
    "shop-key": [],  # the web shop quotes in euros only
}
RATES = {"USD": 1.08, "GBP": 0.85, "CHF": 0.94}


@mlpy.host_function(capabilities=["rates.read"])
def exchange_rate(currency: str) -> float:
    """Euros to ``currency``. Only an execution granted ``rates.read`` may ask."""
    mlpy.require("rates.read", currency)
    if currency not in RATES:
        raise mlpy.MLRuntimeError(f"no exchange rate for {currency!r}",
                                  hint=f"known currencies: EUR, {', '.join(RATES)}")
    return RATES[currency]


def grants_for(api_key: str | None) -> mlpy.CapabilitySet:
    """The grants of one call: those of its key; an unknown or missing key gets none."""
    return mlpy.Capabilities.parse(API_KEYS.get(api_key or "", []))
# [/grants]


class UnknownRule(LookupError):
    """A request named a rule this service does not have (404 / NOT_FOUND)."""


class BadInput(ValueError):
    """A request whose input is not an object (400 / INVALID_ARGUMENT)."""


# [service]
class PricingService:
    """The rules of ``rules_dir``, compiled once, run on one AsyncEngine for both APIs.

    ``timeout``, ``max_steps`` and ``max_memory`` bound every evaluation; ``workers`` run
    at once and up to ``max_pending`` wait, beyond which a call is refused at once (429 /
    RESOURCE_EXHAUSTED) rather than queued without end.
    """

    def __init__(self, rules_dir: Path = RULES_DIR, *, workers: int = 4,
                 max_pending: int = 100, timeout: float = 1.0, max_steps: int = 1_000_000,
                 max_memory: int = 20_000_000):
        self.engine = mlpy.Engine(timeout=timeout, max_steps=max_steps, max_memory=max_memory)
        self.rules = {path.stem: self.engine.compile(path.read_text(encoding="utf-8"),
                                                     filename=path.name,
                                                     inputs=["order", "exchange_rate"])
                      for path in sorted(rules_dir.glob("*.ml"))}
        self.executor = AsyncEngine(self.engine, max_workers=workers, max_pending=max_pending,
                                    default_timeout=timeout, thread_name_prefix="pricing")
        self.timeout = timeout

    def _job(self, rule: str, order: Any, api_key: str | None,
             deadline: float | None) -> concurrent.futures.Future:
        if rule not in self.rules:
            raise UnknownRule(f"no rule {rule!r}; the rules are: {', '.join(self.rules)}")
        if not isinstance(order, dict):
            raise BadInput("the request's 'order' must be a JSON object")
        # A client's deadline shortens the run; it never lengthens it past our own limit.
        timeout = self.timeout if deadline is None else max(0.001, min(self.timeout, deadline))
        return self.executor.submit(self.rules[rule],
                                    variables={"order": order, "exchange_rate": exchange_rate},
                                    capabilities=grants_for(api_key), timeout=timeout)

    async def evaluate(self, rule: str, order: Any, api_key: str | None, *,
                       transport: str, deadline: float | None = None) -> Any:
        """The rule's value; raises the MLError (or UnknownRule, BadInput) otherwise."""
        outcome = await asyncio.wrap_future(self._job(rule, order, api_key, deadline))
        return self._value(outcome, rule, transport)

    def evaluate_blocking(self, rule: str, order: Any, api_key: str | None, *,
                          transport: str, deadline: float | None = None) -> Any:
        """:meth:`evaluate` for a thread that is no event loop (gRPC's handlers)."""
        return self._value(self._job(rule, order, api_key, deadline).result(), rule, transport)

    def _value(self, outcome: Any, rule: str, transport: str) -> Any:
        REQUESTS.labels(transport, rule, "ok" if outcome.success
                        else outcome.error_info.code).inc()
        return outcome.unwrap()  # raises the MLError of a failed run

    def close(self) -> None:
        self.executor.shutdown(cancel_pending=True)
# [/service]


# [errors]
def failure(error: BaseException) -> dict[str, Any]:
    """The client's view of a failure: an RFC 9457 body whose ``status`` is the HTTP one.

    MLErrors get mlpy's mapping (403 denied, 504 timed out, 413 too big, 429 busy, 400 a
    rule's own error...) and a message safe to show; our own two errors get 404 and 400.
    """
    if isinstance(error, UnknownRule):
        return {"type": "about:blank", "title": "Not Found", "status": 404,
                "detail": str(error), "code": "unknown_rule"}
    if isinstance(error, BadInput):
        return {"type": "about:blank", "title": "Bad Request", "status": 400,
                "detail": str(error), "code": "bad_input"}
    return problem_details(error)
# [/errors]
