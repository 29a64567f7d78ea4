"""Tests of the deployment files: they parse, they agree with each other and with the app.

The probes must name routes the app really serves (the app is started with its test client,
its production overlay on, sandbox workers and all), the ConfigMap must carry mlpy.toml as
it is, the container's memory must hold the sandbox workers the configuration asks for, and
the configuration must pass `mlpy config validate`, as the image build runs it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import logging
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

with warnings.catch_warnings():  # Starlette may prefer another httpx for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient  # noqa: E402

from mlpy.config import MLConfig  # noqa: E402

HERE = Path(__file__).resolve().parent
ORDER = {"lines": [{"price": 12.5, "qty": 2, "kg": 1.5}, {"price": 3, "qty": 10, "kg": 2.5}]}


def _load_app():
    # Loaded by path under a unique name: every example has an app.py.
    spec = importlib.util.spec_from_file_location("examples_production_deployment_app",
                                                  HERE / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


def manifests() -> dict[str, dict]:
    """The Kubernetes objects of k8s/, by kind (PyYAML comes with the docs extra)."""
    yaml = pytest.importorskip("yaml")
    found = {}
    for path in sorted((HERE / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[document["kind"]] = document
    return found


def container() -> dict:
    (only,) = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return only


def production_config() -> MLConfig:
    """The configuration the pods run with, without this machine's MLPY_* variables."""
    return MLConfig.load(HERE / "mlpy.toml", environment="production", env={})


@pytest.fixture(scope="module")
def mlpy_logger_restored():
    """The production overlay sends the mlpy logger to a JSON handler: undo it afterwards."""
    logger = logging.getLogger("mlpy")
    saved = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture(scope="module")
def production_client(mlpy_logger_restored):
    """The app as the pods run it, started once for the tests of this module."""
    with TestClient(example.create_app(production_config())) as client:  # runs the lifespan
        yield client


def test_the_service_quotes_in_sandbox_workers_and_is_ready_after_startup(production_client):
    answer = production_client.post("/quote", json=ORDER)
    assert answer.status_code == 200
    assert answer.json() == {"subtotal": 55.0, "shipping": 8.9, "total": 63.9}
    ml = production_client.app.state.mlpy
    assert ml.engine.isolation == "subprocess" and ml.max_workers == 2
    ready = production_client.get("/health/ready")  # warmed by the lifespan's deep check
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_a_bad_order_is_a_problem_response_not_a_crash(production_client):
    answer = production_client.post("/quote", json={"lines": [{"price": None, "qty": 1}]})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert production_client.get("/health").status_code == 200


def test_the_probes_point_at_routes_the_app_serves(production_client):
    spec = container()
    ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        target = spec[probe]["httpGet"]
        assert ports.get(target["port"], target["port"]) == 8000
        response = production_client.get(target["path"])
        assert response.status_code == 200, f"{probe} {target['path']}: {response.text}"
    assert spec["livenessProbe"]["httpGet"]["path"] == "/health"  # no checks: never flaps
    assert spec["readinessProbe"]["httpGet"]["path"] == "/health/ready"


def test_the_configmap_carries_mlpy_toml_as_it_is():
    config_map = manifests()["ConfigMap"]
    assert config_map["data"]["mlpy.toml"] == (HERE / "mlpy.toml").read_text(encoding="utf-8")
    spec = container()
    env = {item["name"]: item["value"] for item in spec["env"]}
    (mount,) = [m for m in spec["volumeMounts"] if m["name"] == "config"]
    assert env["MLPY_CONFIG"] == f"{mount['mountPath']}/mlpy.toml"
    assert env["MLPY_ENV"] == "production"
    volumes = manifests()["Deployment"]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "config", "configMap": {"name": config_map["metadata"]["name"]}} in volumes


def _bytes(quantity: str) -> int:
    """A Kubernetes memory quantity (``768Mi``, ``1Gi``, ``1g``) in bytes."""
    number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", quantity).groups()
    scale = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9,
             "m": 10**6, "g": 10**9}[unit]
    return int(number) * scale


def test_the_memory_limit_holds_every_sandbox_worker_and_the_server():
    config = production_config()
    workers = config.get("async.max_workers")  # one sandbox worker per async worker
    sandbox = config.sandbox_config(pool_size=workers)
    server = 256 * 2**20  # room for the server process (about 60 MB resident, measured)
    limits = container()["resources"]["limits"]
    assert _bytes(limits["memory"]) >= workers * sandbox.memory_limit + server
    requests = container()["resources"]["requests"]
    assert _bytes(requests["memory"]) <= _bytes(limits["memory"])
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((HERE / "docker-compose.yml").read_text(encoding="utf-8"))
    assert _bytes(compose["services"]["quotes"]["mem_limit"]) >= workers * sandbox.memory_limit


def test_docker_compose_and_the_dockerfile_agree_with_the_app():
    yaml = pytest.importorskip("yaml")
    service = yaml.safe_load((HERE / "docker-compose.yml").read_text())["services"]["quotes"]
    assert service["ports"] == ["8000:8000"]
    assert service["environment"]["MLPY_ENV"] == "production"
    assert "/health/ready" in " ".join(service["healthcheck"]["test"])
    steps = dockerfile()
    for sources in (step[1].split()[:-1] for step in steps if step[0] == "COPY"):
        assert all((HERE / source).exists() for source in sources), sources
    assert ("EXPOSE", "8000") in steps
    command = json.loads(dict(steps)["CMD"])
    assert command[:2] == ["uvicorn", "app:app"] and command[-1] == "8000"
    assert hasattr(example, "app")  # what app:app names


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each instruction of the Dockerfile, continuations joined."""
    text = (HERE / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def without_mlpy_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MLPY")} | {"NO_COLOR": "1"}


@pytest.mark.parametrize("environment", [None, "production"])
def test_the_configuration_validates_as_the_image_build_checks_it(environment):
    options = ["--env", environment] if environment else []
    done = subprocess.run([sys.executable, "-m", "mlpy", *options, "config", "validate"],
                          cwd=HERE, capture_output=True, text=True, timeout=60,
                          env=without_mlpy_variables())
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("configuration ok: mlpy.toml")  # the message goes to stderr


def test_a_broken_configuration_fails_validation(tmp_path):
    broken = (HERE / "mlpy.toml").read_text().replace("max_workers = 2", "max_workers = 0")
    (tmp_path / "mlpy.toml").write_text(broken)
    done = subprocess.run([sys.executable, "-m", "mlpy", "--env", "production", "config",
                           "validate"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=without_mlpy_variables())
    assert done.returncode == 2
    assert "async.max_workers" in done.stderr and "mlpy.toml" in done.stderr
