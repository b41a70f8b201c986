"""The console over HTTP: sign-in, sessions, CSRF, roles, other sellers' objects, escaping, every page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import aiohttp
import aiohttp_jinja2
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from commerce.orders.keys import ORDERS
from commerce.payments.razorpay_local import create_local_razorpay
from rooms.lifecycle import presence_step
from server.app import create_app
from server.config import Config
from server.keys import DB, REDIS
from server.sessions import COOKIE, Sessions
from tests.conftest import Services, make_config
from tests.e2e.test_reels import form, png, upload
from tests.e2e.test_rooms import connect, live_show
from tests.helpers import Account, Api, Browserless, category, console_user, product, verified_seller

SELLER_PAGES = ["/console/", "/console/products/", "/console/products/new", "/console/shows/", "/console/shows/new",
                "/console/orders/", "/console/money/", "/console/reels/"]
ADMIN_PAGES = ["/console/", "/console/admin/sellers/", "/console/admin/sellers/?verified=1",
               "/console/admin/reports/", "/console/admin/withdrawals/", "/console/admin/users/", "/console/orders/"]
EVIL = '<script>alert("x")</script><b onmouseover=alert(1)>bold</b>'
ADDRESS = "12 MG Road, Bengaluru 560001"


@pytest.fixture
async def browsers() -> Any:
    opened: list[Browserless] = []
    yield opened
    for b in opened:
        await b.close()


async def signed_in(client: TestClient, browsers: list[Browserless], username: str, password: str) -> Browserless:
    user = await console_user(client, username, password)
    browsers.append(user)
    return user


async def test_every_page_renders_for_its_role(client: TestClient, api: Api, admin: Account,
                                               browsers: list[Browserless]) -> None:
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin))
    show = await api.post("/api/livestreams/livestreams/", {"title": "Evening", "product_ids": [item["id"]]},
                          token=seller.access)
    browser = await signed_in(client, browsers, "weaver", seller.password)
    for path in [*SELLER_PAGES, f"/console/products/{item['id']}", f"/console/shows/{show.body['id']}"]:
        status, page = await browser.get(path)
        assert status == 200, (path, page)
        assert "<h1>" in page and 'name="csrf_token"' in page, path
    boss = await signed_in(client, browsers, "root", "root-pass-123")
    for path in ADMIN_PAGES:
        status, page = await boss.get(path)
        assert status == 200, (path, page)
    # Seller pages are not admin pages and the other way round.
    assert (await boss.get("/console/products/"))[0] == 403
    assert (await browser.get("/console/admin/users/"))[0] == 403


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(
        client: TestClient, api: Api, admin: Account, config: Config) -> None:
    seller = await verified_seller(api, admin, "weaver")
    browser = Browserless(client)
    try:
        await browser.get("/console/login")
        async with browser.session.post("/console/login", data={
            "username": "weaver", "password": seller.password, "csrf_token": browser.csrf, "next": "/console/orders/",
        }, allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/console/orders/"
            cookie = resp.cookies[COOKIE]
            assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
            assert not cookie["secure"]  # development over plain HTTP; production sets Secure
            assert "." in cookie.value  # the session id and its signature
        status, page = await browser.get("/console/")
        assert status == 200 and "weaver" in page
        # A tampered cookie is no session.
        good = cookie.value
        here = client.make_url("/")
        browser.session.cookie_jar.update_cookies({COOKIE: good[:-2] + ("AA" if good[-2:] != "AA" else "BB")}, here)
        assert (await browser.get("/console/"))[0] == 303
        browser.session.cookie_jar.update_cookies({COOKIE: good}, here)
        await browser.get("/console/")
        status, location = await browser.post("/console/logout")
        assert status == 303 and location == "/console/login"
        browser.session.cookie_jar.update_cookies({COOKIE: good}, here)  # replaying the old cookie does not help
        status, location = await browser.get("/console/products/")
        assert status == 303 and location.startswith("/console/login?next=")
    finally:
        await browser.close()
    production = config.replace(mode="production", auth={"jwt_secret": "p" * 40},
                                server={"public_url": "https://shop.example.com"},
                                razorpay={"base_url": "https://api.razorpay.com", "key_secret": "k" * 20,
                                          "webhook_secret": "w" * 20})
    response = web.Response()
    Sessions(client.app[REDIS], production).set_cookie(response, "id.sig")
    morsel = response.cookies[COOKIE]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax"


async def test_login_refusals(client: TestClient, api: Api, admin: Account, db: asyncpg.Connection) -> None:
    await api.register("shopper")
    browser = Browserless(client)
    try:
        await browser.get("/console/login")
        status, page = await browser.post("/console/login", {"username": "shopper", "password": "wrong-one"})
        assert status == 401 and "Wrong username or password." in page
        # A buyer with the right password gets no console session.
        await browser.get("/console/login")
        status, page = await browser.post("/console/login", {"username": "shopper", "password": "password123"})
        assert status == 403 and "Buyers use the app" in page
        assert (await browser.get("/console/"))[0] == 303
        # The login form's own token must match its cookie.
        status, page = await browser.post("/console/login", {"username": "root", "password": "root-pass-123"},
                                          csrf=False)
        assert status == 403 and "out of date" in page
        # Only console paths are followed after sign-in: never another site.
        await browser.get("/console/login")
        status, location = await browser.post("/console/login", {"username": "root", "password": "root-pass-123",
                                                                  "next": "//evil.example/"})
        assert status == 303 and location == "/console/"
    finally:
        await browser.close()


async def test_a_form_post_without_the_csrf_token_is_refused(client: TestClient, api: Api, admin: Account,
                                                             db: asyncpg.Connection,
                                                             browsers: list[Browserless]) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    browser = await signed_in(client, browsers, "weaver", seller.password)
    fields = {"name": "Kurta", "price": "499.00", "stock": "3", "category": str(cat)}
    status, page = await browser.post("/console/products/new", fields, csrf=False)
    assert status == 403 and "security token" in page
    status, page = await browser.post("/console/products/new", {**fields, "csrf_token": "forged"}, csrf=False)
    assert status == 403
    assert await db.fetchval("SELECT count(*) FROM products") == 0
    # The same session through the API: the cookie alone is not enough, the page's token must come too.
    async with browser.session.post("/api/products/products/", json={**fields, "category": cat}) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf_failed"
    async with browser.session.post("/api/products/products/", json={**fields, "category": cat},
                                    headers={"X-CSRF-Token": browser.csrf}) as resp:
        assert resp.status == 201
    status, location = await browser.post("/console/products/new", fields)
    assert status == 303 and location.startswith("/console/products/")
    assert await db.fetchval("SELECT count(*) FROM products") == 2


async def test_a_seller_cannot_open_or_change_another_sellers_objects(
        client: TestClient, api: Api, admin: Account, db: asyncpg.Connection, browsers: list[Browserless]) -> None:
    owner = await verified_seller(api, admin, "owner")
    await verified_seller(api, admin, "rival")
    item = await product(api, owner, await category(api, admin), stock=4)
    show = await api.post("/api/livestreams/livestreams/", {"title": "Owner's show", "product_ids": [item["id"]]},
                          token=owner.access)
    buyer = await api.register("shopper")
    await api.post("/api/orders/cart/add/", {"product_id": item["id"], "quantity": 1}, token=buyer.access)
    order = await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS}, token=buyer.access)
    rival = await signed_in(client, browsers, "rival", "password123")
    pages = [f"/console/products/{item['id']}", f"/console/shows/{show.body['id']}",
             f"/console/shows/{show.body['id']}/live", f"/console/orders/{order.body['id']}"]
    for path in pages:
        status, page = await rival.get(path)
        assert status in (403, 404), (path, status)
        assert "Silk saree" not in page and ADDRESS not in page
    posts = {f"/console/products/{item['id']}": {"name": "Stolen", "price": "1", "stock": "0", "category": "1"},
             f"/console/products/{item['id']}/deactivate": {},
             f"/console/shows/{show.body['id']}/start": {},
             f"/console/orders/{order.body['id']}/status": {"status": "cancelled"}}
    for path, fields in posts.items():
        status, _ = await rival.post(path, fields)
        assert status in (403, 404), (path, status)
    row = await db.fetchrow("SELECT name, is_active, stock FROM products WHERE id = $1", item["id"])
    assert dict(row) == {"name": "Silk saree", "is_active": True, "stock": 3}
    assert await db.fetchval("SELECT status FROM livestreams WHERE id = $1", show.body["id"]) == "scheduled"
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order.body["id"]) == "pending_payment"


async def test_user_text_is_shown_as_text(client: TestClient, api: Api, admin: Account,
                                          browsers: list[Browserless]) -> None:
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin), name=EVIL)
    browser = await signed_in(client, browsers, "weaver", seller.password)
    for path in ("/console/products/", f"/console/products/{item['id']}", "/console/shows/new"):
        status, page = await browser.get(path)
        assert status == 200
        assert EVIL not in page and "<script>alert" not in page and "<b onmouseover" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b onmouseover=alert(1)&gt;" in page
    # A search term comes back escaped too, and every page forbids inline scripts.
    async with browser.session.get("/console/products/", params={"search": EVIL}) as resp:
        page = await resp.text()
        assert "<script>alert" not in page and "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["Cache-Control"] == "no-store"


async def test_product_form_creates_with_an_image_and_shows_errors_in_place(
        client: TestClient, api: Api, admin: Account, db: asyncpg.Connection, browsers: list[Browserless]) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    browser = await signed_in(client, browsers, "weaver", seller.password)
    await browser.get("/console/products/new")
    status, page = await browser.post("/console/products/new", form(
        {"name": "Kurta", "price": "-4", "stock": "2", "category": str(cat)}))
    assert status == 400 and 'value="Kurta"' in page and "field-error" in page
    # No file chosen is no file (browsers send an empty part), not an empty upload.
    plain = {"name": "Plain", "price": "10.50", "stock": "2", "category": str(cat)}
    status, location = await browser.post("/console/products/new",
                                          form(plain, {"image": ("", b"", "application/octet-stream")}))
    assert status == 303
    kurta = {"name": "Kurta", "price": "499.00", "stock": "2", "category": str(cat)}
    status, location = await browser.post("/console/products/new",
                                          form(kurta, {"image": ("k.png", png(), "image/png")}))
    assert status == 303
    product_id = int(location.rsplit("/", 1)[1])
    assert await db.fetchval("SELECT count(*) FROM product_images WHERE product_id = $1", product_id) == 1
    status, page = await browser.get(location)
    assert "Kurta" in page and "/media/products/" in page
    status, _ = await browser.post(f"/console/products/{product_id}",
                                   {"name": "Kurta (cotton)", "price": "450", "stock": "9", "category": str(cat)})
    assert status == 303
    assert dict(await db.fetchrow("SELECT name, price::text, stock FROM products WHERE id = $1", product_id)) == {
        "name": "Kurta (cotton)", "price": "450.00", "stock": 9}
    status, _ = await browser.post(f"/console/products/{product_id}/deactivate")
    assert status == 303 and not await db.fetchval("SELECT is_active FROM products WHERE id = $1", product_id)


async def test_show_start_shows_its_cost_and_the_dashboard_sums_the_last_show(
        client: TestClient, api: Api, admin: Account, app: web.Application, browsers: list[Browserless]) -> None:
    show = await live_show(api, admin, "weaver", start=False)
    browser = await signed_in(client, browsers, "weaver", show.seller.password)
    status, page = await browser.get(f"/console/shows/{show.stream_id}")
    assert "Going live takes <b>1 credit</b>" in page and "Your balance: <b>1 credit</b>" in page
    status, location = await browser.post(f"/console/shows/{show.stream_id}/start")
    assert status == 303 and location == f"/console/shows/{show.stream_id}/live"
    status, page = await browser.get(location)
    assert status == 200 and "data-room=" in page
    # Two buyers watch, one wins an auction: the dashboard's last-show summary counts it.
    buyers = [await api.register(f"buyer{i}") for i in range(2)]
    sockets = [await connect(client, show.stream_id, b.access) for b in buyers]
    for s in sockets:
        await s.next("hello")
    await presence_step(app)
    opened = await api.post(f"/api/livestreams/livestreams/{show.stream_id}/biddings/",
                            {"product_id": show.product_id, "starting_price": "100.00", "duration_s": 60},
                            token=show.seller.access)
    bid = await api.post(f"/api/livestreams/biddings/{opened.body['id']}/place-bid/", {"amount": "150.00"},
                         token=buyers[0].access)
    assert bid.status == 201, bid.body
    await api.post(f"/api/livestreams/biddings/{opened.body['id']}/close/", token=show.seller.access)
    status, _ = await browser.post(f"/console/shows/{show.stream_id}/end")
    assert status == 303

    async def figures() -> dict[str, str]:
        _, page = await browser.get("/console/")
        return dict(zip(["items", "total", "buyers", "peak"], [
            page.split(f"<dt>{label}</dt><dd>")[1].split("</dd>")[0]
            for label in ("Items sold", "Total", "Unique buyers", "Peak viewers")], strict=True))

    # Won is not sold: only once the winner's order is paid does the item count.
    assert await figures() == {"items": "0", "total": "₹0.00", "buyers": "0", "peak": "2"}
    placed = await api.post("/api/orders/orders/create/", {"shipping_address": "12 MG Road, Bengaluru 560001"},
                            token=buyers[0].access)
    assert placed.status == 201, placed.body
    assert (await figures())["items"] == "0"  # ordered, not paid
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, placed.body["id"], "paid", "payment", buyers[0].id)
    assert await figures() == {"items": "1", "total": "₹150.00", "buyers": "1", "peak": "2"}
    for s in sockets:
        await s.ws.close()


async def test_orders_ship_and_deliver_from_the_console(client: TestClient, api: Api, admin: Account,
                                                        db: asyncpg.Connection, browsers: list[Browserless]) -> None:
    seller = await verified_seller(api, admin, "weaver")
    item = await product(api, seller, await category(api, admin))
    buyer = await api.register("shopper")
    await api.post("/api/orders/cart/add/", {"product_id": item["id"], "quantity": 1}, token=buyer.access)
    order = (await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS}, token=buyer.access)).body
    await db.execute("UPDATE orders SET status = 'paid', paid_at = now() WHERE id = $1", order["id"])
    browser = await signed_in(client, browsers, "weaver", seller.password)
    status, page = await browser.get("/console/orders/?status=paid")
    assert f"#{order['id']}" in page
    status, page = await browser.get(f"/console/orders/{order['id']}")
    assert "Mark shipped" in page and ADDRESS in page
    status, _ = await browser.post(f"/console/orders/{order['id']}/status", {"status": "shipped",
                                                                           "note": "BlueDart 123456"})
    assert status == 303
    status, page = await browser.get(f"/console/orders/{order['id']}")
    assert "BlueDart 123456" in page and "Mark delivered" in page
    status, page = await browser.post(f"/console/orders/{order['id']}/status", {"status": "paid"})
    assert status == 409 and "cannot go from shipped to paid" in page
    status, _ = await browser.post(f"/console/orders/{order['id']}/status", {"status": "delivered"})
    assert await db.fetchval("SELECT status FROM orders WHERE id = $1", order["id"]) == "delivered"


async def test_credits_bought_through_the_local_razorpay_and_withdrawals(
        aiohttp_client: Any, aiohttp_server: Any, clean: Services, db: asyncpg.Connection) -> None:
    base = make_config(clean)
    rzp = base.razorpay
    server = await aiohttp_server(create_local_razorpay(rzp.key_id, rzp.key_secret, rzp.webhook_secret))
    config = make_config(clean, razorpay={"base_url": str(server.make_url("")).rstrip("/")})
    client = await aiohttp_client(create_app(config))
    api = Api(client)
    from server.demo import create_admin

    await create_admin(config, "root", "root@example.com", "root-pass-123")
    admin = await api.login("root", "root-pass-123")
    seller = await verified_seller(api, admin, "weaver")
    browser = await console_user(client, "weaver", seller.password)
    try:
        status, page = await browser.post("/console/money/credits", {"credits": "3"})
        assert status == 200 and "Pay ₹300.00" in page
        order_id = page.split('name="razorpay_order_id" value="')[1].split('"')[0]
        await browser.get("/console/money/")  # the token of the checkout page is the session's anyway
        status, location = await browser.post("/console/money/credits/pay-local", {"razorpay_order_id": order_id})
        assert status == 303 and location == "/console/money/"
        status, page = await browser.get("/console/money/")
        assert "3 credits added; your balance is 4" in page
        assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", seller.id) == 4
        # Paying the same order again adds nothing.
        await browser.post("/console/money/credits/pay-local", {"razorpay_order_id": order_id})
        assert await db.fetchval("SELECT credits FROM sellers WHERE user_id = $1", seller.id) == 4
        status, page = await browser.post("/console/money/withdraw", {"amount": "500"})
        assert status == 409 and "available" in page
        status, page = await browser.post("/console/money/withdraw", {"amount": "abc"})
        assert status == 400 and 'value="abc"' in page
    finally:
        await browser.close()


async def test_admin_verifies_reviews_decides_and_deactivates(
        client: TestClient, api: Api, admin: Account, db: asyncpg.Connection, browsers: list[Browserless]) -> None:
    newcomer = await api.register("newcomer", "seller")
    creator = await verified_seller(api, admin, "creator")
    reel = await upload(api, creator, "Drape", kind="IMAGE")
    reporter = await api.register("reporter")
    await api.post("/api/v1/video-reports/", {"video": reel["id"], "reason": "spam"}, token=reporter.access)
    await db.execute("INSERT INTO withdrawals (seller_id, amount) VALUES ($1, 250)", creator.id)
    boss = await signed_in(client, browsers, "root", "root-pass-123")
    status, page = await boss.get("/console/admin/sellers/")
    assert "newcomer" in page and "creator" not in page
    status, page = await boss.get("/console/admin/users/?search=NEW")
    assert "newcomer@example.com" in page and "creator@example.com" not in page
    status, page = await boss.get("/console/admin/users/?search=%25")  # a wildcard is a plain character
    assert "newcomer@example.com" not in page
    status, _ = await boss.post(f"/console/admin/sellers/{newcomer.id}/verify")
    assert status == 303 and await db.fetchval("SELECT verified FROM sellers WHERE user_id = $1", newcomer.id)
    status, page = await boss.get("/console/admin/reports/")
    assert "Drape" in page and "spam" in page
    status, _ = await boss.post(f"/console/admin/reports/{reel['id']}", {"action": "hide"})
    assert status == 303 and await db.fetchval("SELECT status FROM videos WHERE id = $1", reel["id"]) == "removed"
    status, page = await boss.get("/console/admin/withdrawals/")
    assert "₹250.00" in page
    withdrawal = await db.fetchval("SELECT id FROM withdrawals")
    status, _ = await boss.post(f"/console/admin/withdrawals/{withdrawal}", {"decision": "reject", "note": "No KYC"})
    assert await db.fetchval("SELECT status FROM withdrawals") == "rejected"
    # Deactivating signs the user out of the console at once and revokes the apps' refresh tokens.
    seller_browser = await signed_in(client, browsers, "creator", creator.password)
    status, _ = await boss.post(f"/console/admin/users/{creator.id}/active", {"active": "0"})
    assert status == 303
    status, location = await seller_browser.get("/console/")
    assert status == 303 and location.startswith("/console/login")
    refreshed = await api.post("/api/auth/refresh/", {"refresh": creator.refresh})
    assert refreshed.status in (401, 403)
    status, page = await boss.post(f"/console/admin/users/{admin.id}/active", {"active": "0"})
    assert status == 403 and "own account" in page


async def test_room_socket_takes_the_console_session_only_from_this_origin(
        client: TestClient, api: Api, admin: Account, browsers: list[Browserless]) -> None:
    show = await live_show(api, admin, "weaver")
    browser = await signed_in(client, browsers, "weaver", show.seller.password)
    origin = str(client.make_url("")).rstrip("/")
    async with browser.session.ws_connect(f"/ws/livestream/{show.stream_id}/", protocols=("json",),
                                          origin=origin) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello" and hello["data"]["you"] == {"id": show.seller.id, "role": "seller"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await browser.session.ws_connect(f"/ws/livestream/{show.stream_id}/", origin="https://evil.example")
    assert refused.value.status == 403


async def test_a_reel_uploaded_from_the_console_carries_its_products(
        client: TestClient, api: Api, admin: Account, db: asyncpg.Connection, browsers: list[Browserless]) -> None:
    seller = await verified_seller(api, admin, "weaver")
    cat = await category(api, admin)
    first, second = (await product(api, seller, cat, name="Saree"), await product(api, seller, cat, name="Stole"))
    browser = await signed_in(client, browsers, "weaver", seller.password)
    await browser.get("/console/reels/")
    status, page = await browser.post("/console/reels/", form({"content_type": "IMAGE", "title": "No picture"}))
    assert status == 400 and "An IMAGE needs its image_file." in page and 'value="No picture"' in page
    status, location = await browser.post("/console/reels/", form(
        {"content_type": "IMAGE", "title": "Drape", "product": str(first["id"]),
         "additional_products": [str(second["id"])], "tags": "silk, wedding"},
        {"image_file": ("d.png", png(), "image/png"), "video_file": ("", b"", "application/octet-stream")}))
    assert status == 303 and location == "/console/reels/", location
    row = await db.fetchrow("SELECT id, product_id, tags FROM videos WHERE title = 'Drape'")
    assert row["product_id"] == first["id"] and sorted(row["tags"]) == ["silk", "wedding"]
    assert await db.fetchval("SELECT product_id FROM video_products WHERE video_id = $1", row["id"]) == second["id"]
    status, page = await browser.get("/console/reels/")
    assert "Drape" in page and "Saree" in page


async def test_money_reads_with_the_minus_before_the_rupee_and_the_admin_home_counts_users(
        client: TestClient, api: Api, admin: Account, app: web.Application, browsers: list[Browserless]) -> None:
    env = aiohttp_jinja2.get_env(app)
    shown = env.from_string('{% from "console/macros.html" import money %}{{ money(a) }}|{{ money(b) }}|{{ money(c) }}')
    assert shown.render(a=Decimal("-599"), b=Decimal("123456.5"), c=None) == "−₹599.00|₹123,456.50|—"
    await api.register("asha")
    browser = await signed_in(client, browsers, admin.username, admin.password)
    status, page = await browser.get("/console/")
    users = page.split("<h2>Users</h2>")[1].split("</p>")[0]
    assert status == 200 and users.endswith(">2")  # the admin and asha, not a placeholder
