"""The application factory: wires config, resources, middlewares and every package's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

import audience.plugin
import bidding.plugin
import commerce.plugin
import feed.plugin
import rooms.chat.plugin
import rooms.plugin
import rooms.streams.plugin
import sales.plugin
import server.accounts.plugin
import server.console.plugin
from rooms.asyncapi import setup_asyncapi
from server import ops
from server.config import ROOT, Config, media_path
from server.db import postgres_ctx
from server.http import SERVER_HEADER, refuse_unreadable_requests_as_json
from server.keys import CONFIG, METRICS, PUBLIC_BASE, TOKENS
from server.media import media_handler
from server.metrics import Metrics
from server.middleware import request_context
from server.openapi import setup_docs
from server.plugin import Plugin
from server.redis import redis_ctx
from server.tokens import TokenCodec
from server.urls import PublicBase, use_base

TITLE = "Livestream commerce API"
VERSION = "0.1.0"


def plugins() -> list[Plugin]:
    """Every package, lowest layer first: the order their services are built and lifecycles start (and the
    reverse of the order they stop)."""
    return [
        server.accounts.plugin.plugin,
        rooms.plugin.plugin,
        commerce.plugin.plugin,
        rooms.streams.plugin.plugin,
        rooms.chat.plugin.plugin,
        bidding.plugin.plugin,
        sales.plugin.plugin,
        audience.plugin.plugin,
        feed.plugin.plugin,
        server.console.plugin.plugin,
    ]


async def public_base_ctx(app: web.Application) -> AsyncIterator[None]:
    """Links written outside a request (background loops, events they publish) name the server's own public
    base. Started before the listening socket opens, every connection inherits it, so a request whose base is
    the same (always, with server.public_url set) costs no context change of its own."""
    use_base(app[PUBLIC_BASE].shared)
    yield


def create_app(config: Config) -> web.Application:
    """Build the app; resources open in cleanup contexts when it starts, nothing at import or here."""
    refuse_unreadable_requests_as_json()
    app = web.Application(
        client_max_size=config.server.max_body_bytes,
        middlewares=[request_context],
    )
    app[CONFIG] = config
    app[METRICS] = Metrics()
    app[PUBLIC_BASE] = PublicBase(config.server.public_url, config.server.allowed_hosts, config.server.host,
                                  config.server.port)
    app[TOKENS] = TokenCodec(config.auth.jwt_secret, config.auth.access_ttl_s, config.auth.refresh_ttl_s)
    app.cleanup_ctx.extend([public_base_ctx, postgres_ctx, redis_ctx, ops.metrics_ctx])
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(Path(ROOT, "templates")),
        autoescape=jinja2.select_autoescape(default=True),
    )

    installed = plugins()
    routers = [ops.api, *(r for p in installed for r in p.routers)]
    for router in routers:
        router.register(app.router)
    for p in installed:
        if p.setup is not None:
            p.setup(app)
        app.cleanup_ctx.extend(p.contexts())
    if config.mode != "production" or config.server.public_docs:
        setup_docs(app, routers, TITLE, VERSION)
        setup_asyncapi(app, TITLE, VERSION)
    app.router.add_static("/static/", Path(ROOT, "static"))
    media = media_path(config)
    media.mkdir(parents=True, exist_ok=True)
    app.router.add_get("/media/{path:.+}", media_handler(media))
    app.on_response_prepare.append(_common_headers)
    return app


async def _common_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response names no software versions; in production over HTTPS it also pins HTTPS (HSTS)."""
    response.headers["Server"] = SERVER_HEADER
    config = request.app[CONFIG]
    if config.mode == "production" and config.server.public_url.startswith("https://"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

