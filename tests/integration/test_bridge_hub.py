"""The room plumbing against a real Redis: the bridge's log, the process's one subscriber, the hub's fan-out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.crc import key_slot

from rooms.bridge import Bridge, Subscriber, channel, log_key
from rooms.events import Event
from rooms.hub import Hub, Member
from rooms.names import RoomName
from server.redis import is_cluster
from tests.conftest import Services

# Room numbers far from the ids the other tests' shows get: a server process another test left running on the
# same Redis can have no member in these rooms.
BASE = 900_000_000


@pytest.fixture
async def redis_client(clean: Services) -> AsyncIterator[aioredis.Redis]:
    client = clean.redis()
    yield client
    await client.aclose()


async def test_publish_numbers_events_and_keeps_a_capped_history(redis_client: aioredis.Redis) -> None:
    bridge = Bridge(redis_client, history_size=3, history_ttl_s=60)
    room = RoomName.stream(BASE + 1)
    assert (await bridge.position(room)).seq == 0 and await bridge.history(room) == []
    seqs = [await bridge.publish(room, "chat", {"n": n}) for n in range(5)]
    assert seqs == [1, 2, 3, 4, 5] and (await bridge.position(room)).seq == 5
    history = await bridge.history(room)
    assert [(e.seq, e.type, e.data["n"]) for e in history] == [(3, "chat", 2), (4, "chat", 3), (5, "chat", 4)]
    assert (await bridge.position(RoomName.stream(BASE + 2))).seq == 0  # rooms are numbered apart
    assert 0 < await redis_client.ttl(log_key(room, "log")) <= 60
    # A room's keys share one Redis Cluster slot (its name is their hash tag): its scripts can run on a cluster.
    assert len({key_slot(key.encode()) for key in bridge._keys(room)}) == 1


async def test_the_subscriber_confirms_before_returning_and_delivers_in_order(redis_client: aioredis.Redis) -> None:
    bridge = Bridge(redis_client, history_size=100, history_ttl_s=60)
    got: list[tuple[RoomName, Event]] = []
    arrived = {3: asyncio.Event(), 4: asyncio.Event()}  # set when that many events have come

    def on_event(room: RoomName, event: Event) -> None:
        got.append((room, event))
        if len(got) in arrived:
            arrived[len(got)].set()

    subscriber = Subscriber(redis_client, on_event)
    subscriber.start()
    try:
        room, other = RoomName.stream(BASE + 7), RoomName.stream(BASE + 8)
        await subscriber.subscribe(room)  # returns once Redis confirmed: nothing published after is missed
        await bridge.publish(other, "chat", {"n": -1})  # not subscribed: never delivered
        for n in range(3):
            await bridge.publish(room, "bid", {"n": n})
        await asyncio.wait_for(arrived[3].wait(), 5)
        assert [(r, e.seq, e.data["n"]) for r, e in got] == [(room, 1, 0), (room, 2, 1), (room, 3, 2)]
        assert all(isinstance(r, RoomName) and r.kind == "stream" for r, _ in got)
        await subscriber.unsubscribe(room)
        await subscriber.subscribe(other)
        await bridge.publish(other, "chat", {"n": 9})
        await asyncio.wait_for(arrived[4].wait(), 5)
        assert got[3][0] == other and got[3][1].data == {"n": 9}
    finally:
        await subscriber.close()


class HubRig:
    """A bare aiohttp app whose socket handler joins a hub room directly: the Hub under test, real sockets,
    real Redis, none of our HTTP layer."""

    def __init__(self, client: aioredis.Redis, history_size: int) -> None:
        self.bridge = Bridge(client, history_size=history_size, history_ttl_s=60)
        self.hub = Hub(self.bridge)
        self.joined = asyncio.Queue[Member]()
        self.left = asyncio.Queue[Member]()
        app = web.Application()
        app.router.add_get("/{room}", self.handler)
        self.server = TestServer(app)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HubRig:
        self.hub.start()
        await self.server.start_server()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        await self.session.close()
        await self.hub.stop()
        await self.server.close()

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        room = RoomName.parse(request.match_info["room"])
        member = Member(ws, request, "json", None, queue_size=50)
        local = await self.hub.join(room, member)
        assert local.epoch is not None
        member.go_live([], local.epoch, local.seq)
        await self.joined.put(member)
        try:
            async for _ in ws:
                pass
        finally:
            self.hub.leave(room, member)
            await member.finish()
            await self.left.put(member)
        return ws

    async def connect(self, room: RoomName, **kw: Any) -> aiohttp.ClientWebSocketResponse:
        """A client socket in the room, once the hub has it as a member."""
        assert self.session is not None
        ws = await self.session.ws_connect(self.server.make_url(f"/{room}"), **kw)
        return ws


async def frames(ws: aiohttp.ClientWebSocketResponse, n: int) -> list[dict[str, Any]]:
    return [json.loads((await ws.receive(timeout=5)).data) for _ in range(n)]


async def room_channels(client: aioredis.Redis) -> set[str]:
    """The channels some connection subscribes to (shard channels, on a cluster: of every master)."""
    if is_cluster(client):
        names = await client.execute_command("PUBSUB SHARDCHANNELS", target_nodes="primaries")
        names = [n for per_node in names.values() for n in per_node] if isinstance(names, dict) else names
    else:
        names = await client.pubsub_channels()
    return {n.decode() for n in names}


async def test_the_hub_fans_out_once_per_room_and_unsubscribes_when_the_room_empties(
        redis_client: aioredis.Redis) -> None:
    async with HubRig(redis_client, history_size=100) as rig:
        hub, bridge = rig.hub, rig.bridge
        room, other = RoomName.stream(BASE + 5), RoomName.stream(BASE + 6)
        a, b, elsewhere = await rig.connect(room), await rig.connect(room), await rig.connect(other)
        for _ in range(3):
            await rig.joined.get()
        assert hub.local_count(room) == 2 and set(hub.rooms) == {room, other}
        # One subscription per room, not per socket.
        assert {channel(room), channel(other)} <= await room_channels(redis_client)
        for n in range(3):
            await bridge.publish(room, "bid", {"n": n})
        for ws in (a, b):
            assert [(f["type"], f["seq"], f["data"]["n"]) for f in await frames(ws, 3)] == [
                ("bid", 1, 0), ("bid", 2, 1), ("bid", 3, 2)]
        await bridge.publish(other, "chat", {"n": 0})
        assert (await frames(elsewhere, 1))[0]["type"] == "chat"
        await a.close()
        await b.close()
        for _ in range(2):
            await rig.left.get()
        await asyncio.gather(*list(hub._tasks))  # the last member out ended the process's subscription
        assert room not in hub.rooms and other in hub.rooms
        assert channel(room) not in await room_channels(redis_client)
        await elsewhere.close()


async def test_a_member_that_stops_reading_is_dropped_not_buffered(redis_client: aioredis.Redis) -> None:
    async with HubRig(redis_client, history_size=10) as rig:
        room = RoomName.stream(BASE + 9)
        # A client that never reads: the kernel buffers fill, then the member's queue, then it is dropped.
        client = await rig.connect(room, max_msg_size=0)  # kept: a collected client socket closes
        member = await rig.joined.get()
        blob = {"text": "x" * 60_000}
        for _ in range(2000):  # each publish waits for Redis, which lets the hub deliver the ones before
            if member.closed:
                break
            await rig.bridge.publish(room, "chat", blob)
        assert member.closed
        assert await rig.left.get() is member  # dropped: its handler ended, no buffer kept
        assert not client.closed or client.close_code is not None


class GatedBridge(Bridge):
    """The real bridge, counting its position reads; the first read's answer is held until `gate` opens (as if
    Redis were slow to answer a read it had already made)."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client, history_size=100, history_ttl_s=60)
        self.reads = 0
        self.gate = asyncio.Event()
        self.held = asyncio.Event()  # the held read was made

    async def position(self, room: RoomName) -> Any:
        self.reads += 1
        found = await super().position(room)
        if self.reads == 2:  # the first read was the room's own, when its first member joined
            self.held.set()
            await self.gate.wait()
        return found


async def test_resuming_members_share_a_log_read_that_began_after_they_asked(redis_client: aioredis.Redis) -> None:
    async with HubRig(redis_client, history_size=100) as rig:
        rig.bridge = rig.hub.bridge = bridge = GatedBridge(redis_client)
        room = RoomName.stream(BASE + 11)
        ws = await rig.connect(room)
        await rig.joined.get()
        local = rig.hub.rooms[room]
        early = asyncio.ensure_future(local.log_position())  # its read is made now: before the event
        await bridge.held.wait()
        await bridge.publish(room, "chat", {"n": 1})
        late = [asyncio.ensure_future(local.log_position()) for _ in range(50)]  # asked after the event
        await asyncio.sleep(0)
        bridge.gate.set()
        assert (await early).seq == 0
        assert {p.seq for p in await asyncio.gather(*late)} == {1}
        assert bridge.reads == 3  # the room's first read, the early one, and one for all fifty late ones
        await ws.close()
