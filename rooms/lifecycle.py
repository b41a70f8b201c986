"""The rooms' lifecycle: the hub and its subscriber, the presence and heartbeat loops, the notification
pusher, and closing sockets on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import redis.exceptions
from aiohttp import web

from rooms.bridge import Bridge
from rooms.gateway import regreet
from rooms.hub import Hub
from rooms.keys import BRIDGE, HUB, PRESENCE, RELAY, VIEWERS_HOOKS
from rooms.metrics import DROPS, ROOMS
from rooms.names import prefix
from rooms.notifications.service import push_stored
from rooms.outbox import Relay
from rooms.presence import Presence
from server.background import periodic
from server.keys import CONFIG, DB, METRICS, REDIS
from server.redis import ready
from server.revocation import CHANNEL as REVOKED_CHANNEL
from server.revocation import CLOSE_CODE, parse_revoked

log = logging.getLogger(__name__)
PRESENCE_INTERVAL_S = 1.0


async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: one bridge, hub and presence per process (after the Redis client exists)."""
    rooms = app[CONFIG].rooms
    bridge = Bridge(app[REDIS], rooms.history_size, rooms.history_ttl_s)
    hub = Hub(bridge)
    hub.regreet = regreet
    hub.start()
    app[METRICS].sample(ROOMS, lambda: len(hub.rooms))
    app[BRIDGE], app[HUB], app[PRESENCE] = bridge, hub, Presence(bridge)
    app[RELAY] = Relay(app[DB], bridge)
    yield
    await hub.stop()


async def revocations_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: listen for ended sign-ins (server.revocation) and close their sockets on this process with
    4401. A message lost while Redis is away is made up for by the check every frame makes."""

    async def listen() -> None:
        me = asyncio.current_task()

        def stopping() -> bool:
            # Python 3.11's asyncio.wait_for (inside redis-py) can swallow a cancel: look, not only catch.
            return me is not None and me.cancelling() > 0

        while not stopping():
            try:
                await ready(app[REDIS])
                async with app[REDIS].pubsub() as pubsub:
                    await pubsub.subscribe(REVOKED_CHANNEL)
                    while not stopping():
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        revoked = parse_revoked(message["data"]) if message else None
                        if revoked is not None:
                            closed = app[HUB].close_where(revoked.covers, CLOSE_CODE, "access revoked")
                            DROPS.labels("revoked").inc(closed)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
                if stopping():
                    return
                log.warning("revocation listener lost Redis, will retry: %r", exc)
                await asyncio.sleep(1.0)

    task = asyncio.create_task(listen(), name="revocations")
    yield
    task.cancel()
    # Bounded: a shutdown never waits on this listener for more than a few seconds, whatever Redis does.
    done, _ = await asyncio.wait({task}, timeout=5.0)
    if not done:
        log.warning("the revocation listener did not stop within 5 s; leaving it")
    elif not task.cancelled() and task.exception() is not None:
        log.warning("the revocation listener failed: %r", task.exception())


async def close_sockets(app: web.Application) -> None:
    """on_shutdown: close every WebSocket with 1001 so clients reconnect elsewhere and resume."""
    if HUB in app:
        await app[HUB].stop()


async def presence_step(app: web.Application) -> None:
    """Report this process's viewers of every show room; publish the totals that changed."""
    hub, presence = app[HUB], app[PRESENCE]
    shows = prefix("stream")
    counts = {name: len(room.members) for name, room in hub.rooms.items() if name.startswith(shows)}
    await presence.report(counts)
    published = await presence.publish_changes(list(counts))
    if published:
        for hook in app.get(VIEWERS_HOOKS, []):
            await hook(app, published)
    await presence.report_online(hub.users())


presence_ctx = periodic("presence", lambda app: PRESENCE_INTERVAL_S, presence_step)


async def heartbeat_step(app: web.Application) -> None:
    """Ping every socket of this process; a client silent for two rounds is dropped (it resumes elsewhere)."""
    await app[HUB].heartbeat(app[CONFIG].rooms.heartbeat_s)


heartbeat_ctx = periodic("heartbeat", lambda app: app[CONFIG].rooms.heartbeat_s / 2, heartbeat_step)


async def push_step(app: web.Application) -> bool:
    """Push stored notifications; True (again at once) while a full batch went out."""
    return await push_stored(app[DB], app[BRIDGE]) == 200


notification_push_ctx = periodic("notification-push", lambda app: app[CONFIG].rooms.notification_push_s, push_step)


async def relay_step(app: web.Application) -> None:
    """Publish the room events that committed but were not published by the process that decided them."""
    interval = app[CONFIG].rooms.outbox_sweep_s
    await app[RELAY].sweep(older_than_s=interval)


relay_ctx = periodic("room-relay", lambda app: app[CONFIG].rooms.outbox_sweep_s, relay_step)


def setup_rooms(app: web.Application) -> None:
    app.on_shutdown.append(close_sockets)
