"""Benchmark: a flash-sale rush. N signed-in viewers of one live show, each on its own socket, claim one unit of
a U-unit flash sale at the same moment; the server (one process, core 0) must sell exactly U and answer every
claimer. Measured on core 1: claim sent -> its `ack` or `error`.

    .venv/bin/python -u loadtest/bench_claims.py --viewers 2000 --units 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from array import array
from collections import defaultdict

import aiohttp
import asyncpg
import msgpack
from bench_fanout import pct
from common import fresh_database, result, run_benchmark, start_server, stop

from server.config import load_config
from server.tokens import TokenCodec


async def seed(url: str, viewers: int, units: int) -> tuple[int, int, list[int]]:
    """A seller live in a show with a flash sale of `units` of a product, and `viewers` buyers."""
    conn = await asyncpg.connect(url)
    try:
        seller = await conn.fetchval(
            """WITH u AS (INSERT INTO users (username, email, password_hash, role)
                          VALUES ('rush_seller', 'rs@example.com', 'x', 'seller') RETURNING id)
               INSERT INTO sellers (user_id, business_name, verified) SELECT id, 'Rush', true FROM u
               RETURNING user_id""")
        buyers = [r["id"] for r in await conn.fetch(
            """INSERT INTO users (username, email, password_hash, role)
               SELECT 'rush_buyer_' || g, 'rb' || g || '@example.com', 'x', 'buyer' FROM generate_series(1, $1) g
               RETURNING id""", viewers)]
        category = await conn.fetchval("INSERT INTO categories (name) VALUES ('Rush') RETURNING id")
        product = await conn.fetchval(
            """INSERT INTO products (seller_id, category_id, name, price, stock) VALUES ($1, $2, 'Lot', 500, $3)
               RETURNING id""", seller, category, units * 2)
        stream = await conn.fetchval(
            """INSERT INTO livestreams (seller_id, title, status, started_at) VALUES ($1, 'rush', 'live', now())
               RETURNING id""", seller)
        sale = await conn.fetchval(
            """INSERT INTO flash_sales (livestream_id, seller_id, product_id, price, original_price, quantity,
                                        remaining, per_buyer_limit, ends_at)
               VALUES ($1, $2, $3, 99, 500, $4, $4, 1, now() + interval '1 hour') RETURNING id""",
            stream, seller, product, units)
    finally:
        await conn.close()
    return stream, sale, buyers


async def run(database_url: str, redis_url: str, viewers: int, units: int) -> None:
    url = await fresh_database(database_url, "lsc_bench_claims")
    stream, sale, buyers = await seed(url, viewers, units)
    server, port = await start_server(url, redis_url, cpu=0)
    config = load_config()
    tokens = TokenCodec(config.auth.jwt_secret, config.auth.access_ttl_s, config.auth.refresh_ttl_s)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    try:
        gate = asyncio.Semaphore(200)

        async def join(buyer: int) -> None:
            async with gate:
                ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws/livestream/{stream}/",
                                              params={"token": tokens.issue_access(buyer, "buyer")},
                                              protocols=("msgpack",))
                await ws.receive(timeout=60)  # hello
                sockets.append(ws)

        started = time.perf_counter()
        await asyncio.gather(*(join(b) for b in buyers))
        print(f"  {len(sockets)} viewers connected in {time.perf_counter() - started:.1f} s")
        outcomes: dict[str, int] = defaultdict(int)
        latency_us = array("q")
        go = asyncio.Event()

        async def rush(ws: aiohttp.ClientWebSocketResponse) -> None:
            await go.wait()
            sent = time.perf_counter_ns()
            await ws.send_bytes(msgpack.packb({"type": "claim", "data": {"flash_sale_id": sale, "quantity": 1,
                                                                         "client_id": "c"}}))
            while True:
                frame = msgpack.unpackb((await ws.receive(timeout=60)).data, raw=False)
                if frame["type"] in ("ack", "error"):
                    latency_us.append((time.perf_counter_ns() - sent) // 1000)
                    outcomes["claimed" if frame["type"] == "ack" else frame["data"]["code"]] += 1
                    return

        rushes = [asyncio.create_task(rush(ws)) for ws in sockets]
        await asyncio.sleep(0)
        go.set()  # everyone at once
        _, pending = await asyncio.wait(rushes, timeout=120)  # bounded: a lost answer must not hang the run
        for task in pending:
            task.cancel()
        conn = await asyncpg.connect(url)
        try:
            sold = await conn.fetchval("SELECT quantity - remaining FROM flash_sales WHERE id = $1", sale)
            in_carts = await conn.fetchval("SELECT COALESCE(sum(quantity), 0) FROM cart_items WHERE source = "
                                           "'flash_sale'")
        finally:
            await conn.close()
        p50, p99 = pct(latency_us, 0.5), pct(latency_us, 0.99)  # microseconds in, milliseconds out
        slowest = max(latency_us) / 1000 if latency_us else float("nan")
        answered = sum(outcomes.values())
        print(f"  {viewers} claims of a {units}-unit sale at once: {dict(outcomes)}, {viewers - answered} unanswered;"
              f" sold {sold}, {in_carts} units in carts")
        print(f"  claim -> answer: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {slowest:.1f} ms")
        result("claims", viewers=viewers, units=units, outcomes=dict(outcomes), unanswered=viewers - answered,
               sold=sold, in_carts=in_carts, p50_ms=round(p50, 1), p99_ms=round(p99, 1))
        if sold != units or in_carts != units or answered != viewers:
            raise SystemExit("the rush oversold, undersold or left a claimer without an answer")
    finally:
        for ws in sockets:
            await ws.close()
        await session.close()
        await stop(server, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("LSC_LOG_LEVEL", "WARNING")
    run_benchmark(lambda db, rd: run(db, rd, args.viewers, args.units))


if __name__ == "__main__":
    main()
