"""Benchmark: bid latency in a watched auction on one server process.

N viewers (the lean clients of bench_fanout) watch one live room on a server pinned to core 0. B bidders,
each with its own socket, send `bid` frames at a steady total rate for a bounded time. Measured on core 1:
bid sent -> the bidder's `ack` (or `error`), and bid sent -> receipt of its `bid` event by the viewers.

    .venv/bin/python -u loadtest/bench_bids.py --viewers 1000 --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from array import array
from collections import defaultdict
from typing import Any

import aiohttp
import asyncpg
import msgpack
from bench_fanout import Stats, Viewer, pct
from common import connect_viewers, fresh_database, result, run_benchmark, start_server, stop

from server.config import load_config
from server.tokens import TokenCodec


class BidViewer(Viewer):
    """A viewer that records, for each `bid` event, when it arrived (keyed by amount)."""

    def __init__(self, path: str, stats: Stats, ready: asyncio.Future[None], arrivals: dict[float, array]) -> None:
        super().__init__(path, stats, ready)
        self.arrivals = arrivals

    def on_frame(self, frame: dict[str, Any], now_ns: int) -> None:
        if frame["type"] == "bid":
            self.arrivals[frame["data"]["amount"]].append(time.perf_counter_ns())
        elif frame["type"] == "hello" and not self.ready.done():
            self.ready.set_result(None)


async def run(database_url: str, redis_url: str, viewers: int, bidders: int, rate: int, seconds: float) -> None:
    url = await fresh_database(database_url, "lsc_bench_bids")
    conn = await asyncpg.connect(url)
    seller = await conn.fetchval(
        """WITH u AS (INSERT INTO users (username, email, password_hash, role)
                      VALUES ('bench_seller', 'bs@example.com', 'x', 'seller') RETURNING id)
           INSERT INTO sellers (user_id, business_name, verified) SELECT id, 'Bench', true FROM u RETURNING user_id""")
    buyer_ids = [r["id"] for r in await conn.fetch(
        """INSERT INTO users (username, email, password_hash, role)
           SELECT 'bench_buyer_' || g, 'bb' || g || '@example.com', 'x', 'buyer' FROM generate_series(1, $1) g
           RETURNING id""", bidders)]
    category = await conn.fetchval("INSERT INTO categories (name) VALUES ('Bench') RETURNING id")
    product = await conn.fetchval(
        "INSERT INTO products (seller_id, category_id, name, price, stock) VALUES ($1, $2, 'Lot', 1, 1) RETURNING id",
        seller, category)
    stream = await conn.fetchval(
        "INSERT INTO livestreams (seller_id, title, status, started_at) VALUES ($1, 'b', 'live', now()) RETURNING id",
        seller)
    auction = await conn.fetchval(
        """INSERT INTO biddings (livestream_id, product_id, seller_id, mode, starting_price, min_increment,
                                 anti_snipe_s, ends_at)
           VALUES ($1, $2, $3, 'sudden_death', 1, 1, 0, now() + interval '1 hour') RETURNING id""",
        stream, product, seller)
    await conn.close()
    os.environ["LSC_BIDDING_BID_RATE"] = "1000000"  # the bench measures latency, not the per-user limit
    server, port = await start_server(url, redis_url, cpu=0)
    config = load_config()
    tokens = TokenCodec(config.auth.jwt_secret, config.auth.access_ttl_s, config.auth.refresh_ttl_s)
    stats = Stats()
    arrivals: dict[float, array] = defaultdict(lambda: array("q"))
    transports: list[asyncio.BaseTransport] = []
    try:
        await connect_viewers(port, viewers,
                              lambda ready: BidViewer(f"/ws/livestream/{stream}/", stats, ready, arrivals), transports)
        session = aiohttp.ClientSession()
        sockets = []
        for buyer in buyer_ids:
            ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws/livestream/{stream}/",
                                          params={"token": tokens.issue_access(buyer, "buyer")}, protocols=("msgpack",))
            await ws.receive()  # hello
            sockets.append(ws)
        sent: dict[str, int] = {}
        amount_sent: dict[float, int] = {}
        ack_ns = array("q")
        outcomes: dict[str, int] = defaultdict(int)
        answered = asyncio.Event()
        expected = int(rate * seconds)

        async def listen(ws: aiohttp.ClientWebSocketResponse) -> None:
            async for message in ws:
                frame = msgpack.unpackb(message.data, raw=False)
                if frame["type"] in ("ack", "error") and frame["data"].get("client_id") in sent:
                    ack_ns.append(time.perf_counter_ns() - sent.pop(frame["data"]["client_id"]))
                    outcomes[frame["data"].get("code", "accepted")] += 1
                    if sum(outcomes.values()) == expected:
                        answered.set()

        listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
        total = int(rate * seconds)
        t0 = time.perf_counter()
        for i in range(total):
            ws = sockets[i % len(sockets)]
            amount = float(2 + i)  # rises by the fixed increment of 1: in order, every bid is accepted
            client_id = str(i)
            sent[client_id] = amount_sent[amount] = time.perf_counter_ns()
            await ws.send_bytes(msgpack.packb({"type": "bid", "data": {
                "bidding_id": auction, "amount": amount, "client_id": client_id}}))
            delay = t0 + (i + 1) / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        try:
            await asyncio.wait_for(answered.wait(), 15)  # bounded: a lost answer must not hang the run
        except TimeoutError:
            pass
        await asyncio.sleep(0.5)  # the viewers' last events are in flight behind the last ack
        event_ns = array("q")
        for amount, times in arrivals.items():
            start = amount_sent.get(amount)
            if start is not None:
                event_ns.extend(t - start for t in times)
        for task in listeners:
            task.cancel()
        await session.close()
        to_ms = lambda values: array("q", (v // 1000 for v in values))  # noqa: E731
        print(f"{viewers} viewers, {bidders} bidders, {total} bids at {rate}/s: {dict(outcomes)}, "
              f"{len(sent)} unanswered")
        print(f"bid -> ack:            p50 {pct(to_ms(ack_ns), 0.5):.1f} ms, p99 {pct(to_ms(ack_ns), 0.99):.1f} ms")
        print(f"bid -> viewers' event: p50 {pct(to_ms(event_ns), 0.5):.1f} ms, p99 {pct(to_ms(event_ns), 0.99):.1f} ms "
              f"({len(event_ns)} receipts)")
        result("bids", viewers=viewers, rate=rate, outcomes=dict(outcomes), unanswered=len(sent),
               ack_p50_ms=round(pct(to_ms(ack_ns), 0.5), 1), ack_p99_ms=round(pct(to_ms(ack_ns), 0.99), 1),
               event_p50_ms=round(pct(to_ms(event_ns), 0.5), 1), event_p99_ms=round(pct(to_ms(event_ns), 0.99), 1))
    finally:
        await stop(server, transports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--bidders", type=int, default=50)
    parser.add_argument("--rate", type=int, default=50, help="bids per second, all bidders together")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.viewers, args.bidders, args.rate, args.seconds))


if __name__ == "__main__":
    main()
