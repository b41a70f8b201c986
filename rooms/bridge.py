"""Redis as the rooms' shared log: one script publishes (seq, capped history, PUBLISH); one subscriber
connection per process receives every room that has local members."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions

from rooms.events import Event, RoomEvent, pack_payload
from rooms.names import RoomName

log = logging.getLogger(__name__)

# KEYS: seq counter, history list. ARGV: channel, payload, history size, ttl seconds.
# One script, so the seq order, the history order and the publish order are the same everywhere.
_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
local message = seq .. ':' .. ARGV[2]
redis.call('RPUSH', KEYS[2], message)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[1], message)
return seq
"""


def channel(room: RoomName) -> str:
    return f"room:{room}"


class Bridge:
    """Publishing and history of rooms (any process may publish to any room)."""

    def __init__(self, client: aioredis.Redis, history_size: int, history_ttl_s: int) -> None:
        self.redis = client
        self._size = history_size
        self._ttl = history_ttl_s
        self._script = client.register_script(_PUBLISH)

    async def publish(self, room: RoomName, type_: str, data: dict[str, Any]) -> int:
        """Append an event to the room's log and send it to every subscribed process; returns its seq."""
        keys = [f"room:{room}:seq", f"room:{room}:log"]
        seq = await self._script(keys=keys, args=[channel(room), pack_payload(type_, data), self._size, self._ttl])
        return int(seq)

    async def emit(self, room: RoomName, event: RoomEvent) -> int:
        """Publish a declared event; returns its seq."""
        return await self.publish(room, event.type, event.payload())

    async def current_seq(self, room: RoomName) -> int:
        return int(await self.redis.get(f"room:{room}:seq") or 0)

    async def history(self, room: RoomName) -> list[Event]:
        """The events the room still holds, oldest first."""
        messages = await self.redis.lrange(f"room:{room}:log", 0, -1)
        return [Event.from_wire(m if isinstance(m, bytes) else m.encode()) for m in messages]


class Subscriber:
    """The process's one pub/sub connection. subscribe() returns once Redis confirmed the channel, so
    that an event published afterwards cannot be missed."""

    def __init__(self, client: aioredis.Redis, on_event: Callable[[RoomName, Event], None]) -> None:
        self._pubsub = client.pubsub()
        self._on_event = on_event
        self._confirm: dict[str, asyncio.Future[None]] = {}
        self._channels: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One command at a time on the one connection: redis-py's PubSub connects lazily, and two first
        # subscribes at once (two rooms opening together) each took a connection; the first was orphaned,
        # with its channel's messages going to a socket nobody reads.
        self._commands = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.create_task(self._read(), name="room-subscriber")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def subscribe(self, name: RoomName, timeout_s: float = 5.0) -> None:
        ch = channel(name)
        if ch in self._channels:
            return
        future = self._confirm.get(ch)
        if future is None:
            future = self._confirm[ch] = asyncio.get_running_loop().create_future()
            async with self._commands:
                await self._pubsub.subscribe(ch)
            self._wake.set()
        await asyncio.wait_for(asyncio.shield(future), timeout_s)

    async def unsubscribe(self, name: RoomName) -> None:
        ch = channel(name)
        self._channels.discard(ch)
        self._confirm.pop(ch, None)
        async with self._commands:
            await self._pubsub.unsubscribe(ch)

    async def _read(self) -> None:
        me = asyncio.current_task()
        while True:
            if me is not None and me.cancelling():
                return  # a cancel swallowed by a timeout helper below us still ends the reader
            if not self._pubsub.subscribed:
                self._wake.clear()
                await self._wake.wait()
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (redis.exceptions.ConnectionError, OSError) as exc:
                # redis-py reconnects and subscribes again; rooms fill any gap from the history.
                log.warning("room subscriber lost Redis, reconnecting: %r", exc)
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            ch = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
            if message["type"] == "subscribe":
                self._channels.add(ch)
                future = self._confirm.pop(ch, None)
                if future is not None and not future.done():
                    future.set_result(None)
            elif message["type"] == "message":
                try:
                    event = Event.from_wire(message["data"])
                except (ValueError, TypeError) as exc:
                    log.error("unreadable room message on %s: %r", ch, exc)
                    continue
                try:
                    room = RoomName.parse(ch.removeprefix("room:"))
                except ValueError:
                    log.error("message on a channel that names no room: %s", ch)
                    continue
                self._on_event(room, event)
