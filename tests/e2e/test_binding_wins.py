"""Binding wins and second chance: a won item stays in the cart until paid, lapses unpaid (also when its order
expired), is offered to the runner-up by their own maximum, and one buyer ever ends up with it (two accepts
racing over two processes: one wins)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import asyncpg
import pytest

from bidding.keys import WINS
from commerce.orders.expiry import expire_unpaid
from commerce.orders.keys import ORDERS
from server.errors import Conflict
from server.keys import DB
from tests.conftest import Services
from tests.e2e.test_auctions import bid, open_auction
from tests.e2e.test_orders import checkout
from tests.e2e.test_rooms import Show, live_show
from tests.helpers import Account, Api
from tests.processes import ServerProcess, start_server


async def won_auction(api: Api, admin: Account) -> tuple[Show, dict[str, Any], dict[str, Account]]:
    """An auction of three bidders closed: asha (maximum 300) wins over ravi (maximum 250) and mira (100)."""
    show = await live_show(api, admin)
    bidders = {name: await api.register(name) for name in ("mira", "asha", "ravi")}
    auction = await open_auction(api, show)
    assert (await bid(api, bidders["mira"], auction["id"], amount=100)).status == 201
    assert (await bid(api, bidders["asha"], auction["id"], max_amount=300)).status == 201
    assert (await bid(api, bidders["ravi"], auction["id"], amount=200, max_amount=250)).status == 201
    closed = await api.post(f"/api/livestreams/biddings/{auction['id']}/close/", token=show.seller.access)
    assert closed.body["winner"]["username"] == "asha", closed.body
    return show, closed.body, bidders


async def lapse_now(db: asyncpg.Connection, app: Any) -> int:
    """The time to pay of every pending win runs out, and the sweeper comes round."""
    await db.execute("UPDATE auction_wins SET pay_by = now() - interval '1 second' WHERE status = 'pending'")
    return int(await app[WINS].sweep())


async def cart_of(api: Api, who: Account) -> list[dict[str, Any]]:
    return list((await api.get("/api/orders/cart/", token=who.access)).body["items"])


async def test_a_won_item_stays_in_the_cart_until_paid(api: Api, admin: Account, app: Any,
                                                       db: asyncpg.Connection) -> None:
    show, auction, bidders = await won_auction(api, admin)
    asha = bidders["asha"]
    assert auction["win"]["status"] == "pending" and auction["win"]["buyer"]["id"] == asha.id
    [line] = await cart_of(api, asha)
    assert line["source"] == "auction" and line["pay_by"] == auction["win"]["pay_by"]
    for refused in (await api.call("DELETE", f"/api/cart/{line['id']}/", token=asha.access),
                    await api.call("DELETE", "/api/orders/cart/remove/", {"product_id": show.product_id},
                                   token=asha.access)):
        assert refused.status == 409 and refused.error_code() == "won_item_locked"
    assert await cart_of(api, asha) == [line]

    # Checked out and cancelled unpaid: the item comes back, still owed, by the same deadline.
    order = (await checkout(api, asha)).body
    assert await cart_of(api, asha) == []
    cancelled = await api.post(f"/api/orders/orders/{order['id']}/status/", {"status": "cancelled"},
                               token=asha.access)
    assert cancelled.status == 200, cancelled.body
    [back] = await cart_of(api, asha)
    assert (back["source"], back["price"], back["pay_by"]) == ("auction", line["price"], line["pay_by"])

    # Paid: the win is settled and never lapses.
    order = (await checkout(api, asha)).body
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order["id"], "paid", "payment", asha.id, "test payment")
    shown = (await api.get(f"/api/livestreams/biddings/{auction['id']}/")).body
    assert shown["win"]["status"] == "paid"
    assert await lapse_now(db, app) == 0
    offer = await api.post(f"/api/livestreams/biddings/{auction['id']}/second-chance/", token=show.seller.access)
    assert offer.error_code() == "not_lapsed"


async def test_an_unpaid_win_lapses_and_the_runner_up_gets_a_second_chance(api: Api, admin: Account, app: Any,
                                                                            db: asyncpg.Connection) -> None:
    show, auction, bidders = await won_auction(api, admin)
    asha, ravi, mira = bidders["asha"], bidders["ravi"], bidders["mira"]
    seller = show.seller
    path = f"/api/livestreams/biddings/{auction['id']}"
    assert (await api.post(f"{path}/second-chance/", token=seller.access)).error_code() == "not_lapsed"

    assert await lapse_now(db, app) == 1
    assert await cart_of(api, asha) == []
    assert (await api.get(f"{path}/")).body["win"]["status"] == "lapsed"
    assert (await api.get(f"{path}/", token=ravi.access)).body["my_max"] == 250.0  # still shown to its owner
    told = await db.fetch("SELECT user_id FROM notifications WHERE type = 'auction_lapsed' ORDER BY user_id")
    assert sorted(r["user_id"] for r in told) == sorted([asha.id, seller.id])

    assert (await api.post(f"{path}/second-chance/", token=ravi.access)).status == 403  # a buyer
    offered = await api.post(f"{path}/second-chance/", token=seller.access)
    assert offered.status == 200, offered.body
    ravi_best = await db.fetchval("SELECT max(amount) FROM bids WHERE bidding_id = $1 AND bidder_id = $2",
                                  auction["id"], ravi.id)
    chance = offered.body["second_chance"]
    assert (chance["buyer"]["id"], chance["amount"], chance["status"]) == (ravi.id, float(ravi_best), "open")
    noted = await db.fetchval("SELECT (data->>'bidding_id')::bigint FROM notifications "
                              "WHERE type = 'second_chance_offer' AND user_id = $1", ravi.id)
    assert noted == auction["id"]
    assert (await api.post(f"{path}/second-chance/", token=seller.access)).error_code() == "offer_open"
    assert (await api.post(f"{path}/second-chance/accept/", token=mira.access)).error_code() == "offer_not_found"

    # ravi declines; mira, next by her maximum, is offered it and lets it expire; nobody is left.
    declined = await api.post(f"{path}/second-chance/decline/", token=ravi.access)
    assert declined.body["second_chance"]["status"] == "declined"
    assert (await api.post(f"{path}/second-chance/accept/", token=ravi.access)).error_code() == "offer_not_open"
    to_mira = (await api.post(f"{path}/second-chance/", token=seller.access)).body["second_chance"]
    assert (to_mira["buyer"]["id"], to_mira["amount"]) == (mira.id, 100.0)
    await db.execute("UPDATE second_chance_offers SET expires_at = now() WHERE buyer_id = $1", mira.id)
    assert (await api.get(f"{path}/")).body["second_chance"]["status"] == "expired"
    assert (await api.post(f"{path}/second-chance/accept/", token=mira.access)).error_code() == "offer_expired"
    assert (await api.post(f"{path}/second-chance/", token=seller.access)).error_code() == "no_runner_up"
    assert [await cart_of(api, who) for who in (asha, ravi, mira)] == [[], [], []]


async def test_a_win_in_an_unpaid_order_lapses_when_that_order_expires(api: Api, admin: Account, app: Any,
                                                                        db: asyncpg.Connection) -> None:
    _, auction, bidders = await won_auction(api, admin)
    asha = bidders["asha"]
    order = (await checkout(api, asha)).body
    assert await lapse_now(db, app) == 0  # its order may still be paid
    win_id = await db.fetchval("SELECT id FROM auction_wins WHERE bidding_id = $1", auction["id"])
    with pytest.raises(Conflict) as refused:  # as a sweep that listed it just before the checkout would see it
        await app[WINS].lapse(win_id)
    assert refused.value.code == "in_order"
    await db.execute("UPDATE orders SET pay_by = now() - interval '1 second' WHERE id = $1", order["id"])
    assert await expire_unpaid(app[ORDERS]) == 1
    assert await cart_of(api, asha) == []  # past its time to pay: not back in the cart
    assert await app[WINS].sweep() == 1
    assert (await api.get(f"/api/livestreams/biddings/{auction['id']}/")).body["win"]["status"] == "lapsed"


async def test_two_accepts_race_over_two_processes_and_one_wins(api: Api, admin: Account, app: Any, clean: Services,
                                                                db: asyncpg.Connection,
                                                                servers: list[ServerProcess]) -> None:
    show, auction, bidders = await won_auction(api, admin)
    ravi = bidders["ravi"]
    assert await lapse_now(db, app) == 1
    assert (await api.post(f"/api/livestreams/biddings/{auction['id']}/second-chance/",
                           token=show.seller.access)).status == 200
    servers += await asyncio.gather(start_server(clean), start_server(clean))

    async with aiohttp.ClientSession() as session:
        async def accept(server: ServerProcess) -> tuple[int, str | None]:
            async with session.post(f"{server.base}/api/livestreams/biddings/{auction['id']}/second-chance/accept/",
                                    headers={"Authorization": f"Bearer {ravi.access}"}) as resp:
                body = await resp.json()
                return resp.status, body.get("error", {}).get("code") if resp.status != 200 else None

        answers = await asyncio.gather(*(accept(servers[i % 2]) for i in range(8)))
    assert sorted(answers, key=lambda a: a[0]) == [(200, None)] + [(409, "offer_not_open")] * 7
    holders = await db.fetch("SELECT buyer_id, kind, status FROM auction_wins WHERE bidding_id = $1 ORDER BY id",
                             auction["id"])
    assert [tuple(h) for h in holders] == [(bidders["asha"].id, "win", "lapsed"),
                                           (ravi.id, "second_chance", "pending")]
    [line] = await cart_of(api, ravi)
    assert line["source"] == "auction" and line["pay_by"] is not None
    assert (await api.call("DELETE", f"/api/cart/{line['id']}/", token=ravi.access)).error_code() == "won_item_locked"
