"""The wishlists app (its seed's paths): adding a product again without a note keeps the note."""

from __future__ import annotations

from tests.helpers import Account, Api, category, product, verified_seller


async def test_re_adding_an_item_without_a_note_keeps_its_note(api: Api, admin: Account) -> None:
    seller = await verified_seller(api, admin, "weaver")
    saree = await product(api, seller, await category(api, admin))
    owner = await api.register("meena")
    wishlist = (await api.post("/api/wishlists/", {"name": "Diwali", "occasion": "festival"},
                               token=owner.access)).body["id"]
    path = f"/api/wishlists/{wishlist}/items/"

    async def note() -> str:
        items = (await api.get(f"/api/wishlists/{wishlist}/", token=owner.access)).body["items"]
        assert [i["product"]["id"] for i in items] == [saree["id"]]
        return str(items[0]["note"])

    assert (await api.post(path, {"product_id": saree["id"], "note": "the red one"}, token=owner.access)).status == 201
    assert (await api.post(path, {"product_id": saree["id"]}, token=owner.access)).status == 201
    assert await note() == "the red one"
    swiped = await api.post("/api/swipe/", {"product_id": saree["id"], "direction": "right",
                                            "wishlist_id": wishlist}, token=owner.access)
    assert swiped.status == 201 and await note() == "the red one"  # a swipe right keeps it too
    assert (await api.post(path, {"product_id": saree["id"], "note": "size M"}, token=owner.access)).status == 201
    assert await note() == "size M"
    assert (await api.post(path, {"product_id": saree["id"], "note": ""}, token=owner.access)).status == 201
    assert await note() == ""  # said empty: cleared
