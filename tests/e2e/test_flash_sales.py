"""Flash sales in a live show: started by the seller, claimed over REST and the socket into held cart lines at
the sale price, never oversold (also by two processes at once), counted to viewers in coalesced updates, ended
once, and units nobody checked out go back to the sale."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import aiohttp
import asyncpg

from sales.keys import FLASH_SALES, GIVEAWAYS
from server.keys import REDIS
from tests.conftest import Services
from tests.e2e.test_orders import ADDRESS
from tests.e2e.test_room_order import watch
from tests.e2e.test_rooms import Show, connect, live_show
from tests.helpers import Account, Api, category, product
from tests.processes import ServerProcess, start_server


async def start_sale(api: Api, show: Show, **body: Any) -> Any:
    payload = {"product_id": show.product_id, "quantity": 5, "duration_s": 600, **body}
    return await api.post(f"/api/livestreams/livestreams/{show.stream_id}/flash-sales/", payload,
                          token=show.seller.access)


async def claim(api: Api, who: Account, sale_id: int, quantity: int = 1) -> Any:
    return await api.post(f"/api/livestreams/flash-sales/{sale_id}/claim/", {"quantity": quantity}, token=who.access)


async def send_updates(api: Api, kind: str = "flash") -> int:
    """One update round of flash sales (or giveaways), as the process whose turn it is."""
    app = api.client.app
    await app[REDIS].delete(f"{kind}:tick")
    sent: int = await (app[FLASH_SALES] if kind == "flash" else app[GIVEAWAYS]).send_updates()
    return sent


async def test_a_flash_sale_is_claimed_into_held_lines_and_counted_to_viewers(api: Api, admin: Account,
                                                                             db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)  # its product: price 1299.00, stock 10
    watcher = await connect(api.client, show.stream_id)
    await watcher.next("hello")
    buyer, other = await api.register("asha"), await api.register("ravi")
    started = await start_sale(api, show, discount_percent=20, quantity=5, per_buyer_limit=2)
    assert started.status == 201, started.body
    sale = started.body
    assert (sale["price"], sale["original_price"], sale["remaining"], sale["status"]) == (1039.2, 1299.0, 5, "open")
    event = (await watcher.next("flash_sale_started"))["data"]
    assert event["id"] == sale["id"] and event["remaining"] == 5 and event["product"]["name"] == "item-weaver"

    got = await claim(api, buyer, sale["id"], 2)
    assert got.status == 201 and got.body["remaining"] == 3 and got.body["price"] == 1039.2
    over = await claim(api, buyer, sale["id"])
    assert over.status == 409 and over.error_code() == "limit_reached" and over.body["error"]["claimed"] == 2
    assert (await claim(api, show.seller, sale["id"])).status == 403
    socket = await connect(api.client, show.stream_id, other.access)
    hello = (await socket.next("hello"))["data"]
    assert [s["id"] for s in hello["flash_sales"]] == [sale["id"]]
    await socket.send("claim", {"flash_sale_id": sale["id"], "quantity": 2, "client_id": "c1"})
    ack = (await socket.next("ack"))["data"]
    assert ack["client_id"] == "c1" and ack["remaining"] == 1
    await socket.send("claim", {"flash_sale_id": sale["id"], "quantity": 2, "client_id": "c2"})
    refused = (await socket.next("error"))["data"]
    assert refused["code"] == "sold_out" and refused["remaining"] == 1 and refused["client_id"] == "c2"

    # Four claims, one update: the room hears the units left once per round, not once per claim.
    assert await send_updates(api) == 1 and await send_updates(api) == 0
    updated = (await watcher.next("flash_sale_updated"))["data"]
    assert (updated["id"], updated["remaining"]) == (sale["id"], 1)

    # The claimed units wait in the cart at the sale price, their stock already taken; checkout takes no more.
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", show.product_id) == 6
    cart = (await api.get("/api/orders/cart/", token=buyer.access)).body
    assert [(i["source"], i["quantity"], i["price"]) for i in cart["items"]] == [("flash_sale", 2, 1039.2)]
    order = await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS}, token=buyer.access)
    assert order.status == 201 and order.body["total_amount"] == 2078.4
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", show.product_id) == 6

    # Units held past their time go back to the sale and the stock; the room hears of it.
    await db.execute("UPDATE cart_items SET held_until = now() - interval '1 second' WHERE buyer_id = $1", other.id)
    await api.client.app[FLASH_SALES].sweep()
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", show.product_id) == 8
    assert (await api.get("/api/orders/cart/", token=other.access)).body["items"] == []
    await send_updates(api)
    assert (await watcher.next("flash_sale_updated"))["data"]["remaining"] == 3

    ended = await api.post(f"/api/livestreams/flash-sales/{sale['id']}/end/", token=show.seller.access)
    assert ended.status == 200 and ended.body["status"] == "ended"
    final = (await watcher.next("flash_sale_ended"))["data"]
    assert (final["reason"], final["remaining"]) == ("seller", 3)
    assert (await claim(api, other, sale["id"])).error_code() == "sale_ended"
    versions = [f["data"]["version"] for f in watcher.seen if f["type"].startswith("flash_sale")]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


async def test_starting_a_flash_sale_is_the_sellers_during_the_show(api: Api, admin: Account) -> None:
    scheduled = await live_show(api, admin, "later", start=False)
    assert (await start_sale(api, scheduled)).error_code() == "not_live"
    show = await live_show(api, admin)
    assert (await start_sale(api, show, quantity=11)).error_code() == "out_of_stock"
    assert (await start_sale(api, show, price="2000")).status == 400
    assert (await start_sale(api, show, price="10", discount_percent=5)).status == 400
    other = await api.register("other", "seller")
    refused = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/flash-sales/",
                             {"product_id": show.product_id, "quantity": 1, "duration_s": 60}, token=other.access)
    assert refused.status == 403
    buy_now = await start_sale(api, show, quantity=1)
    assert buy_now.status == 201 and buy_now.body["price"] == buy_now.body["original_price"] == 1299.0
    listed = (await api.get(f"/api/livestreams/livestreams/{show.stream_id}/flash-sales/")).body
    assert [s["id"] for s in listed] == [buy_now.body["id"]]


async def test_units_released_after_a_sell_out_are_claimable_again(api: Api, admin: Account,
                                                                    db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    sale_id = (await start_sale(api, show, quantity=1)).body["id"]
    first, second = await api.register("first"), await api.register("second")
    assert (await claim(api, first, sale_id)).status == 201
    assert (await claim(api, second, sale_id)).error_code() == "sold_out"
    await db.execute("UPDATE cart_items SET held_until = now() - interval '1 second'")  # first did not pay
    await api.client.app[FLASH_SALES].sweep()
    assert (await claim(api, second, sale_id)).status == 201


async def test_two_hundred_claims_on_two_processes_sell_exactly_fifty_none_over_the_limit(
        api: Api, admin: Account, clean: Services, servers: list[ServerProcess], db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    big = await product(api, show.seller, await category(api, admin, "bulk"), "Bangles", price="200", stock=80)
    started = await start_sale(api, show, product_id=big["id"], quantity=50, per_buyer_limit=2, price="99")
    sale_id = started.body["id"]
    buyers = [await api.register(f"claimer{i}") for i in range(40)]
    servers += [await start_server(clean), await start_server(clean)]
    outcomes: dict[str, int] = {}

    def count(code: str) -> None:
        outcomes[code] = outcomes.get(code, 0) + 1

    async def over_rest(session: aiohttp.ClientSession, server: ServerProcess, who: Account) -> None:
        async with session.post(f"{server.base}/api/livestreams/flash-sales/{sale_id}/claim/",
                                json={"quantity": 1}, headers={"Authorization": f"Bearer {who.access}"}) as r:
            count("ok" if r.status == 201 else (await r.json())["error"]["code"])

    async def over_socket(session: aiohttp.ClientSession, server: ServerProcess, who: Account) -> None:
        async with session.ws_connect(f"{server.base}/ws/livestream/{show.stream_id}/",
                                      params={"token": who.access}) as ws:
            await ws.send_json({"type": "claim", "data": {"flash_sale_id": sale_id, "quantity": 1, "client_id": "c"}})
            while True:
                frame = json.loads((await ws.receive(timeout=30)).data)
                if frame["type"] in ("ack", "error"):
                    count("ok" if frame["type"] == "ack" else frame["data"]["code"])
                    return

    rng = random.Random(16)
    async with aiohttp.ClientSession() as session:
        viewers = [await watch(session, server, show.stream_id) for server in servers]
        # 40 buyers x 5 claims = 200 at once, each buyer's five racing each other (limit 2) on either process,
        # over REST or the socket.
        jobs = [rng.choice((over_rest, over_socket))(session, servers[rng.randrange(2)], who)
                for who in buyers for _ in range(5)]
        rng.shuffle(jobs)
        await asyncio.gather(*jobs)
        assert viewers  # watching throughout
    assert sum(outcomes.values()) == 200 and outcomes["ok"] == 50, outcomes
    assert set(outcomes) <= {"ok", "limit_reached", "sold_out"}
    per_buyer = await db.fetch("SELECT buyer_id, sum(quantity) AS n FROM flash_claims WHERE flash_sale_id = $1 "
                               "GROUP BY buyer_id", sale_id)
    assert sum(r["n"] for r in per_buyer) == 50 and max(r["n"] for r in per_buyer) <= 2
    assert await db.fetchval("SELECT remaining FROM flash_sales WHERE id = $1", sale_id) == 0
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", big["id"]) == 30
    assert await db.fetchval("SELECT sum(quantity) FROM cart_items WHERE source = 'flash_sale'") == 50
