"""What a package hands the app factory: its endpoints, the services it builds once, its background work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from aiohttp import web

from server.api import ApiRouter

Lifecycle = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True)
class Plugin:
    """A package's endpoint groups, its composition root and its cleanup contexts (sweepers, senders, ...)."""

    routers: tuple[ApiRouter, ...] = ()
    lifecycles: tuple[Lifecycle, ...] = field(default=())
    # Wiring at app creation: routes that are not API endpoints, socket commands, hooks of lower layers.
    setup: Callable[[web.Application], None] | None = None
    # The composition root: builds the package's services once at start-up (the pool and Redis exist by
    # then) and stores them under typed AppKeys; handlers fetch them, never build them.
    build: Callable[[web.Application], None] | None = None

    def contexts(self) -> tuple[Lifecycle, ...]:
        """The package's cleanup contexts, its build first."""
        if self.build is None:
            return self.lifecycles
        build = self.build

        async def built(app: web.Application) -> AsyncIterator[None]:
            build(app)
            yield

        return (built, *self.lifecycles)
