"""What a domain package hands the app factory: its endpoints and its background lifecycles."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiohttp import web

from server.api import ApiRouter

Lifecycle = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True)
class Plugin:
    """A package's endpoint groups and its cleanup contexts (room hub, sweepers, outbox sender, ...)."""

    routers: tuple[ApiRouter, ...]
    lifecycles: tuple[Lifecycle, ...] = field(default=())
    # Wiring at app creation (resources that are not opened, such as a client or a sub-app).
    setup: Callable[[web.Application], None] | None = None
