"""Operations: health, readiness, metrics, request ids, access logs, the OpenAPI spec and its pages."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.config import ROOT
from server.embedded import free_port
from server.logs import JsonFormatter
from tests.conftest import make_config
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api, families, promtool_check, sample, samples


async def test_healthz_and_readyz(api: Api) -> None:
    health = (await api.get("/healthz")).body
    assert health["status"] == "ok" and isinstance(health["process"], int)
    ready = await api.get("/readyz")
    assert ready.status == 200
    assert ready.body == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_readyz_is_503_naming_redis_when_it_is_unreachable(aiohttp_client, clean) -> None:
    config = make_config(clean, redis={"url": f"redis://127.0.0.1:{free_port()}"})
    client = await aiohttp_client(create_app(config))
    async with client.get("/readyz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["error"]["code"] == "not_ready"
    assert body["error"]["checks"]["database"] == "ok"
    assert body["error"]["checks"]["redis"] == "unreachable"  # the reason goes to the log, not the caller
    # A request that needs Redis gets a clean 503 too, not a stack trace.
    async with client.post("/api/auth/login/", json={"username": "someone", "password": "x"}) as resp:
        assert resp.status == 503
        assert (await resp.json())["error"]["code"] == "service_unavailable"


async def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    async with client.get("/healthz", headers={"X-Request-ID": "abc-123"}) as resp:
        assert resp.headers["X-Request-ID"] == "abc-123"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    async with client.get("/nowhere", headers={"X-Request-ID": "bad id with spaces"}) as resp:
        assert resp.status == 404
        generated = resp.headers["X-Request-ID"]
        assert generated != "bad id with spaces" and re.fullmatch(r"[0-9a-f]{13,}", generated)
    async with client.get("/nowhere") as resp:
        assert resp.headers["X-Request-ID"] != generated  # one per request


async def test_metrics_count_requests_by_route_template(api: Api) -> None:
    before = samples((await api.get("/metrics")).body)
    user = await api.register("metric")
    await api.get(f"/api/users/{user.id}/", token=user.access)
    await api.get("/nowhere")
    reply = await api.get("/metrics")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain; version=")
    after = samples(reply.body)

    def added(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert added("http_requests_total", method="POST", route="/api/auth/register/buyer/", status="201") == 1
    assert added("http_requests_total", method="GET", route="/api/users/{id}/", status="200") == 1
    assert added("http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert added("http_request_duration_seconds_bucket", method="GET", route="/api/users/{id}/", le="+Inf") == 1
    assert added("lsc_db_pool_wait_seconds_count") >= 2 and added("lsc_redis_pool_wait_seconds_count") >= 1
    assert added("lsc_sign_ins_total", outcome="ok") == 0  # a sign-up checks no password


def operations_guide() -> str:
    return Path(ROOT, "docs/operations.md").read_text()


async def test_metrics_of_a_live_room_and_every_family_documented(api: Api, admin: Account, client: TestClient
                                                                  ) -> None:
    show = await live_show(api, admin, "metered")
    buyer = await api.register("watcher")
    before = samples((await api.get("/metrics")).body)
    socket = await connect(client, show.stream_id, buyer.access)
    await socket.next("hello")
    sent = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "counted"}, token=buyer.access)
    assert sent.status == 201
    await socket.next("chat")
    # The sampled gauges (rooms, pools) and the loop's lag are read every half second: wait for them to show.
    for _ in range(100):
        text = (await api.get("/metrics")).body
        after = samples(text)
        if sample(after, "lsc_rooms") >= 1 and sample(after, "lsc_event_loop_lag_seconds_count") >= 1:
            break
        await asyncio.sleep(0.05)
    assert sample(after, "lsc_websocket_connections") - sample(before, "lsc_websocket_connections") == 1
    assert sample(after, "lsc_rooms") >= 1 and sample(after, "lsc_db_pool_connections") >= 1
    assert sample(after, "lsc_room_deliveries_total") - sample(before, "lsc_room_deliveries_total") >= 1
    assert sample(after, "lsc_room_publish_seconds_count") > sample(before, "lsc_room_publish_seconds_count")
    assert sample(after, "lsc_room_event_delay_seconds_count") > sample(before, "lsc_room_event_delay_seconds_count")
    assert sample(after, "lsc_process_resident_memory_bytes") > 10 * 2**20
    await socket.ws.close()

    # Every family this server exposes is in the operator's guide, and promtool accepts the exposition.
    guide = operations_guide()
    undocumented = sorted(f for f in families(text) if f.startswith(("lsc_", "http_")) and f"`{f}" not in guide)
    assert not undocumented, f"add to docs/operations.md: {undocumented}"
    promtool_check(text)


async def test_access_log_has_one_line_per_request(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="lsc.access"):
        reply = await api.get("/healthz", headers={"X-Request-ID": "log-me"})
    assert reply.status == 200
    records = [r for r in caplog.records if r.name == "lsc.access"]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status, record.request_id) == ("GET", "/healthz", 200, "log-me")
    assert record.duration_ms >= 0
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "log-me" and line["status"] == 200 and line["logger"] == "lsc.access"


async def test_openapi_spec_lists_every_route_with_its_schemas(api: Api, app) -> None:
    reply = await api.get("/api/openapi.json")
    assert reply.status == 200
    spec = reply.body
    assert spec["openapi"].startswith("3.")
    registered = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith("/api/") and r.method != "HEAD"
        and not r.resource.canonical.startswith(("/api/openapi", "/api/asyncapi", "/api/swagger", "/api/redoc",
                                                 "/api/docs-assets"))
    }
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert registered <= documented, registered - documented
    for alias in ("/api/signup/", "/api/login/", "/api/profile/"):
        assert alias in spec["paths"]
    register = spec["paths"]["/api/auth/register/seller/"]["post"]
    body_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert {"username", "email", "password", "business_name"} <= set(schema["required"])
    assert "201" in register["responses"] and "400" in register["responses"]
    verify = spec["paths"]["/api/admin/sellers/{id}/verify/"]["post"]
    assert verify["parameters"][0]["name"] == "id" and {"401", "403", "404"} <= set(verify["responses"])
    users = spec["paths"]["/api/users/"]["get"]
    assert {p["name"] for p in users["parameters"]} == {"page", "page_size", "search"}
    # The selling tools' refusals are listed with their codes.
    for path, codes in {
        "/api/livestreams/biddings/{id}/start/": ["not_scheduled", "not_live", "auction_open"],
        "/api/livestreams/biddings/{id}/second-chance/": ["not_lapsed", "no_runner_up", "offer_open"],
        "/api/livestreams/biddings/{id}/second-chance/accept/": ["offer_not_open", "offer_expired"],
        "/api/livestreams/flash-sales/{id}/claim/": ["sold_out", "limit_reached", "sale_ended"],
        "/api/livestreams/giveaways/{id}/enter/": ["already_entered", "giveaway_ended"],
        "/api/cart/{id}/": ["won_item_locked"],
    }.items():
        described = next(iter(spec["paths"][path].values()))["responses"]["409"]["description"]
        assert all(f"`{code}`" in described for code in codes), (path, described)


@pytest.mark.parametrize("page,asset", [
    ("/api/swagger/", "/api/docs-assets/swagger-ui-dist/swagger-ui-bundle.js"),
    ("/api/redoc/", "/api/docs-assets/redoc/bundles/redoc.standalone.js"),
])
async def test_doc_pages_load_their_assets_locally(client: TestClient, page: str, asset: str) -> None:
    async with client.get(page) as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        html = await resp.text()
    assert asset in html and "http" not in html.replace("http-equiv", "")
    async with client.get(asset) as resp:
        assert resp.status == 200
        assert len(await resp.read()) > 100_000


async def test_production_hides_metrics_and_docs_and_pins_https(aiohttp_client: Any, clean: Any) -> None:
    config = make_config(clean, auth={"jwt_secret": "p" * 40}, server={
        "public_url": "https://shop.example.com", "metrics_token": "m" * 32},
        razorpay={"base_url": "https://api.razorpay.com", "key_secret": "k" * 24, "webhook_secret": "w" * 24})
    client = await aiohttp_client(create_app(dataclasses.replace(config, mode="production")))
    for path in ("/metrics", "/api/swagger/", "/api/redoc/", "/api/openapi.json", "/api/asyncapi.json"):
        async with client.get(path) as resp:
            assert resp.status == 404, path
            assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    async with client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32}) as resp:
        assert resp.status == 200 and "http_requests_total" in await resp.text()
    async with client.get("/healthz") as resp:
        assert resp.headers["Server"] == "livestream-commerce"


async def test_head_text_bodies_and_the_server_header(client: TestClient) -> None:
    async with client.head("/api/products/categories/") as resp:
        assert resp.status == 200 and await resp.read() == b""
        assert resp.headers["Server"] == "livestream-commerce" and "Python" not in resp.headers["Server"]
    async with client.post("/api/auth/login/", data=b'{"username": "a", "password": "b"}',
                           headers={"Content-Type": "text/plain"}) as resp:
        assert resp.status == 415 and (await resp.json())["error"]["code"] == "unsupported_media_type"
    async with client.get("/readyz") as resp:
        assert "Error" not in await resp.text()
