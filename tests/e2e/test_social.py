"""Creators, follows, friends, notifications of social events, wishlists, swipe and the leaderboard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from feed.keys import LEADERBOARD
from feed.leaderboard.service import DIRTY_KEY, PUSH_LOCK_KEY, iso_week
from feed.lifecycle import leaderboard_step
from rooms.keys import BRIDGE
from rooms.notifications.service import push_stored
from server.keys import DB, REDIS
from tests.e2e.test_reels import upload
from tests.e2e.test_rooms import Socket
from tests.helpers import Account, Api, category, product, verified_seller


async def notification_socket(api: Api, who: Account, codec: str = "json") -> Socket:
    ws = await api.client.ws_connect("/ws/notifications/", params={"token": who.access}, protocols=(codec,))
    sock = Socket(ws, codec)
    await sock.next("hello")
    return sock


async def push_pending(api: Api) -> None:
    await push_stored(api.client.app[DB], api.client.app[BRIDGE])


async def test_creator_profiles_search_and_edit(api: Api, admin: Account) -> None:
    ritu = await api.register("ritu")
    other = await api.register("other")
    await upload(api, ritu)
    profile = await api.get(f"/api/v1/creators/{ritu.id}/")
    assert profile.status == 200
    assert {k: profile.body[k] for k in ("handle", "display_name", "posts_count", "followers_count")} == {
        "handle": "ritu", "display_name": "ritu", "posts_count": 1, "followers_count": 0}
    edited = await api.patch(f"/api/v1/creators/{ritu.id}/", {
        "handle": "RituStyles", "display_name": "Ritu <Styles>", "bio": "Sarees daily",
        "social_links": {"instagram": "https://instagram.com/ritu"}}, token=ritu.access)
    assert edited.status == 200 and edited.body["handle"] == "RituStyles"
    assert edited.body["display_name"] == "Ritu <Styles>"
    assert (await api.patch(f"/api/v1/creators/{ritu.id}/", {"bio": "x"}, token=other.access)).status == 403
    taken = await api.patch(f"/api/v1/creators/{other.id}/", {"handle": "ritustyles"}, token=other.access)
    assert taken.status == 409 and taken.error_code() == "handle_taken"
    bad = await api.patch(f"/api/v1/creators/{ritu.id}/", {"handle": "no spaces!",
                                                           "social_links": {"x": "javascript:alert(1)"}},
                          token=ritu.access)
    assert bad.status == 400 and set(bad.body["error"]["fields"]) == {"handle", "social_links"}
    found = await api.get("/api/v1/creators/?q=styles")
    assert [c["id"] for c in found.body["results"]] == [ritu.id]
    assert (await api.get("/api/v1/creators/?q=nobody")).body["count"] == 0
    videos = await api.get(f"/api/v1/creators/{ritu.id}/videos/")
    assert videos.body["count"] == 1
    assert (await api.get("/api/v1/creators/999999/")).status == 404


async def test_creator_products_and_category_listings(api: Api, admin: Account) -> None:
    from feed.videos.categories import load_defaults
    await load_defaults(api.client.app[DB])
    fashion = await api.client.app[DB].fetchval("SELECT id FROM video_categories WHERE slug = 'fashion'")
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    saree = await product(api, seller, cat)
    sold = await product(api, seller, cat, name="Own product")
    ritu = await api.register("ritu")
    await upload(api, ritu, product=saree["id"], category=fashion)
    await upload(api, seller, "by the seller", category=fashion)
    shown = await api.get(f"/api/v1/creators/{ritu.id}/products/")
    assert [p["id"] for p in shown.body["results"]] == [saree["id"]]
    sells = await api.get(f"/api/v1/creators/{seller.id}/products/")
    assert {p["id"] for p in sells.body["results"]} == {saree["id"], sold["id"]}
    by_catalog = await api.get(f"/api/v1/creators/?category={cat}")
    assert [c["id"] for c in by_catalog.body["results"]] == [ritu.id]
    in_category = await api.get(f"/api/v1/shoppable-video-categories/{fashion}/creators/")
    assert {c["id"] for c in in_category.body["results"]} == {ritu.id, seller.id}
    videos = await api.get(f"/api/v1/shoppable-video-categories/{fashion}/videos/")
    assert videos.body["count"] == 2
    categories = await api.get("/api/v1/shoppable-video-categories/?page_size=100")
    assert categories.body["count"] == 10
    made = await api.post("/api/v1/shoppable-video-categories/", {"name": "Travel"}, token=admin.access)
    assert made.status == 201 and made.body["slug"] == "travel"
    again = await api.post("/api/v1/shoppable-video-categories/", {"name": "travel"}, token=admin.access)
    assert again.status == 409
    assert (await api.post("/api/v1/shoppable-video-categories/", {"name": "X"}, token=ritu.access)).status == 403
    assert (await api.get("/api/v1/shoppable-video-categories/999/videos/")).status == 404


async def test_follow_toggle_counts_and_notifies(api: Api) -> None:
    ritu = await api.register("ritu")
    fan = await api.register("fan")
    ws = await notification_socket(api, ritu)
    followed = await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": ritu.id}, token=fan.access)
    assert followed.body == {"following": True, "followers_count": 1}
    note = await ws.next("notification")
    assert note["data"]["type"] == "new_follower" and note["data"]["actor"] == fan.id
    assert "fan" in note["data"]["text"]
    assert (await api.get(f"/api/v1/creators/{ritu.id}/", token=fan.access)).body["is_following"] is True
    assert [c["id"] for c in (await api.get(f"/api/v1/creators/{ritu.id}/followers/")).body["results"]] == [fan.id]
    assert [c["id"] for c in (await api.get(f"/api/v1/creators/{fan.id}/following/")).body["results"]] == [ritu.id]
    assert [c["id"] for c in (await api.get("/api/v1/creators/me_following/", token=fan.access)).body["results"]] \
        == [ritu.id]
    assert [c["id"] for c in (await api.get(f"/api/v1/user-follows/?following_of={fan.id}")).body["results"]] \
        == [ritu.id]
    assert (await api.get(f"/api/v1/creators/{fan.id}/")).body["following_count"] == 1
    unfollowed = await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": ritu.id}, token=fan.access)
    assert unfollowed.body == {"following": False, "followers_count": 0}
    me = await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": fan.id}, token=fan.access)
    assert me.status == 400 and me.error_code() == "cannot_follow_self"
    nobody = await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": 999999}, token=fan.access)
    assert nobody.status == 404
    assert (await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": "x"}, token=fan.access)).status \
        == 400
    assert (await api.get("/api/v1/user-follows/")).status == 401
    await ws.ws.close()


async def test_followers_hear_of_new_reels_and_live_shows(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    fans = [await api.register(f"fan{i}") for i in range(3)]
    for fan in fans[:2]:
        await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": seller.id}, token=fan.access)
    ws = await notification_socket(api, fans[0])
    reel = await upload(api, seller, "New drop")
    show = await api.post("/api/livestreams/livestreams/", {"title": "Diwali sale"}, token=seller.access)
    assert show.status == 201, show.body
    started = await api.post(f"/api/livestreams/livestreams/{show.body['id']}/start/", token=seller.access)
    assert started.status == 200, started.body
    await push_pending(api)
    first = await ws.next("notification")
    second = await ws.next("notification")
    assert (first["data"]["type"], first["data"]["data"]) == ("new_reel", {"video_id": reel["id"]})
    assert second["data"]["type"] == "seller_live" and second["data"]["data"] == {"livestream_id": show.body["id"]}
    assert "Diwali sale" in second["data"]["text"]
    stored = await api.get("/api/notifications/", token=fans[1].access)
    assert [n["type"] for n in stored.body["results"]] == ["seller_live", "new_reel"]
    assert (await api.get("/api/notifications/", token=fans[2].access)).body["count"] == 0
    await ws.ws.close()


async def test_friends_requests_answers_and_online_status(api: Api) -> None:
    asha = await api.register("asha")
    ben = await api.register("ben")
    cara = await api.register("cara")
    ben_ws = await notification_socket(api, ben)
    sent = await api.post("/api/friends/request/", {"user_id": ben.id}, token=asha.access)
    assert sent.status == 201 and sent.body["status"] == "pending"
    assert (sent.body["sender"]["id"], sent.body["receiver"]["id"]) == (asha.id, ben.id)
    note = await ben_ws.next("notification")
    assert note["data"]["type"] == "friend_request" and note["data"]["data"]["request_id"] == sent.body["id"]
    dup = await api.post("/api/friends/request/", {"user_id": ben.id}, token=asha.access)
    assert dup.status == 409 and dup.error_code() == "request_pending"
    waiting = await api.get("/api/friends/requests/", token=ben.access)
    assert [r["id"] for r in waiting.body["results"]] == [sent.body["id"]]
    path = f"/api/friends/request/{sent.body['id']}/"
    assert (await api.call("PUT", path, {"action": "accept"}, token=asha.access)).status == 403
    assert (await api.call("PUT", path, {"action": "accept"}, token=cara.access)).status == 404
    assert (await api.call("PUT", path, {"action": "maybe"}, token=ben.access)).status == 400
    asha_ws = await notification_socket(api, asha)
    accepted = await api.call("PUT", path, {"action": "accept"}, token=ben.access)
    assert accepted.status == 200 and accepted.body["status"] == "accepted"
    answer = await asha_ws.next("notification")
    assert answer["data"]["type"] == "friend_accepted"
    assert (await api.call("PUT", path, {"action": "reject"}, token=ben.access)).status == 409
    again = await api.post("/api/friends/request/", {"user_id": asha.id}, token=ben.access)
    assert again.status == 409 and again.error_code() == "already_friends"
    # both have a socket open: both online
    friends = await api.get("/api/friends/", token=asha.access)
    assert [(f["id"], f["online"]) for f in friends.body["results"]] == [(ben.id, True)]
    # cara comes online after befriending ben: ben is told
    request = await api.post("/api/friends/request/", {"user_id": ben.id}, token=cara.access)
    crossed = await api.post("/api/friends/request/", {"user_id": cara.id}, token=ben.access)
    assert crossed.status == 201 and crossed.body["status"] == "accepted"  # asking back accepts
    assert crossed.body["id"] == request.body["id"]
    cara_ws = await notification_socket(api, cara)
    status = await ben_ws.next("friend_status")
    assert status["data"] == {"user_id": cara.id, "username": "cara", "online": True}
    await cara_ws.ws.close()
    status = await ben_ws.next("friend_status")
    assert status["data"] == {"user_id": cara.id, "username": "cara", "online": False}
    friends = await api.get("/api/friends/", token=ben.access)
    assert [(f["username"], f["online"]) for f in friends.body["results"]] == [("asha", True), ("cara", False)]
    rejected = await api.post("/api/friends/request/", {"user_id": cara.id}, token=asha.access)
    no = await api.call("PUT", f"/api/friends/request/{rejected.body['id']}/", {"action": "reject"},
                        token=cara.access)
    assert no.body["status"] == "rejected"
    assert (await asha_ws.next("notification"))["data"]["type"] == "friend_rejected"
    assert (await api.call("DELETE", f"/api/friends/{cara.id}/", token=ben.access)).status == 204
    assert (await api.call("DELETE", f"/api/friends/{cara.id}/", token=ben.access)).status == 404
    myself = await api.post("/api/friends/request/", {"user_id": asha.id}, token=asha.access)
    assert myself.status == 400
    assert (await api.get("/api/friends/")).status == 401
    await asha_ws.ws.close()
    await ben_ws.ws.close()


async def test_wishlists_sharing_and_rights(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    saree = await product(api, seller, cat)
    lamp = await product(api, seller, cat, name="Lamp")
    owner = await api.register("owner")
    viewer = await api.register("viewer")
    editor = await api.register("editor")
    made = await api.post("/api/wishlists/", {"name": "Diwali", "occasion": "festival", "event_date": "2026-11-08"},
                          token=owner.access)
    assert made.status == 201
    assert {k: made.body[k] for k in ("name", "occasion", "event_date", "items", "shared_with")} == {
        "name": "Diwali", "occasion": "festival", "event_date": "2026-11-08", "items": [], "shared_with": []}
    path = f"/api/wishlists/{made.body['id']}/"
    bad = await api.post("/api/wishlists/", {"name": "x", "occasion": "funeral"}, token=owner.access)
    assert bad.status == 400 and "occasion" in bad.body["error"]["fields"]
    added = await api.post(path + "items/", {"product_id": saree["id"], "note": "red one"}, token=owner.access)
    assert [(i["product"]["id"], i["note"]) for i in added.body["items"]] == [(saree["id"], "red one")]
    assert (await api.get(path, token=viewer.access)).status == 404
    shared = await api.post(path + "share/", {"username": "viewer"}, token=owner.access)
    assert shared.status == 201 and shared.body["shared_with"] == [{"user": {"id": viewer.id, "username": "viewer"},
                                                                   "can_edit": False}]
    await api.post(path + "share/", {"user_id": editor.id, "can_edit": True}, token=owner.access)
    assert (await api.get(path, token=viewer.access)).body["can_edit"] is False
    refused = await api.post(path + "items/", {"product_id": lamp["id"]}, token=viewer.access)
    assert refused.status == 403
    by_editor = await api.post(path + "items/", {"product_id": lamp["id"]}, token=editor.access)
    assert by_editor.status == 201 and len(by_editor.body["items"]) == 2
    assert (await api.post(path + "share/", {"user_id": viewer.id}, token=editor.access)).status == 403
    assert (await api.patch(path, {"name": "Mine now"}, token=editor.access)).status == 403
    renamed = await api.patch(path, {"name": "Diwali 2026"}, token=owner.access)
    assert renamed.body["name"] == "Diwali 2026" and renamed.body["occasion"] == "festival"
    replaced = await api.call("PUT", path, {"name": "Wedding", "occasion": "wedding"}, token=owner.access)
    assert replaced.body["occasion"] == "wedding" and replaced.body["event_date"] is None
    mine = await api.get("/api/wishlists/shared-with-me/", token=viewer.access)
    assert [w["id"] for w in mine.body["results"]] == [made.body["id"]]
    assert (await api.get("/api/wishlists/", token=viewer.access)).body["count"] == 0
    notes = await api.get("/api/notifications/", token=viewer.access)
    assert notes.body["results"][0]["type"] == "wishlist_shared"
    assert (await api.post(path + "share/", {}, token=owner.access)).status == 400
    assert (await api.post(path + "share/", {"user_id": owner.id}, token=owner.access)).status == 400
    assert (await api.post(path + "share/", {"username": "ghost"}, token=owner.access)).status == 404
    assert (await api.call("DELETE", path + f"items/{lamp['id']}/", token=editor.access)).status == 204
    assert (await api.call("DELETE", path + f"items/{lamp['id']}/", token=editor.access)).status == 404
    assert (await api.call("DELETE", path + f"share/{viewer.id}/", token=owner.access)).status == 204
    assert (await api.get(path, token=viewer.access)).status == 404
    assert (await api.post(path + "items/", {"product_id": 999999}, token=owner.access)).status == 404
    assert (await api.call("DELETE", path, token=editor.access)).status == 403
    assert (await api.call("DELETE", path, token=owner.access)).status == 204


async def test_swipe_deck_and_swipes(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    sarees = await category(api, admin, "Sarees")
    lamps = await category(api, admin, "Lamps")
    s1 = await product(api, seller, sarees, name="Saree 1")
    s2 = await product(api, seller, sarees, name="Saree 2")
    l1 = await product(api, seller, lamps, name="Lamp 1")
    l2 = await product(api, seller, lamps, name="Lamp 2")
    await product(api, seller, lamps, name="Sold out", stock=0)
    buyer = await api.register("buyer")
    deck = await api.get("/api/swipe/deck/", token=buyer.access)
    assert [p["id"] for p in deck.body] == [l2["id"], l1["id"], s2["id"], s1["id"]]  # newest first, in stock only
    right = await api.post("/api/swipe/", {"product_id": s1["id"], "direction": "right"}, token=buyer.access)
    assert right.status == 201 and right.body["wishlist_id"]
    left = await api.post("/api/swipe/", {"product_id": l2["id"], "direction": "left"}, token=buyer.access)
    assert left.body["wishlist_id"] is None
    deck = await api.get("/api/swipe/deck/", token=buyer.access)
    assert [p["id"] for p in deck.body] == [s2["id"], l1["id"]]  # sarees first now: the buyer liked one
    default = await api.get(f"/api/wishlists/{right.body['wishlist_id']}/", token=buyer.access)
    assert default.body["is_default"] and [i["product"]["id"] for i in default.body["items"]] == [s1["id"]]
    other = await api.post("/api/wishlists/", {"name": "Gifts"}, token=buyer.access)
    onto = await api.post("/api/swipe/", {"product_id": l1["id"], "direction": "right",
                                          "wishlist_id": other.body["id"]}, token=buyer.access)
    assert onto.body["wishlist_id"] == other.body["id"]
    stranger = await api.register("stranger")
    theirs = await api.post("/api/swipe/", {"product_id": s2["id"], "direction": "right",
                                            "wishlist_id": other.body["id"]}, token=stranger.access)
    assert theirs.status == 404
    bad = await api.post("/api/swipe/", {"product_id": s2["id"], "direction": "up"}, token=buyer.access)
    assert bad.status == 400
    assert (await api.post("/api/swipe/", {"product_id": 999999, "direction": "left"}, token=buyer.access)).status \
        == 404
    assert (await api.get("/api/swipe/deck/", token=seller.access)).status == 403
    assert (await api.get("/api/swipe/deck/?limit=0", token=buyer.access)).status == 400


async def test_leaderboard_by_week(api: Api) -> None:
    ritu = await api.register("ritu")
    a = await upload(api, ritu, "a")
    b = await upload(api, ritu, "b")
    fans = [await api.register(f"fan{i}") for i in range(3)]
    for fan in fans:
        await api.post(f"/api/v1/shoppable-videos/{b['id']}/like/", token=fan.access)
    await api.post(f"/api/v1/shoppable-videos/{a['id']}/like/", token=fans[0].access)
    board = await api.get("/api/leaderboard/reels/")
    assert [(r["rank"], r["video"]["id"], r["likes"]) for r in board.body] == [(1, b["id"], 3), (2, a["id"], 1)]
    # Redis lost its copy: the next read rebuilds it from PostgreSQL
    await api.client.app[REDIS].flushdb()
    week = iso_week(datetime.now(UTC))
    again = await api.get(f"/api/leaderboard/reels/?week={week}")
    assert [(r["video"]["id"], r["likes"]) for r in again.body] == [(b["id"], 3), (a["id"], 1)]
    await api.post(f"/api/v1/shoppable-videos/{b['id']}/like/", token=fans[0].access)  # unlike after the rebuild
    assert [(r["video"]["id"], r["likes"]) for r in (await api.get("/api/leaderboard/reels/")).body] == [
        (b["id"], 2), (a["id"], 1)]
    assert (await api.get("/api/leaderboard/reels/?week=2020-W01")).body == []
    for bad in ("2026-48", "2026-W54", "x"):
        reply = await api.get(f"/api/leaderboard/reels/?week={bad}")
        assert reply.status == 400 and "week" in reply.body["error"]["fields"], bad


async def test_concurrent_likes_agree_in_counters_leaderboard_and_pushes(api: Api, db: asyncpg.Connection) -> None:
    ritu = await api.register("ritu")
    reels = [await upload(api, ritu, f"reel {i}") for i in range(3)]
    fans = [await api.register(f"fan{i}") for i in range(24)]
    watcher = await notification_socket(api, ritu, "msgpack")

    async def like(fan: Account, reel: dict[str, Any]) -> None:
        reply = await api.post(f"/api/v1/shoppable-videos/{reel['id']}/like/", token=fan.access)
        assert reply.status == 200, reply.body

    # every fan likes reel 0, two thirds like reel 1, one third reel 2, all at once; then a third unlike reel 0
    jobs = [like(fan, reels[0]) for fan in fans]
    jobs += [like(fan, reels[1]) for fan in fans[:16]]
    jobs += [like(fan, reels[2]) for fan in fans[:8]]
    await asyncio.gather(*jobs)
    await asyncio.gather(*(like(fan, reels[0]) for fan in fans[:8]))
    expected = {reels[0]["id"]: 16, reels[1]["id"]: 16, reels[2]["id"]: 8}
    counters = {r["id"]: r["likes_count"] for r in await db.fetch("SELECT id, likes_count FROM videos")}
    rows = {r["video_id"]: r["n"] for r in await db.fetch(
        "SELECT video_id, count(*) AS n FROM video_likes GROUP BY video_id")}
    assert counters == rows == expected
    board = await api.get("/api/leaderboard/reels/")
    assert {r["video"]["id"]: r["likes"] for r in board.body} == expected
    assert [r["likes"] for r in board.body] == [16, 16, 8] and [r["rank"] for r in board.body] == [1, 2, 3]
    # the push step sends the same list to every notification socket, and only once per interval
    app = api.client.app
    await leaderboard_step(app)
    pushed = await watcher.next("leaderboard")
    assert {r["video"]["id"]: r["likes"] for r in pushed["data"]["results"]} == expected
    assert pushed["data"]["week"] == iso_week(datetime.now(UTC))
    await like(fans[20], reels[2])
    await leaderboard_step(app)  # within the interval: held back
    await app[REDIS].delete(PUSH_LOCK_KEY)  # the interval passes
    await leaderboard_step(app)
    pushed = await watcher.next("leaderboard")
    assert {r["video"]["id"]: r["likes"] for r in pushed["data"]["results"]}[reels[2]["id"]] == 9
    assert not await app[LEADERBOARD].redis.exists(DIRTY_KEY)
    await watcher.ws.close()


@pytest.mark.parametrize("codec", ["json"])
async def test_leaderboard_frames_keep_the_socket_seq(api: Api, codec: str) -> None:
    ritu = await api.register("ritu")
    reel = await upload(api, ritu)
    watcher = await notification_socket(api, ritu, codec)
    fan = await api.register("fan")
    await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": ritu.id}, token=fan.access)
    note = await watcher.next("notification")
    await api.post(f"/api/v1/shoppable-videos/{reel['id']}/like/", token=fan.access)
    await leaderboard_step(api.client.app)
    board = await watcher.next("leaderboard")
    assert board["seq"] == note["seq"]  # not an event of the user's room: no gap, no advance
    await watcher.ws.close()
