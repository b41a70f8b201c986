"""On a Redis Cluster (`make test-cluster`): a live show's slot moved to another master while its viewers watch and
chat goes on; every viewer gets every message once, in seq order, without a new hello."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.crc import key_slot

from rooms.bridge import channel, log_key
from rooms.names import RoomName
from server.embedded import LocalCluster
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api


async def test_a_live_rooms_slot_moves_to_another_master_and_nothing_is_lost(
        api: Api, admin: Account, two: Any, local_cluster: LocalCluster) -> None:
    a, b = two
    show = await live_show(api, admin)
    room = RoomName.stream(show.stream_id)
    slot = key_slot(channel(room).encode())
    assert key_slot(log_key(room, "log").encode()) == slot
    viewers = [await connect(a, show.stream_id), await connect(b, show.stream_id, codec="msgpack")]
    for viewer in viewers:
        await viewer.next("hello")
    buyers = [await api.register(f"buyer{i}") for i in range(4)]  # chat allows each 5 messages per 10 s
    sent: list[str] = []

    async def say(n: int) -> None:
        for _ in range(n):
            text = f"m{len(sent)}"
            reply = await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": text},
                                   token=buyers[len(sent) % 4].access)
            assert reply.status == 201, reply.body
            sent.append(text)

    await say(3)
    source = local_cluster.owner(slot)
    target = next(port for port in local_cluster.ports if port != source)
    local_cluster.begin_move(slot, target)
    await say(3)  # the source serves the room's keys, still all there
    assert local_cluster.move_keys(slot, source, target) >= 3  # the log's epoch, seq, log and pos
    await say(3)  # the keys are at the target: ASK redirects the publish script there
    local_cluster.finish_move(slot, target)
    await say(3)  # the slot is the target's: the source dropped the processes' subscriptions, they move
    assert local_cluster.owner(slot) == target
    for viewer in viewers:
        frames = [await viewer.next("chat", within_s=15) for _ in sent]
        assert [f["data"]["text"] for f in frames] == sent
        seqs = [f["seq"] for f in frames]
        assert seqs == list(range(seqs[0], seqs[0] + len(sent)))  # one log, no gap, no repeat
        assert all(f["type"] != "hello" for f in viewer.seen[1:])  # the epoch held: no resync
    # Live after the move: a message reaches both viewers by pub/sub from the new owner.
    await say(1)
    for viewer in viewers:
        assert (await asyncio.wait_for(viewer.next("chat"), 5))["data"]["text"] == sent[-1]
