"""Catalog over HTTP: categories, products, filters, permissions, money input and image uploads."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from server.app import create_app
from server.demo import create_admin
from tests.conftest import make_config
from tests.helpers import Account, Api, category, product, verified_seller


@pytest.fixture
async def seller(api: Api, admin: Account) -> Account:
    return await verified_seller(api, admin, "weaver")


async def test_categories_crud_and_permissions(api: Api, admin: Account, seller: Account) -> None:
    buyer = await api.register("buyer")
    unverified = await api.register("newshop", "seller")
    assert (await api.post("/api/products/categories/", {"name": "X"}, token=buyer.access)).status == 403
    refused = await api.post("/api/products/categories/", {"name": "X"}, token=unverified.access)
    assert refused.status == 403 and refused.error_code() == "seller_not_verified"
    mine = await api.post("/api/products/categories/", {"name": "Handloom", "description": "Woven by hand"},
                          token=seller.access)
    assert mine.status == 201 and mine.body["name"] == "Handloom"
    dup = await api.post("/api/products/categories/", {"name": "HANDLOOM"}, token=admin.access)
    assert dup.status == 409 and dup.error_code() == "category_exists"
    other = await verified_seller(api, admin, "rival")
    put = await api.call("PUT", f"/api/products/categories/{mine.body['id']}/", {"name": "Mine now"},
                         token=other.access)
    assert put.status == 403
    ok = await api.call("PUT", f"/api/products/categories/{mine.body['id']}/", {"name": "Handwoven"},
                        token=seller.access)
    assert ok.status == 200 and ok.body["name"] == "Handwoven" and ok.body["description"] == ""
    listing = await api.get("/api/products/categories/")
    assert listing.status == 200 and [c["name"] for c in listing.body["results"]] == ["Handwoven"]
    assert (await api.get("/api/products/categories/999/")).error_code() == "category_not_found"


async def test_a_category_in_use_cannot_be_deleted(api: Api, admin: Account, seller: Account) -> None:
    used = await category(api, admin, "Used")
    unused = await category(api, admin, "Unused")
    await product(api, seller, used)
    refused = await api.call("DELETE", f"/api/products/categories/{used}/", token=admin.access)
    assert refused.status == 409 and refused.error_code() == "category_in_use"
    assert (await api.call("DELETE", f"/api/products/categories/{unused}/", token=admin.access)).status == 204
    assert (await api.get(f"/api/products/categories/{unused}/")).status == 404


async def test_verified_seller_lists_a_product_with_exact_money(api: Api, admin: Account, seller: Account) -> None:
    cat = await category(api, admin)
    created = await product(api, seller, cat, price="1299.50", description="Banarasi silk")
    assert created["price"] == 1299.5 and created["stock"] == 10 and created["is_active"] is True
    assert created["seller"] == seller.id and created["seller_details"]["username"] == "weaver"
    assert created["category"] == cat and created["images"] == []
    exact = await product(api, seller, cat, name="Cheap", price=19.99)
    assert exact["price"] == 19.99
    got = await api.get(f"/api/products/products/{created['id']}/")
    assert got.status == 200 and '"price": 1299.5' in (await _raw(api, f"/api/products/products/{created['id']}/"))


async def _raw(api: Api, path: str) -> str:
    async with api.client.get(path) as resp:
        import json

        return json.dumps(await resp.json())


@pytest.mark.parametrize("price", ["12.345", -1, "abc", "NaN", "Infinity", True, None, [1], "1e3", 10_000_000_000])
async def test_bad_prices_are_400_on_the_price_field(api: Api, admin: Account, seller: Account, price: Any) -> None:
    cat = await category(api, admin)
    body = {"name": "P", "price": price, "stock": 1, "category": cat}
    reply = await api.post("/api/products/products/", body, token=seller.access)
    if price == "1e3":  # a decimal string in exponent form is still exactly 1000
        assert reply.status == 201 and reply.body["price"] == 1000.0
        return
    assert reply.status == 400 and "price" in reply.body["error"]["fields"], reply.body


async def test_product_input_errors(api: Api, admin: Account, seller: Account) -> None:
    cat = await category(api, admin)
    missing = await api.post("/api/products/products/", {}, token=seller.access)
    assert set(missing.body["error"]["fields"]) == {"name", "price", "stock", "category"}
    unknown = await api.post("/api/products/products/", {"name": "P", "price": 1, "stock": 1, "category": 9999},
                             token=seller.access)
    assert unknown.status == 400 and unknown.body["error"]["fields"] == {"category": ["No category with id 9999."]}
    negative = await api.post("/api/products/products/", {"name": "P", "price": 1, "stock": -1, "category": cat},
                              token=seller.access)
    assert negative.status == 400 and "stock" in negative.body["error"]["fields"]


async def test_only_verified_sellers_list_and_only_owners_edit(api: Api, admin: Account, seller: Account) -> None:
    cat = await category(api, admin)
    buyer = await api.register("buyer")
    unverified = await api.register("newshop", "seller")
    body = {"name": "P", "price": 10, "stock": 1, "category": cat}
    assert (await api.post("/api/products/products/", body, token=buyer.access)).status == 403
    refused = await api.post("/api/products/products/", body, token=unverified.access)
    assert refused.status == 403 and refused.error_code() == "seller_not_verified"
    assert (await api.post("/api/products/products/", body)).status == 401
    item = await product(api, seller, cat)
    rival = await verified_seller(api, admin, "rival")
    path = f"/api/products/products/{item['id']}/"
    for token in (rival.access, buyer.access):
        assert (await api.patch(path, {"price": 1}, token=token)).status == 403
        assert (await api.call("PUT", path, body, token=token)).status == 403
        assert (await api.call("DELETE", path, token=token)).status == 403
    assert (await api.get(path)).body["price"] == 1299.0


async def test_put_replaces_and_patch_changes_only_what_is_sent(api: Api, admin: Account, seller: Account) -> None:
    cat = await category(api, admin)
    cat2 = await category(api, admin, "Kurtas")
    item = await product(api, seller, cat, description="old")
    path = f"/api/products/products/{item['id']}/"
    patched = await api.patch(path, {"stock": 3, "price": "999"}, token=seller.access)
    assert patched.status == 200
    assert (patched.body["stock"], patched.body["price"], patched.body["description"]) == (3, 999.0, "old")
    replaced = await api.call("PUT", path, {"name": "New", "price": 5, "stock": 1, "category": cat2},
                              token=seller.access)
    assert replaced.status == 200
    assert (replaced.body["name"], replaced.body["description"], replaced.body["category"]) == ("New", "", cat2)
    partial_put = await api.call("PUT", path, {"name": "Only name"}, token=seller.access)
    assert partial_put.status == 400
    null = await api.patch(path, {"price": None}, token=seller.access)
    assert null.status == 400 and null.body["error"]["fields"] == {"price": ["This field cannot be null."]}
    admin_edit = await api.patch(path, {"stock": 7}, token=admin.access)
    assert admin_edit.status == 200 and admin_edit.body["stock"] == 7


async def test_deleted_products_leave_the_catalog_but_not_their_seller(api: Api, admin: Account,
                                                                       seller: Account) -> None:
    cat = await category(api, admin)
    item = await product(api, seller, cat)
    path = f"/api/products/products/{item['id']}/"
    assert (await api.call("DELETE", path, token=seller.access)).status == 204
    assert (await api.get(path)).status == 404
    own = await api.get(path, token=seller.access)
    assert own.status == 200 and own.body["is_active"] is False
    assert (await api.get("/api/products/products/")).body["count"] == 0
    mine = await api.get(f"/api/products/products/?seller={seller.id}&include_inactive=true", token=seller.access)
    assert mine.body["count"] == 1
    other = await api.get(f"/api/products/products/?seller={seller.id}&include_inactive=true")
    assert other.status == 403
    revived = await api.patch(path, {"is_active": True}, token=seller.access)
    assert revived.status == 200 and (await api.get(path)).status == 200


async def test_list_filters_search_and_ordering(api: Api, admin: Account, seller: Account) -> None:
    sarees, kurtas = await category(api, admin, "Sarees"), await category(api, admin, "Kurtas")
    rival = await verified_seller(api, admin, "rival")
    await product(api, seller, sarees, "Red silk saree", "2500")
    await product(api, seller, sarees, "Blue cotton saree", "800", description="Light and airy")
    await product(api, seller, kurtas, "Silk kurta", "1500")
    await product(api, rival, kurtas, "Cotton kurta 100%", "600")

    async def names(query: str) -> list[str]:
        reply = await api.get(f"/api/products/products/?{query}")
        assert reply.status == 200, reply.body
        return [p["name"] for p in reply.body["results"]]

    assert await names("search=SILK&ordering=price") == ["Silk kurta", "Red silk saree"]
    assert await names("search=airy") == ["Blue cotton saree"]
    assert await names("search=100%25") == ["Cotton kurta 100%"]
    assert await names("search=_") == []
    assert await names(f"category={kurtas}&ordering=-price") == ["Silk kurta", "Cotton kurta 100%"]
    assert await names(f"seller={rival.id}") == ["Cotton kurta 100%"]
    assert await names("min_price=800&max_price=1500&ordering=price") == ["Blue cotton saree", "Silk kurta"]
    assert await names("ordering=created_at") == ["Red silk saree", "Blue cotton saree", "Silk kurta",
                                                  "Cotton kurta 100%"]
    assert (await names("ordering=-created_at"))[0] == "Cotton kurta 100%"
    page = await api.get("/api/products/products/?page_size=3&page=2")
    assert page.body["count"] == 4 and len(page.body["results"]) == 1 and page.body["next"] is None
    bad = await api.get("/api/products/products/?ordering=name")
    assert bad.status == 400 and "ordering" in bad.body["error"]["fields"]
    assert (await api.get("/api/products/products/?min_price=1.234")).status == 400


def _image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buf, format=fmt)
    return buf.getvalue()


async def _upload(client: TestClient, path: str, token: str, content: bytes, filename: str = "x.png",
                  field: str = "file") -> tuple[int, Any]:
    form = aiohttp.FormData()
    form.add_field(field, content, filename=filename, content_type="application/octet-stream")
    async with client.post(path, data=form, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize("fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
async def test_image_upload_checked_by_content_and_served(api: Api, admin: Account, seller: Account, fmt: str,
                                                          content_type: str) -> None:
    item = await product(api, seller, await category(api, admin))
    data = _image(fmt)
    status, body = await _upload(api.client, f"/api/products/products/{item['id']}/images/", seller.access, data,
                                 filename="photo.bin")
    assert status == 201, body
    image = body["images"][0]
    assert (image["width"], image["height"]) == (64, 48) and image["url"].startswith(
        f"{api.base}/media/products/{item['id']}/")
    async with api.client.get(api.local(image["url"])) as resp:
        assert resp.status == 200 and resp.content_type == content_type
        assert await resp.read() == data


async def test_uploads_that_are_not_images_or_too_large_are_refused(api: Api, admin: Account, seller: Account,
                                                                    aiohttp_client: Any, clean: Any) -> None:
    item = await product(api, seller, await category(api, admin))
    path = f"/api/products/products/{item['id']}/images/"
    status, body = await _upload(api.client, path, seller.access, b"<html>not an image</html>", filename="evil.png")
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"
    status, body = await _upload(api.client, path, seller.access, _image("GIF"), filename="anim.gif")
    assert status == 415
    status, body = await _upload(api.client, path, seller.access, _image("PNG")[:60], filename="cut.png")
    assert status in (400, 415) and body["error"]["code"] in ("invalid_input", "unsupported_media_type")
    status, body = await _upload(api.client, path, seller.access, _image("PNG"), field="photo")
    assert status == 400 and body["error"]["fields"] == {"file": ["This field is required."]}
    not_form = await api.post(path, {"file": "x"}, token=seller.access)
    assert not_form.status == 415
    small = await aiohttp_client(create_app(make_config(clean, commerce={"max_image_bytes": 2048})))
    status, body = await _upload(small, path, seller.access, _image("PNG", (800, 800)) + b"\0" * 4096)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert (await api.get(f"/api/products/products/{item['id']}/")).body["images"] == []


async def test_only_the_owner_uploads_and_the_count_is_limited(api: Api, admin: Account, seller: Account,
                                                               aiohttp_client: Any, clean: Any) -> None:
    item = await product(api, seller, await category(api, admin))
    path = f"/api/products/products/{item['id']}/images/"
    rival = await verified_seller(api, admin, "rival")
    status, _ = await _upload(api.client, path, rival.access, _image("PNG"))
    assert status == 403
    client = await aiohttp_client(create_app(make_config(clean, commerce={"max_images_per_product": 2})))
    for _ in range(2):
        assert (await _upload(client, path, seller.access, _image("PNG")))[0] == 201
    status, body = await _upload(client, path, seller.access, _image("PNG"))
    assert status == 409 and body["error"]["code"] == "too_many_images"


async def test_media_serves_only_public_images(api: Api, config: Any) -> None:
    from server.config import media_path

    media = media_path(config)
    (media / "products" / "9").mkdir(parents=True, exist_ok=True)
    (media / "products" / "9" / "a.png").write_bytes(_image("PNG"))
    (media / "products" / "9" / "notes.txt").write_text("private")
    (media / "invoices").mkdir(exist_ok=True)
    (media / "invoices" / "1.pdf").write_bytes(b"%PDF-1.4 private")
    async with api.client.get("/media/products/9/a.png") as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
        assert "immutable" in resp.headers["Cache-Control"]
    for path in ("/media/products/9/notes.txt", "/media/invoices/1.pdf", "/media/products/../invoices/1.pdf",
                 "/media/products/%2e%2e/invoices/1.pdf", "/media/products/9/missing.png"):
        async with api.client.get(path) as resp:
            assert resp.status == 404, path


async def test_list_totals_are_cached_until_a_product_changes(api: Api, admin: Account, seller: Account,
                                                              db: Any) -> None:
    cat = await category(api, admin)
    first = await product(api, seller, cat, "First")
    assert (await api.get("/api/products/products/")).body["count"] == 1
    # A row written behind the API's back is not counted until the cached total is stale ...
    await db.execute("INSERT INTO products (seller_id, category_id, name, price, stock) VALUES ($1, $2, 'Side', 1, 1)",
                     seller.id, cat)
    stale = await api.get("/api/products/products/")
    assert stale.body["count"] == 1 and len(stale.body["results"]) == 2  # the page itself is always fresh
    # ... and every write through the API makes the totals exact again.
    await api.patch(f"/api/products/products/{first['id']}/", {"stock": 3}, token=seller.access)
    assert (await api.get("/api/products/products/")).body["count"] == 2
    await api.call("DELETE", f"/api/products/products/{first['id']}/", token=seller.access)
    assert (await api.get("/api/products/products/")).body["count"] == 1


async def admin_account(api: Api, config: Any) -> Account:
    await create_admin(config, "root", "root@example.com", "root-pass-123")
    return await api.login("root", "root-pass-123")


async def test_pages_are_kept_per_process_until_a_write_or_their_time(aiohttp_client: Any, clean: Any, db: Any
                                                                    ) -> None:
    # Two app instances stand for two processes: each keeps its own pages, they share Redis and PostgreSQL.
    config = make_config(clean, commerce={"list_page_cache_s": 3600})
    first, second = Api(await aiohttp_client(create_app(config))), Api(await aiohttp_client(create_app(config)))
    admin = await admin_account(first, config)
    seller = await verified_seller(first, admin, "keeper")
    cat = await category(first, admin)
    item = await product(first, seller, cat, "Kept", stock=5)
    for api in (first, second):
        assert [p["stock"] for p in (await api.get("/api/products/products/")).body["results"]] == [5]
    # Behind the API's back: neither process sees it while its page is kept ...
    await db.execute("UPDATE products SET stock = 1 WHERE id = $1", item["id"])
    for api in (first, second):
        assert [p["stock"] for p in (await api.get("/api/products/products/")).body["results"]] == [5]
    # ... and a write through the API (on one process) shows at once on both.
    await first.patch(f"/api/products/products/{item['id']}/", {"name": "Renamed"}, token=seller.access)
    for api in (first, second):
        page = (await api.get("/api/products/products/")).body
        assert [(p["name"], p["stock"]) for p in page["results"]] == [("Renamed", 1)] and page["count"] == 1


async def test_a_kept_page_shows_a_stock_change_once_its_time_is_up(aiohttp_client: Any, clean: Any, db: Any
                                                                  ) -> None:
    config = make_config(clean, commerce={"list_page_cache_s": 0.2})
    api = Api(await aiohttp_client(create_app(config)))
    admin = await admin_account(api, config)
    seller = await verified_seller(api, admin, "ticker")
    item = await product(api, seller, await category(api, admin), "Ticking", stock=5)
    assert (await api.get("/api/products/products/")).body["results"][0]["stock"] == 5
    await db.execute("UPDATE products SET stock = 2 WHERE id = $1", item["id"])  # as an order takes stock
    for _ in range(200):  # until the page's 0.2 s run out: bounded, not a fixed sleep
        if (await api.get("/api/products/products/")).body["results"][0]["stock"] == 2:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the kept page never showed the new stock")
