"""Redis as the rooms' shared log: one script publishes (epoch, seq, capped history, PUBLISH), in outbox order
when the events come from PostgreSQL; one subscriber connection per process receives every room with local members.
On a Redis Cluster a room's keys and channel share one slot, the script publishes with SPUBLISH (sent only to that
slot's node and its replicas, where PUBLISH is copied to every node), and the subscriber holds one connection
per node that owns a subscribed room's slot."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.cluster import ClusterPubSub, RedisCluster

from rooms.events import Event, RoomEvent, pack_payload
from rooms.metrics import PUBLISH_SECONDS, SUBSCRIBER_LOST
from rooms.names import RoomName
from server.redis import is_cluster, ready
from server.redis_errors import REDIS_DOWN

log = logging.getLogger(__name__)

# A room's log in Redis: its epoch (made with the log), its seq counter, its capped history, and the last
# outbox position published into it. KEYS: epoch, seq, log, pos. ARGV: channel, history size, ttl seconds,
# a new epoch in case the log is gone, the first outbox position ('' for events that have none), '1' to take
# that position whatever the log holds (else '0'), payloads.
# One script, so the seq order, the history order and the publish order are the same everywhere. A new log
# makes its seq and pos keys at once (pos empty: nothing published from the outbox yet), and its history exists
# from its first event on: while a Redis Cluster migrates the room's slot, the script then finds all its keys
# at the source or all at the target, where some at each are refused (TRYAGAIN) until the move ends. With
# positions, each is published once and only right after the one before it: a position already in the log
# is skipped, and one past a missing position stops the script (the caller publishes the missing ones first).
_PUBLISH = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[1], epoch)
  redis.call('SET', KEYS[2], '0')
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], '')
end
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local gap = false
local last = nil
if ARGV[5] ~= '' and ARGV[6] ~= '1' then
  last = redis.call('GET', KEYS[4])
  if last then last = tonumber(last) end
end
for i = 7, #ARGV do
  local fresh = true
  if ARGV[5] ~= '' then
    local pos = tonumber(ARGV[5]) + i - 7
    if last and pos <= last then
      fresh = false
    elseif last and pos > last + 1 then
      gap = true
      break
    else
      last = pos
    end
  end
  if fresh then
    seq = redis.call('INCR', KEYS[2])
    local message = epoch .. ':' .. seq .. ':' .. ARGV[i]
    redis.call('RPUSH', KEYS[3], message)
    redis.call('PUBLISH', ARGV[1], message)
  end
end
if last then redis.call('SET', KEYS[4], last) end
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[2]), -1)
for k = 1, 4 do redis.call('EXPIRE', KEYS[k], tonumber(ARGV[3])) end
return {epoch, seq, gap and 1 or 0, last or -1}
"""
# The room's position, making its log (a new epoch) if there is none. KEYS and ARGV as above.
_POSITION = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', KEYS[1], epoch, 'EX', tonumber(ARGV[3]))
  redis.call('SET', KEYS[2], '0', 'EX', tonumber(ARGV[3]))
  redis.call('DEL', KEYS[3])
  redis.call('SET', KEYS[4], '', 'EX', tonumber(ARGV[3]))
end
return {epoch, tonumber(redis.call('GET', KEYS[2]) or '0')}
"""


def channel(room: RoomName) -> str:
    """The room's pub/sub channel, tagged like its keys: on a cluster, SPUBLISH from the script must name a
    channel of the script's own slot."""
    return f"room:{{{room}}}"


def log_key(room: RoomName, part: str) -> str:
    """A key of the room's log (epoch, seq, log, pos). The room's name is the key's hash tag: every key of a room
    is in one Redis Cluster slot, so the scripts that touch them all can run on a cluster."""
    return f"room:{{{room}}}:{part}"


def new_epoch() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a room's log stands: its epoch and the seq of its newest event (0 before any)."""

    epoch: str
    seq: int


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish of outbox rows did: the log's position after it, and whether it stopped at a gap
    (an earlier position not yet published), with the last position the log holds (-1: none)."""

    position: Position
    gap: bool
    last_pos: int


class Bridge:
    """Publishing and history of rooms (any process may publish to any room)."""

    def __init__(self, client: aioredis.Redis, history_size: int, history_ttl_s: int) -> None:
        self.redis = client
        self._size = history_size
        self._ttl = history_ttl_s
        # SPUBLISH goes to the slot's node (and its replicas) only; PUBLISH on a cluster is copied to every node.
        self._publish = client.register_script(_PUBLISH.replace("'PUBLISH'", "'SPUBLISH'") if is_cluster(client)
                                               else _PUBLISH)
        self._position = client.register_script(_POSITION)

    def _keys(self, room: RoomName) -> list[str]:
        return [log_key(room, part) for part in ("epoch", "seq", "log", "pos")]

    async def _run(self, room: RoomName, first_pos: int | None, payloads: list[bytes],
                   restart: bool = False) -> Published:
        args: list[Any] = [channel(room), self._size, self._ttl, new_epoch(),
                           "" if first_pos is None else first_pos, "1" if restart else "0", *payloads]
        with PUBLISH_SECONDS.time():
            epoch, seq, gap, last = await self._publish(keys=self._keys(room), args=args)
        return Published(Position(_text(epoch), int(seq)), bool(gap), int(last))

    async def publish(self, room: RoomName, type_: str, data: dict[str, Any]) -> int:
        """Append an event to the room's log and send it to every subscribed process; returns its seq."""
        return (await self._run(room, None, [pack_payload(type_, data)])).position.seq

    async def emit(self, room: RoomName, event: RoomEvent) -> int:
        """Publish a declared event; returns its seq."""
        return await self.publish(room, event.type, event.payload())

    async def publish_at(self, room: RoomName, first_pos: int, payloads: list[bytes], *,
                         restart: bool = False) -> Published:
        """Publish outbox rows at positions first_pos, first_pos + 1, ...: each once, in position order
        (`restart`: from first_pos whatever the log says was published last)."""
        return await self._run(room, first_pos, payloads, restart)

    async def position(self, room: RoomName) -> Position:
        """The room's epoch and newest seq; a room without a log gets one (a new epoch) now."""
        epoch, seq = await self._position(keys=self._keys(room), args=["", self._size, self._ttl, new_epoch()])
        return Position(_text(epoch), int(seq))

    async def history(self, room: RoomName) -> list[Event]:
        """The events the room still holds, oldest first."""
        messages = await self.redis.lrange(log_key(room, "log"), 0, -1)
        return [Event.from_wire(m if isinstance(m, bytes) else m.encode()) for m in messages]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Subscriber:
    """The process's pub/sub connection (one per node that owns a subscribed room's slot, on a cluster).
    subscribe() returns once Redis confirmed the channel, so that an event published afterwards cannot be missed.
    When a connection is lost it reconnects with exponential backoff and jitter, subscribes its channels again,
    and once Redis confirms a channel again calls `on_resubscribed(room)`: what was published meanwhile never
    reached this process, so the room compares itself with its log. On a cluster, a node that gives a room's slot
    away drops its subscribers (SUNSUBSCRIBE); the slot map is read again until the slot's new owner confirms the
    channel, and the room then compares itself with its log the same way."""

    def __init__(self, client: aioredis.Redis, on_event: Callable[[RoomName, Event], None],
                 on_resubscribed: Callable[[RoomName], None] | None = None, *, max_backoff_s: float = 1.0) -> None:
        self._sharded = is_cluster(client)
        self._pubsub = client.pubsub()
        self._redis = client
        self._shards = cast(ClusterPubSub, self._pubsub)  # the same object, as a cluster's (used when sharded)
        self._on_event = on_event
        self._on_resubscribed = on_resubscribed
        self._stale: set[str] = set()  # channels subscribed before their connection was lost, not yet again
        self._max_backoff_s = max_backoff_s
        self._confirm: dict[str, asyncio.Future[None]] = {}
        self._channels: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Sharded: a reader per node connection, the node that last confirmed each channel, the channels a node
        # dropped that no node has confirmed since, and the task reading the slot map until one does.
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._home: dict[str, str] = {}
        self._moved: set[str] = set()
        self._rehoming: asyncio.Task[None] | None = None
        # One command at a time on the one connection: redis-py's PubSub connects lazily, and two first
        # subscribes at once (two rooms opening together) each took a connection; the first was orphaned,
        # with its channel's messages going to a socket nobody reads.
        self._commands = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise() if self._sharded else self._read(None),
                                         name="room-subscriber")

    async def close(self) -> None:
        tasks = [t for t in (self._task, self._rehoming, *self._readers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def subscribe(self, name: RoomName, timeout_s: float = 5.0) -> None:
        """Subscribe to a room's channel and wait for Redis to confirm it. Fails (a Redis error or a
        timeout) without leaving anything pending: the next caller tries again."""
        ch = channel(name)
        if ch in self._channels:
            return
        future = self._confirm.get(ch)
        if future is None:
            future = self._confirm[ch] = asyncio.get_running_loop().create_future()
            try:
                async with self._commands:
                    if self._sharded:
                        await asyncio.wait_for(ready(self._redis), timeout_s)
                        await asyncio.wait_for(self._shards.ssubscribe(ch), timeout_s)
                    else:
                        await asyncio.wait_for(self._pubsub.subscribe(ch), timeout_s)
            except BaseException as exc:
                self._confirm.pop(ch, None)
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else ConnectionError("cancelled"))
                    future.exception()  # retrieved: waiters get it through their own await
                raise
            self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout_s)
        except TimeoutError:
            if self._confirm.get(ch) is future:
                del self._confirm[ch]
            raise

    async def unsubscribe(self, name: RoomName) -> None:
        ch = channel(name)
        self._channels.discard(ch)
        self._confirm.pop(ch, None)
        self._moved.discard(ch)
        async with self._commands:
            await (self._shards.sunsubscribe(ch) if self._sharded else self._pubsub.unsubscribe(ch))

    async def _supervise(self) -> None:
        """Sharded: keep one reader per node connection the cluster pub/sub holds (they come with new slots'
        owners and go when a node holds no subscription any more)."""
        while True:
            for name in list(self._shards.node_pubsub_mapping):
                task = self._readers.get(name)
                if task is None or task.done():
                    node = cast(RedisCluster, self._redis).get_node(node_name=name)
                    if node is not None:
                        self._readers[name] = asyncio.create_task(self._read(node), name=f"room-subscriber {name}")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), 0.5)
            except TimeoutError:
                pass

    async def _read(self, node: Any) -> None:
        """Read one connection's messages (node: the cluster node whose connection, else the one connection)."""
        me = asyncio.current_task()
        failures = 0
        while True:
            if me is not None and me.cancelling():
                return  # a cancel swallowed by a timeout helper below us still ends the reader
            try:
                if node is None:
                    if not self._pubsub.subscribed:
                        self._wake.clear()
                        await self._wake.wait()
                    message = await self._pubsub.get_message(timeout=1.0)
                else:
                    if node.name not in self._shards.node_pubsub_mapping:
                        return  # the node holds none of our channels now; its connection is closed
                    message = await self._shards.get_sharded_message(target_node=node, timeout=1.0)
            except REDIS_DOWN as exc:
                # redis-py connects again and subscribes every channel on the next read.
                failures += 1
                if failures == 1:
                    log.warning("room subscriber lost Redis, reconnecting: %r", exc)
                    SUBSCRIBER_LOST.inc()
                    self._stale |= self._channels if node is None else self._homed_at(node.name)
                delay = min(self._max_backoff_s, 0.05 * 2 ** min(failures, 10)) * random.uniform(0.5, 1.0)
                await asyncio.sleep(delay)
                continue
            except redis.exceptions.ResponseError as exc:
                # A node that gave a slot away answers the SUNSUBSCRIBE redis-py sends it when moving the slot's
                # channels with MOVED, in this stream: nothing to do, the channel is subscribed at its new owner.
                log.info("room subscriber: %r", exc)
                continue
            except RuntimeError:
                return  # the cluster pub/sub closed this node's connection (its channels moved away)
            if failures:
                failures = 0
                log.warning("room subscriber reconnected to Redis")
            if message is not None:
                self._handle(message, None if node is None else node.name)

    def _handle(self, message: dict[str, Any], node: str | None) -> None:
        ch = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
        kind = message["type"]
        if kind in ("subscribe", "ssubscribe"):
            self._channels.add(ch)
            if node is not None:
                self._home[ch] = node
                self._moved.discard(ch)
            future = self._confirm.pop(ch, None)
            if future is not None and not future.done():
                future.set_result(None)
            if ch in self._stale:
                self._stale.discard(ch)
                self._resubscribed(ch)
        elif kind in ("message", "smessage"):
            try:
                event = Event.from_wire(message["data"])
            except (ValueError, TypeError) as exc:
                log.error("unreadable room message on %s: %r", ch, exc)
                return
            room = _room_of(ch)
            if room is not None:
                self._on_event(room, event)
        elif kind == "sunsubscribe" and ch in self._channels and node is not None:
            self._dropped(ch, node)

    def _dropped(self, ch: str, node: str) -> None:
        """A node dropped a channel we did not leave: its slot moved. If its new owner already confirmed it (that
        connection was read first), only the room's check is due; else read the slot map until one does."""
        if self._home.get(ch) != node:
            self._resubscribed(ch)
            return
        log.warning("room channel %s dropped by %s (its slot moved); subscribing at its new owner", ch, node)
        self._stale.add(ch)
        self._moved.add(ch)
        if self._rehoming is None or self._rehoming.done():
            self._rehoming = asyncio.create_task(self._rehome(), name="room-subscriber rehome")

    async def _rehome(self) -> None:
        # Reading the slot map again makes redis-py's cluster pub/sub move every channel whose slot changed owner
        # (SSUBSCRIBE at the new one); the new owner's confirmation clears the channel from _moved.
        failures = 0
        while self._moved & self._channels:
            try:
                await cast(RedisCluster, self._redis).nodes_manager.initialize()
            except (redis.exceptions.RedisError, redis.exceptions.RedisClusterException, OSError) as exc:
                log.warning("reading the cluster's slot map failed: %r", exc)
            self._wake.set()  # a reader for a node new to us
            failures += 1
            await asyncio.sleep(min(self._max_backoff_s, 0.02 * 2 ** min(failures, 10)))
        self._moved.clear()

    def _homed_at(self, node: str) -> set[str]:
        return {ch for ch in self._channels if self._home.get(ch) == node}

    def _resubscribed(self, ch: str) -> None:
        room = _room_of(ch)
        if room is not None and self._on_resubscribed is not None:
            self._on_resubscribed(room)


def _room_of(ch: str) -> RoomName | None:
    try:
        return RoomName.parse(ch.removeprefix("room:{").removesuffix("}"))
    except ValueError:
        log.error("message on a channel that names no room: %s", ch)
        return None
