"""Operations endpoints: liveness, readiness (database and Redis) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import AsyncIterator

from aiohttp import web
from pydantic import BaseModel

from server import store
from server.api import ApiRouter
from server.errors import NotFound
from server.keys import CONFIG, DB, METRICS, REDIS
from server.metrics import CONTENT_TYPE, sample_forever
from server.metrics import render as metrics_text

log = logging.getLogger(__name__)
api = ApiRouter("operations")
_CHECK_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: str
    process: int


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@api.get("/healthz", auth="public", response=Health, summary="The process is up")
async def healthz(request: web.Request) -> Health:
    return Health(status="ok", process=os.getpid())


@api.get("/readyz", auth="public", response=Readiness,
         summary="The database and Redis answer (503 with the failing check otherwise)")
async def readyz(request: web.Request) -> web.Response:
    async def database() -> None:
        await store.ping(request.app[DB])

    async def redis() -> None:
        await request.app[REDIS].ping()

    checks: dict[str, str] = {}
    for name, probe in (("database", database), ("redis", redis)):
        try:
            await asyncio.wait_for(probe(), _CHECK_TIMEOUT_S)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; the reason goes to the log, not the caller
            log.warning("readiness check %s failed: %r", name, exc)
            checks[name] = "unreachable"
    if all(v == "ok" for v in checks.values()):
        return web.json_response({"status": "ready", "checks": checks})
    failing = ", ".join(k for k, v in checks.items() if v != "ok")
    body = {"error": {"code": "not_ready", "message": f"Not ready: {failing} unreachable.", "checks": checks}}
    return web.json_response(body, status=503)


@api.get("/metrics", auth="public",
         summary="Prometheus metrics (text format) of this process, or of every worker under `--workers N`")
async def metrics(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    if config.mode == "production":  # operators only: the bearer token of server.metrics_token
        token = config.server.metrics_token
        given = request.headers.get("Authorization", "")
        if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise NotFound("No such page.", code="not_found")
    return web.Response(body=metrics_text(), headers={"Content-Type": CONTENT_TYPE})


async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the sampler of event-loop lag and gauges runs while the app does."""
    task = asyncio.create_task(sample_forever(app[METRICS]), name="metrics-sampler")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
