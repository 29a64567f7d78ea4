"""mlpy.integration.django through Django's test Client and AsyncClient: the app config's
engine, per-request grants in sync and async mode, problem responses for ML failures."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

django = pytest.importorskip("django")

from django.conf import settings  # noqa: E402
from django.http import JsonResponse, StreamingHttpResponse  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

import mlpy  # noqa: E402
from mlpy.capabilities import current_capabilities  # noqa: E402
from mlpy.integration.http import PROBLEM_JSON  # noqa: E402
from tests.integration.conftest import (  # noqa: E402
    RULES, SECRET, TENANTS, grants_from_header, tenant, vault,
)

if not settings.configured:  # no project: a minimal configuration, as Django's own tests do
    settings.configure(INSTALLED_APPS=["mlpy.integration.django.MLPyConfig"],
                       ALLOWED_HOSTS=["testserver"], SECRET_KEY="tests", USE_TZ=True)
    django.setup()

from mlpy.integration.django import MLPyConfig, get_engine  # noqa: E402


async def grants_from_header_async(request):
    await asyncio.sleep(0)
    return grants_from_header(request)


def call(function, *args):
    session = get_engine().load(RULES, {"tenant": tenant, "vault": vault},
                                capabilities=current_capabilities())
    return session.call(function, *args)


BARRIER: dict[str, object] = {}


def visible(request):
    if "sync" in BARRIER:
        BARRIER["sync"].wait()
    return JsonResponse(call("visible", TENANTS), safe=False)


async def visible_async(request):
    if "async" in BARRIER:
        await asyncio.wait_for(BARRIER["async"].wait(), 60)
    return JsonResponse(await asyncio.to_thread(call, "visible", TENANTS), safe=False)


def forever(request):
    session = get_engine().load(RULES, {"tenant": tenant, "vault": vault})
    return JsonResponse(session.function("spin").with_timeout(0.3)(), safe=False)


def leak(request):
    return JsonResponse(call("leak"), safe=False)


def stream(request):
    def chunks():
        for name in ("t1", "t2"):
            yield json.dumps(call("visible", [name])) + "\n"
    return StreamingHttpResponse(chunks())


async def stream_async(request):
    async def chunks():
        for name in ("t1", "t2"):
            yield json.dumps(await asyncio.to_thread(call, "visible", [name])) + "\n"
    return StreamingHttpResponse(chunks())


urlpatterns = [
    path("visible", visible), path("visible-async", visible_async),
    path("forever", forever), path("leak", leak),
    path("stream", stream), path("stream-async", stream_async),
]

MIDDLEWARE = ["mlpy.integration.django.MLCapabilityMiddleware"]


@pytest.fixture
def site(request):
    """The settings of one test: these URLs, the middleware, and MLPY (param or default)."""
    mlpy_setting = getattr(request, "param", None) or {
        "RESOLVER": f"{__name__}.grants_from_header", "ENGINE": {"timeout": 30.0}}
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=MIDDLEWARE, MLPY=mlpy_setting):
        yield
    BARRIER.clear()


def test_the_app_config_builds_the_engine_from_the_settings(site):
    engine = get_engine()
    assert isinstance(engine, mlpy.Engine) and engine.timeout == 30.0
    assert isinstance(django.apps.apps.get_app_config("mlpy"), MLPyConfig)


def test_each_request_gets_its_grant_and_a_request_without_one_none(site):
    client = Client()
    assert client.get("/visible", headers={"X-Tenant": "t6"}).json() == ["t6"]
    assert client.get("/visible").json() == []
    assert current_capabilities().names() == frozenset()


@pytest.mark.parametrize("site", [{"ENGINE": {"timeout": 1.0}}], indirect=True)
def test_no_resolver_grants_nothing(site):
    assert Client().get("/visible", headers={"X-Tenant": "t6"}).json() == []


def test_50_concurrent_sync_requests_never_see_each_others_grants(site):
    BARRIER["sync"] = threading.Barrier(len(TENANTS), timeout=60)

    def request(name):
        return Client().get("/visible", headers={"X-Tenant": name}).json()

    with ThreadPoolExecutor(len(TENANTS)) as pool:
        assert list(pool.map(request, TENANTS)) == [[name] for name in TENANTS]


@pytest.mark.parametrize("site", [{"RESOLVER": grants_from_header_async}], indirect=True)
def test_an_async_resolver_serves_sync_requests_too(site):
    assert Client().get("/visible", headers={"X-Tenant": "t3"}).json() == ["t3"]


@pytest.mark.parametrize("site", [{"RESOLVER": grants_from_header_async}], indirect=True)
def test_50_concurrent_async_requests_never_see_each_others_grants(site):
    async def run():
        BARRIER["async"] = asyncio.Barrier(len(TENANTS))
        client = AsyncClient()
        responses = await asyncio.gather(*(
            client.get("/visible-async", headers={"X-Tenant": name}) for name in TENANTS))
        return [r.json() for r in responses]

    assert asyncio.run(run()) == [[name] for name in TENANTS]


def test_a_streamed_body_makes_each_chunk_under_the_request_grants(site):
    response = Client().get("/stream", headers={"X-Tenant": "t2"})
    assert b"".join(response.streaming_content).decode().splitlines() == ["[]", '["t2"]']
    assert current_capabilities().names() == frozenset()


@pytest.mark.parametrize("site", [{"RESOLVER": grants_from_header_async}], indirect=True)
def test_an_async_streamed_body_too(site):
    async def run():
        response = await AsyncClient().get("/stream-async", headers={"X-Tenant": "t1"})
        return [chunk async for chunk in response.streaming_content]

    assert b"".join(asyncio.run(run())).decode().splitlines() == ['["t1"]', "[]"]


def test_an_endless_loop_is_a_504_problem_and_the_site_keeps_serving(site):
    client = Client()
    response = client.get("/forever")
    assert response.status_code == 504 and response["Content-Type"] == PROBLEM_JSON
    assert response.json()["code"] == "MLL001"
    assert client.get("/visible", headers={"X-Tenant": "t1"}).json() == ["t1"]


def test_an_async_request_that_loops_forever_is_a_504_too(site):
    async def run():
        return await AsyncClient().get("/forever")

    response = asyncio.run(run())
    assert response.status_code == 504 and response.json()["title"] == "Gateway Timeout"


def test_a_host_failure_is_a_500_that_reveals_nothing(site):
    response = Client().get("/leak")
    assert response.status_code == 500
    assert SECRET not in response.content.decode() and "/srv" not in response.content.decode()


def explode(request):
    raise RuntimeError(f"token store at /srv/tokens, password {SECRET}")


@pytest.mark.parametrize("site", [{"RESOLVER": explode}], indirect=True)
def test_a_failing_resolver_grants_nothing_and_leaks_nothing(site):
    for response in (Client().get("/visible"), asyncio.run(AsyncClient().get("/visible"))):
        assert response.status_code == 500 and response["Content-Type"] == PROBLEM_JSON
        assert SECRET not in response.content.decode()


def test_a_bad_setting_is_a_configuration_error(site):
    from mlpy.integration.django import MLCapabilityMiddleware

    with override_settings(MLPY={"RESOLVER": 42}), pytest.raises(mlpy.MLConfigurationError):
        MLCapabilityMiddleware(lambda request: None)
