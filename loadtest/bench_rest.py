"""Benchmark: REST throughput of one server process: product list (plain, and with a search and a price
range), product detail and the feed, beside issue 19's targets.

The server, PostgreSQL and Valkey run pinned to core 0; a lean HTTP/1.1 client on core 1 keeps
`--connections` keep-alive connections busy (one request in flight on each) for `--seconds` per endpoint,
after a warm-up. Prints requests per second and the p50 and p99 latency. Data: 100,000 products, 20,000 reels
with 200,000 interactions; the feed is asked for by signed-in users, one per connection.

    .venv/bin/python -u loadtest/bench_rest.py [--connections 32] [--seconds 5] [--replica]

--replica: a streaming replica of the PostgreSQL (pg_basebackup, started for the run under var/bench/replica, on
core 1 beside the client) serves the reads that database.read_url takes: does moving them off the primary's core
pay on this machine?
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from array import array
from collections.abc import Callable

import asyncpg
from bench_catalog import SEED as CATALOG
from bench_feed import SEED as FEED
from common import fresh_database, percentile, result, run_benchmark, start_server, stop
from yarl import URL

from server.config import ROOT, load_config
from server.embedded import LocalReplica
from server.tokens import TokenCodec

SEARCH_WORDS = ("silk", "cotton", "kurta", "saree", "varanasi", "jaipur")
TARGETS = {  # issue 19, on this set-up
    "product list": ">= 2,200 req/s, p99 < 50 ms",
    "product search": ">= 1,000 req/s, p99 < 80 ms",
    "product detail": ">= 5,000 req/s, p99 < 10 ms",
    "feed": ">= 1,000 req/s, p99 < 60 ms",
}


class Client(asyncio.Protocol):
    """One keep-alive connection sending the next request as soon as the last response is complete."""

    def __init__(self, next_request: Callable[[], bytes], times: array, errors: list[int], until: float,
                 done: asyncio.Future[None]) -> None:
        self.next_request, self.times, self.errors, self.until, self.done = next_request, times, errors, until, done
        self.buffer = b""
        self.sent = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.send()

    def send(self) -> None:
        self.sent = time.perf_counter()
        self.transport.write(self.next_request())  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        start = head.find(b"content-length:")
        length = int(head[start + 15:head.find(b"\r\n", start) if head.find(b"\r\n", start) > 0 else None])
        if len(self.buffer) < end + 4 + length:
            return
        now = time.perf_counter()
        self.times.append(int((now - self.sent) * 1_000_000))
        if not self.buffer.startswith(b"HTTP/1.1 200"):
            self.errors.append(1)
        self.buffer = self.buffer[end + 4 + length:]
        if now < self.until:
            self.send()
        elif not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def measure(port: int, connections: int, seconds: float,
                  request_for: Callable[[int], Callable[[], bytes]]) -> tuple[float, float, float, int]:
    """(requests per second, p50 ms, p99 ms, errors) over `seconds` of load on `connections` connections."""
    loop = asyncio.get_running_loop()
    times: array = array("q")
    errors: list[int] = []
    until = time.perf_counter() + seconds
    done = [loop.create_future() for _ in range(connections)]
    transports = []
    started = time.perf_counter()
    for i in range(connections):
        transport, _ = await loop.create_connection(
            lambda i=i: Client(request_for(i), times, errors, until, done[i]), "127.0.0.1", port)
        transports.append(transport)
    await asyncio.wait_for(asyncio.gather(*done), seconds + 30)
    elapsed = time.perf_counter() - started
    for transport in transports:
        transport.close()
    ms = [t / 1000 for t in times]
    return len(times) / elapsed, percentile(ms, 0.5), percentile(ms, 0.99), len(errors)


def get(path: str, token: str | None = None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()


async def run(database_url: str, redis_url: str, connections: int, seconds: float, only: list[str],
              with_replica: bool) -> None:
    url = await fresh_database(database_url, "lsc_bench_rest")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(CATALOG.replace("$1::int", "100000"))
        await conn.execute(FEED.format(reels=20000, users=2000, interactions=200000))
        products = [r["id"] for r in await conn.fetch("SELECT id FROM products ORDER BY random() LIMIT 5000")]
        await conn.execute("VACUUM ANALYZE")  # no autovacuum of the fresh rows in the middle of a measurement
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    codec = TokenCodec(load_config(env={}).auth.jwt_secret, 3600, 3600)
    replica = None
    env = {}
    if with_replica:
        replica = LocalReplica(database_url, ROOT / "var" / "bench" / "replica")
        await asyncio.to_thread(replica.start)  # a copy taken after the seeding and CHECKPOINT: nothing to replay
        env["LSC_DATABASE_READ_URL"] = replica.url(URL(url).path.lstrip("/"))
    server, port = await start_server(url, redis_url, cpu=0, env=env)
    counter = iter(range(10**9))

    pages = random.Random(19)

    def product_list(i: int) -> Callable[[], bytes]:
        return lambda: get(f"/api/products/products/?page={pages.randint(1, 100)}&page_size=20")

    def product_search(i: int) -> Callable[[], bytes]:
        def request() -> bytes:
            word = SEARCH_WORDS[pages.randrange(len(SEARCH_WORDS))]
            return get(f"/api/products/products/?search={word}&min_price=500&max_price=5000"
                       f"&page={pages.randint(1, 5)}&page_size=20")
        return request

    def product_detail(i: int) -> Callable[[], bytes]:
        return lambda: get(f"/api/products/products/{products[next(counter) % len(products)]}/")

    def feed(i: int) -> Callable[[], bytes]:
        token = codec.issue_access(100 + i, "buyer")
        return lambda: get("/api/v1/shoppable-videos/?page_size=20", token)

    rows = {}
    try:
        for name, request_for in (("product list", product_list), ("product search", product_search),
                                  ("product detail", product_detail), ("feed", feed)):
            if only and name.split()[-1] not in only:
                continue
            await measure(port, connections, 1.0, request_for)  # warm-up: caches, prepared statements
            rps, p50, p99, errors = await measure(port, connections, seconds, request_for)
            rows[name] = (rps, p50, p99, errors)
            print(f"{name:<15} {rps:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   {errors} errors   "
                  f"(target {TARGETS[name]})")
            result("rest", endpoint=name, connections=connections, rps=round(rps), p50_ms=round(p50, 2),
                   p99_ms=round(p99, 2), errors=errors, target=TARGETS[name].replace(">=", "≥"), replica=with_replica)
    finally:
        await stop(server, [])
        if replica is not None:
            replica.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", action="append", default=[], choices=("list", "search", "detail", "feed"),
                        help="measure only this endpoint (repeatable)")
    parser.add_argument("--replica", action="store_true", help="reads from a streaming replica on the other core")
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.connections, args.seconds, args.only, args.replica), core=1,
                  services_core=0)


if __name__ == "__main__":
    main()
