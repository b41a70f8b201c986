"""Benchmark: server memory per idle viewer connection.

Starts a server on core 0, reads its resident memory, connects N idle viewers to one live room (each
gets its hello), waits for them to settle, and reads the memory again: (after - before) / N.

    .venv/bin/python -u loadtest/bench_memory.py --viewers 5000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
from pathlib import Path

import asyncpg
from bench_fanout import Stats, Viewer
from common import ROOT, fresh_database, start_server

from server.embedded import EmbeddedServices


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def run(database_url: str, redis_url: str, viewers: int) -> None:
    url = await fresh_database(database_url, "lsc_bench_memory")
    conn = await asyncpg.connect(url)
    stream_id = await conn.fetchval(
        """WITH u AS (INSERT INTO users (username, email, password_hash, role)
                      VALUES ('m', 'm@example.com', 'x', 'seller') RETURNING id),
                s AS (INSERT INTO sellers (user_id, business_name, verified) SELECT id, 'M', true FROM u
                      RETURNING user_id)
           INSERT INTO livestreams (seller_id, title, status, started_at) SELECT user_id, 'm', 'live', now()
           FROM s RETURNING id""")
    await conn.close()
    server, port = await start_server(url, redis_url, cpu=0)
    pid = server.pid  # taskset execs the server, so this is the server's own pid
    stats = Stats()
    transports = []
    try:
        loop = asyncio.get_running_loop()
        warm: asyncio.Future[None] = loop.create_future()  # one viewer first: lazy imports and caches load
        transport, _ = await loop.create_connection(
            lambda: Viewer(f"/ws/livestream/{stream_id}/", stats, warm), "127.0.0.1", port)
        transports.append(transport)
        await asyncio.wait_for(warm, 30)
        await asyncio.sleep(1.0)
        before = rss_kib(pid)
        gate = asyncio.Semaphore(200)

        async def join() -> None:
            async with gate:
                ready: asyncio.Future[None] = loop.create_future()
                t, _ = await loop.create_connection(
                    lambda: Viewer(f"/ws/livestream/{stream_id}/", stats, ready), "127.0.0.1", port)
                transports.append(t)
                await asyncio.wait_for(ready, 60)

        await asyncio.gather(*(join() for _ in range(viewers)))
        gc.collect()
        await asyncio.sleep(3.0)  # presence rounds, settled buffers
        after = rss_kib(pid)
        print(f"server RSS {before / 1024:.1f} MiB with 1 viewer, {after / 1024:.1f} MiB with {viewers + 1}: "
              f"{(after - before) / viewers:.1f} KiB per idle viewer")
    finally:
        for t in transports:
            t.close()
        server.send_signal(signal.SIGTERM)
        await asyncio.wait_for(server.wait(), 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=5000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    import uvloop

    with EmbeddedServices(ROOT / "var" / "bench", database="postgres") as services:
        uvloop.run(run(services.database_url, services.redis_url, args.viewers))


if __name__ == "__main__":
    main()
