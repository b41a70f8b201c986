"""Benchmark: does the server give memory back when viewers leave? Rounds of viewers joining a live room and
leaving it, the server's resident memory after each round.

Starts a server on core 0, then `--rounds` times: `--viewers` viewers connect (each gets its hello), stay half a
second, close, and after the server has let them go the resident memory is read. A flat series is the goal:
a rising one means closed connections' memory is kept (as it was with rarer garbage collections).

    .venv/bin/python -u loadtest/bench_churn.py [--viewers 3000] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio

from bench_fanout import Stats, Viewer
from bench_memory import rss_kib
from common import (
    connect_viewers,
    fresh_database,
    result,
    run_benchmark,
    seed_live_stream,
    sockets_down_to,
    start_server,
    stop,
)


async def run(database_url: str, redis_url: str, viewers: int, rounds: int) -> None:
    url = await fresh_database(database_url, "lsc_bench_churn")
    stream_id = await seed_live_stream(url)
    server, port = await start_server(url, redis_url, cpu=0)
    stats = Stats()
    kept: list[asyncio.BaseTransport] = []

    def viewer(ready: asyncio.Future[None]) -> Viewer:
        return Viewer(f"/ws/livestream/{stream_id}/", stats, ready)

    try:
        await connect_viewers(port, 1, viewer, kept)  # the room stays watched between rounds
        after: list[float] = []
        for _ in range(rounds):
            round_: list[asyncio.BaseTransport] = []
            await connect_viewers(port, viewers, viewer, round_)
            await asyncio.sleep(0.5)
            for transport in round_:
                transport.close()
            await sockets_down_to(port, 1)  # the server has let them all go
            after.append(round(rss_kib(server.pid) / 1024, 1))
        print(f"server RSS after each of {rounds} rounds of {viewers} viewers joining and leaving: {after} MiB")
        result("churn", viewers=viewers, rounds=rounds, first_mib=after[0], last_mib=after[-1],
               peak_mib=max(after))
    finally:
        await stop(server, kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.viewers, args.rounds))


if __name__ == "__main__":
    main()
