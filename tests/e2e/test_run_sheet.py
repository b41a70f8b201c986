"""A show's run sheet: auctions attached to a scheduled show, pre-bids placed before it starts, and a start that
applies them as proxy bids in the order placed."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from bidding import rules
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api, category, product


async def test_pre_bids_apply_in_the_order_placed_when_the_auction_starts(api: Api, admin: Account,
                                                                         db: asyncpg.Connection) -> None:
    show = await live_show(api, admin, start=False)
    second = await product(api, show.seller, await category(api, admin, "more"), "Dupatta")
    base = f"/api/livestreams/livestreams/{show.stream_id}/biddings/"
    made = []
    for product_id in (show.product_id, second["id"]):
        reply = await api.post(base, {"product_id": product_id, "starting_price": "100", "duration_s": 300},
                               token=show.seller.access)
        assert reply.status == 201 and reply.body["status"] == "scheduled" and reply.body["ends_at"] is None
        made.append(reply.body)
    first, later = made
    moved = await api.patch(f"/api/livestreams/biddings/{later['id']}/", {"position": 0}, token=show.seller.access)
    assert moved.status == 200
    assert [b["id"] for b in (await api.get(base)).body] == [later["id"], first["id"]]  # run order

    asha, ravi, meena = [await api.register(n) for n in ("asha", "ravi", "meena")]
    pre = [(asha, None, Decimal(150)), (ravi, Decimal(120), Decimal(200)), (meena, None, Decimal(200))]
    for who, amount, maximum in pre:
        body = {"max_amount": str(maximum), **({"amount": str(amount)} if amount else {})}
        placed = await api.post(f"/api/livestreams/biddings/{first['id']}/place-bid/", body, token=who.access)
        assert placed.status == 201, placed.body
    no_max = await api.post(f"/api/livestreams/biddings/{first['id']}/place-bid/", {"amount": "300"},
                            token=asha.access)
    assert no_max.status == 400 and "max_amount" in no_max.body["error"]["fields"]
    assert (await api.post(f"/api/livestreams/biddings/{first['id']}/start/", token=show.seller.access)
            ).error_code() == "not_live"

    await api.post(f"/api/livestreams/livestreams/{show.stream_id}/start/", token=show.seller.access)
    watcher = await connect(api.client, show.stream_id)
    await watcher.next("hello")
    started = await api.post(f"/api/livestreams/biddings/{first['id']}/start/", token=show.seller.access)
    assert started.status == 200, started.body
    # The same rules, applied to the pre-bids one after another in the order they were placed.
    expected = rules.Auction(seller_id=show.seller.id, status="open", mode="soft_close",
                             starting_price=Decimal(100), min_increment=None,
                             ends_at=(await db.fetchval("SELECT ends_at FROM biddings WHERE id = $1", first["id"])),
                             anti_snipe_s=10)
    now = await db.fetchval("SELECT created_at FROM biddings WHERE id = $1", first["id"])
    for who, amount, maximum in pre:
        expected = rules.place_bid(expected, who.id, amount, maximum, now).auction
    body = started.body
    assert (body["status"], body["current_amount"], body["leader"]["id"]) == (
        "open", float(expected.current_amount or 0), expected.leader_id)
    assert body["leader"]["id"] == ravi.id and body["current_amount"] == 200.0  # the earlier equal maximum leads
    event = (await watcher.next("bidding_started"))["data"]
    assert (event["id"], event["current_amount"], event["leader"]["id"]) == (first["id"], 200.0, ravi.id)
    assert (await api.post(f"/api/livestreams/biddings/{later['id']}/start/", token=show.seller.access)
            ).error_code() == "auction_open"
    assert (await api.post(f"/api/livestreams/biddings/{first['id']}/start/", token=show.seller.access)
            ).error_code() == "not_scheduled"
