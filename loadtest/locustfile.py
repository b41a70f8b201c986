"""Locust scenarios: buyers who browse, search, scroll the feed, like, comment and watch live rooms over
WebSocket (msgpack) where they chat and bid; sellers who run a show with auctions.

Run by `make loadtest` (loadtest/run_load.py starts the server). By hand, against a server with demo data:

    .venv/bin/locust -f loadtest/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8080

WebSocket users use websocket-client, which Locust's gevent makes cooperative: a socket waiting for a
frame never blocks the other users. Socket latencies are reported in Locust's statistics as type "WS":
"bid -> ack" (the bidder's own answer), "chat -> own echo" and "publish -> receipt" (the server's event
timestamp to its arrival; client and server share the machine's clock on 127.0.0.1).
"""

from __future__ import annotations

import random
import time
import uuid
from decimal import Decimal
from typing import Any

import gevent
import msgpack
import websocket
from locust import HttpUser, between, events, task
from locust.exception import StopUser

ADMIN = ("admin", "admin123")  # the demo admin (`seed-demo`), who verifies the load test's sellers
SEARCHES = ["silk", "saree", "kurta", "cotton", "lamp", "brass", "tea", "shawl"]
CHAT_LINES = ["Love this!", "What size is it?", "Is it handmade?", "Ships to Pune?", "Beautiful colour"]
REACTIONS = ["❤️", "🔥", "😂", "😮", "👏"]


def ws_url(host: str, path: str) -> str:
    return host.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + path


class Api(HttpUser):
    """Shared helpers: sign-up, JSON calls with the user's token."""

    abstract = True
    token: str = ""
    user_id: int = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def json(self, method: str, path: str, body: Any = None, name: str | None = None,
             ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        """A call that counts as a failure unless its status is one of `ok`; returns the JSON body."""
        with self.client.request(method, path, json=body, headers=self.headers(), name=name or path,
                                 catch_response=True) as response:
            if response.status_code not in ok:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            response.success()
            return response.json() if response.content and response.headers.get(
                "Content-Type", "").startswith("application/json") else None

    def sign_up(self, role: str) -> None:
        name = f"lt{role[0]}{uuid.uuid4().hex[:12]}"
        body = {"username": name, "email": f"{name}@load.test", "password": "load-test-pass"}
        if role == "seller":
            body["business_name"] = f"{name} studio"
        out = self.json("POST", f"/api/auth/register/{role}/", body, name=f"/api/auth/register/{role}/")
        if out is None:
            raise StopUser()
        self.token, self.user_id = out["access"], out["user"]["id"]

    def report(self, name: str, started: float, length: int = 0, error: Exception | None = None) -> None:
        """A WebSocket measurement in Locust's statistics."""
        events.request.fire(request_type="WS", name=name, response_time=(time.perf_counter() - started) * 1000,
                            response_length=length, exception=error, context={})


class Buyer(Api):
    """Browses and searches the catalog, scrolls the feed, likes and comments, watches live shows (reacts, votes,
    bids, claims, enters), messages sellers."""

    weight = 12
    wait_time = between(1, 4)
    products: list[int]
    reels: list[int]

    def on_start(self) -> None:
        self.sign_up("buyer")
        self.products, self.reels = [], []

    @task(5)
    def browse(self) -> None:
        page = random.randint(1, 3)
        out = self.json("GET", f"/api/products/products/?page={page}&page_size=20", name="/api/products/products/",
                        ok=(200, 404))
        if out:
            self.products = [p["id"] for p in out["results"]] or self.products

    @task(2)
    def search(self) -> None:
        self.json("GET", f"/api/products/products/?search={random.choice(SEARCHES)}",
                  name="/api/products/products/?search=")

    @task(4)
    def product(self) -> None:
        if self.products:
            self.json("GET", f"/api/products/products/{random.choice(self.products)}/",
                      name="/api/products/products/{id}/")

    @task(4)
    def scroll_feed(self) -> None:
        for page in range(1, random.randint(2, 4)):
            out = self.json("GET", f"/api/v1/shoppable-videos/?page={page}&page_size=10",
                            name="/api/v1/shoppable-videos/")
            if not out:
                return
            self.reels = [r["id"] for r in out["results"]] or self.reels
            gevent.sleep(random.uniform(0.3, 1.0))  # watching a few reels

    @task(1)
    def like(self) -> None:
        if self.reels:
            self.json("POST", f"/api/v1/shoppable-videos/{random.choice(self.reels)}/like/",
                      name="/api/v1/shoppable-videos/{id}/like/")

    @task(1)
    def comment(self) -> None:
        if self.reels:
            self.json("POST", "/api/v1/video-comments/", {"video": random.choice(self.reels),
                                                          "text": random.choice(CHAT_LINES)})

    @task(1)
    def add_to_cart(self) -> None:
        if self.products:
            # 409: out of stock or inactive is an answer, not a failure of the server.
            self.json("POST", "/api/orders/cart/add/", {"product_id": random.choice(self.products), "quantity": 1},
                      ok=(200, 201, 409))

    @task(1)
    def message(self) -> None:
        """Message the seller of a live show (what a buyer asks before buying), then read the threads."""
        shows = self.json("GET", "/api/livestreams/livestreams/live_now/?page_size=20",
                          name="/api/livestreams/livestreams/live_now/")
        if shows and shows["results"]:
            seller = random.choice(shows["results"])["seller"]["id"]
            self.json("POST", "/api/messages/", {"to": seller, "text": random.choice(CHAT_LINES)}, ok=(201, 429))
            self.json("GET", "/api/messages/threads/")

    @task(3)
    def watch_live(self) -> None:
        """Join a live show's room (msgpack) for a few seconds: read everything, chat once, react, bid if an auction
        is open, claim a unit of an open flash sale, enter an open giveaway, vote in an open poll."""
        shows = self.json("GET", "/api/livestreams/livestreams/live_now/?page_size=20",
                          name="/api/livestreams/livestreams/live_now/")
        if not shows or not shows["results"]:
            return
        show = random.choice(shows["results"])
        started = time.perf_counter()
        try:
            ws = websocket.create_connection(ws_url(self.host, f"/ws/livestream/{show['id']}/?token={self.token}"),
                                             subprotocols=["msgpack"], timeout=10)
        except Exception as exc:  # any refusal is this request's failure
            self.report("connect + hello", started, error=exc)
            return
        try:
            self._in_room(ws, started)
        finally:
            ws.close()

    def _in_room(self, ws: websocket.WebSocket, started: float) -> None:
        hello = msgpack.unpackb(ws.recv(), raw=False)
        if hello["type"] == "stream_ended":  # the show ended after live_now listed it: the contract's answer
            self.report("connect to an ended show", started)
            return
        if hello["type"] != "hello":
            self.report("connect + hello", started, error=RuntimeError(f"first frame was {hello['type']}"))
            return
        self.report("connect + hello", started)
        bidding = hello["data"].get("bidding")
        sales = [s for s in hello["data"].get("flash_sales") or [] if s.get("status") == "open"]
        giveaway = hello["data"].get("giveaway")
        poll = hello["data"].get("poll")
        pending: dict[str, tuple[str, float]] = {}
        chat_at = time.perf_counter() + random.uniform(0.5, 2)
        bid_at = time.perf_counter() + random.uniform(1, 4)
        claim_at = time.perf_counter() + random.uniform(0.5, 3)
        enter_at = time.perf_counter() + random.uniform(0.5, 3)
        react_at = time.perf_counter() + random.uniform(0.2, 2)
        vote_at = time.perf_counter() + random.uniform(0.5, 3)
        leave_at = time.perf_counter() + random.uniform(4, 10)
        ws.settimeout(0.5)
        while time.perf_counter() < leave_at:
            now = time.perf_counter()
            if claim_at and now >= claim_at and sales:
                client_id = uuid.uuid4().hex[:8]
                pending[client_id] = ("claim", now)
                ws.send_binary(msgpack.packb({"type": "claim", "data": {
                    "flash_sale_id": random.choice(sales)["id"], "quantity": 1, "client_id": client_id}}))
                claim_at = 0
            if enter_at and now >= enter_at and giveaway and giveaway.get("status") == "open":
                client_id = uuid.uuid4().hex[:8]
                pending[client_id] = ("enter_giveaway", now)
                ws.send_binary(msgpack.packb({"type": "enter_giveaway", "data": {
                    "giveaway_id": giveaway["id"], "client_id": client_id}}))
                enter_at = 0
            if react_at and now >= react_at:
                client_id = uuid.uuid4().hex[:8]
                pending[client_id] = ("reaction", now)
                ws.send_binary(msgpack.packb({"type": "reaction", "data": {
                    "emoji": random.choice(REACTIONS), "client_id": client_id}}))
                react_at = now + random.uniform(0.5, 2) if random.random() < 0.6 else 0
            if vote_at and now >= vote_at and poll and poll.get("status") == "open":
                client_id = uuid.uuid4().hex[:8]
                pending[client_id] = ("vote", now)
                ws.send_binary(msgpack.packb({"type": "vote", "data": {
                    "poll_id": poll["id"], "option": random.randrange(len(poll["options"])), "client_id": client_id}}))
                vote_at = 0
            if chat_at and now >= chat_at:
                client_id = uuid.uuid4().hex[:8]
                pending[client_id] = ("chat", now)
                ws.send_binary(msgpack.packb({"type": "chat", "data": {"text": random.choice(CHAT_LINES),
                                                                       "client_id": client_id}}))
                chat_at = 0
            if bid_at and now >= bid_at and bidding and bidding.get("status") == "open":
                amount = Decimal(str(bidding.get("next_min_amount") or bidding["starting_price"]))
                client_id = uuid.uuid4().hex[:8]
                pending[client_id] = ("bid", now)
                ws.send_binary(msgpack.packb({"type": "bid", "data": {
                    "bidding_id": bidding["id"], "amount": str(amount), "client_id": client_id}}))
                bid_at = 0
            try:
                raw = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            frame = msgpack.unpackb(raw, raw=False)
            kind, data = frame["type"], frame.get("data") or {}
            if kind in ("ack", "error"):
                what, sent = pending.pop(str(data.get("client_id")), ("", 0.0))
                if what:
                    # Refusals a buyer can cause (outbid, slow mode, rate limit) are answers, not failures.
                    self.report(f"{what} -> ack", sent)
                continue
            if kind in ("chat", "bid", "bidding_started", "bidding_closed", "viewers", "flash_sale_started",
                        "flash_sale_updated", "giveaway_started", "reactions", "poll_started",
                        "poll_updated") and frame.get("ts"):
                lag_s = max(0.0, time.time() - frame["ts"] / 1000)
                events.request.fire(request_type="WS", name="publish -> receipt", response_time=lag_s * 1000,
                                    response_length=len(raw), exception=None, context={})
            if kind == "bidding_started":
                bidding = data
            elif kind == "bid" and bidding and data.get("bidding_id") == bidding.get("id"):
                bidding["next_min_amount"] = None
                bidding["starting_price"] = str(Decimal(str(data["amount"])) + 10)
            elif kind == "bidding_closed":
                bidding = None
            elif kind == "flash_sale_started":
                sales.append(data)
            elif kind == "flash_sale_ended":
                sales = [s for s in sales if s["id"] != data.get("id")]
            elif kind == "giveaway_started":
                giveaway = data
            elif kind == "giveaway_ended":
                giveaway = None
            elif kind == "poll_started":
                poll = data
            elif kind == "poll_closed":
                poll = None
            elif kind == "stream_ended":
                return


class Seller(Api):
    """Runs one show: products, schedule, go live (one credit), then auction after auction until stopped."""

    weight = 1
    wait_time = between(2, 5)
    stream_id = 0

    def on_start(self) -> None:
        self.sign_up("seller")
        admin = self.client.post("/api/auth/login/", json={"username": ADMIN[0], "password": ADMIN[1]},
                                 name="/api/auth/login/ (admin)").json()
        self.client.post(f"/api/admin/sellers/{self.user_id}/verify/", name="/api/admin/sellers/{id}/verify/",
                         headers={"Authorization": f"Bearer {admin['access']}"})
        categories = self.json("GET", "/api/products/categories/")
        category = categories["results"][0]["id"]
        self.products = []
        for i in range(3):
            out = self.json("POST", "/api/products/products/", {
                "name": f"Load test piece {i} {uuid.uuid4().hex[:6]}", "price": f"{random.randint(300, 3000)}.00",
                "stock": 1000, "category": category}, name="/api/products/products/ (create)")
            if out:
                self.products.append(out["id"])
        show = self.json("POST", "/api/livestreams/livestreams/", {"title": "Load test live",
                                                                   "product_ids": self.products})
        if not show:
            raise StopUser()
        self.stream_id = show["id"]
        if self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/start/",
                     name="/api/livestreams/livestreams/{id}/start/") is None:
            raise StopUser()

    def on_stop(self) -> None:
        if self.stream_id:
            self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/end/",
                      name="/api/livestreams/livestreams/{id}/end/", ok=(200, 409))

    @task(3)
    def auction(self) -> None:
        """Open a short auction; the sweeper closes it at its end (409 while the last one is still open)."""
        product = random.choice(self.products)
        self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/biddings/", {
            "product_id": product, "starting_price": "100.00", "duration_s": random.randint(6, 12),
            "mode": random.choice(["soft_close", "sudden_death"])},
            name="/api/livestreams/livestreams/{id}/biddings/", ok=(201, 409))

    @task(1)
    def flash_sale(self) -> None:
        """A short flash sale of a few units; buyers in the room claim them (ends by itself)."""
        self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/flash-sales/", {
            "product_id": random.choice(self.products), "discount_percent": random.choice([10, 20, 30]),
            "quantity": random.randint(5, 20), "duration_s": random.randint(10, 20), "per_buyer_limit": 2},
            name="/api/livestreams/livestreams/{id}/flash-sales/")

    @task(1)
    def giveaway(self) -> None:
        """A short giveaway; buyers in the room enter, the sweeper draws it (409 while the last one runs)."""
        self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/giveaways/", {
            "product_id": random.choice(self.products), "duration_s": random.randint(10, 15)},
            name="/api/livestreams/livestreams/{id}/giveaways/", ok=(201, 409))

    @task(1)
    def poll(self) -> None:
        """A short poll; buyers in the room vote (409 while the last one is still open)."""
        self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/polls/", {
            "question": "Which colour next?", "options": ["Red", "Green", "Blue"], "duration_s": 10},
            name="/api/livestreams/livestreams/{id}/polls/", ok=(201, 409))

    @task(1)
    def pin(self) -> None:
        self.json("POST", f"/api/livestreams/livestreams/{self.stream_id}/pin-product/",
                  {"product_id": random.choice(self.products)}, name="/api/livestreams/livestreams/{id}/pin-product/")

    @task(1)
    def look_at_orders(self) -> None:
        self.json("GET", "/api/orders/seller/orders/")
