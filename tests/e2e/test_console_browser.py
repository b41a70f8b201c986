"""The console in a real browser (Debian's Chromium, headless, driven by Playwright): a seller's live show
from product to order, an admin's reviews, the selling tools of the control room (run sheet, flash sales,
giveaways, second chance), and screenshots of every page at 360 and 1280 pixels wide."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from audience.report.keys import REPORTS
from bidding.keys import WINS
from commerce.orders.keys import ORDERS
from rooms.keys import HUB
from server.config import ROOT
from server.demo import create_admin
from server.keys import DB, REDIS
from tests.e2e.test_flash_sales import send_updates
from tests.e2e.test_reels import png, upload
from tests.e2e.test_rooms import connect
from tests.helpers import Account, Api, category, product, verified_seller

CHROMIUM = os.environ.get("LSC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# CI sets this: there, a missing browser is a failure, never a skip.
REQUIRED = os.environ.get("LSC_BROWSER_TESTS") == "required"
SHOTS = ROOT / "var" / "screenshots" / "console"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ADDRESS = "12 MG Road, Bengaluru 560001"
EVIL_CHAT = '<img src=x onerror="window.pwned=1"> hello'

try:
    from playwright.async_api import Browser, Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev lock installs it
    async_playwright = None  # type: ignore[assignment]

_missing = ("Playwright is not installed" if async_playwright is None
            else None if Path(CHROMIUM).exists() else f"no Chromium at {CHROMIUM} (apt-get install chromium)")
if _missing and REQUIRED:
    raise RuntimeError(f"LSC_BROWSER_TESTS=required but {_missing}")
pytestmark = pytest.mark.skipif(_missing is not None, reason=f"browser tests skipped: {_missing}")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        await chromium.close()


@dataclass
class Site:
    """The app served on a port for the browser, a client of it, and its admin (root)."""

    client: Any
    base: str
    api: Api
    admin: Account


@pytest.fixture
async def site(aiohttp_server: Any, aiohttp_client: Any, app: web.Application, config: Any) -> Site:
    server = await aiohttp_server(app)
    client = await aiohttp_client(server)
    api = Api(client)
    await create_admin(config, "root", "root@example.com", "root-pass-123")
    return Site(client, str(server.make_url("")).rstrip("/"), api, await api.login("root", "root-pass-123"))


async def shoot(page: Page, name: str) -> None:
    """Screenshots at phone and desktop width; at 360 px nothing may stick out sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((360, 780), (1280, 900)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 360:
            overflow = await page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 360, f"{name} is {overflow} px wide at 360 px"


def nav(page: Page, name: str) -> Any:
    """A link of the console's main navigation."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


async def sign_in(browser: Browser, base: str, username: str, password: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base)
    page = await context.new_page()
    await page.goto("/console/login")
    await page.get_by_label("Username or e-mail").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(base + "/console/")
    return page


async def test_a_live_show_from_product_to_order_and_an_admins_reviews(
        site: Site, app: web.Application, browser: Browser, db: asyncpg.Connection) -> None:
    client, base, api, admin = site.client, site.base, site.api, site.admin
    seller = await api.register("seller1", "seller", password="seller-pass-1")
    await category(api, admin, "Sarees")
    buyer = await api.register("buyer1")
    creator = await verified_seller(api, admin, "creator1")
    reel = await upload(api, creator, "Questionable drape", kind="IMAGE")
    await api.post("/api/v1/video-reports/", {"video": reel["id"], "reason": "misleading"}, token=buyer.access)

    # The admin verifies the new seller and hides the reported reel.
    boss = await sign_in(browser, base, "root", "root-pass-123")
    await shoot(boss, "admin-home")
    await nav(boss, "Sellers").click()
    await shoot(boss, "admin-sellers")
    await boss.get_by_role("button", name="Verify seller1").click()
    await expect(boss.locator(".flash")).to_have_text("seller1 is verified.")
    await nav(boss, "Reports").click()
    await expect(boss.get_by_text("Questionable drape")).to_be_visible()
    await shoot(boss, "admin-reports")
    await boss.get_by_role("button", name=f"Hide reel #{reel['id']}").click()
    await expect(boss.locator(".flash")).to_contain_text(f"Reel #{reel['id']} hidden")
    assert await db.fetchval("SELECT status FROM videos WHERE id = $1", reel["id"]) == "removed"
    for name in ("Withdrawals", "Users"):
        await nav(boss, name).click()
        await shoot(boss, f"admin-{name.lower()}")

    # The seller creates a product with an image.
    page = await sign_in(browser, base, "seller1", "seller-pass-1")
    await shoot(page, "seller-dashboard")
    await page.goto("/console/products/new")
    await page.get_by_label("Name").fill("Silk <i>saree</i>")
    await page.get_by_label("Price (₹)").fill("1299.50")
    await page.get_by_label("Stock").fill("3")
    await page.get_by_label("Category").select_option(label="Sarees")
    await page.get_by_label("Image (optional)").set_input_files(
        {"name": "saree.png", "mimeType": "image/png", "buffer": png()})
    await shoot(page, "seller-product-new")
    await page.get_by_role("button", name="Create product").click()
    await expect(page.locator(".flash")).to_have_text("Product “Silk <i>saree</i>” created.")
    await expect(page.locator(".gallery img")).to_have_count(1)
    await shoot(page, "seller-product")
    await nav(page, "Products").click()
    await expect(page.get_by_role("link", name="Silk <i>saree</i>")).to_be_visible()
    await shoot(page, "seller-products")

    # Schedules the show and starts it: the page shows the cost and the balance first.
    await page.goto("/console/shows/new")
    await page.get_by_label("Title").fill("Evening saree drop")
    await page.get_by_label("Silk <i>saree</i>").check()
    await page.get_by_role("button", name="Schedule").click()
    await expect(page.locator(".flash")).to_have_text("Show “Evening saree drop” scheduled.")
    await expect(page.get_by_text("Going live takes 1 credit")).to_be_visible()
    await shoot(page, "seller-show")
    await page.get_by_role("button", name="Start the show").click()
    await expect(page.locator("#connection")).to_have_text("connected")
    stream_id = int(page.url.rstrip("/").split("/")[-2])

    # A buyer chats over the WebSocket; the message appears in the control room as text.
    socket = await connect(client, stream_id, buyer.access)
    await socket.next("hello")
    await socket.send("chat", {"text": EVIL_CHAT, "client_id": "c1"})
    await socket.next("ack")
    message = page.locator("#messages li", has_text="hello")
    await expect(message.locator(".m-text")).to_have_text(EVIL_CHAT)
    assert await page.locator("#messages img").count() == 0
    assert await page.evaluate("window.pwned === undefined")

    # The control room's socket drops: it reconnects by itself and resumes, missing nothing said meanwhile.
    room = app[HUB].rooms[f"stream:{stream_id}"]
    seller_member = next(m for m in room.members if m.user is not None and m.user.user_id == seller.id)
    await seller_member.ws.close(code=1012)
    said = await api.post(f"/api/chat/messages/{stream_id}/send/", {"text": "said while you were away"},
                          token=buyer.access)
    assert said.status == 201, said.body
    await expect(page.locator("#messages .m-text", has_text="said while you were away")).to_have_count(1)
    await expect(page.locator("#connection")).to_have_text("connected")

    # The seller bans the buyer from the chat.
    await message.get_by_role("button", name="Ban").click()
    await expect(page.locator("#notice")).to_have_text("buyer1 is banned from this show.")
    await socket.send("chat", {"text": "let me back in", "client_id": "c2"})
    refused = await socket.next("error")
    assert refused["data"]["client_id"] == "c2" and refused["data"]["code"] in ("banned", "chat_banned")

    # Starts an auction from the product queue; the buyer bids and the price moves on the page.
    await page.locator(".queue-item summary").click()
    await page.get_by_label("Starting price (₹)").fill("1000")
    await page.get_by_label("Duration (seconds)").fill("120")
    await page.get_by_role("button", name="Start auction").click()
    await expect(page.locator("#auction-running")).to_be_visible()
    started = await socket.next("bidding_started")
    await socket.send("bid", {"bidding_id": started["data"]["id"], "amount": "1100.00", "client_id": "b1"})
    assert (await socket.next("ack"))["data"]["client_id"] == "b1"
    await expect(page.locator("#auction-price")).to_have_text("₹1,100.00")
    await expect(page.locator("#auction-leader")).to_have_text("buyer1")
    await expect(page.locator("#auction-bids")).to_have_text("1")
    await shoot(page, "seller-live-room")

    # Closes it: the buyer wins, the product is in the cart, and the order appears in the console.
    await page.get_by_role("button", name="Close now").click()
    await expect(page.locator("#auction-result")).to_have_text("Sold to buyer1 for ₹1,100.00. It is in their cart.")
    await socket.ws.close()
    order = await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS}, token=buyer.access)
    assert order.status == 201 and order.body["total_amount"] == 1100, order.body
    await nav(page, "Orders").click()
    await expect(page.get_by_role("link", name=f"#{order.body['id']}")).to_be_visible()
    await shoot(page, "seller-orders")
    await page.get_by_role("link", name=f"#{order.body['id']}").click()
    await expect(page.get_by_text(ADDRESS)).to_be_visible()
    await shoot(page, "seller-order")
    for name in ("Money", "Reels", "Shows"):
        await nav(page, name).click()
        await shoot(page, f"seller-{name.lower()}")
    await page.goto(f"/console/shows/{stream_id}")
    await page.get_by_role("button", name="End the show").click()
    await expect(page.locator(".flash")).to_have_text("The show has ended.")

    # Without JavaScript, the pages still read (only the live room needs it).
    plain = await browser.new_context(java_script_enabled=False, base_url=base)
    nojs = await plain.new_page()
    await nojs.goto("/console/login")
    await nojs.get_by_label("Username or e-mail").fill("seller1")
    await nojs.get_by_label("Password").fill("seller-pass-1")
    await nojs.get_by_role("button", name="Sign in").click()
    await nojs.goto(f"/console/orders/{order.body['id']}")
    await expect(nojs.get_by_text(ADDRESS)).to_be_visible()
    await shoot(nojs, "seller-order-nojs")
    fresh = await (await browser.new_context(base_url=base)).new_page()
    await fresh.goto("/console/login")
    await shoot(fresh, "login")


async def test_the_control_room_runs_the_run_sheet_flash_sales_a_giveaway_and_second_chance(
        site: Site, app: web.Application, browser: Browser, db: asyncpg.Connection) -> None:
    client, base, api, admin = site.client, site.base, site.api, site.admin
    seller = await verified_seller(api, admin, "seller2")
    cat = await category(api, admin, "Jewellery")
    earrings = await product(api, seller, cat, "Jhumka earrings", "800", stock=10)
    bangles = await product(api, seller, cat, "Glass bangles", "300", stock=10)
    show = await api.post("/api/livestreams/livestreams/", {"title": "Jewellery hour",
                                                            "product_ids": [earrings["id"], bangles["id"]]},
                          token=seller.access)
    stream_id = show.body["id"]
    asha, ravi = await api.register("asha"), await api.register("ravi")

    # Before the show: two auctions on the run sheet, and a pre-bid on the first.
    page = await sign_in(browser, base, "seller2", "password123")
    await page.goto(f"/console/shows/{stream_id}")
    for name, price in (("Jhumka earrings", "500"), ("Glass bangles", "100")):
        await page.get_by_text("Add an auction to the run sheet").click()
        await page.get_by_label("Product").select_option(label=name)
        await page.get_by_label("Starting price (₹)").fill(price)
        await page.get_by_label("Runs for (seconds)").fill("300")
        await page.get_by_role("button", name="Add to the run sheet").click()
        await expect(page.locator(".flash")).to_have_text(f"Auction of {name} added to the run sheet.")
    sheet = (await api.get(f"/api/livestreams/livestreams/{stream_id}/biddings/")).body
    assert [(a["product_name"], a["status"]) for a in sheet] == [("Jhumka earrings", "scheduled"),
                                                                 ("Glass bangles", "scheduled")]
    prebid = await api.post(f"/api/livestreams/biddings/{sheet[0]['id']}/place-bid/", {"max_amount": "650"},
                            token=ravi.access)
    assert prebid.status == 201, prebid.body
    await shoot(page, "seller-run-sheet")

    # Live: "Start next auction" opens the first with the pre-bid applied; asha outbids, the seller closes.
    await page.get_by_role("button", name="Start the show").click()
    await expect(page.locator("#connection")).to_have_text("connected")
    await expect(page.locator("#run-sheet li")).to_have_count(2)
    await page.get_by_role("button", name="Start next auction").click()
    await expect(page.locator("#auction-leader")).to_have_text("ravi")
    await expect(page.locator("#auction-price")).to_have_text("₹500.00")
    await expect(page.locator("#run-sheet li")).to_have_count(1)
    assert (await api.post(f"/api/livestreams/biddings/{sheet[0]['id']}/place-bid/", {"amount": "700"},
                           token=asha.access)).status == 201
    await expect(page.locator("#auction-leader")).to_have_text("asha")
    await page.get_by_role("button", name="Close now").click()
    await expect(page.locator("#auction-result")).to_have_text("Sold to asha for ₹700.00. It is in their cart.")

    # A flash sale: two claims move the count, the seller ends it.
    await page.get_by_text("Start a flash sale").click()
    await page.get_by_label("Product on sale").select_option(label="Glass bangles (₹300.00, 10 in stock)")
    await page.get_by_label("Discount (%)").fill("20")
    await page.get_by_label("Units for sale").fill("5")
    await page.get_by_label("Most units per buyer (optional)").fill("2")
    await page.get_by_role("button", name="Start flash sale").click()
    sale = page.locator("#flash-list li").first
    await expect(sale.locator(".f-remaining")).to_have_text("5")
    await expect(sale.locator(".f-price")).to_have_text("₹240.00 (was ₹300.00)")
    sale_id = (await api.get(f"/api/livestreams/livestreams/{stream_id}/flash-sales/")).body[0]["id"]
    for who in (asha, ravi):
        claimed = await api.post(f"/api/livestreams/flash-sales/{sale_id}/claim/", {"quantity": 2}, token=who.access)
        assert claimed.status == 201, claimed.body
    await send_updates(api)  # the update round (its interval is long in tests)
    await expect(sale.locator(".f-remaining")).to_have_text("1")
    await shoot(page, "seller-live-selling")
    await page.get_by_role("button", name="End the flash sale of Glass bangles").click()
    await expect(sale.locator(".f-countdown")).to_have_text("ended: ended by you")

    # A giveaway: a viewer in the room enters, the seller draws.
    await page.get_by_text("Start a giveaway").click()
    await page.get_by_label("Prize").select_option(label="Jhumka earrings (₹800.00, 10 in stock)")
    await page.get_by_role("button", name="Start giveaway").click()
    await expect(page.locator("#giveaway-running")).to_be_visible()
    viewer = await connect(client, stream_id, asha.access)
    giveaway = (await viewer.next("hello"))["data"]["giveaway"]
    await viewer.send("enter_giveaway", {"giveaway_id": giveaway["id"], "client_id": "g1"})
    await viewer.next("ack")
    await send_updates(api, "giveaway")
    await expect(page.locator("#giveaway-entries")).to_have_text("1")
    await page.get_by_role("button", name="Draw now").click()
    await expect(page.locator("#giveaway-result")).to_have_text(
        "asha won the giveaway (1 entry). Their order is placed at ₹0.")
    await viewer.ws.close()

    # ravi pays for his two flash-sale bangles; the viewers are sampled twice.
    order = await api.post("/api/orders/orders/create/", {"shipping_address": ADDRESS}, token=ravi.access)
    async with app[DB].acquire() as conn, conn.transaction():
        await app[ORDERS].transition(conn, order.body["id"], "paid", "payment", ravi.id, "test payment")
    for _ in range(2):
        await app[REDIS].delete(f"show:{{{stream_id}}}:sample")
        assert await app[REPORTS].sample() == 1

    # After the show, asha's win lapses unpaid: the show's page offers the item to ravi, the runner-up.
    await page.goto(f"/console/shows/{stream_id}")
    await page.get_by_role("button", name="End the show").click()
    await db.execute("UPDATE auction_wins SET pay_by = now() WHERE bidding_id = $1", sheet[0]["id"])
    assert await app[WINS].sweep() == 1
    await page.reload()
    await expect(page.get_by_text("lapsed unpaid")).to_be_visible()
    await page.get_by_role("button", name="Offer Jhumka earrings to the next bidder").click()
    await expect(page.locator(".flash")).to_contain_text("Jhumka earrings offered to ravi for ₹650.00 until")
    await expect(page.get_by_text("Second chance to ravi at ₹650.00: open")).to_be_visible()
    await shoot(page, "seller-show-second-chance")
    accepted = await api.post(f"/api/livestreams/biddings/{sheet[0]['id']}/second-chance/accept/", token=ravi.access)
    assert accepted.status == 200 and accepted.body["win"]["buyer"]["username"] == "ravi"
    await page.reload()
    await expect(page.get_by_text("ravi (second chance)")).to_be_visible()

    # The dashboard's last show links to its report: figures, two charts, the tables, a CSV.
    await nav(page, "Dashboard").click()
    await page.get_by_role("link", name="Open the report").click()
    await expect(page.get_by_role("heading", name="Report: Jewellery hour")).to_be_visible()
    figures = page.locator(".report-figures")
    await expect(figures.locator("div", has_text="Items sold").locator("dd")).to_have_text("2")
    await expect(figures.locator("div", has_text="Gross").locator("dd")).to_have_text("₹480.00")
    await expect(page.locator("#viewers-chart-desc")).to_contain_text("2 samples")
    await expect(page.locator(".chart rect.bar")).to_have_count(1)
    await expect(page.get_by_role("cell", name="Glass bangles")).to_have_count(2)  # an auction, a flash sale
    await shoot(page, "seller-show-report")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Download CSV").click()
    assert (await download.value).suggested_filename == f"show-{stream_id}-report.csv"
