"""Commit order is room order: bids decided by two server processes at once reach every watcher in the order
PostgreSQL committed them, once each, also when the deciding process dies between its commit and its publish;
a client resumes with its epoch, or is told to resync."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from typing import Any

import aiohttp
import asyncpg
import pytest

from rooms.bridge import _PUBLISH
from rooms.commands import HelloContext, register_hello_part
from rooms.keys import BRIDGE
from server.app import create_app
from server.demo import create_admin
from tests.conftest import Services
from tests.e2e.test_auctions import open_auction
from tests.e2e.test_rooms import connect, live_show
from tests.faults import FaultProxy
from tests.helpers import Account, Api
from tests.processes import ServerProcess, start_server

# How many bids each bidder sends, and the frames a watcher may see in one auction at most.
BIDS_EACH = 8


class Watcher:
    """A viewer's socket on one process, keeping every room frame it gets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    async def until(self, kind: str, within_s: float = 30) -> list[dict[str, Any]]:
        """Frames up to and including the next one of `kind`."""
        start = len(self.frames)
        while True:
            frame = json.loads((await self.ws.receive(timeout=within_s)).data)
            self.frames.append(frame)
            if frame["type"] == kind:
                return self.frames[start:]


async def watch(session: aiohttp.ClientSession, server: ServerProcess, stream_id: int) -> Watcher:
    watcher = Watcher(await session.ws_connect(f"{server.base}/ws/livestream/{stream_id}/"))
    await watcher.until("hello")
    return watcher


def auction_events(frames: list[dict[str, Any]], bidding_id: int) -> list[dict[str, Any]]:
    kinds = {"bid", "bidding_extended", "bidding_closed"}
    return [f for f in frames if f["type"] in kinds and f["data"]["bidding_id" if f["type"] != "bidding_extended"
                                                                     else "id"] == bidding_id]


def check_commit_order(events: list[dict[str, Any]]) -> None:
    """Bid amounts and versions rise strictly, seq with them, and the close comes last."""
    bids = [e for e in events if e["type"] == "bid"]
    amounts = [e["data"]["amount"] for e in bids]
    versions = [e["data"]["version"] for e in events]
    seqs = [e["seq"] for e in events]
    assert amounts == sorted(amounts) and len(set(amounts)) == len(amounts), amounts
    assert versions == sorted(versions) and len(set(versions)) == len(versions), versions
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert events[-1]["type"] == "bidding_closed" and all(e["type"] != "bidding_closed" for e in events[:-1])


async def bid_over_rest(session: aiohttp.ClientSession, server: ServerProcess, who: Account, bidding_id: int,
                        amounts: list[int]) -> None:
    for amount in amounts:
        async with session.post(f"{server.base}/api/livestreams/biddings/{bidding_id}/place-bid/",
                                json={"amount": amount}, headers={"Authorization": f"Bearer {who.access}"}) as resp:
            assert resp.status in (201, 409), await resp.text()


async def bid_over_socket(session: aiohttp.ClientSession, server: ServerProcess, who: Account, stream_id: int,
                          bidding_id: int, amounts: list[int]) -> None:
    ws = await session.ws_connect(f"{server.base}/ws/livestream/{stream_id}/", params={"token": who.access})
    try:
        for n, amount in enumerate(amounts):
            await ws.send_json({"type": "bid", "data": {"bidding_id": bidding_id, "amount": amount,
                                                        "client_id": f"{who.id}-{n}"}})
            while True:
                frame = json.loads((await ws.receive(timeout=30)).data)
                if frame["type"] in ("ack", "error") and frame["data"]["client_id"] == f"{who.id}-{n}":
                    assert frame["type"] == "ack" or frame["data"]["code"] == "bid_too_low", frame
                    break
    finally:
        await ws.close()


async def test_forty_bidders_on_two_processes_are_seen_in_commit_order(api: Api, admin: Account, clean: Services,
                                                                       servers: list[ServerProcess],
                                                                       db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    bidders = [await api.register(f"bidder{i}") for i in range(40)]
    servers += [await start_server(clean), await start_server(clean)]
    rng = random.Random(15)
    async with aiohttp.ClientSession() as session:
        watchers = [await watch(session, server, show.stream_id) for server in servers for _ in range(2)]
        for _ in range(3):  # three auctions in a row, each raced by all forty
            auction = await open_auction(api, show, min_increment="1")
            jobs = []
            for i, who in enumerate(bidders):
                # Each bidder's k-th bid lands in the k-th band of 20: the forty race each other in every band.
                amounts = [rng.randrange(100 + 20 * k, 120 + 20 * k) for k in range(BIDS_EACH)]
                server = servers[i % 2]
                if i % 4 < 2:
                    jobs.append(bid_over_rest(session, server, who, auction["id"], amounts))
                else:
                    jobs.append(bid_over_socket(session, server, who, show.stream_id, auction["id"], amounts))
            await asyncio.gather(*jobs)
            closed = await api.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
            assert closed.status == 200
            accepted = await db.fetchval("SELECT count(*) FROM bids WHERE bidding_id = $1", auction["id"])
            seen = []
            for watcher in watchers:
                await watcher.until("bidding_closed")
                events = auction_events(watcher.frames, auction["id"])
                check_commit_order(events)
                assert len([e for e in events if e["type"] == "bid"]) == accepted  # each bid once
                seen.append([(e["seq"], e["type"], e["data"].get("version")) for e in events])
            assert all(s == seen[0] for s in seen)  # every watcher, on either process, saw the same log
            assert accepted >= 10, accepted  # a real race: many bids accepted, more refused


async def test_a_bid_whose_process_dies_before_publishing_is_published_once_by_another(
        api: Api, admin: Account, clean: Services, servers: list[ServerProcess], db: asyncpg.Connection) -> None:
    if clean.redis_cluster:
        pytest.skip("one proxied node cannot carry a cluster's traffic: the client learns each node's own address")
    show = await live_show(api, admin)
    auction = await open_auction(api, show)
    asha, ravi = await api.register("asha"), await api.register("ravi")
    proxy = FaultProxy(int(clean.redis_url.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    try:
        doomed = await start_server(clean, f"redis://127.0.0.1:{proxy.port}", LSC_ROOMS_OUTBOX_SWEEP_S="3600")
        other = await start_server(clean, LSC_ROOMS_OUTBOX_SWEEP_S="0.2")
        servers += [doomed, other]
        async with aiohttp.ClientSession() as session:
            watcher = await watch(session, other, show.stream_id)
            await bid_over_rest(session, other, asha, auction["id"], [100])
            # From now on, the doomed process's first call of the room log's publish script is held forever:
            # it has committed the bid and waits to announce it.
            proxy.freeze_on = hashlib.sha1(_PUBLISH.encode()).hexdigest().encode()
            placing = asyncio.create_task(bid_over_rest(session, doomed, ravi, auction["id"], [150]))
            await asyncio.wait_for(proxy.frozen.wait(), 30)  # committed, and stuck publishing
            assert await db.fetchval("SELECT count(*) FROM bids WHERE bidding_id = $1", auction["id"]) == 2
            doomed.kill()
            with pytest.raises(aiohttp.ClientError):
                await placing  # the process died before it answered
            await api.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
            events = auction_events(await watcher.until("bidding_closed"), auction["id"])
            assert [(e["type"], e["data"].get("amount")) for e in events] == [
                ("bid", 100.0), ("bid", 150.0), ("bidding_closed", 150.0)]
            check_commit_order(events)
            assert not await db.fetchval("SELECT count(*) FROM room_outbox")
    finally:
        await proxy.close()


async def test_a_client_resumes_within_its_epoch_and_is_told_to_resync_across_epochs(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    buyer = await api.register("asha")
    first = await connect(api.client, show.stream_id, buyer.access)
    hello = (await first.next("hello"))["data"]
    epoch, at = hello["epoch"], hello["seq"]
    for text in ("one", "two"):
        await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": text}, token=buyer.access)
    got = [await first.next("chat") for _ in range(2)]
    assert [(f["epoch"], f["seq"]) for f in got] == [(epoch, at + 1), (epoch, at + 2)]
    await first.ws.close()
    await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": "three"}, token=buyer.access)
    resumed = await connect(api.client, show.stream_id, buyer.access, last_seq=at + 1)  # an older client: no epoch
    back = await api.client.ws_connect(f"/ws/livestream/{show.stream_id}/",
                                       params={"token": buyer.access, "last_seq": str(at + 2), "epoch": epoch})
    missed = [await resumed.next("chat") for _ in range(2)]
    assert [f["data"]["text"] for f in missed] == ["two", "three"]
    frame = json.loads((await back.receive(timeout=5)).data)
    assert (frame["type"], frame["data"]["text"], frame["seq"]) == ("chat", "three", at + 3)
    await back.close()
    elsewhere = await api.client.ws_connect(f"/ws/livestream/{show.stream_id}/",
                                            params={"last_seq": str(at + 2), "epoch": "0ther0ne"})
    told = [json.loads((await elsewhere.receive(timeout=5)).data) for _ in range(2)]
    assert [f["type"] for f in told] == ["resync", "hello"] and told[1]["data"]["seq"] == at + 3
    assert told[1]["epoch"] == epoch and len(told[1]["data"]["chat"]) == 3
    await elsewhere.close()
    await resumed.ws.close()


async def test_an_event_committed_while_hello_is_read_reaches_the_viewer(aiohttp_client: Any, config: Any) -> None:
    # A hello part that, as it is read, lets a decision commit and publish: as if a bid landed between the
    # state's reads and the log's position. Whatever hello's state missed must follow it as an event.
    app = create_app(config)

    async def racing_decision(ctx: HelloContext) -> None:
        await ctx.app[BRIDGE].publish(ctx.room, "chat", {"id": 0, "text": "landed while hello was read"})

    register_hello_part(app, "stream", "racing", racing_decision)
    client = await aiohttp_client(app)
    api = Api(client)
    admin = await admin_of(api, config)
    show = await live_show(api, admin, "racer")
    socket = await connect(client, show.stream_id)
    hello = await socket.next("hello")
    event = await socket.next("chat")
    assert event["data"]["text"] == "landed while hello was read" and event["seq"] > hello["seq"]


async def admin_of(api: Api, config: Any) -> Account:
    await create_admin(config, "root", "root@example.com", "root-pass-123")
    return await api.login("root", "root-pass-123")
