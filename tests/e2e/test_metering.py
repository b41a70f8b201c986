"""Credit metering across processes, the out-of-credits warning and grace, and notifications."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rooms.keys import BRIDGE
from rooms.notifications.service import notify
from rooms.streams.metering import meter
from server.app import create_app
from server.credits.rules import blocks_started, paid_until
from server.credits.store import apply_credits, ledger_balance
from server.keys import CONFIG, DB
from tests.conftest import make_config
from tests.e2e.test_rooms import Socket, connect, live_show
from tests.helpers import Account, Api


def test_blocks_started_counts_every_begun_block() -> None:
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert [blocks_started(start, start + timedelta(minutes=m), 1800) for m in (0, 29, 30, 31, 60, 61)] == [
        1, 1, 2, 2, 3, 3]


def test_paid_until_adds_the_charged_blocks_and_what_the_balance_buys() -> None:
    start = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    assert paid_until(start, 1, 0, 1800) == start + timedelta(minutes=30)
    assert paid_until(start, 2, 3, 1800) == start + timedelta(minutes=150)


@pytest.fixture
async def two_meters(aiohttp_client: Any, clean: Any) -> tuple[Any, Any]:
    """Two server processes with 60-second blocks and a 30-second grace."""
    config = make_config(clean, credits={"block_s": 60, "grace_s": 30, "meter_interval_s": 3600.0})
    first = await aiohttp_client(create_app(config))
    second = await aiohttp_client(create_app(config))
    return first, second


async def add_credits(app: Any, seller_id: int, n: int, ref: str) -> None:
    async with app[DB].acquire() as conn, conn.transaction():
        await apply_credits(conn, seller_id, n, "purchase", ref)


async def test_two_processes_metering_one_show_charge_each_block_once(two_meters: Any, admin: Account,
                                                                      db: Any) -> None:
    a, b = two_meters
    api = Api(a)
    show = await live_show(api, admin)
    await add_credits(a.server.app, show.seller.id, 10, "pack-1")
    await db.execute("UPDATE livestreams SET started_at = now() - interval '210 seconds' WHERE id = $1",
                     show.stream_id)  # blocks 0..3 begun; 0 was paid at the start
    apps = (a.server.app, b.server.app)
    for _ in range(2):
        await asyncio.gather(*(meter(x[DB], x[BRIDGE], x[CONFIG].credits) for x in apps))
    refs = await db.fetch("SELECT ref FROM credit_ledger WHERE seller_id = $1 AND reason = 'live_block' ORDER BY ref",
                          show.seller.id)
    assert [r["ref"] for r in refs] == [f"{show.stream_id}:{i}" for i in range(4)]
    credits = await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", show.seller.id)
    assert credits == 1 + 10 - 4 == await ledger_balance(db, show.seller.id)
    profile = await api.get("/api/auth/profile/", token=show.seller.access)
    assert profile.body["seller"]["credits"] == credits


async def test_out_of_credits_warns_once_then_ends_after_grace(two_meters: Any, admin: Account, db: Any) -> None:
    a, b = two_meters
    api = Api(a)
    show = await live_show(api, admin)  # the free credit paid block 0
    owner = Socket(await b.ws_connect("/ws/notifications/", params={"token": show.seller.access}), "json")
    assert (await owner.next("hello"))["data"]["unread"] == 0
    viewer = await connect(a, show.stream_id)
    await viewer.next("hello")
    await db.execute("UPDATE livestreams SET started_at = now() - interval '61 seconds' WHERE id = $1",
                     show.stream_id)
    apps = (a.server.app, b.server.app)
    await asyncio.gather(*(meter(x[DB], x[BRIDGE], x[CONFIG].credits) for x in apps))
    warning = await owner.next("credit_warning")
    assert warning["data"]["livestream_id"] == show.stream_id and warning["data"]["grace_s"] == 30
    await asyncio.gather(*(meter(x[DB], x[BRIDGE], x[CONFIG].credits) for x in apps))  # still within the grace
    assert (await api.get(f"/api/livestreams/livestreams/{show.stream_id}/")).body["status"] == "live"
    await db.execute("UPDATE livestreams SET credit_warned_at = now() - interval '31 seconds' WHERE id = $1",
                     show.stream_id)
    await asyncio.gather(*(meter(x[DB], x[BRIDGE], x[CONFIG].credits) for x in apps))
    ended = await viewer.next("stream_ended")
    assert ended["data"] == {"livestream_id": show.stream_id, "reason": "credits"}
    assert (await api.get(f"/api/livestreams/livestreams/{show.stream_id}/")).body["status"] == "ended"
    warnings = [f for f in owner.seen if f["type"] == "credit_warning"]
    assert len(warnings) == 1
    assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", show.seller.id) == 0


async def test_credits_bought_within_the_grace_keep_the_show_live(two_meters: Any, admin: Account,
                                                                  db: Any) -> None:
    a, _ = two_meters
    api = Api(a)
    app = a.server.app
    show = await live_show(api, admin)
    await db.execute("UPDATE livestreams SET started_at = now() - interval '61 seconds' WHERE id = $1",
                     show.stream_id)
    await meter(app[DB], app[BRIDGE], app[CONFIG].credits)
    assert await db.fetchval("SELECT credit_warned_at FROM livestreams WHERE id = $1", show.stream_id) is not None
    await add_credits(app, show.seller.id, 3, "pack-2")
    await db.execute("UPDATE livestreams SET credit_warned_at = now() - interval '31 seconds' WHERE id = $1",
                     show.stream_id)
    await meter(app[DB], app[BRIDGE], app[CONFIG].credits)
    row = await db.fetchrow("SELECT status, credit_warned_at FROM livestreams WHERE id = $1", show.stream_id)
    assert row["status"] == "live" and row["credit_warned_at"] is None
    assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", show.seller.id) == 2


async def test_notifications_are_stored_pushed_read_and_deleted(api: Api, app: Any) -> None:
    user = await api.register("asha")
    async with api.client.get("/ws/notifications/") as resp:
        assert resp.status == 401
    ws = await api.client.ws_connect("/ws/notifications/", params={"token": user.access}, protocols=("msgpack",))
    socket = Socket(ws, "msgpack")
    await socket.next("hello")
    sent = await notify(app[DB], app[BRIDGE], user.id, "order_status", "Your order #1 shipped", {"order_id": 1})
    pushed = await socket.next("notification")
    assert pushed["data"]["id"] == sent["id"] and pushed["data"]["text"] == "Your order #1 shipped"
    listing = await api.get("/api/notifications/", token=user.access)
    assert listing.body["count"] == 1 and listing.body["unread"] == 1
    assert listing.body["results"][0]["data"] == {"order_id": 1}
    read = await api.call("PUT", f"/api/notifications/{sent['id']}/read/", token=user.access)
    assert read.status == 200 and read.body["read"] is True
    other = await api.register("other")
    assert (await api.call("PUT", f"/api/notifications/{sent['id']}/read/", token=other.access)).status == 404
    assert (await api.call("DELETE", f"/api/notifications/{sent['id']}/", token=user.access)).status == 204
    assert (await api.get("/api/notifications/", token=user.access)).body["count"] == 0


async def test_order_changes_notify_the_buyer_once_after_commit(api: Api, app: Any, admin: Account, db: Any,
                                                                aiohttp_client: Any, clean: Any) -> None:
    from commerce.orders.keys import ORDERS
    from rooms.notifications.service import push_stored
    from tests.helpers import category, product, verified_seller

    # A second process, started before anything is stored: its start-up push finds nothing to send.
    other = await aiohttp_client(create_app(make_config(clean)))
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin))
    buyer = await api.register("asha")
    socket = Socket(await api.client.ws_connect("/ws/notifications/", params={"token": buyer.access}), "json")
    await socket.next("hello")
    await api.post("/api/orders/cart/add/", {"product_id": item["id"]}, token=buyer.access)
    order = (await api.post("/api/orders/orders/create/", {"shipping_address": "1 Main Road, Pune 411001"},
                            token=buyer.access)).body
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order["id"], "paid", "payment", buyer.id)
    try:  # a change that rolls back leaves no notification behind
        async with app[DB].acquire() as conn, conn.transaction():
            await app[ORDERS].transition(conn, order["id"], "shipped", "seller", seller.id, "AWB 9")
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    await api.post(f"/api/orders/orders/{order['id']}/status/", {"status": "shipped", "note": "AWB 7"},
                   token=seller.access)
    pushed = await asyncio.gather(push_stored(app[DB], app[BRIDGE]),
                                  push_stored(other.server.app[DB], other.server.app[BRIDGE]))
    assert sum(pushed) == 3  # the buyer's two, and the seller's new_order
    frames = [await socket.next("notification"), await socket.next("notification")]
    assert [f["data"]["data"]["status"] for f in frames] == ["paid", "shipped"]
    assert frames[1]["data"]["data"]["note"] == "AWB 7" and frames[1]["data"]["type"] == "order_status"
    assert await db.fetchval("SELECT count(*) FROM notifications WHERE user_id = $1", buyer.id) == 2
    assert await push_stored(app[DB], app[BRIDGE]) == 0
