"""Flask: answer at once, run the ML job in the background, let the client poll.

A report can take longer than a request should wait. ``POST /reports`` queues it on an
AsyncEngine (a bounded pool of worker threads) and answers ``202`` with the job's URL;
``GET /reports/<id>`` answers ``202`` while the job runs, then ``200`` with the report, or
the problem response of its error. The job runs under the grants of the request that
queued it: ``AsyncEngine.submit`` takes them from the request's capability scope, so a
worker thread never runs one request's job under another request's grants, nor under any
grants by accident. Run it with ``python app.py`` and try::

    curl -X POST localhost:5000/reports -H 'X-Role: analyst' -H 'Content-Type: application/json' \\
         -d '{"region": "north"}'
    curl localhost:5000/reports/<the id it answered>
"""

from __future__ import annotations

import atexit
import uuid
from concurrent.futures import Future
from pathlib import Path

from flask import Flask, abort, request, url_for

import mlpy
from mlpy.aio import AsyncEngine
from mlpy.integration.flask import health_blueprint, init_app

HERE = Path(__file__).resolve().parent

# [grants]
SALES = {"north": [{"order": "N-1", "amount": 120.0}, {"order": "N-2", "amount": 80.5}],
         "south": [{"order": "S-1", "amount": 42.0}]}
ANALYST = mlpy.CapabilitySet.parse(["sales.read"])  # parsed once, not per request


@mlpy.host_function(capabilities=["sales.read"])
def sales(region: str) -> list[dict]:
    """The region's orders (a real service queries its database here)."""
    return SALES.get(region, [])


def grants_for(request) -> mlpy.CapabilitySet | None:
    """Analysts may read sales; everyone else holds no grants."""
    return ANALYST if request.headers.get("X-Role") == "analyst" else None
# [/grants]


# [app]
REPORT = mlpy.compile(HERE / "report.ml", inputs=["region", "sales"])


def create_app() -> Flask:
    app = Flask(__name__)
    init_app(app, resolver=grants_for)  # per-request grants, problem responses
    # Two workers, at most 50 reports waiting (more are refused with 429), 5 s per report.
    jobs_engine = AsyncEngine(max_workers=2, max_pending=50, default_timeout=5.0)
    atexit.register(jobs_engine.shutdown, cancel_pending=True)
    jobs: dict[str, Future] = {}  # job id -> the future of its AsyncMLResult
    app.extensions["report_jobs"] = jobs_engine, jobs
    # /health/ready answers 503 when the job workers cannot take work (all stuck, closed).
    app.register_blueprint(health_blueprint(jobs_engine))

    @app.post("/reports")
    def queue_report():
        region = request.get_json()["region"]
        # The job takes this request's grants along: submit() runs it under them.
        future = jobs_engine.submit(REPORT, variables={"region": region, "sales": sales})
        refused = future.result().error_info if future.done() else None
        if isinstance(refused, mlpy.MLBackpressureError):
            raise refused  # the queue is full: 429 now, rather than a 202 for nothing
        job_id = uuid.uuid4().hex
        jobs[job_id] = future
        return {"id": job_id}, 202, {"Location": url_for("report", job_id=job_id)}

    @app.get("/reports/<job_id>")
    def report(job_id: str):
        future = jobs.get(job_id)
        if future is None:
            abort(404)
        if not future.done():
            return {"status": "running"}, 202
        # unwrap() raises the job's MLError: init_app answers it with a problem response.
        return {"status": "done", "report": future.result().unwrap()}

    return app
# [/app]


app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
