"""The shoppable-videos app (its seed's `/api/v1/` paths and fields): follows read the seed's way, and only
buyers add a reel's product to a cart, told which product went in."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_reels import MP4, form, png, upload
from tests.helpers import Account, Api, category, product, verified_seller


async def test_user_follows_with_user_id_lists_that_users_followers(api: Api) -> None:
    ritu, fan, other = await api.register("ritu"), await api.register("fan"), await api.register("other")
    for who in (fan, other):
        await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": ritu.id}, token=who.access)
    followers = await api.get(f"/api/v1/user-follows/?user_id={ritu.id}")
    assert sorted(c["id"] for c in followers.body["results"]) == sorted([fan.id, other.id])
    assert followers.body["count"] == 2
    assert (await api.get(f"/api/v1/user-follows/?user_id={fan.id}")).body["count"] == 0  # nobody follows fan
    following = await api.get(f"/api/v1/user-follows/?following_of={fan.id}")
    assert [c["id"] for c in following.body["results"]] == [ritu.id]
    mine = await api.get("/api/v1/user-follows/", token=other.access)
    assert [c["id"] for c in mine.body["results"]] == [ritu.id]


async def test_only_buyers_add_a_reels_product_to_a_cart_and_hear_which(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    saree = await product(api, seller, await category(api, admin), name="Banarasi saree", stock=5)
    reel = await upload(api, seller, product=saree["id"])
    path = f"/api/v1/shoppable-videos/{reel['id']}/add_to_cart/"
    for who in (seller, admin):
        refused = await api.post(path, {"quantity": 1}, token=who.access)
        assert refused.status == 403, refused.body
    buyer = await api.register("meena")
    added = await api.post(path, {"quantity": 2}, token=buyer.access)
    assert added.status == 200
    assert added.body == {"status": "success", "message": "Added Banarasi saree to cart", "cart_item_count": 2}
    assert (await api.get("/api/orders/cart/", token=seller.access)).status == 403


async def test_upload_takes_product_id_and_refuses_a_product_that_does_not_exist(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    saree = await product(api, seller, cat, name="Silk saree")
    dupatta = await product(api, seller, cat, name="Dupatta")
    reel = await upload(api, seller, product_id=saree["id"], additional_products=f"{dupatta['id']}",
                        made_with="an unknown field is ignored")
    assert reel["product"]["id"] == saree["id"] and [p["id"] for p in reel["additional_products"]] == [dupatta["id"]]
    missing = await upload(api, seller, "Ghost", product_id=999999, expect=400)
    assert missing["error"]["code"] == "product_not_found"


async def test_creators_carry_the_apps_fields_and_their_owner_puts_changes(api: Api, admin: Account) -> None:
    ritu, fan = await api.register("ritu"), await api.register("fan")
    await api.post("/api/v1/user-follows/toggle_follow/", {"following_id": ritu.id}, token=fan.access)
    reel = await upload(api, ritu, "First drape")
    await api.post(f"/api/v1/shoppable-videos/{reel['id']}/view/", token=fan.access)
    creator = (await api.get(f"/api/v1/creators/{ritu.id}/")).body
    assert {"id", "user", "username", "handle", "display_name", "avatar", "bio", "follower_count", "posts_count",
            "views_count", "uploader_profile_url", "followers_count"} <= set(creator)
    assert creator["user"] == ritu.id and creator["follower_count"] == creator["followers_count"] == 1
    assert creator["posts_count"] == 1 and creator["views_count"] == 1
    assert (await api.get(creator["uploader_profile_url"])).body["id"] == ritu.id
    put = await api.call("PUT", f"/api/v1/creators/{ritu.id}/", {"bio": "Drapes daily", "display_name": "Ritu S"},
                         token=ritu.access)
    assert put.status == 200 and put.body["bio"] == "Drapes daily" and put.body["handle"] == creator["handle"]
    refused = await api.call("PUT", f"/api/v1/creators/{ritu.id}/", {"bio": "mine now"}, token=fan.access)
    assert refused.status == 403


async def test_add_item_takes_the_apps_file_and_order(api: Api) -> None:
    creator = await api.register("ritu")
    collection = await upload(api, creator, "Lookbook", kind="COLLECTION")
    path = f"/api/v1/shoppable-videos/{collection['id']}/add-item/"

    async def add(fields: dict[str, object], name: str, content: bytes, ctype: str) -> Any:
        return await api.post(path, data=form(fields, {"file": (name, content, ctype)}), token=creator.access)

    picture = await add({"caption": "a picture"}, "x.bin", png(), "application/octet-stream")  # told by content
    assert picture.status == 201, picture.body
    movie = await add({"caption": "a video"}, "clip.png", MP4, "image/png")  # a misleading name and type
    assert movie.status == 201, movie.body
    first = await add({"caption": "cover", "order": 1}, "c.png", png(), "image/png")
    assert first.status == 201, first.body
    slides = [(i["position"], i["caption"], bool(i["image_file"]), bool(i["video_file"])) for i in first.body["items"]]
    assert slides == [(1, "cover", True, False), (2, "a picture", True, False), (3, "a video", False, True)]
    garbage = await add({}, "x.png", b"not a picture or a video" * 10, "image/png")
    assert garbage.status == 415, garbage.body
    assert len((await api.get(f"/api/v1/shoppable-videos/{collection['id']}/")).body["items"]) == 3


async def test_video_categories_have_an_order_an_active_flag_an_emoji_and_an_icon_image(api: Api,
                                                                                      admin: Account) -> None:
    made = []
    for name, emoji, order in (("Beauty", "💄", 2), ("Fashion", "👗", 1), ("Home", "🏠", 3)):
        reply = await api.post("/api/v1/shoppable-video-categories/", {"name": name, "emoji": emoji, "order": order},
                               token=admin.access)
        assert reply.status == 201, reply.body
        assert reply.body["emoji"] == emoji and reply.body["icon"] is None and reply.body["is_active"] is True
        made.append(reply.body["id"])

    async def listed() -> list[str]:
        return [c["name"] for c in (await api.get("/api/v1/shoppable-video-categories/")).body["results"]]

    assert await listed() == ["Fashion", "Beauty", "Home"]  # by order, not by name
    hidden = await api.patch(f"/api/v1/shoppable-video-categories/{made[0]}/", {"is_active": False},
                             token=admin.access)
    assert hidden.status == 200 and hidden.body["is_active"] is False
    assert await listed() == ["Fashion", "Home"]
    await api.patch(f"/api/v1/shoppable-video-categories/{made[2]}/", {"order": 0}, token=admin.access)
    assert await listed() == ["Home", "Fashion"]
    buyer = await api.register("meena")
    assert (await api.patch(f"/api/v1/shoppable-video-categories/{made[2]}/", {"order": 9},
                            token=buyer.access)).status == 403
    icon = await api.post(f"/api/v1/shoppable-video-categories/{made[1]}/icon/",
                          data=form({}, {"icon": ("f.png", png(), "image/png")}), token=admin.access)
    assert icon.status == 201, icon.body
    assert icon.body["icon"].endswith(".png") and icon.body["emoji"] == "👗"
    assert (await api.get(icon.body["icon"])).status == 200
    not_image = await api.post(f"/api/v1/shoppable-video-categories/{made[1]}/icon/",
                               data=form({}, {"icon": ("f.png", b"not an image" * 20, "image/png")}),
                               token=admin.access)
    assert not_image.status == 415
