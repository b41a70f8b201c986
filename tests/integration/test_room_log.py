"""The room log against a real Redis: outbox positions published once and in order, epochs, and rooms that fill
a gap from history, or send their members resync, and check themselves after the subscription comes back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from rooms.bridge import Bridge, channel
from rooms.events import pack_payload
from rooms.hub import Member
from rooms.names import RoomName
from server.redis import is_cluster
from tests.conftest import Services
from tests.integration.test_bridge_hub import BASE, HubRig


@pytest.fixture
async def redis_client(clean: Services) -> AsyncIterator[aioredis.Redis]:
    client = clean.redis()
    yield client
    await client.aclose()


def payload(n: int) -> bytes:
    return pack_payload("bid", {"n": n})


async def lost_in_transit(bridge: Bridge, room: RoomName, n: int) -> None:
    """An event that enters the room's log but whose pub/sub message never arrives (as when the subscriber's
    connection drops): the publish script run with a channel nobody listens to (in the room's slot, as a cluster
    wants)."""
    nowhere = f"{channel(room)}:nowhere"
    await bridge._publish(keys=bridge._keys(room), args=[nowhere, 1000, 60, "unused", "", "0", payload(n)])


async def frames_until(ws: aiohttp.ClientWebSocketResponse, kind: str) -> list[dict[str, Any]]:
    got = []
    while True:
        frame = json.loads((await ws.receive(timeout=5)).data)
        got.append(frame)
        if frame["type"] == kind:
            return got


async def test_outbox_positions_are_published_once_and_in_order(redis_client: aioredis.Redis) -> None:
    bridge = Bridge(redis_client, history_size=100, history_ttl_s=60)
    room = RoomName.stream(BASE + 20)
    first = await bridge.publish_at(room, 1, [payload(1), payload(2)])
    assert (first.gap, first.position.seq, first.last_pos) == (False, 2, 2)
    overlap = await bridge.publish_at(room, 2, [payload(2), payload(3)])  # 2 was published: only 3 goes out
    assert (overlap.gap, overlap.position.seq, overlap.last_pos) == (False, 3, 3)
    early = await bridge.publish_at(room, 5, [payload(5)])  # 4 is not published yet: 5 must wait for it
    assert (early.gap, early.position.seq, early.last_pos) == (True, 3, 3)
    assert [(e.seq, e.data["n"]) for e in await bridge.history(room)] == [(1, 1), (2, 2), (3, 3)]
    late = await bridge.publish_at(room, 4, [payload(4), payload(5)])
    assert late.position.seq == 5 and [e.data["n"] for e in await bridge.history(room)] == [1, 2, 3, 4, 5]
    # A log restored from an older copy: the outbox carries on from where it is, when told to.
    restarted = await bridge.publish_at(room, 9, [payload(9)], restart=True)
    assert (restarted.gap, restarted.position.seq, restarted.last_pos) == (False, 6, 9)
    assert len({e.epoch for e in await bridge.history(room)}) == 1


async def test_a_lost_log_starts_a_new_epoch(redis_client: aioredis.Redis) -> None:
    bridge = Bridge(redis_client, history_size=100, history_ttl_s=60)
    room = RoomName.stream(BASE + 21)
    before = await bridge.position(room)  # a room without a log gets one
    assert before.seq == 0 and before.epoch
    assert await bridge.publish(room, "chat", {}) == 1 and (await bridge.position(room)).epoch == before.epoch
    await redis_client.flushdb()  # Redis restarted without its data
    after = await bridge.position(room)
    assert after.epoch != before.epoch and after.seq == 0
    assert await bridge.publish(room, "chat", {}) == 1
    assert [e.epoch for e in await bridge.history(room)] == [after.epoch]


class Resyncs:
    """The hub's regreet in these tests: what a member would get after resync, recorded."""

    def __init__(self, rig: HubRig) -> None:
        self.rig = rig
        self.members: list[Member] = []
        self.done = asyncio.Event()

    async def __call__(self, name: RoomName, member: Member) -> None:
        position = await self.rig.bridge.position(name)
        member.go_live([], position.epoch, position.seq)
        self.members.append(member)
        self.done.set()


async def test_a_room_fills_a_gap_from_history_before_passing_anything_later(redis_client: aioredis.Redis) -> None:
    async with HubRig(redis_client, history_size=100) as rig:
        room = RoomName.stream(BASE + 22)
        ws = await rig.connect(room)
        await rig.joined.get()
        await rig.bridge.publish(room, "bid", {"n": 1})
        await lost_in_transit(rig.bridge, room, 2)
        await lost_in_transit(rig.bridge, room, 3)
        await rig.bridge.publish(room, "bid", {"n": 4})
        got = [json.loads((await ws.receive(timeout=5)).data) for _ in range(4)]
        assert [(f["seq"], f["data"]["n"]) for f in got] == [(1, 1), (2, 2), (3, 3), (4, 4)]
        assert rig.hub.rooms[room].seq == 4
        await ws.close()


async def test_a_gap_the_history_cannot_fill_and_a_new_epoch_resync_the_members(redis_client: aioredis.Redis) -> None:
    async with HubRig(redis_client, history_size=3) as rig:
        resyncs = rig.hub.regreet = Resyncs(rig)
        room = RoomName.stream(BASE + 23)
        ws = await rig.connect(room)
        member = await rig.joined.get()
        await rig.bridge.publish(room, "bid", {"n": 1})
        for n in range(2, 7):  # more than the history holds
            await lost_in_transit(rig.bridge, room, n)
        await rig.bridge.publish(room, "bid", {"n": 7})
        await asyncio.wait_for(resyncs.done.wait(), 5)
        assert resyncs.members == [member] and member.last_seq == 7
        assert [f["data"]["n"] for f in [json.loads((await ws.receive(timeout=5)).data)]] == [1]
        await rig.bridge.publish(room, "bid", {"n": 8})  # after the new hello, events flow again
        assert json.loads((await ws.receive(timeout=5)).data)["data"]["n"] == 8

        resyncs.done.clear()
        old = member.epoch
        await redis_client.delete(*rig.bridge._keys(room))  # the log is lost
        await rig.bridge.publish(room, "bid", {"n": 1})
        await asyncio.wait_for(resyncs.done.wait(), 5)
        assert resyncs.members == [member, member] and member.epoch != old
        await rig.bridge.publish(room, "bid", {"n": 2})
        frame = json.loads((await ws.receive(timeout=5)).data)
        assert (frame["epoch"], frame["seq"], frame["data"]["n"]) == (member.epoch, 2, 2)
        await ws.close()


async def cut_subscribers(client: aioredis.Redis) -> int:
    """Close every pub/sub connection (on a cluster, at every master); returns how many there were."""
    if not is_cluster(client):
        return int(await client.client_kill_filter(_type="pubsub"))
    killed = await client.client_kill_filter(_type="pubsub", target_nodes="primaries")  # type: ignore[call-arg]
    return sum(int(n) for n in killed.values())


async def test_after_the_subscription_is_cut_a_room_gets_what_was_published_meanwhile(
        redis_client: aioredis.Redis) -> None:
    async with HubRig(redis_client, history_size=100) as rig:
        room = RoomName.stream(BASE + 24)
        ws = await rig.connect(room)
        await rig.joined.get()
        await rig.bridge.publish(room, "bid", {"n": 1})
        got = [json.loads((await ws.receive(timeout=5)).data)]
        for round_ in range(3):
            # Cut while nothing is in flight; what is published before the subscriber is back never reaches
            # it by pub/sub: the room reads it from the log once Redis confirms the channel again.
            assert await cut_subscribers(redis_client) == 1
            for n in range(3):
                await rig.bridge.publish(room, "bid", {"n": 2 + 3 * round_ + n})
            got += [json.loads((await ws.receive(timeout=5)).data) for _ in range(3)]
        assert [f["data"]["n"] for f in got] == list(range(1, 11))
        assert [f["seq"] for f in got] == list(range(1, 11))
        await ws.close()
