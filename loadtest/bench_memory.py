"""Benchmark: server memory per idle viewer connection.

Starts a server on core 0, reads its resident memory, connects N idle viewers to one live room (each
gets its hello), waits for them to settle, and reads the memory again: (after - before) / N.

    .venv/bin/python -u loadtest/bench_memory.py --viewers 5000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
from pathlib import Path

from bench_fanout import Stats, Viewer
from common import connect_viewers, fresh_database, result, run_benchmark, seed_live_stream, start_server, stop


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def run(database_url: str, redis_url: str, viewers: int) -> None:
    url = await fresh_database(database_url, "lsc_bench_memory")
    stream_id = await seed_live_stream(url)
    server, port = await start_server(url, redis_url, cpu=0)
    pid = server.pid  # taskset execs the server, so this is the server's own pid
    stats = Stats()
    transports: list[asyncio.BaseTransport] = []
    try:
        await asyncio.sleep(1.0)  # start-up work done (migrations checked, background loops started)
        started = rss_kib(pid)
        def viewer(ready: asyncio.Future[None]) -> Viewer:
            return Viewer(f"/ws/livestream/{stream_id}/", stats, ready)

        await connect_viewers(port, 1, viewer, transports)  # one viewer first: lazy imports and caches load
        await asyncio.sleep(1.0)
        before = rss_kib(pid)
        await connect_viewers(port, viewers, viewer, transports)
        gc.collect()
        await asyncio.sleep(3.0)  # presence rounds, settled buffers
        after = rss_kib(pid)
        print(f"server RSS {started / 1024:.1f} MiB at start, {before / 1024:.1f} MiB with 1 viewer, "
              f"{after / 1024:.1f} MiB with {viewers + 1}: "
              f"{(after - before) / viewers:.1f} KiB per idle viewer")
        result("memory", viewers=viewers, kib_per_viewer=round((after - before) / viewers, 1),
               start_mib=round(started / 1024, 1))
    finally:
        await stop(server, transports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=5000)
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.viewers))


if __name__ == "__main__":
    main()
