"""Finding shows and being reminded of them: search and filters, upcoming with `reminded`, editing and deleting
a scheduled show, reminders sent once per user and show with two processes sweeping, seller_live once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from rooms.keys import PRESENCE
from rooms.names import RoomName
from rooms.streams.keys import STREAMS
from tests.conftest import Services
from tests.e2e.test_auctions import open_auction
from tests.e2e.test_rooms import Show, connect, live_show
from tests.helpers import Account, Api, category, product, verified_seller
from tests.processes import ServerProcess, start_server


def soon(minutes: float) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def schedule(api: Api, seller: Account, title: str, minutes: float, product_ids: list[int],
                   description: str = "") -> dict[str, Any]:
    reply = await api.post("/api/livestreams/livestreams/", {
        "title": title, "description": description, "scheduled_at": soon(minutes), "product_ids": product_ids},
        token=seller.access)
    assert reply.status == 201, reply.body
    return dict(reply.body)


async def titles(api: Api, query: str, token: str | None = None) -> list[str]:
    reply = await api.get(f"/api/livestreams/livestreams/?{query}", token=token)
    assert reply.status == 200, reply.body
    return [s["title"] for s in reply.body["results"]]


async def test_shows_are_searched_filtered_and_ordered(api: Api, admin: Account, db: asyncpg.Connection) -> None:
    weaver = await verified_seller(api, admin, "weaver")
    potter = await verified_seller(api, admin, "potter")
    await db.execute("UPDATE sellers SET business_name = 'Blue Clay Studio' WHERE user_id = $1", potter.id)
    sarees, pots = await category(api, admin, "Sarees"), await category(api, admin, "Pottery")
    saree = await product(api, weaver, sarees, "Kanjivaram")
    bowl = await product(api, potter, pots, "Bowl")
    late = await schedule(api, weaver, "Silk evening", 120, [saree["id"]], "Kanjivaram and more")
    early = await schedule(api, potter, "Glaze night", 30, [bowl["id"]])
    live = await live_show(api, admin, "drummer")
    await db.execute("UPDATE livestreams SET viewers = 7 WHERE id = $1", live.stream_id)

    assert await titles(api, "search=kanjiv") == ["Silk evening"]  # the description
    assert await titles(api, "search=BLUE%20clay") == ["Glaze night"]  # the seller's business name
    assert await titles(api, "search=100%25") == []  # LIKE's wildcards are plain characters
    assert await titles(api, f"category={pots}") == ["Glaze night"]
    assert await titles(api, f"seller={weaver.id}") == ["Silk evening"]
    assert await titles(api, "status=live") == ["drummer live"]
    assert await titles(api, "status=scheduled&ordering=scheduled_at") == ["Glaze night", "Silk evening"]
    assert (await titles(api, "ordering=-viewers"))[0] == "drummer live"
    assert (await api.get("/api/livestreams/livestreams/?ordering=viewers")).status == 400

    buyer = await api.register("buyer")
    reminded = await api.post(f"/api/livestreams/livestreams/{late['id']}/remind/", token=buyer.access)
    assert reminded.body == {"reminded": True, "reminders_count": 1}
    upcoming = (await api.get("/api/livestreams/livestreams/upcoming/", token=buyer.access)).body["results"]
    assert [(s["id"], s["reminded"], s["reminders_count"]) for s in upcoming] == [
        (early["id"], False, 0), (late["id"], True, 1)]
    anonymous = (await api.get("/api/livestreams/livestreams/upcoming/")).body["results"]
    assert [s["reminded"] for s in anonymous] == [None, None]
    again = await api.post(f"/api/livestreams/livestreams/{late['id']}/remind/", token=buyer.access)
    assert again.body == {"reminded": False, "reminders_count": 0}
    ended = await api.post(f"/api/livestreams/livestreams/{live.stream_id}/remind/", token=buyer.access)
    assert ended.error_code() == "not_scheduled"


async def test_a_scheduled_show_is_edited_and_deleted_by_its_seller_only(api: Api, admin: Account,
                                                                          db: asyncpg.Connection) -> None:
    show = await live_show(api, admin, start=False)
    path = f"/api/livestreams/livestreams/{show.stream_id}/"
    other = await verified_seller(api, admin, "other")
    assert (await api.patch(path, {"title": "Not yours"}, token=other.access)).status == 403
    patched = await api.patch(path, {"title": "Saree drop", "scheduled_at": soon(60)}, token=show.seller.access)
    assert patched.status == 200 and patched.body["title"] == "Saree drop"
    assert [p["id"] for p in patched.body["products"]] == [show.product_id]  # not sent: kept
    assert (await api.patch(path, {"title": ""}, token=show.seller.access)).status == 400
    nulls = await api.patch(path, {"title": None, "description": None, "scheduled_at": None, "product_ids": None},
                            token=show.seller.access)  # found by make fuzz: was a NOT NULL violation, 500
    assert nulls.status == 400 and set(nulls.body["error"]["fields"]) == {"title", "description", "product_ids"}
    cleared = await api.patch(path, {"scheduled_at": None}, token=show.seller.access)
    assert cleared.status == 200 and cleared.body["scheduled_at"] is None

    auction = await open_auction(api, show)  # on the run sheet, with a pre-bid
    buyer = await api.register("buyer")
    await api.post(f"/api/livestreams/biddings/{auction['id']}/place-bid/", {"max_amount": 300}, token=buyer.access)
    await api.post(f"{path}remind/", token=buyer.access)
    assert (await api.call("DELETE", path, token=other.access)).status == 403
    deleted = await api.call("DELETE", path, token=show.seller.access)
    assert deleted.status == 204
    assert (await api.get(path)).status == 404
    assert await db.fetchval("SELECT count(*) FROM biddings") == 0

    live = await live_show(api, admin, "singer")
    live_path = f"/api/livestreams/livestreams/{live.stream_id}/"
    assert (await api.call("DELETE", live_path, token=live.seller.access)).error_code() == "not_scheduled"
    assert (await api.patch(live_path, {"title": "x"}, token=live.seller.access)).error_code() == "not_scheduled"


async def reminders(db: asyncpg.Connection, kind: str = "show_starting_soon") -> list[int]:
    return sorted(r["user_id"] for r in await db.fetch("SELECT user_id FROM notifications WHERE type = $1", kind))


async def test_a_reminder_is_sent_once_per_user_with_two_processes_sweeping(
        api: Api, admin: Account, app: Any, clean: Services, db: asyncpg.Connection,
        servers: list[ServerProcess]) -> None:
    show: Show = await live_show(api, admin, start=False)
    path = f"/api/livestreams/livestreams/{show.stream_id}/"
    await api.patch(path, {"scheduled_at": soon(60)}, token=show.seller.access)  # not due for 45 minutes
    fans = [await api.register(f"fan{i}") for i in range(12)]
    for fan in fans:
        assert (await api.post(f"{path}remind/", token=fan.access)).body["reminded"]
    # A follower who also asked for a reminder hears of the start once.
    await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": show.seller.id}, token=fans[0].access)
    servers += await asyncio.gather(*(start_server(clean, LSC_LIVESTREAMS_REMINDER_SWEEP_S="0.05")
                                      for _ in range(2)))
    assert await app[STREAMS].send_reminders(900) == 0
    # The show moves within the 15 minutes: both processes (and this one, eight times at once) find them due.
    await api.patch(path, {"scheduled_at": soon(10)}, token=show.seller.access)
    sent = await asyncio.gather(*(app[STREAMS].send_reminders(900) for _ in range(8)))
    for _ in range(600):
        if len(await reminders(db)) >= len(fans):
            break
        await asyncio.sleep(0.05)
    assert await reminders(db) == sorted(f.id for f in fans)
    assert sum(sent) <= len(fans)
    # Moved again after the reminder went: nobody is reminded twice.
    await api.patch(path, {"scheduled_at": soon(5)}, token=show.seller.access)
    assert await app[STREAMS].send_reminders(900) == 0
    assert len(await reminders(db)) == len(fans)
    note = await db.fetchrow("SELECT text, data->>'livestream_id' AS show FROM notifications "
                             "WHERE type = 'show_starting_soon' LIMIT 1")
    assert note["text"] == "weaver goes live soon: weaver live" and int(note["show"]) == show.stream_id

    assert (await api.post(f"{path}start/", token=show.seller.access)).status == 200
    assert await reminders(db, "seller_live") == sorted(f.id for f in fans)


async def test_a_raid_sends_the_viewers_to_another_live_show_once(api: Api, admin: Account, app: Any) -> None:
    source = await live_show(api, admin, "weaver")
    target = await live_show(api, admin, "potter")
    later = await live_show(api, admin, "drummer", start=False)
    path = f"/api/livestreams/livestreams/{source.stream_id}/raid/"
    viewer = await api.register("viewer")
    leaving = await connect(api.client, source.stream_id, viewer.access)
    await leaving.next("hello")
    arriving = await connect(api.client, target.stream_id)
    await arriving.next("hello")
    await app[PRESENCE].report({RoomName.stream(source.stream_id): 1})  # as the presence loop counts the viewer

    assert (await api.post(path, {"target_id": target.stream_id}, token=target.seller.access)).status == 403
    assert (await api.post(path, {"target_id": source.stream_id}, token=source.seller.access)).status == 400
    refused = await api.post(path, {"target_id": later.stream_id}, token=source.seller.access)
    assert refused.error_code() == "target_not_live"
    raided = await api.post(path, {"target_id": target.stream_id}, token=source.seller.access)
    assert raided.status == 200 and raided.body["status"] == "ended"
    raid = await leaving.next("raid")
    assert raid["data"]["target"]["id"] == target.stream_id and raid["data"]["target"]["status"] == "live"
    assert (await leaving.next("stream_ended"))["data"]["reason"] == "raid"
    arrived = (await arriving.next("raid_arrived"))["data"]
    assert arrived == {"from": {"id": source.stream_id, "title": "weaver live",
                                "seller": {"id": source.seller.id, "username": "weaver",
                                           "business_name": "weaver shop"}},
                       "viewers": 1}
    again = await api.post(path, {"target_id": target.stream_id}, token=source.seller.access)
    assert again.error_code() == "not_live"
