"""Direct messages: sent and pushed live, threads with unread counts, read marks, about an order between the
two, blocks that refuse a sender, and the sender's rate limit; and the notifications sellers and creators
expect (a paid order, comments and replies, like milestones), read all at once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from commerce.orders.keys import ORDERS
from server.keys import DB
from tests.e2e.test_reels import upload
from tests.e2e.test_rooms import Socket
from tests.helpers import Account, Api, category, product, verified_seller


async def test_messages_are_sent_pushed_threaded_and_read(api: Api, admin: Account) -> None:
    asha, ravi, mira = [await api.register(n) for n in ("asha", "ravi", "mira")]
    inbox = Socket(await api.client.ws_connect("/ws/notifications/", params={"token": ravi.access}), "json")
    await inbox.next("hello")
    sent = await api.post("/api/messages/", {"to": ravi.id, "text": "  Is the saree still there?  "},
                          token=asha.access)
    assert sent.status == 201, sent.body
    assert (sent.body["sender"], sent.body["text"], sent.body["read"]) == (
        {"id": asha.id, "username": "asha"}, "Is the saree still there?", False)
    pushed = (await inbox.next("direct_message"))["data"]
    assert pushed["id"] == sent.body["id"] and pushed["recipient"]["id"] == ravi.id
    for i in range(3):
        await api.post("/api/messages/", {"to": ravi.id, "text": f"hello {i}"}, token=asha.access)
    await api.post("/api/messages/", {"to": asha.id, "text": "Yes!"}, token=ravi.access)
    await api.post("/api/messages/", {"to": ravi.id, "text": "hi from mira"}, token=mira.access)

    threads = (await api.get("/api/messages/threads/", token=ravi.access)).body
    assert threads["count"] == 2
    assert [(t["user"]["username"], t["last_message"]["text"], t["unread"]) for t in threads["results"]] == [
        ("mira", "hi from mira", 1), ("asha", "Yes!", 4)]
    page = (await api.get(f"/api/messages/threads/{asha.id}/?limit=3", token=ravi.access)).body
    assert [m["text"] for m in page] == ["Yes!", "hello 2", "hello 1"]
    older = (await api.get(f"/api/messages/threads/{asha.id}/?before={page[-1]['id']}", token=ravi.access)).body
    assert [m["text"] for m in older] == ["hello 0", "Is the saree still there?"]
    assert (await api.post(f"/api/messages/threads/{asha.id}/read/", token=ravi.access)).body == {"marked": 4}
    threads = (await api.get("/api/messages/threads/", token=ravi.access)).body["results"]
    assert [t["unread"] for t in threads] == [1, 0]
    assert (await api.get(f"/api/messages/threads/{ravi.id}/", token=asha.access)).body[1]["read"] is True

    assert (await api.post("/api/messages/", {"to": asha.id, "text": "me"}, token=asha.access)).status == 400
    assert (await api.post("/api/messages/", {"to": 999999, "text": "?"}, token=asha.access)).status == 404
    assert (await api.post("/api/messages/", {"to": ravi.id, "text": ""}, token=asha.access)).status == 400
    assert (await api.post("/api/messages/", {"to": ravi.id, "text": "x" * 2001}, token=asha.access)).status == 400
    assert (await api.post("/api/messages/", {"to": ravi.id, "text": "anon"})).status == 401


async def test_a_blocked_sender_is_refused_until_unblocked(api: Api) -> None:
    asha, troll = await api.register("asha"), await api.register("troll")
    assert (await api.post("/api/messages/blocks/", {"user_id": troll.id}, token=asha.access)).body == {
        "blocked": [troll.id]}
    refused = await api.post("/api/messages/", {"to": asha.id, "text": "hey"}, token=troll.access)
    assert refused.status == 403 and refused.error_code() == "blocked"
    assert (await api.post("/api/messages/", {"to": troll.id, "text": "stop"}, token=asha.access)).status == 201
    assert (await api.get("/api/messages/blocks/", token=asha.access)).body == {"blocked": [troll.id]}
    assert (await api.call("DELETE", f"/api/messages/blocks/{troll.id}/", token=asha.access)).status == 204
    assert (await api.get("/api/messages/blocks/", token=asha.access)).body == {"blocked": []}
    assert (await api.call("DELETE", f"/api/messages/blocks/{troll.id}/", token=asha.access)).status == 404
    assert (await api.post("/api/messages/", {"to": asha.id, "text": "sorry"}, token=troll.access)).status == 201


async def test_a_message_about_an_order_is_between_its_buyer_and_seller(api: Api, admin: Account,
                                                                        db: asyncpg.Connection) -> None:
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin), stock=5)
    buyer, stranger = await api.register("buyer"), await api.register("stranger")
    await api.post("/api/orders/cart/add/", {"product_id": item["id"]}, token=buyer.access)
    order = (await api.post("/api/orders/orders/create/", {"shipping_address": "1 MG Road, Pune 411001"},
                            token=buyer.access)).body
    about = await api.post("/api/messages/", {"to": seller.id, "text": "When does it ship?", "order_id": order["id"]},
                           token=buyer.access)
    assert about.status == 201 and about.body["order_id"] == order["id"]
    answer = await api.post("/api/messages/", {"to": buyer.id, "text": "Tomorrow.", "order_id": order["id"]},
                            token=seller.access)
    assert answer.status == 201
    other = await api.post("/api/messages/", {"to": seller.id, "text": "Mine?", "order_id": order["id"]},
                           token=stranger.access)
    assert other.status == 400 and "order_id" in other.body["error"]["fields"]


async def test_senders_are_rate_limited(api: Api) -> None:
    chatty, friend = await api.register("chatty"), await api.register("friend")
    replies = await asyncio.gather(*(api.post("/api/messages/", {"to": friend.id, "text": f"{i}"},
                                              token=chatty.access) for i in range(31)))
    assert sorted(r.status for r in replies) == [201] * 30 + [429]


async def kinds(db: asyncpg.Connection, user_id: int) -> list[str]:
    return [r["type"] for r in await db.fetch("SELECT type FROM notifications WHERE user_id = $1 ORDER BY id", user_id)]


async def test_sellers_and_creators_hear_what_they_expect_and_read_all(api: Api, admin: Account, app: Any,
                                                                       db: asyncpg.Connection) -> None:
    # A paid order tells its seller; a giveaway's prize (at 0) does not.
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin), price="1000", stock=5)
    buyer = await api.register("buyer")
    await api.post("/api/orders/cart/add/", {"product_id": item["id"]}, token=buyer.access)
    order = (await api.post("/api/orders/orders/create/", {"shipping_address": "1 MG Road, Pune 411001"},
                            token=buyer.access)).body
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order["id"], "paid", "payment", buyer.id, "test payment")
        await app[ORDERS].gift(conn, buyer.id, seller.id, item["id"], "giveaway:1", "A prize")
    assert await kinds(db, seller.id) == ["new_order"]
    assert await db.fetchval("SELECT text FROM notifications WHERE user_id = $1", seller.id) == (
        f"New paid order #{order['id']}: ₹1,000.00.")

    # The creator hears of a comment and a reply on their reel; the comment's author of the reply to it.
    creator = await verified_seller(api, admin, "creator")
    reel = await upload(api, creator, "Drape", kind="IMAGE")
    fan, other = await api.register("fan"), await api.register("other")
    first = (await api.post("/api/v1/video-comments/", {"video": reel["id"], "text": "Lovely"},
                            token=fan.access)).body
    await api.post("/api/v1/video-comments/", {"video": reel["id"], "text": "Agreed", "parent": first["id"]},
                   token=other.access)
    await api.post("/api/v1/video-comments/", {"video": reel["id"], "text": "Thanks!", "parent": first["id"]},
                   token=creator.access)
    assert await kinds(db, creator.id) == ["reel_comment", "reel_comment"]  # not of their own reply
    assert await kinds(db, fan.id) == ["comment_reply", "comment_reply"]

    # Ten likes are a milestone, told once though the tenth like is taken back and given again.
    likers = [await api.register(f"liker{i}") for i in range(10)]
    for who in likers:
        await api.post(f"/api/v1/shoppable-videos/{reel['id']}/like/", token=who.access)
    for _ in range(2):
        await api.post(f"/api/v1/shoppable-videos/{reel['id']}/like/", token=likers[-1].access)
    assert (await kinds(db, creator.id)).count("like_milestone") == 1

    marked = await api.call("PUT", "/api/notifications/read-all/", token=creator.access)
    assert marked.status == 200 and marked.body == {"marked": 3}
    assert (await api.get("/api/notifications/", token=creator.access)).body["unread"] == 0
