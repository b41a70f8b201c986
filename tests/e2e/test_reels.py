"""Reels over HTTP: upload, the feed's shape and session, engagement, add to cart, comments, reports."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from PIL import Image

from server.config import media_path
from server.keys import REDIS
from tests.helpers import Account, Api, category, product, verified_seller

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200


def _leftovers(folder: Path) -> list[Path]:
    return list(folder.glob(".upload-*")) if folder.exists() else []


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def form(fields: dict[str, Any], files: dict[str, tuple[str, bytes, str]] | None = None) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.add_field(name, str(item))
    for name, (filename, content, ctype) in (files or {}).items():
        data.add_field(name, content, filename=filename, content_type=ctype)
    return data


async def upload(api: Api, who: Account, title: str = "Saree drape", *, kind: str = "VIDEO",
                 expect: int = 201, **fields: Any) -> dict[str, Any]:
    files = {"video_file": ("a.mp4", MP4, "video/mp4")} if kind == "VIDEO" else {}
    if kind == "IMAGE":
        files = {"image_file": ("a.png", png(), "image/png")}
    reply = await api.post("/api/v1/shoppable-videos/", data=form({"content_type": kind, "title": title, **fields},
                                                                  files), token=who.access)
    assert reply.status == expect, reply.body
    return dict(reply.body)


FEED_FIELDS = {"id", "category", "category_details", "title", "video_file", "image_file", "items", "product",
               "additional_products", "tags", "likes_count", "views_count", "shares_count", "is_liked", "is_saved",
               "trend_score", "creator", "created_at"}


async def test_upload_video_image_and_collection(api: Api, admin: Account, video_categories: dict[str, int],
                                                 db: asyncpg.Connection) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    saree = await product(api, seller, cat)
    other = await product(api, seller, cat, name="Dupatta")
    creator = await api.register("ritu")
    made = await upload(api, creator, category=video_categories["fashion"], product=saree["id"],
                        additional_products=f"{other['id']}", tags="#Silk, saree,silk")
    assert FEED_FIELDS <= set(made)
    assert made["video_file"].startswith(f"{api.base}/media/videos/") and made["video_file"].endswith(".mp4")
    assert made["tags"] == ["silk", "saree"]
    assert made["product"]["id"] == saree["id"] and made["product"]["price"] == 1299.0
    assert [p["id"] for p in made["additional_products"]] == [other["id"]]
    assert made["category_details"]["slug"] == "fashion"
    assert made["creator"]["id"] == creator.id and made["creator"]["handle"] == "ritu"
    async with api.client.get(api.local(made["video_file"])) as resp:
        assert resp.status == 200 and resp.content_type == "video/mp4" and await resp.read() == MP4

    image = await upload(api, creator, "Look", kind="IMAGE")
    assert image["image_file"].endswith(".png") and image["video_file"] is None

    collection = await upload(api, creator, "Lookbook", kind="COLLECTION")
    path = f"/api/v1/shoppable-videos/{collection['id']}/add-item/"
    item = await api.post(path, data=form({"product": saree["id"], "caption": "first"},
                                          {"image_file": ("i.png", png(), "image/png")}), token=creator.access)
    assert item.status == 201, item.body
    slides = [(i["position"], i["caption"], i["product"]["id"]) for i in item.body["items"]]
    assert slides == [(1, "first", saree["id"])]
    not_collection = await api.post(f"/api/v1/shoppable-videos/{image['id']}/add-item/",
                                    data=form({}, {"image_file": ("i.png", png(), "image/png")}), token=creator.access)
    assert not_collection.status == 409 and not_collection.error_code() == "not_a_collection"
    stranger = await api.register("stranger")
    other_item = await api.post(path, data=form({}, {"image_file": ("i.png", png(), "image/png")}),
                                token=stranger.access)
    assert other_item.status == 403

    profile = await api.get(f"/api/v1/creators/{creator.id}/")
    assert profile.body["posts_count"] == 3
    # the alias serves the same resource
    alias = await api.get(f"/api/videos/{made['id']}/")
    assert alias.status == 200 and alias.body["id"] == made["id"]
    # nothing is left in the upload folder
    assert await db.fetchval("SELECT count(*) FROM videos") == 3


async def test_upload_refuses_bad_input_and_leaves_nothing(api: Api, admin: Account, config: Any,
                                                           db: asyncpg.Connection) -> None:
    creator = await api.register("ritu")
    fake = await api.post("/api/v1/shoppable-videos/", data=form(
        {"content_type": "VIDEO", "title": "x"}, {"video_file": ("a.mp4", b"just text, not a video", "video/mp4")}),
        token=creator.access)
    assert fake.status == 415 and fake.error_code() == "unsupported_media_type"
    missing = await upload(api, creator, kind="VIDEO-NOFILE", expect=400, content_type="VIDEO")
    assert missing["error"]["fields"] == {"video_file": ["This field is required."]}
    bad_kind = await upload(api, creator, kind="IMAGE", expect=400, content_type="GIF")
    assert "content_type" in bad_kind["error"]["fields"]
    bad_tags = await upload(api, creator, expect=400, tags="good, bad tag!")
    assert "tags" in bad_tags["error"]["fields"]
    no_product = await upload(api, creator, expect=400, product=999999)
    assert no_product["error"]["code"] == "product_not_found"
    no_category = await upload(api, creator, expect=400, category=999999)
    assert "category" in no_category["error"]["fields"]
    as_json = await api.post("/api/v1/shoppable-videos/", {"content_type": "VIDEO", "title": "x"}, token=creator.access)
    assert as_json.status == 400 and "video_file" in as_json.body["error"]["fields"]
    as_text = await api.post("/api/v1/shoppable-videos/", data="x", token=creator.access,
                             headers={"Content-Type": "text/plain"})
    assert as_text.status == 415
    anonymous = await api.post("/api/v1/shoppable-videos/", data=form({"content_type": "COLLECTION", "title": "x"}))
    assert anonymous.status == 401
    assert await db.fetchval("SELECT count(*) FROM videos") == 0
    assert _leftovers(media_path(config) / "tmp") == []


async def test_upload_size_limit(aiohttp_client: Any, clean: Any) -> None:
    from server.app import create_app
    from tests.conftest import make_config

    client = await aiohttp_client(create_app(make_config(clean, feed={"max_video_bytes": 1024})))
    api = Api(client)
    creator = await api.register("ritu")
    big = await api.post("/api/v1/shoppable-videos/", data=form(
        {"content_type": "VIDEO", "title": "x"}, {"video_file": ("a.mp4", MP4 + b"\x00" * 2000, "video/mp4")}),
        token=creator.access)
    assert big.status == 413 and big.error_code() == "payload_too_large"


async def test_engagement_counters_and_viewer_flags(api: Api, admin: Account) -> None:
    creator = await api.register("ritu")
    fan = await api.register("fan")
    video = await upload(api, creator)
    path = f"/api/v1/shoppable-videos/{video['id']}/"
    liked = await api.post(path + "like/", token=fan.access)
    assert liked.status == 200 and liked.body == {"liked": True, "likes_count": 1}
    saved = await api.post(path + "save_video/", token=fan.access)
    assert saved.body == {"saved": True, "saves_count": 1}
    assert (await api.post(path + "view/")).body == {"views_count": 1}
    assert (await api.post(path + "share/", token=fan.access)).body == {"shares_count": 1}
    mine = await api.get(path, token=fan.access)
    assert mine.body["is_liked"] and mine.body["is_saved"] and mine.body["likes_count"] == 1
    theirs = await api.get(path, token=creator.access)
    assert not theirs.body["is_liked"] and not theirs.body["is_saved"]
    anonymous = await api.get(path)
    assert anonymous.body["is_liked"] is False
    unliked = await api.post(path + "like/", token=fan.access)
    assert unliked.body == {"liked": False, "likes_count": 0}
    assert (await api.post(path + "save_video/", token=fan.access)).body == {"saved": False, "saves_count": 0}
    assert (await api.post(path + "like/")).status == 401
    tracked = await api.post(path + "track-interaction/", {"event_type": "watch_time", "dwell_time": 7.5,
                                                           "extra_data": {"pct": 80}}, token=fan.access)
    assert tracked.status == 201
    bad = await api.post(path + "track-interaction/", {"event_type": "teleport"}, token=fan.access)
    assert bad.status == 400 and "event_type" in bad.body["error"]["fields"]
    negative = await api.post(path + "track-interaction/", {"event_type": "watch_time", "dwell_time": -1},
                              token=fan.access)
    assert negative.status == 400
    missing = await api.post("/api/v1/shoppable-videos/999999/like/", token=fan.access)
    assert missing.status == 404 and missing.error_code() == "video_not_found"


async def test_add_to_cart_from_a_video(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    saree = await product(api, seller, cat, stock=3)
    other = await product(api, seller, cat, name="Unrelated")
    creator = await api.register("ritu")
    buyer = await api.register("buyer")
    video = await upload(api, creator, product=saree["id"])
    path = f"/api/v1/shoppable-videos/{video['id']}/add_to_cart/"
    added = await api.post(path, {"quantity": 2}, token=buyer.access)
    assert added.status == 200 and added.body["status"] == "success" and added.body["cart_item_count"] == 2
    cart = await api.get("/api/orders/cart/", token=buyer.access)
    assert [(i["product"]["id"], i["source"], i["quantity"]) for i in cart.body["items"]] == [(saree["id"], "video", 2)]
    too_many = await api.post(path, {"quantity": 2}, token=buyer.access)
    assert too_many.status == 409 and too_many.error_code() == "out_of_stock"
    unrelated = await api.post(path, {"product_id": other["id"]}, token=buyer.access)
    assert unrelated.status == 400 and unrelated.error_code() == "product_not_in_video"
    zero = await api.post(path, {"quantity": 0}, token=buyer.access)
    assert zero.status == 400
    bare = await upload(api, creator, "no product")
    none = await api.post(f"/api/v1/shoppable-videos/{bare['id']}/add_to_cart/", {}, token=buyer.access)
    assert none.status == 400 and "product_id" in none.body["error"]["fields"]


async def test_edit_and_delete_only_by_the_creator(api: Api, admin: Account, video_categories: dict[str, int],
                                                   db: asyncpg.Connection) -> None:
    creator = await api.register("ritu")
    other = await api.register("other")
    video = await upload(api, creator)
    path = f"/api/v1/shoppable-videos/{video['id']}/"
    assert (await api.patch(path, {"title": "Hijack"}, token=other.access)).status == 403
    changed = await api.patch(path, {"title": "Better title", "tags": ["diwali"],
                                     "category": video_categories["festive"]}, token=creator.access)
    assert changed.status == 200
    assert changed.body["title"] == "Better title" and changed.body["tags"] == ["diwali"]
    assert changed.body["category_details"]["slug"] == "festive"
    assert (await api.patch(path, {"title": ""}, token=creator.access)).status == 400
    assert (await api.call("DELETE", path, token=other.access)).status == 403
    assert (await api.call("DELETE", path, token=creator.access)).status == 204
    assert (await api.get(path)).status == 404
    assert await db.fetchval("SELECT posts_count FROM creator_profiles WHERE user_id = $1", creator.id) == 0


async def test_comments_with_threaded_replies(api: Api, admin: Account) -> None:
    creator = await api.register("ritu")
    fan = await api.register("fan")
    video = await upload(api, creator)
    first = await api.post("/api/v1/video-comments/", {"video": video["id"], "text": "Lovely <b>drape</b>"},
                           token=fan.access)
    assert first.status == 201 and first.body["text"] == "Lovely <b>drape</b>" and first.body["parent"] is None
    reply = await api.post("/api/v1/video-comments/", {"video": video["id"], "text": "Thanks!",
                                                       "parent": first.body["id"]}, token=creator.access)
    assert reply.body["parent"] == first.body["id"]
    nested = await api.post("/api/v1/video-comments/", {"video": video["id"], "text": "+1",
                                                        "parent": reply.body["id"]}, token=fan.access)
    assert nested.body["parent"] == first.body["id"]  # a reply to a reply joins the thread
    listing = await api.get(f"/api/v1/video-comments/?video_id={video['id']}")
    assert listing.body["count"] == 1
    thread = listing.body["results"][0]
    assert thread["replies_count"] == 2 and [r["text"] for r in thread["replies"]] == ["Thanks!", "+1"]
    assert (await api.get(f"/api/v1/shoppable-videos/{video['id']}/")).body["comments_count"] == 3
    other = await upload(api, creator, "other")
    cross = await api.post("/api/v1/video-comments/", {"video": other["id"], "text": "x", "parent": first.body["id"]},
                           token=fan.access)
    assert cross.status == 400
    empty = await api.post("/api/v1/video-comments/", {"video": video["id"], "text": "   "}, token=fan.access)
    assert empty.status == 400
    assert (await api.get("/api/v1/video-comments/")).status == 400  # video_id is required
    stranger = await api.register("stranger")
    one = f"/api/v1/video-comments/{first.body['id']}/"
    assert (await api.call("DELETE", one, token=stranger.access)).status == 403
    assert (await api.call("DELETE", one, token=creator.access)).status == 204
    assert (await api.get(f"/api/v1/shoppable-videos/{video['id']}/")).body["comments_count"] == 0


async def test_reports_hide_a_video_until_an_admin_reviews_it(api: Api, admin: Account) -> None:
    creator = await api.register("ritu")
    video = await upload(api, creator)
    path = f"/api/v1/shoppable-videos/{video['id']}/"
    bad = await api.post("/api/v1/video-reports/", {"video": video["id"], "reason": "boring"}, token=admin.access)
    assert bad.status == 400 and "reason" in bad.body["error"]["fields"]
    own = await api.post("/api/v1/video-reports/", {"video": video["id"], "reason": "spam"}, token=creator.access)
    assert own.status == 400
    reporters = [await api.register(f"reporter{i}") for i in range(3)]
    for i, who in enumerate(reporters):
        reply = await api.post("/api/v1/video-reports/", {"video": video["id"], "reason": "spam",
                                                          "description": f"#{i}"}, token=who.access)
        assert reply.status == 201 and reply.body["status"] == "open"
        if i < 2:
            assert (await api.get(path)).status == 200
    again = await api.post("/api/v1/video-reports/", {"video": video["id"], "reason": "other"},
                           token=reporters[0].access)
    assert again.status in (404, 409)  # hidden now, or a second report of the same user
    assert (await api.get(path)).status == 404  # hidden from everyone ...
    assert (await api.get(path, token=creator.access)).body["status"] == "hidden"  # ... but its creator
    assert (await api.get("/api/admin/video-reports/", token=creator.access)).status == 403
    queue = await api.get("/api/admin/video-reports/", token=admin.access)
    assert queue.body["count"] == 1 and queue.body["results"][0]["open_reports"] == 3
    assert queue.body["results"][0]["reasons"] == ["spam"]
    kept = await api.post(f"/api/admin/videos/{video['id']}/review/", {"action": "keep"}, token=admin.access)
    assert kept.status == 204
    assert (await api.get(path)).status == 200
    twice = await api.post(f"/api/admin/videos/{video['id']}/review/", {"action": "keep"}, token=admin.access)
    assert twice.status == 409
    late = await api.register("late")
    await api.post("/api/v1/video-reports/", {"video": video["id"], "reason": "misleading"}, token=late.access)
    hidden = await api.post(f"/api/admin/videos/{video['id']}/review/", {"action": "hide"}, token=admin.access)
    assert hidden.status == 204
    assert (await api.get(path)).status == 404
    assert (await api.get(path, token=creator.access)).body["status"] == "removed"


async def test_more_like_this_and_also_watched(api: Api, admin: Account, video_categories: dict[str, int]) -> None:
    creator = await api.register("ritu")
    fashion, food = video_categories["fashion"], video_categories["food"]
    base = await upload(api, creator, "base", category=fashion, tags="silk,saree,red")
    two_tags = await upload(api, creator, "two tags", category=food, tags="silk,saree")
    same_cat = await upload(api, creator, "same category", category=fashion, tags="cotton")
    both = await upload(api, creator, "both", category=fashion, tags="silk,saree,red")
    unrelated = await upload(api, creator, "unrelated", category=food, tags="curry")
    similar = await api.get(f"/api/v1/shoppable-videos/{base['id']}/more-like-this/")
    # both: 1.5 x 3 + 2.0; two tags: 1.5 x 2; same category: 2.0
    assert [v["id"] for v in similar.body] == [both["id"], two_tags["id"], same_cat["id"]]
    viewers = [await api.register(f"viewer{i}") for i in range(3)]
    for who in viewers:
        await api.post(f"/api/v1/shoppable-videos/{base['id']}/view/", token=who.access)
    for who in viewers[:2]:
        await api.post(f"/api/v1/shoppable-videos/{unrelated['id']}/like/", token=who.access)
    await api.post(f"/api/v1/shoppable-videos/{same_cat['id']}/view/", token=viewers[2].access)
    also = await api.get(f"/api/v1/shoppable-videos/{base['id']}/also-watched/?limit=5")
    assert [v["id"] for v in also.body] == [unrelated["id"], same_cat["id"]]
    assert (await api.get(f"/api/v1/shoppable-videos/{base['id']}/also-watched/?limit=500")).status == 400


async def test_feed_shows_every_reel_once_then_starts_over_with_the_oldest_shown(
        api: Api, admin: Account, video_categories: dict[str, int]) -> None:
    creator = await api.register("ritu")
    viewer = await api.register("viewer")
    made = [await upload(api, creator, f"reel {i}", category=video_categories["fashion" if i % 2 else "food"])
            for i in range(12)]
    pages = []
    for _ in range(4):
        page = await api.get("/api/v1/shoppable-videos/?page_size=5", token=viewer.access)
        assert page.status == 200 and len(page.body["results"]) == 5 and page.body["next"]
        pages.append([(v["id"], v["feed_source"]) for v in page.body["results"]])
    assert FEED_FIELDS <= set(page.body["results"][0])
    shown = [i for p in pages for i, _ in p]
    assert len(set(shown[:12])) == 12 and sorted(shown[:12]) == sorted(v["id"] for v in made)  # every reel once
    # Then it never runs dry: it starts over with the reels shown longest ago, and says so.
    assert [s for _, s in pages[2][2:]] == ["repeat"] * 3 and shown[12:15] == shown[:3]
    assert [s for _, s in pages[3]] == ["repeat"] * 5 and shown[15:20] == shown[3:8]
    # category filter and the signed-out feed, paged by number
    only_food = await api.get(f"/api/v1/shoppable-videos/?category={video_categories['food']}&page_size=20")
    assert {v["category"] for v in only_food.body["results"]} == {video_categories["food"]}
    first = await api.get("/api/videos/?page_size=5")
    second = await api.get("/api/videos/?page_size=5&page=2")
    ids = [v["id"] for v in first.body["results"] + second.body["results"]]
    assert len(ids) == len(set(ids)) == 10
    assert (await api.get("/api/v1/shoppable-videos/?page_size=500")).status == 400


async def test_feed_favours_categories_engaged_with_in_the_session(api: Api, admin: Account,
                                                                   video_categories: dict[str, int]) -> None:
    creator = await api.register("ritu")
    viewer = await api.register("viewer")
    food = video_categories["food"]
    other = [video_categories[s] for s in ("fashion", "beauty", "home", "kids", "fitness")]
    liked = await upload(api, creator, "curry", category=food)
    for i in range(6):
        await upload(api, creator, f"food {i}", category=food)
    for i, cat in enumerate(other * 2):
        await upload(api, creator, f"other {i}", category=cat)
    await api.post(f"/api/v1/shoppable-videos/{liked['id']}/like/", token=viewer.access)
    page = await api.get("/api/v1/shoppable-videos/?page_size=5", token=viewer.access)
    personalized = [v for v in page.body["results"] if v["feed_source"] == "personalized"]
    # a liked category scores 2.0 x 5.0 (session) over others' 1.0 freshness: the personalized slots are food
    assert personalized and all(v["category"] == food for v in personalized)


async def test_trend_scores_and_trending_creators(api: Api) -> None:
    from feed.lifecycle import TREND_LOCK_KEY, trending_step

    ritu = await api.register("ritu")
    asha = await api.register("asha")
    fan = await api.register("fan")
    hot = await upload(api, ritu, "hot")
    cold = await upload(api, asha, "cold")
    path = f"/api/v1/shoppable-videos/{hot['id']}/"
    await api.post(path + "like/", token=fan.access)  # 1.0
    await api.post(path + "view/", token=fan.access)  # 0.1
    await api.post(path + "view/")  # 0.1
    await api.post(path + "share/", token=fan.access)  # 2.0
    await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": asha.id}, token=fan.access)
    await api.client.app[REDIS].delete(TREND_LOCK_KEY)  # taken by the run at start-up, for the whole interval
    await trending_step(api.client.app)
    scores = {v: (await api.get(f"/api/v1/shoppable-videos/{v}/")).body["trend_score"] for v in (hot["id"], cold["id"])}
    assert scores == {hot["id"]: pytest.approx(math.log(1 + 3.2), abs=1e-4), cold["id"]: 0.0}
    trending = await api.get("/api/v1/creators/trending/")
    # ritu: ln(4.2) = 1.44 of engagement; asha: one new follower = 2.0
    assert [c["id"] for c in trending.body] == [asha.id, ritu.id]
