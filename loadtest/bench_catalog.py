"""Benchmark: product list, search and detail latency with 100,000 products.

Starts embedded PostgreSQL and Valkey under var/bench (or uses LSC_BENCH_DATABASE_URL and
LSC_BENCH_REDIS_URL), fills a fresh database, runs the server as a separate process on
127.0.0.1, and times sequential requests of each kind from one client. Bounded: a fixed number
of requests per kind. Prints a table of p50 and p99 in milliseconds.

    .venv/bin/python loadtest/bench_catalog.py [--products 100000] [--requests 300]
"""

from __future__ import annotations

import argparse
import time

import aiohttp
import asyncpg
from common import fresh_database, print_latencies, run_benchmark, start_server, stop

SEED = """
INSERT INTO users (username, email, password_hash, role)
SELECT 'bench_seller_' || g, 'bench_seller_' || g || '@example.com', 'x', 'seller' FROM generate_series(1, 50) g;
INSERT INTO sellers (user_id, business_name, verified) SELECT id, username || ' shop', true FROM users;
INSERT INTO categories (name) SELECT 'Category ' || g FROM generate_series(1, 20) g;
INSERT INTO products (seller_id, category_id, name, description, price, stock, created_at)
SELECT (SELECT array_agg(user_id) FROM sellers)[1 + g % 50],
       (SELECT array_agg(id) FROM categories)[1 + g % 20],
       (ARRAY['Silk', 'Cotton', 'Linen', 'Chiffon', 'Georgette'])[1 + g % 5] || ' ' ||
       (ARRAY['saree', 'kurta', 'dupatta', 'lehenga', 'stole', 'shawl'])[1 + g % 6] || ' no. ' || g,
       'Handmade item number ' || g || ', woven in ' ||
       (ARRAY['Varanasi', 'Kanchipuram', 'Jaipur', 'Lucknow'])[1 + g % 4],
       (100 + (g * 37) % 9900)::numeric(12, 2), g % 50, now() - make_interval(secs => g)
FROM generate_series(1, $1::int) g;
ANALYZE;
"""


async def timed(session: aiohttp.ClientSession, url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        async with session.get(url) as resp:
            await resp.read()
            assert resp.status == 200, (url, resp.status)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def run(database_url: str, redis_url: str, products: int, requests: int) -> None:
    url = await fresh_database(database_url, "lsc_bench")
    conn = await asyncpg.connect(url)
    started = time.perf_counter()
    await conn.execute(SEED.replace("$1::int", str(int(products))))
    print(f"seeded {products} products in {time.perf_counter() - started:.1f} s")
    plan = await conn.fetch(
        "EXPLAIN ANALYZE SELECT id FROM products p WHERE p.is_active AND "
        "lower(p.name || ' ' || p.description) LIKE '%' || 'kurta no. 4242' || '%' ORDER BY created_at DESC LIMIT 20"
    )
    print("search plan:", " / ".join(r[0].strip() for r in plan[:3]))
    some_id = await conn.fetchval("SELECT id FROM products ORDER BY id OFFSET $1 LIMIT 1", products // 2)
    await conn.close()

    server, port = await start_server(url, redis_url)
    try:
        base_url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            cases = {
                "list, newest first": "/api/products/products/",
                "list, page 50": "/api/products/products/?page=50",
                "list, by price": "/api/products/products/?ordering=price",
                "category + price range": "/api/products/products/?category=3&min_price=500&max_price=2000",
                "search 'kurta'": "/api/products/products/?search=kurta",
                "search, one match": "/api/products/products/?search=kurta%20no.%204242",
                "product detail": f"/api/products/products/{some_id}/",
            }
            await timed(session, base_url + cases["list, newest first"], 20)  # warm up
            results = {label: await timed(session, base_url + path, requests) for label, path in cases.items()}
        print_latencies("request", results, f"{requests} sequential each")
    finally:
        await stop(server, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.products, args.requests), core=None)


if __name__ == "__main__":
    main()
