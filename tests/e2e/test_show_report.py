"""The post-show report: every figure of a show this test runs, against the test's own hand count; who may
read it; the CSV export; viewers sampled once per interval across processes."""

from __future__ import annotations

import asyncio
import csv
import io
from decimal import Decimal
from typing import Any

import asyncpg

from audience.keys import REACTIONS
from audience.report.keys import REPORTS
from commerce.orders.keys import ORDERS
from rooms.lifecycle import presence_step
from server.keys import DB, REDIS
from tests.e2e.test_auctions import bid, open_auction
from tests.e2e.test_flash_sales import claim, start_sale
from tests.e2e.test_rooms import Show, connect, live_show
from tests.helpers import Account, Api, category, product


async def pay(app: Any, buyer: Account, api: Api) -> int:
    """Check out the buyer's cart and pay for it; the order's id."""
    order = await api.post("/api/orders/orders/create/", {"shipping_address": "1 MG Road, Pune 411001"},
                           token=buyer.access)
    assert order.status == 201, order.body
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order.body["id"], "paid", "payment", buyer.id, "test payment")
    return int(order.body["id"])


async def sample(app: Any, show: Show) -> int:
    """A sampling round as the process whose turn it is."""
    await app[REDIS].delete(f"show:{{{show.stream_id}}}:sample")
    taken: int = await app[REPORTS].sample()
    return taken


async def test_a_summary_equals_the_hand_count_of_the_show(api: Api, admin: Account, app: Any,
                                                           db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    bangles = await product(api, show.seller, await category(api, admin, "bangles"), "Bangles", price="250",
                            stock=20)
    asha, ravi, mira = [await api.register(n) for n in ("asha", "ravi", "mira")]
    path = f"/api/livestreams/livestreams/{show.stream_id}/summary/"
    sockets = [await connect(api.client, show.stream_id, who.access) for who in (asha, ravi)]
    sockets.append(await connect(api.client, show.stream_id))  # anonymous: a viewer, not a unique one
    for s in sockets:
        await s.next("hello")
    await presence_step(app)  # three watching: the peak
    assert await sample(app, show) == 1

    # Chat: three messages, one deleted. Reactions: four.
    said = [await api.post(f"/api/chat/messages/{show.stream_id}/send/", {"text": f"hi {i}"}, token=asha.access)
            for i in range(3)]
    await api.call("DELETE", f"/api/chat/messages/{show.stream_id}/{said[0].body['id']}/", token=show.seller.access)
    for i, emoji in enumerate(["🔥", "🔥", "❤️", "👏"]):
        await sockets[1].send("reaction", {"emoji": emoji, "client_id": f"r{i}"})
        await sockets[1].next("ack")
    await app[REACTIONS].flush()

    # An auction: ravi wins at 150 and pays. Another: no bid.
    first = await open_auction(api, show, starting_price="100")
    await bid(api, asha, first["id"], amount=120)
    await bid(api, ravi, first["id"], amount=150)
    await api.post(f"/api/livestreams/biddings/{first['id']}/close/", token=show.seller.access)
    await pay(app, ravi, api)
    second = await open_auction(api, show, product_id=bangles["id"])
    await api.post(f"/api/livestreams/biddings/{second['id']}/close/", token=show.seller.access)

    # A flash sale of 5 bangles at 200: mira claims 2 and pays; asha claims 1 and never pays.
    sale = (await start_sale(api, show, product_id=bangles["id"], price="200")).body
    assert (await claim(api, mira, sale["id"], 2)).status == 201
    assert (await claim(api, asha, sale["id"], 1)).status == 201
    await pay(app, mira, api)
    # Something mira also bought, not from the show: not the show's sale.
    await api.post("/api/orders/cart/add/", {"product_id": bangles["id"]}, token=mira.access)
    await pay(app, mira, api)

    assert await sample(app, show) == 1
    assert await sample(app, show) == 1
    ended = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/end/", token=show.seller.access)
    assert ended.status == 200

    report = await api.get(path, token=show.seller.access)
    assert report.status == 200, report.body
    r = report.body
    started, stopped = await db.fetchrow("SELECT started_at, ended_at FROM livestreams WHERE id = $1",
                                         show.stream_id)
    assert r["duration_s"] == int((stopped - started).total_seconds())
    assert (r["peak_viewers"], r["unique_viewers"], r["chat_messages"], r["reactions"]) == (3, 2, 2, 4)
    assert [(a["product"], a["winner"], a["amount"], a["bids"]) for a in r["auctions"]] == [
        ("item-weaver", "ravi", 150.0, 2), ("Bangles", None, None, 0)]
    assert [(f["price"], f["quantity"], f["claimed"], f["sold"]) for f in r["flash_sales"]] == [(200.0, 5, 3, 2)]
    gross = Decimal("150") + 2 * Decimal("200")
    assert (r["items_sold"], r["gross"], r["platform_fee"], r["net"], r["unique_buyers"]) == (
        3, float(gross), float(gross / 10), float(gross - gross / 10), 2)
    assert [v for _, v in r["viewers_timeline"]] == [3, 3, 3]
    assert sum(amount for _, amount in r["sales_timeline"]) == float(gross)

    exported = await api.get(path + "csv/", token=admin.access)
    assert exported.status == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.body)))
    assert ["gross", "550.00"] in rows and ["items_sold", "3"] in rows
    assert rows[rows.index(["auction", "product", "status", "winner", "amount", "bids"]) + 1][3] == "ravi"

    assert (await api.get(path, token=asha.access)).status == 403
    other = await live_show(api, admin, "other")
    assert (await api.get(path, token=other.seller.access)).status == 403
    later = await live_show(api, admin, "later", start=False)
    refused = await api.get(f"/api/livestreams/livestreams/{later.stream_id}/summary/", token=later.seller.access)
    assert refused.error_code() == "not_started"


async def test_viewers_are_sampled_once_per_interval_whoever_samples(api: Api, admin: Account, app: Any,
                                                                     db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    await app[REDIS].delete(f"show:{{{show.stream_id}}}:sample")
    assert sum(await asyncio.gather(*(app[REPORTS].sample() for _ in range(8)))) == 1
    assert await db.fetchval("SELECT count(*) FROM show_samples WHERE livestream_id = $1", show.stream_id) == 1
