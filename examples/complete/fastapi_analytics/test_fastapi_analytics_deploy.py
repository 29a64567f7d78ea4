"""Tests of deploy/: the Dockerfile, the compose file and the Kubernetes manifests parse,
agree with each other, and name what the app really serves.

Every probe and scrape path is requested from the app (started with its TestClient, as the
pods run it: the production overlay on), the container port is the one the image's command
serves, the ConfigMap carries mlpy.toml as it is, and the configuration passes
``mlpy config validate`` as the image build runs it.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("prometheus_client")
yaml = pytest.importorskip("yaml")

with warnings.catch_warnings():  # Starlette may prefer another httpx for its TestClient
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from mlpy.config import MLConfig

HERE = Path(__file__).resolve().parent
DEPLOY = HERE / "deploy"


def _load_app():
    # Loaded by path under a unique name (every example has an app.py), registered first:
    # its dataclasses and pydantic models look their module up.
    name = "examples_complete_fastapi_analytics_deploy_app"
    spec = importlib.util.spec_from_file_location(name, HERE / "app.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_app()


def manifests() -> dict[str, dict]:
    """The Kubernetes objects of deploy/k8s/, by kind."""
    found = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[document["kind"]] = document
    return found


def pod() -> dict:
    return manifests()["Deployment"]["spec"]["template"]


def container() -> dict:
    (only,) = pod()["spec"]["containers"]
    return only


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each instruction of the Dockerfile, continuations joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def compose_service() -> dict:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose["services"]["analytics"]


@pytest.fixture(scope="module")
def production_client():
    """The app as the pods run it: the configuration of the ConfigMap, MLPY_ENV=production
    (whose logging overlay is undone afterwards)."""
    logger = logging.getLogger("mlpy")
    saved = list(logger.handlers), logger.level, logger.propagate
    config = MLConfig.load(HERE / "mlpy.toml", environment="production", env={})
    try:
        with TestClient(example.create_app(config)) as client:
            yield client
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


def test_each_probe_names_a_route_the_app_serves_on_the_container_port(production_client):
    spec = container()
    ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
    probes = [name for name in spec if name.endswith("Probe")]
    assert sorted(probes) == ["livenessProbe", "readinessProbe"]
    for probe in probes:
        target = spec[probe]["httpGet"]
        assert ports.get(target["port"], target["port"]) == 8000
        answer = production_client.get(target["path"])
        assert answer.status_code == 200, f"{probe} {target['path']}: {answer.text}"
    assert spec["livenessProbe"]["httpGet"]["path"] == "/health"  # checks nothing: no flaps
    assert spec["readinessProbe"]["httpGet"]["path"] == "/health/ready"


def test_the_scrape_annotations_name_the_metrics_route(production_client):
    annotations = pod()["metadata"]["annotations"]
    assert int(annotations["prometheus.io/port"]) == container()["ports"][0]["containerPort"]
    scrape = production_client.get(annotations["prometheus.io/path"])
    assert scrape.status_code == 200 and "mlpy_executor_workers" in scrape.text


def test_the_image_serves_app_app_on_the_container_port():
    steps = dockerfile()
    command = json.loads(dict(steps)["CMD"])
    assert command[:2] == ["uvicorn", "app:app"] and hasattr(example, "app")
    port = int(command[command.index("--port") + 1])
    assert ("EXPOSE", str(port)) in steps
    assert container()["ports"][0]["containerPort"] == port
    assert compose_service()["ports"] == [f"{port}:{port}"]
    service = manifests()["Service"]["spec"]
    assert service["ports"][0]["targetPort"] == container()["ports"][0]["name"]
    assert service["selector"] == pod()["metadata"]["labels"]


def test_the_image_copies_files_that_exist():
    build = compose_service()["build"]
    context = (DEPLOY / build["context"]).resolve()  # relative to the compose file
    assert context == HERE and context / build["dockerfile"] == DEPLOY / "Dockerfile"
    copies = [step[1].split()[:-1] for step in dockerfile() if step[0] == "COPY"]
    assert copies and all((context / source).exists() for sources in copies
                          for source in sources), copies


def test_compose_checks_a_served_route(production_client):
    check = " ".join(compose_service()["healthcheck"]["test"])
    path = check.split("127.0.0.1:8000", 1)[1].split("'", 1)[0]
    assert production_client.get(path).status_code == 200


def test_the_configmap_carries_mlpy_toml_as_it_is_where_the_pod_reads_it():
    config_map = manifests()["ConfigMap"]
    assert config_map["data"]["mlpy.toml"] == (HERE / "mlpy.toml").read_text(encoding="utf-8")
    spec = container()
    env = {item["name"]: item["value"] for item in spec["env"]}
    (mount,) = [m for m in spec["volumeMounts"] if m["name"] == "config"]
    assert env["MLPY_CONFIG"] == f"{mount['mountPath']}/mlpy.toml"
    assert {"name": "config", "configMap": {"name": config_map["metadata"]["name"]}} in \
        pod()["spec"]["volumes"]


def test_the_resources_request_no_more_than_their_limits():
    resources = container()["resources"]
    mebibytes = {key: int(value.removesuffix("Mi"))
                 for key, value in ((k, v["memory"]) for k, v in resources.items())}
    assert mebibytes["requests"] <= mebibytes["limits"]
    assert compose_service()["mem_limit"] == f"{mebibytes['limits']}m"


def test_the_configuration_validates_as_the_image_build_checks_it():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MLPY")}
    done = subprocess.run([sys.executable, "-m", "mlpy", "--env", "production", "config",
                           "validate"], cwd=HERE, capture_output=True, text=True, timeout=60, check=False,
                          env=environment | {"NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("configuration ok: mlpy.toml")
