"""Analytics, a small multi-tenant FastAPI service whose business logic is written in ML.

Tenants send measurements (``POST /events``, or a batch with ``POST /events/batch`` that
is checked in a background task) and read statistics over a time window
(``GET /metrics/{window}``), the outliers of a metric (``GET /anomalies``) and a dashboard
(``GET /dashboard``). The rules that accept an event, compute the statistics, find
anomalies and build the dashboard are the ML files of ``rules/``; they run on the
application's AsyncEngine, each under the time limit of ``mlpy.toml``, and under the grants
of the request's tenant plan, which CapabilityMiddleware derives from the ``X-Api-Key``
header: only the "pro" plan holds ``analytics.forecast``, so only its dashboards forecast.
``/health``, ``/health/ready`` and ``/health/detailed`` are the probes,
``/metrics/prometheus`` the scrape target, ``/docs`` the OpenAPI pages.

Run it with ``python app.py`` (or ``uvicorn app:app``) and try::

    curl -X POST localhost:8000/events -H 'X-Api-Key: key-acme' \\
         -H 'Content-Type: application/json' -d '{"metric": "cpu.load", "value": 0.7}'
    curl localhost:8000/metrics/1h -H 'X-Api-Key: key-acme'
    curl localhost:8000/dashboard -H 'X-Api-Key: key-acme'
"""

from __future__ import annotations

import bisect
import time
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import (
    BackgroundTasks,
    Depends,
    FastAPI,
    Header,
    HTTPException,
    Query,
    Response,
)
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field

import mlpy
from mlpy.aio import AsyncEngine, AsyncMLResult
from mlpy.config import MLConfig
from mlpy.integration.asgi import CapabilityMiddleware
from mlpy.integration.fastapi import (
    get_async_engine,
    health_router,
    install_error_handlers,
    mlpy_lifespan,
)
from mlpy.observability import prometheus

HERE = Path(__file__).resolve().parent
RETAINED = 50_000  # events kept per tenant; a real service keeps them in a time-series store
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
WINDOW = r"^[1-9][0-9]{0,5}[smhd]$"  # 30s, 15m, 24h, 7d


# [tenants]
@dataclass(frozen=True)
class Tenant:
    name: str
    plan: str


# API key -> tenant. A real service looks the key up in its database (async, then).
API_KEYS = {"key-acme": Tenant("acme", "pro"), "key-globex": Tenant("globex", "basic"),
            "key-initech": Tenant("initech", "basic")}
# What each plan's requests may do in ML, parsed once.
PLAN_GRANTS = {"pro": mlpy.CapabilitySet.parse(["analytics.forecast"]),
               "basic": mlpy.CapabilitySet()}


def tenant_of(headers: list[tuple[bytes, bytes]]) -> Tenant | None:
    key = dict(headers).get(b"x-api-key", b"").decode("latin-1")
    return API_KEYS.get(key)


def grants_for(scope: dict[str, Any]) -> mlpy.CapabilitySet | None:
    """CapabilityMiddleware's resolver: the grants of the request's plan, none without a
    known key (the endpoint then answers 401)."""
    tenant = tenant_of(scope["headers"])
    return PLAN_GRANTS[tenant.plan] if tenant else None


def current_tenant(x_api_key: Annotated[str, Header()] = "") -> Tenant:
    tenant = API_KEYS.get(x_api_key)
    if tenant is None:
        raise HTTPException(status_code=401, detail="unknown or missing X-Api-Key")
    return tenant


@mlpy.host_function(capabilities=["analytics.forecast"])
def forecast(values: list[float]) -> float | None:
    """The next value of a series by a least-squares line (a pro feature)."""
    n = len(values)
    if n < 2:
        return None
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
             / sum((x - mean_x) ** 2 for x in range(n)))
    return round(mean_y + slope * (n - mean_x), 3)
# [/tenants]


# [models]
class Event(BaseModel):
    """One measurement. The types are checked here; the business rules in validate.ml."""
    metric: str = Field(examples=["cpu.load"], max_length=200)
    value: float = Field(examples=[0.7])
    timestamp: float = Field(default_factory=time.time, description="Unix seconds")
    tags: dict[str, str] = Field(default_factory=dict)


class Batch(BaseModel):
    events: list[Event] = Field(max_length=10_000)


class BatchStatus(BaseModel):
    id: str
    status: str = Field(description="checking, then done")
    accepted: int = 0
    rejected: list[dict[str, Any]] = Field(default_factory=list)
    anomalies: dict[str, int] = Field(default_factory=dict, description="per metric")


class MetricSummary(BaseModel):
    count: int
    sum: float
    mean: float
    min: float
    max: float
    stddev: float
    p50: float
    p95: float
    latest: float


class Anomaly(BaseModel):
    timestamp: float
    value: float
    z: float
    direction: str


class Card(BaseModel):
    metric: str
    latest: float
    mean: float
    count: int
    anomalies: int
    status: str
    forecast: float | None = Field(default=None, description="pro plan only")


class Dashboard(BaseModel):
    status: str
    alerts: int
    cards: list[Card]
    features: list[str] = Field(description="the capabilities the tenant's plan holds")
# [/models]


class EventStore:
    """Each tenant's events in time order, the newest RETAINED of them. Endpoints run on the
    event loop, one at a time between awaits, so no lock is needed."""

    def __init__(self) -> None:
        self._events: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, tenant: Tenant, event: dict[str, Any]) -> None:
        events = self._events[tenant.name]
        bisect.insort(events, event, key=lambda item: item["timestamp"])
        del events[:-RETAINED]

    def since(self, tenant: Tenant, start: float | None) -> list[dict[str, Any]]:
        events = self._events[tenant.name]
        if start is None:
            return list(events)
        return events[bisect.bisect_left(events, start, key=lambda item: item["timestamp"]):]


def window_start(window: str | None) -> float | None:
    """Unix time at which ``window`` (``24h``...) before now begins; None for all."""
    if window is None:
        return None
    return time.time() - int(window[:-1]) * UNITS[window[-1]]


def series(events: list[dict[str, Any]]) -> dict[str, list[dict[str, float]]]:
    """The points of each metric, in time order."""
    points: dict[str, list[dict[str, float]]] = defaultdict(list)
    for event in events:
        points[event["metric"]].append({"timestamp": event["timestamp"],
                                        "value": event["value"]})
    return dict(points)


def rejected(problems: list[str]) -> JSONResponse:
    body = {"type": "about:blank", "title": "Event rejected", "status": 422,
            "detail": "; ".join(problems), "problems": problems}
    return JSONResponse(body, status_code=422, media_type="application/problem+json")


# [app]
def load_config() -> MLConfig:
    """mlpy.toml beside this file (or MLPY_CONFIG), its MLPY_ENV overlay, MLPY__* on top."""
    return MLConfig.load(start_dir=HERE)


def create_app(config: MLConfig | None = None, rules_dir: Path = HERE / "rules") -> FastAPI:
    config = config or load_config()
    registry = CollectorRegistry()  # this app's metrics only, not the process's

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        metrics = prometheus.install(registry=registry)  # before the engine: it is found
        try:
            # Workers, queue bound, time limit and denies come from mlpy.toml.
            async with mlpy_lifespan(app, config=config, thread_name_prefix="analytics"):
                engine = app.state.mlpy.engine
                app.state.rules = {path.stem: engine.compile(path)
                                   for path in sorted(rules_dir.glob("*.ml"))}
                yield
        finally:
            metrics.uninstall()

    app = FastAPI(title="analytics", version="1.0.0", lifespan=lifespan)
    app.add_middleware(CapabilityMiddleware, resolver=grants_for)
    install_error_handlers(app)  # an MLError: problem+json, 504 on a timeout, 429 when full
    app.include_router(health_router())  # /health, /health/ready, /health/detailed
    app.state.store = EventStore()
    app.state.batches = {}  # batch id -> (tenant, BatchStatus)
    add_routes(app, registry)
    return app
# [/app]


ML = Annotated[AsyncEngine, Depends(get_async_engine)]
CurrentTenant = Annotated[Tenant, Depends(current_tenant)]


def add_routes(app: FastAPI, registry: CollectorRegistry) -> None:
    store: EventStore = app.state.store

    def rule(name: str) -> mlpy.Program:
        return app.state.rules[name]

    # [events]
    @app.post("/events", status_code=201, responses={422: {"description": "Event rejected"}})
    async def post_event(event: Event, tenant: CurrentTenant, ml: ML) -> dict[str, Any]:
        """Accept one event if the rules of validate.ml do."""
        outcome = await ml.call(rule("validate"), "process_event", event.model_dump(),
                                time.time())
        if not outcome["accepted"]:
            return rejected(outcome["problems"])
        store.add(tenant, outcome["event"])
        return outcome["event"]
    # [/events]

    # [batch]
    @app.post("/events/batch", status_code=202, response_model=BatchStatus)
    async def post_batch(batch: Batch, tenant: CurrentTenant, ml: ML, tasks: BackgroundTasks,
                         response: Response) -> BatchStatus:
        """Take a batch at once; check it and re-score its metrics after the answer."""
        status = BatchStatus(id=uuid.uuid4().hex, status="checking")
        app.state.batches[status.id] = (tenant, status)
        # Runs after the 202 is sent, still inside this request: under its grants.
        tasks.add_task(check_batch, ml, tenant, batch, status)
        response.headers["Location"] = f"/events/batch/{status.id}"
        return status

    async def check_batch(ml: AsyncEngine, tenant: Tenant, batch: Batch,
                          status: BatchStatus) -> None:
        now = time.time()
        checked = await ml.map((rule("validate"), "process_event"),
                               [(event.model_dump(), now) for event in batch.events])
        touched = set()
        for index, result in enumerate(checked):
            problems = failure(result) or result.value.get("problems")
            if problems:
                status.rejected.append({"index": index, "problems": problems})
                continue
            store.add(tenant, result.value["event"])
            touched.add(result.value["event"]["metric"])
        points = series(store.since(tenant, None))
        names = sorted(touched)
        scored = await ml.map((rule("anomalies"), "detect_anomalies"),
                              [(points[name], THRESHOLD) for name in names])
        status.anomalies = {name: len(result.value) for name, result in zip(names, scored)
                            if result.success}
        status.accepted = len(checked) - len(status.rejected)
        status.status = "done"

    @app.get("/events/batch/{batch_id}", response_model=BatchStatus)
    async def get_batch(batch_id: str, tenant: CurrentTenant) -> BatchStatus:
        owner, status = app.state.batches.get(batch_id, (None, None))
        if owner != tenant:  # another tenant's batch does not exist for this one
            raise HTTPException(status_code=404)
        return status
    # [/batch]

    # [prometheus]
    @app.get("/metrics/prometheus", include_in_schema=False)
    async def scrape() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    # [/prometheus]

    # [queries]
    @app.get("/metrics/{window}", response_model=dict[str, MetricSummary])
    async def get_metrics(window: Annotated[str, PathParameter(pattern=WINDOW)],
                          tenant: CurrentTenant, ml: ML) -> dict[str, Any]:
        """Statistics per metric over the last ``window`` (30s, 15m, 24h, 7d)."""
        events = store.since(tenant, window_start(window))
        return await ml.call(rule("metrics"), "calculate_metrics", events)

    @app.get("/anomalies", response_model=list[Anomaly])
    async def get_anomalies(metric: str, tenant: CurrentTenant, ml: ML,
                            threshold: Annotated[float, Query(gt=0, le=10)] = THRESHOLD,
                            window: Annotated[str | None, Query(pattern=WINDOW)] = None
                            ) -> list[dict[str, Any]]:
        """The points of ``metric`` at least ``threshold`` standard deviations from its
        mean, over ``window`` (default: every retained event)."""
        points = series(store.since(tenant, window_start(window))).get(metric, [])
        return await ml.call(rule("anomalies"), "detect_anomalies", points, threshold)

    @app.get("/dashboard", response_model=Dashboard)
    async def get_dashboard(tenant: CurrentTenant, ml: ML,
                            window: Annotated[str | None, Query(pattern=WINDOW)] = None
                            ) -> dict[str, Any]:
        """A card per metric: its latest value, mean, anomalies, and for the pro plan a
        forecast."""
        events = store.since(tenant, window_start(window))
        points = series(events)
        summaries = await ml.call(rule("metrics"), "calculate_metrics", events)
        names = list(summaries)
        scored = await ml.map((rule("anomalies"), "detect_anomalies"),
                              [(points[name], THRESHOLD) for name in names])
        counts = {name: len(result.unwrap()) for name, result in zip(names, scored)}
        values = {name: [point["value"] for point in points[name]] for name in names}
        return await ml.call(rule("dashboard"), "dashboard", summaries, counts, values,
                             forecast)
    # [/queries]


THRESHOLD = 2.5  # standard deviations: the default of GET /anomalies and the dashboard


def failure(result: AsyncMLResult) -> list[str] | None:
    """A failed rule run (a timeout, say) as the rejection of its event."""
    if result.success:
        return None
    return [f"{type(result.error_info).__name__}: {result.error_info.message}"]


app = create_app()  # what `uvicorn app:app` serves (the Dockerfile's command)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)
