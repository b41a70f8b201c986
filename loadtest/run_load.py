"""`make loadtest`: a fresh database with demo data (sized by --products), the server (--workers N on one
port), and Locust headless against it on 127.0.0.1 for a bounded time. Writes the stats CSV and the HTML
report under --out (git-ignored var/loadtest/ by default), prints the summary, and exits non-zero when
any request failed.

    .venv/bin/python -u loadtest/run_load.py --users 60 --spawn-rate 10 --time 60 --workers 2 --products 2000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import signal
import subprocess
import sys
from pathlib import Path

from common import ROOT, fresh_database, start_server

from server.config import load_config
from server.demo import seed_demo
from server.embedded import EmbeddedServices


async def add_products(database_url: str, count: int) -> None:
    """`count` more products of the demo seller, so that lists, search and pages have depth."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """INSERT INTO products (seller_id, category_id, name, description, price, stock)
               SELECT (SELECT id FROM users WHERE username = 'seller1'),
                      (SELECT id FROM categories ORDER BY id LIMIT 1 OFFSET (g % 4)),
                      (ARRAY['Silk saree', 'Cotton kurta', 'Brass lamp', 'Pashmina shawl', 'Assam tea'])[1 + g % 5]
                        || ' no. ' || g,
                      'A load-test product.', 100 + (g % 50) * 37.5, 1000
               FROM generate_series(1, $1) AS g""",
            count,
        )
    finally:
        await conn.close()


def print_summary(stats: Path) -> int:
    """The Locust stats as a table; returns the total number of failures."""
    with stats.open(newline="") as f:
        rows = list(csv.DictReader(f))
    print(f"\n{'type':<6} {'name':<52} {'requests':>9} {'fails':>6} {'p50 ms':>8} {'p99 ms':>8} {'rps':>7}")
    failures = 0
    for row in rows:
        failures += int(row["Failure Count"]) if row["Name"] != "Aggregated" else 0
        print(f"{row['Type']:<6} {row['Name'][:52]:<52} {row['Request Count']:>9} {row['Failure Count']:>6} "
              f"{row['50%']:>8} {row['99%']:>8} {float(row['Requests/s']):>7.1f}")
    return failures


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", type=int, default=60, help="seconds of load (bounded)")
    parser.add_argument("--workers", type=int, default=1, help="server processes on one port")
    parser.add_argument("--products", type=int, default=500, help="products added to the demo data")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "loadtest")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with EmbeddedServices(ROOT / "var" / "loadtest-services", database="postgres") as services:
        database_url = await fresh_database(services.database_url, "lsc_load")
        redis_url = services.redis_url
        import redis.asyncio as aioredis

        client = aioredis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()
        config = load_config(env={}, overrides={"database": {"url": database_url}, "redis": {"url": redis_url},
                                                "server": {"var_dir": str(args.out / "server")}})
        await seed_demo(config)
        await add_products(database_url, args.products)
        server, port = await start_server(database_url, redis_url, workers=args.workers,
                                          env={"LSC_SERVER_VAR_DIR": str(args.out / "server")})
        try:
            command = [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
                       "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.time}s",
                       "--host", f"http://127.0.0.1:{port}", "--csv", str(args.out / "stats"),
                       "--html", str(args.out / "report.html"), "--stop-timeout", "20", "--only-summary",
                       "--loglevel", "WARNING"]
            print(f"locust: {args.users} users for {args.time} s against {args.workers} process(es) on port {port}")
            code = await asyncio.to_thread(subprocess.call, command, cwd=ROOT,
                                           timeout=args.time + 120)
        finally:
            server.send_signal(signal.SIGTERM)
            await asyncio.wait_for(server.wait(), 60)
    failures = print_summary(args.out / "stats_stats.csv")
    print(f"\nstats: {args.out / 'stats_stats.csv'}  report: {args.out / 'report.html'}  failures: {failures}")
    return 1 if code != 0 or failures else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
