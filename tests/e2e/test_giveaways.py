"""Giveaways in a live show: one at a time, entered by eligible viewers in the room, drawn once (also when two
processes reach the end together), uniformly and auditably, the prize an order at price 0."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import asyncpg

from sales.giveaways import draw_winner
from sales.keys import GIVEAWAYS
from tests.conftest import Services
from tests.e2e.test_flash_sales import send_updates
from tests.e2e.test_room_order import watch
from tests.e2e.test_rooms import Show, connect, live_show
from tests.helpers import Account, Api
from tests.processes import ServerProcess, start_server


async def start_giveaway(api: Api, show: Show, **body: Any) -> Any:
    payload = {"product_id": show.product_id, "duration_s": 600, **body}
    return await api.post(f"/api/livestreams/livestreams/{show.stream_id}/giveaways/", payload,
                          token=show.seller.access)


async def enter(api: Api, who: Account, giveaway_id: int) -> Any:
    return await api.post(f"/api/livestreams/giveaways/{giveaway_id}/enter/", token=who.access)


async def test_a_giveaway_is_entered_by_eligible_viewers_and_drawn_once(api: Api, admin: Account,
                                                                      db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    watcher = await connect(api.client, show.stream_id)
    await watcher.next("hello")
    started = await start_giveaway(api, show, eligibility="followers")
    assert started.status == 201, started.body
    giveaway = started.body
    assert (giveaway["status"], giveaway["entries"], giveaway["winner"], giveaway["draw"]) == ("open", 0, None, None)
    assert (await watcher.next("giveaway_started"))["data"]["id"] == giveaway["id"]
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", show.product_id) == 9  # the prize
    assert (await start_giveaway(api, show)).error_code() == "giveaway_open"

    fan, stranger = await api.register("fan"), await api.register("stranger")
    await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": show.seller.id}, token=fan.access)
    assert (await enter(api, fan, giveaway["id"])).error_code() == "not_in_room"  # not watching
    fan_socket = await connect(api.client, show.stream_id, fan.access)
    hello = (await fan_socket.next("hello"))["data"]
    assert hello["giveaway"]["id"] == giveaway["id"]
    entered = await enter(api, fan, giveaway["id"])
    assert entered.status == 201 and entered.body["entries"] == 1
    assert (await enter(api, fan, giveaway["id"])).error_code() == "already_entered"
    stranger_socket = await connect(api.client, show.stream_id, stranger.access)
    await stranger_socket.next("hello")
    await stranger_socket.send("enter_giveaway", {"giveaway_id": giveaway["id"], "client_id": "g1"})
    assert (await stranger_socket.next("error"))["data"]["code"] == "not_eligible"  # not a follower
    seller_socket = await connect(api.client, show.stream_id, show.seller.access)
    await seller_socket.next("hello")
    assert (await enter(api, show.seller, giveaway["id"])).error_code() == "not_eligible"

    assert await send_updates(api, "giveaway") == 1
    assert (await watcher.next("giveaway_updated"))["data"]["entries"] == 1

    drawn = await api.post(f"/api/livestreams/giveaways/{giveaway['id']}/draw/", token=show.seller.access)
    assert drawn.status == 200 and drawn.body["winner"] == {"id": fan.id, "username": "fan"}
    ended = (await watcher.next("giveaway_ended"))["data"]
    assert ended["winner"]["id"] == fan.id and ended["entries"] == 1
    audit = drawn.body["draw"]
    assert draw_winner([fan.id], audit["seed"]) == (fan.id, audit["entries_hash"])  # anyone can check it
    order = await db.fetchrow("SELECT status, total_amount FROM orders WHERE buyer_id = $1", fan.id)
    assert (order["status"], order["total_amount"]) == ("paid", 0)
    assert await db.fetchval("SELECT count(*) FROM notifications WHERE user_id = $1 AND type = 'giveaway_won'",
                             fan.id) == 1
    again = await api.post(f"/api/livestreams/giveaways/{giveaway['id']}/draw/", token=show.seller.access)
    assert again.error_code() == "giveaway_ended"
    assert (await enter(api, stranger, giveaway["id"])).status in (403, 409)

    # Nobody entered: nobody wins, the unit goes back to stock.
    empty = (await start_giveaway(api, show)).body
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", show.product_id) == 8
    nobody = await api.post(f"/api/livestreams/giveaways/{empty['id']}/draw/", token=show.seller.access)
    assert nobody.body["winner"] is None
    assert await db.fetchval("SELECT stock FROM products WHERE id = $1", show.product_id) == 9


async def test_three_hundred_entrants_on_two_processes_one_winner_drawn_once(
        api: Api, admin: Account, clean: Services, servers: list[ServerProcess], db: asyncpg.Connection) -> None:
    show = await live_show(api, admin)
    giveaway = (await start_giveaway(api, show)).body
    entrants = [await api.register(f"entrant{i}") for i in range(300)]
    servers += [await start_server(clean, LSC_SALES_SWEEP_INTERVAL_S="0.05"),
                await start_server(clean, LSC_SALES_SWEEP_INTERVAL_S="0.05")]
    # No connection limit: an entrant over REST holds its socket while it posts, and with aiohttp's default
    # 100 connections a hundred such entrants could each wait for a second one forever (the test hung once).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        watchers = [await watch(session, server, show.stream_id) for server in servers]

        async def one(i: int, who: Account) -> None:
            server = servers[i % 2]
            async with session.ws_connect(f"{server.base}/ws/livestream/{show.stream_id}/",
                                          params={"token": who.access}) as ws:
                assert json.loads((await ws.receive(timeout=30)).data)["type"] == "hello"
                if i % 3:
                    await ws.send_json({"type": "enter_giveaway", "data": {"giveaway_id": giveaway["id"]}})
                    while (frame := json.loads((await ws.receive(timeout=30)).data))["type"] not in ("ack", "error"):
                        pass
                    assert frame["type"] == "ack", frame
                else:  # over REST, while the socket is open
                    async with session.post(f"{servers[(i + 1) % 2].base}/api/livestreams/giveaways/"
                                            f"{giveaway['id']}/enter/",
                                            headers={"Authorization": f"Bearer {who.access}"}) as resp:
                        assert resp.status == 201, await resp.text()

        await asyncio.wait_for(asyncio.gather(*(one(i, who) for i, who in enumerate(entrants))), 60)
        assert await db.fetchval("SELECT entries FROM giveaways WHERE id = $1", giveaway["id"]) == 300
        await db.execute("UPDATE giveaways SET ends_at = now() WHERE id = $1", giveaway["id"])  # both sweep now
        # ... and this process draws eight times at once too: one draw in all succeeds.
        draws = await asyncio.gather(*(api.client.app[GIVEAWAYS].draw(None, giveaway["id"]) for _ in range(8)),
                                     return_exceptions=True)
        assert sum(1 for d in draws if not isinstance(d, Exception)) <= 1
        assert all(getattr(d, "code", "giveaway_ended") == "giveaway_ended" for d in draws if isinstance(d, Exception))
        for watcher in watchers:
            seen = await asyncio.wait_for(watcher.until("giveaway_ended"), 30)
            ended = [f for f in seen if f["type"] == "giveaway_ended"]
            assert len(ended) == 1 and ended[0]["data"]["entries"] == 300
        row = await db.fetchrow("SELECT status, winner_id, seed, entries_hash FROM giveaways WHERE id = $1",
                                giveaway["id"])
        assert row["status"] == "drawn" and row["winner_id"] in {e.id for e in entrants}
        assert draw_winner(sorted(e.id for e in entrants), row["seed"]) == (row["winner_id"], row["entries_hash"])
        assert await db.fetchval("SELECT count(*) FROM order_items WHERE ref = $1", f"giveaway:{giveaway['id']}") == 1
        assert await db.fetchval("SELECT count(*) FROM notifications WHERE type = 'giveaway_won'") == 1
