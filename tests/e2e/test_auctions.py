"""Live auctions end to end: opening, every rejection code, proxy bids, soft close and sudden death,
reserve, closing once across processes, the sweeper, the winner's cart, and a 100-bidder race."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bidding import rules
from bidding.keys import AUCTIONS
from server.app import create_app
from tests.conftest import make_config
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api


async def open_auction(api: Api, show: Any, **body: Any) -> dict[str, Any]:
    payload = {"product_id": show.product_id, "starting_price": "100", "duration_s": 600, **body}
    reply = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/biddings/", payload,
                           token=show.seller.access)
    assert reply.status == 201, reply.body
    return dict(reply.body)


async def bid(api: Api, who: Account, bidding_id: int, **body: Any) -> Any:
    return await api.post(f"/api/livestreams/biddings/{bidding_id}/place-bid/", body, token=who.access)


async def test_an_auction_opens_takes_bids_and_the_winner_gets_the_product_once(api: Api, admin: Account,
                                                                                db: Any, app: Any) -> None:
    show = await live_show(api, admin)
    asha, ravi = await api.register("asha"), await api.register("ravi")
    watcher = await connect(api.client, show.stream_id)
    await watcher.next("hello")
    auction = await open_auction(api, show)
    started = await watcher.next("bidding_started")
    assert started["data"]["id"] == auction["id"] and started["data"]["next_min_amount"] == 100.0
    first = await bid(api, asha, auction["id"], amount=100)
    assert first.status == 201 and first.body["bid"] == {"amount": 100.0, "proxy": False, "leading": True,
                                                         "version": 1}
    second = await bid(api, ravi, auction["id"], amount="110.50")
    assert second.body["bidding"]["current_amount"] == 110.5 and second.body["bidding"]["leader"]["id"] == ravi.id
    events = [await watcher.next("bid"), await watcher.next("bid")]
    assert [(e["data"]["amount"], e["data"]["bidder"]["username"]) for e in events] == [(100.0, "asha"),
                                                                                         (110.5, "ravi")]
    assert events[1]["data"]["version"] == events[0]["data"]["version"] + 1
    closed = await api.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
    assert closed.status == 200 and closed.body["winner"]["id"] == ravi.id and closed.body["status"] == "closed"
    final = await watcher.next("bidding_closed")
    assert final["data"] == {"bidding_id": auction["id"], "winner": {"id": ravi.id, "username": "ravi"},
                             "amount": 110.5, "version": events[1]["data"]["version"] + 1}
    again = await api.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
    assert again.error_code() == "auction_closed"
    cart = (await api.get("/api/orders/cart/", token=ravi.access)).body
    assert [(i["source"], i["price"], i["quantity"]) for i in cart["items"]] == [("auction", 110.5, 1)]
    won = await db.fetchval("SELECT count(*) FROM notifications WHERE user_id = $1 AND type = 'auction_won'", ravi.id)
    outbid = await db.fetchval("SELECT count(*) FROM notifications WHERE user_id = $1 AND type = 'outbid'", asha.id)
    assert (won, outbid) == (1, 1)


async def test_every_rejection_code(api: Api, admin: Account, db: Any) -> None:
    show = await live_show(api, admin)
    asha, ravi = await api.register("asha"), await api.register("ravi")
    auction = await open_auction(api, show)
    low = await bid(api, asha, auction["id"], amount=99)
    assert low.status == 409 and low.error_code() == "bid_too_low" and low.body["error"]["needed"] == 100.0
    await bid(api, asha, auction["id"], amount=100)
    assert (await bid(api, asha, auction["id"], amount=200)).error_code() == "already_leading"
    assert (await bid(api, ravi, auction["id"], amount=104)).body["error"]["needed"] == 105.0
    assert (await bid(api, show.seller, auction["id"], amount=500)).error_code() == "own_auction"  # 409, the seed's
    assert (await bid(api, ravi, auction["id"])).status == 400  # neither amount nor max_amount
    assert (await bid(api, ravi, auction["id"], amount=300, max_amount=200)).status == 400
    await api.post(f"/api/livestreams/livestreams/{show.stream_id}/end/", token=show.seller.access)
    assert (await bid(api, ravi, auction["id"], amount=300)).error_code() == "not_live"
    await db.execute("UPDATE biddings SET status = 'closed' WHERE id = $1", auction["id"])
    assert (await bid(api, ravi, auction["id"], amount=300)).error_code() == "auction_closed"


async def test_opening_rules(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    rival = await live_show(api, admin, "rival")
    path = f"/api/livestreams/livestreams/{show.stream_id}/biddings/"
    body = {"product_id": show.product_id, "starting_price": 100, "duration_s": 60}
    assert (await api.post(path, body, token=rival.seller.access)).status == 403
    assert (await api.post(path, {**body, "product_id": rival.product_id}, token=show.seller.access)).status == 404
    assert (await api.post(path, {**body, "duration_s": 1}, token=show.seller.access)).status == 400
    assert (await api.post(path, {**body, "mode": "dutch"}, token=show.seller.access)).status == 400
    await open_auction(api, show)
    assert (await api.post(path, body, token=show.seller.access)).error_code() == "auction_open"
    scheduled = await live_show(api, admin, "later", start=False)
    on_the_run_sheet = await api.post(f"/api/livestreams/livestreams/{scheduled.stream_id}/biddings/",
                                      {"product_id": scheduled.product_id, "starting_price": 1, "duration_s": 60},
                                      token=scheduled.seller.access)
    assert on_the_run_sheet.status == 201 and on_the_run_sheet.body["status"] == "scheduled"
    await api.post(f"/api/livestreams/livestreams/{rival.stream_id}/end/", token=rival.seller.access)
    refused = await api.post(f"/api/livestreams/livestreams/{rival.stream_id}/biddings/",
                             {"product_id": rival.product_id, "starting_price": 1, "duration_s": 60},
                             token=rival.seller.access)
    assert refused.error_code() == "not_live"


async def test_proxy_bids_over_rest_and_the_socket_and_hidden_maxima(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    asha, ravi = await api.register("asha"), await api.register("ravi")
    auction = await open_auction(api, show)
    await bid(api, asha, auction["id"], max_amount=500)
    socket = await connect(api.client, show.stream_id, ravi.access)
    hello = await socket.next("hello")
    assert hello["data"]["bidding"]["current_amount"] == 100.0 and hello["data"]["bidding"]["my_max"] is None
    await socket.send("bid", {"bidding_id": auction["id"], "amount": 200, "client_id": "b1"})
    ack = await socket.next("ack")
    assert ack["data"]["client_id"] == "b1" and ack["data"]["leading"] is False
    state = (await api.get(f"/api/livestreams/biddings/{auction['id']}/")).body
    assert state["current_amount"] == 205.0 and state["leader"]["id"] == asha.id and state["my_max"] is None
    mine = (await api.get(f"/api/livestreams/biddings/{auction['id']}/", token=asha.access)).body
    assert mine["my_max"] == 500.0
    await socket.send("bid", {"bidding_id": auction["id"], "max_amount": 800, "client_id": "b2"})
    assert (await socket.next("ack"))["data"]["leading"] is True
    state = (await api.get(f"/api/livestreams/biddings/{auction['id']}/")).body
    assert state["current_amount"] == 510.0 and state["leader"]["id"] == ravi.id
    await socket.send("bid", {"bidding_id": auction["id"], "amount": 1, "client_id": "b3"})
    error = await socket.next("error")
    assert error["data"]["code"] == "already_leading" and error["data"]["client_id"] == "b3"
    watcher = await connect(api.client, show.stream_id)
    await watcher.send("bid", {"bidding_id": auction["id"], "amount": 999, "client_id": "w"})
    assert (await watcher.next("error"))["data"]["code"] == "not_authenticated"


async def test_soft_close_extends_and_sudden_death_does_not(aiohttp_client: Any, clean: Any, admin: Account,
                                                            api: Api, db: Any) -> None:
    show = await live_show(api, admin)
    asha = await api.register("asha")
    soft = await open_auction(api, show, duration_s=60)
    await db.execute("UPDATE biddings SET ends_at = now() + interval '3 seconds' WHERE id = $1", soft["id"])
    extended = await bid(api, asha, soft["id"], amount=100)
    ends = await db.fetchval("SELECT ends_at - now() FROM biddings WHERE id = $1", soft["id"])
    assert timedelta(seconds=8) < ends <= timedelta(seconds=10)
    assert extended.body["bid"]["version"] == 1
    await api.post(f"/api/livestreams/biddings/{soft['id']}/close/", token=show.seller.access)
    sudden = await open_auction(api, show, duration_s=60, mode="sudden_death")
    await db.execute("UPDATE biddings SET ends_at = now() + interval '3 seconds' WHERE id = $1", sudden["id"])
    await bid(api, asha, sudden["id"], amount=100)
    ends = await db.fetchval("SELECT ends_at - now() FROM biddings WHERE id = $1", sudden["id"])
    assert ends <= timedelta(seconds=3)


async def test_reserve_not_met_and_no_bids_close_without_a_winner(api: Api, admin: Account) -> None:
    show = await live_show(api, admin)
    asha = await api.register("asha")
    reserved = await open_auction(api, show, reserve_price="500")
    await bid(api, asha, reserved["id"], amount=150)
    closed = await api.post(f"/api/livestreams/biddings/{reserved['id']}/close/", token=show.seller.access)
    assert closed.body["winner"] is None and closed.body["reserve_met"] is False
    empty = await open_auction(api, show)
    closed = await api.post(f"/api/livestreams/biddings/{empty['id']}/close/", token=show.seller.access)
    assert closed.body["winner"] is None and closed.body["bids_count"] == 0
    assert (await api.get("/api/orders/cart/", token=asha.access)).body["items"] == []


async def test_two_processes_closing_at_once_close_once(api: Api, admin: Account, aiohttp_client: Any, clean: Any,
                                                        db: Any) -> None:
    other = await aiohttp_client(create_app(make_config(clean)))
    show = await live_show(api, admin)
    asha = await api.register("asha")
    auction = await open_auction(api, show)
    await bid(api, asha, auction["id"], amount=120)
    await db.execute("UPDATE biddings SET ends_at = now() - interval '1 second' WHERE id = $1", auction["id"])
    results = await asyncio.gather(*(a[AUCTIONS].sweep() for a in (api.client.server.app, other.server.app)
                                     for _ in range(3)))
    assert sum(results) == 1
    cart = (await api.get("/api/orders/cart/", token=asha.access)).body
    assert [(i["source"], i["price"]) for i in cart["items"]] == [("auction", 120.0)]


async def test_the_sweeper_closes_what_a_dead_process_left_open(api: Api, admin: Account, db: Any,
                                                                aiohttp_client: Any, clean: Any) -> None:
    show = await live_show(api, admin)
    asha = await api.register("asha")
    auction = await open_auction(api, show)
    await bid(api, asha, auction["id"], amount=130)
    await db.execute("UPDATE biddings SET ends_at = now() - interval '5 seconds' WHERE id = $1", auction["id"])
    # The process that opened it is gone; another one starts, and its sweeper (a round at start-up, then
    # one every bidding.sweep_interval_s) closes it.
    survivor = await aiohttp_client(create_app(make_config(clean)))
    await survivor.server.app[AUCTIONS].sweep()
    row = await db.fetchrow("SELECT status, winner_id, close_reason FROM biddings WHERE id = $1", auction["id"])
    assert (row["status"], row["winner_id"], row["close_reason"]) == ("closed", asha.id, "ended")
    cart = (await api.get("/api/orders/cart/", token=asha.access)).body
    assert [(i["source"], i["price"]) for i in cart["items"]] == [("auction", 130.0)]


@pytest.mark.timeout(180)
async def test_a_hundred_bidders_race_over_two_processes(api: Api, admin: Account, aiohttp_client: Any,
                                                         clean: Any, db: Any) -> None:
    config = make_config(clean, bidding={"bid_rate": 1000}, database={"pool_max": 10})
    a = await aiohttp_client(create_app(config))
    b = await aiohttp_client(create_app(config))
    setup = Api(a)
    show = await live_show(setup, admin)
    auction = await open_auction(setup, show, starting_price="10", duration_s=600)
    bidders = [await setup.register(f"bidder{i}") for i in range(100)]
    watchers = [await connect(a, show.stream_id), await connect(b, show.stream_id, codec="msgpack")]
    for w in watchers:
        await w.next("hello")
    rng = random.Random(7)
    accepted: list[tuple[int, int, Decimal | None, Decimal | None]] = []  # (version, bidder, amount, max)

    async def one(i: int, who: Account) -> None:
        client = a if i % 2 else b
        for _ in range(3):
            # Like a buyer in the app: read the least a bid must be, then bid it (or a little more, or a max).
            shown = (await Api(client).get(f"/api/livestreams/biddings/{auction['id']}/")).body["next_min_amount"]
            use_max = rng.random() < 0.3
            amount = Decimal(str(shown)) + (rng.randrange(0, 60) if use_max else rng.choice([0, 0, 0, 1, 5]))
            body: dict[str, Any] = {"max_amount": str(amount)} if use_max else {"amount": str(amount)}
            if i % 3 == 0:  # a third over the socket
                socket = await connect(client, show.stream_id, who.access)
                await socket.next("hello")
                await socket.send("bid", {"bidding_id": auction["id"], "client_id": str(i), **body})
                frame = await socket.next()
                while frame["type"] not in ("ack", "error"):
                    frame = await socket.next()
                await socket.ws.close()
                if frame["type"] == "ack":
                    accepted.append((frame["data"]["version"], who.id, None if use_max else amount,
                                     amount if use_max else None))
            else:
                reply = await Api(client).post(f"/api/livestreams/biddings/{auction['id']}/place-bid/", body,
                                               token=who.access)
                assert reply.status in (201, 409), reply.body
                if reply.status == 201:
                    accepted.append((reply.body["bid"]["version"], who.id, None if use_max else amount,
                                     amount if use_max else None))

    await asyncio.gather(*(one(i, who) for i, who in enumerate(bidders)))
    assert len(accepted) >= 20  # most lose the race for the same minimum; enough win to check order
    final = (await setup.get(f"/api/livestreams/biddings/{auction['id']}/")).body
    # Every accepted bid is one version: none lost, none applied twice.
    assert sorted(v for v, *_ in accepted) == list(range(1, final["version"] + 1))
    # The rules module, replaying the accepted bids in commit order, reaches the stored result.
    row = await db.fetchrow("SELECT seller_id, ends_at, starting_price FROM biddings WHERE id = $1", auction["id"])
    state = rules.Auction(seller_id=row["seller_id"], status="open", mode="soft_close",
                          starting_price=row["starting_price"], min_increment=None, ends_at=row["ends_at"],
                          anti_snipe_s=0)
    for _, who_id, amount, max_amount in sorted(accepted):
        decision = rules.place_bid(state, who_id, amount, max_amount, row["ends_at"] - timedelta(seconds=300))
        assert decision.accepted, decision.code
        state = decision.auction
    assert (state.leader_id, float(state.current_amount or 0)) == (final["leader"]["id"], final["current_amount"])
    # In commit order, the price after each accepted bid rises by at least the increment.
    prices = [r["amount"] for r in await db.fetch(
        "SELECT DISTINCT ON (version) amount FROM bids WHERE bidding_id = $1 ORDER BY version, id DESC",
        auction["id"])]
    assert len(prices) >= 2
    assert all(later >= earlier + rules.increment(earlier) for earlier, later in itertools.pairwise(prices))
    # Both processes' watchers saw the same bid events in seq order, ending at the final state.
    count = await db.fetchval("SELECT count(*) FROM bids WHERE bidding_id = $1", auction["id"])
    seen = []
    for w in watchers:
        frames = [await w.next("bid") for _ in range(count)]
        seqs = [f["seq"] for f in frames]
        assert seqs == sorted(seqs)
        seen.append([(f["seq"], f["data"]["amount"], f["data"]["bidder"]["id"]) for f in frames])
        assert frames[-1]["data"]["amount"] == final["current_amount"]
        assert frames[-1]["data"]["bidder"]["id"] == final["leader"]["id"]
    assert seen[0] == seen[1]
    closed = await setup.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
    winner = next(w for w in bidders if w.id == closed.body["winner"]["id"])
    cart = (await setup.get("/api/orders/cart/", token=winner.access)).body
    assert [(i["source"], i["price"], i["quantity"]) for i in cart["items"]] == [
        ("auction", final["current_amount"], 1)]


async def test_bids_are_rate_limited_and_hello_shows_only_your_own_maximum(aiohttp_client: Any, clean: Any,
                                                                           admin: Account) -> None:
    api = Api(await aiohttp_client(create_app(make_config(clean, bidding={"bid_rate": 2}))))
    from server.demo import create_admin

    await create_admin(make_config(clean), "boss", "boss@example.com", "boss-pass-123")
    boss = await api.login("boss", "boss-pass-123")
    show = await live_show(api, boss)
    asha, ravi = await api.register("asha"), await api.register("ravi")
    auction = await open_auction(api, show)
    assert (await bid(api, asha, auction["id"], max_amount=700)).status == 201
    assert (await bid(api, asha, auction["id"], max_amount=900)).status == 201  # a hidden raise
    limited = await bid(api, asha, auction["id"], max_amount=950)
    assert limited.status == 429 and limited.error_code() == "rate_limited"
    mine = await connect(api.client, show.stream_id, asha.access)
    theirs = await connect(api.client, show.stream_id, ravi.access)
    assert (await mine.next("hello"))["data"]["bidding"]["my_max"] == 900.0
    hello = await theirs.next("hello")
    assert hello["data"]["bidding"]["my_max"] is None and hello["data"]["bidding"]["current_amount"] == 100.0
    assert "leader_max" not in str(hello)
