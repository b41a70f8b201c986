"""The shoppable-videos app (its seed's `/api/v1/` paths and fields): follows read the seed's way, only
buyers add a reel's product to a cart, told which product went in, and media links are absolute."""

from __future__ import annotations

from typing import Any

from server.app import create_app
from tests.conftest import make_config
from tests.e2e.test_reels import MP4, form, png, upload
from tests.e2e.test_rooms import connect
from tests.e2e.test_social import notification_socket
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


async def product_with_picture(api: Api, admin: Account, seller: Account, name: str) -> dict[str, Any]:
    made = await product(api, seller, await category(api, admin, f"cat-{name}"), name=name)
    pictured = await api.post(f"/api/products/products/{made['id']}/images/",
                              data=form({}, {"file": ("p.png", png(), "image/png")}), token=seller.access)
    assert pictured.status == 201, pictured.body
    return dict(pictured.body)


async def test_media_links_are_absolute_and_name_the_host_the_request_came_to(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    saree = await product_with_picture(api, admin, seller, "Silk saree")
    reel = await upload(api, seller, kind="IMAGE", product_id=saree["id"])
    avatar = await api.post(f"/api/v1/creators/{seller.id}/avatar/",
                            data=form({}, {"avatar": ("a.png", png(), "image/png")}), token=seller.access)
    assert avatar.status in (200, 201), avatar.body
    got = (await api.get(f"/api/v1/shoppable-videos/{reel['id']}/")).body
    creator = (await api.get(f"/api/v1/creators/{seller.id}/")).body
    links = [got["image_file"], got["product"]["image"], saree["images"][0]["url"], creator["avatar"]]
    assert all(link.startswith(api.base + "/media/") for link in links), links
    for link in links:
        served = await api.get(link)  # each link is a file this server serves
        assert served.status == 200 and served.headers["Content-Type"].startswith("image/")
    assert creator["uploader_profile_url"] == f"{api.base}/api/v1/creators/{seller.id}/"
    # A Host that is not one of server.allowed_hosts is not trusted: the server's own address is used.
    forged = (await api.get(f"/api/v1/shoppable-videos/{reel['id']}/", headers={"Host": "evil.example"})).body
    assert forged["image_file"] == got["image_file"].replace(api.base, "http://127.0.0.1:8080")
    named = (await api.get(f"/api/v1/shoppable-videos/{reel['id']}/", headers={"Host": "localhost:9"})).body
    assert named["image_file"] == got["image_file"].replace(api.base, "http://localhost:9")


async def test_links_in_pushed_events_never_take_a_requests_untrusted_host(aiohttp_client: Any, clean: Any,
                                                                          admin: Account) -> None:
    # Events reach every viewer: a seller's forged Host must not name their links; the background push of
    # the leaderboard is nobody's request, so it uses the server's own address.
    shop = Api(await aiohttp_client(create_app(make_config(clean, feed={"leaderboard_push_s": 0.05}))))
    own = "http://127.0.0.1:8080/media/"
    seller = await verified_seller(shop, admin, "weaver")
    saree = await product_with_picture(shop, admin, seller, "Silk saree")
    show = await shop.post("/api/livestreams/livestreams/", {"title": "Sarees", "product_ids": [saree["id"]]},
                           token=seller.access)
    await shop.post(f"/api/livestreams/livestreams/{show.body['id']}/start/", token=seller.access)
    buyer = await shop.register("meena")
    viewer = await connect(shop.client, show.body["id"], buyer.access)
    await viewer.next("hello")
    forged = {"Host": "evil.example"}
    pinned = await shop.post(f"/api/livestreams/livestreams/{show.body['id']}/pin-product/",
                             {"product_id": saree["id"]}, token=seller.access, headers=forged)
    assert pinned.status == 200, pinned.body
    assert (await viewer.next("product_pinned"))["data"]["product"]["image"].startswith(own)
    reel = await upload(shop, seller, kind="IMAGE")
    watcher = await notification_socket(shop, buyer)
    await shop.post(f"/api/v1/shoppable-videos/{reel['id']}/like/", token=buyer.access, headers=forged)
    board = (await watcher.next("leaderboard"))["data"]["results"]
    assert board[0]["video"]["image_file"].startswith(own), board


async def test_a_configured_public_url_names_every_link_and_socket(aiohttp_client: Any, clean: Any,
                                                                   admin: Account) -> None:
    shop = Api(await aiohttp_client(create_app(make_config(clean, server={
        "public_url": "https://shop.example.com/"}))))
    seller = await verified_seller(shop, admin, "weaver")
    saree = await product_with_picture(shop, admin, seller, "Silk saree")
    assert saree["images"][0]["url"].startswith("https://shop.example.com/media/products/")
    show = await shop.post("/api/livestreams/livestreams/", {"title": "Sarees", "product_ids": [saree["id"]]},
                           token=seller.access)
    await shop.post(f"/api/livestreams/livestreams/{show.body['id']}/start/", token=seller.access)
    buyer = await shop.register("meena")
    joined = await shop.post(f"/api/livestreams/livestreams/{show.body['id']}/join/", token=buyer.access)
    assert joined.body["ws_url"] == f"wss://shop.example.com/ws/livestream/{show.body['id']}/"
    viewer = await connect(shop.client, show.body["id"], buyer.access)
    hello = await viewer.next("hello")
    assert hello["data"]["livestream"]["products"][0]["image"].startswith("https://shop.example.com/media/")
    await shop.post(f"/api/livestreams/livestreams/{show.body['id']}/pin-product/", {"product_id": saree["id"]},
                    token=seller.access)
    pinned = (await viewer.next("product_pinned"))["data"]["product"]
    assert pinned["image"].startswith("https://shop.example.com/media/products/")
    await shop.post("/api/cart/", {"product_id": saree["id"], "quantity": 1}, token=buyer.access)
    cart = (await shop.get("/api/cart/", token=buyer.access)).body
    assert cart["items"][0]["product"]["image"].startswith("https://shop.example.com/media/products/")
