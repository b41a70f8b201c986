"""Benchmark: connect + hello for many viewers at once, then the same viewers again as a reconnect storm.

The server, PostgreSQL and Valkey run on core 0, the viewers on core 1 (issue 19's set-up). One viewer warms
the room; then `--viewers` connect at once and each waits for its hello; then all drop and reconnect with
`?last_seq=&epoch=` (a deploy's reconnect storm; one event back, so that each has a frame to wait for).
For each wave: connect-to-hello p50 and p99, the server's CPU time per viewer (/proc/<pid>/stat), and
PostgreSQL queries per viewer (the server's pool takings from /metrics; the background loops' included).

    .venv/bin/python -u loadtest/bench_hello.py [--viewers 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from array import array
from typing import Any

from bench_fanout import Stats, Viewer
from common import (
    connect_viewers,
    cpu_s,
    fresh_database,
    metric,
    percentile,
    result,
    run_benchmark,
    seed_live_stream,
    sockets_down_to,
    start_server,
    stop,
)


class TimedViewer(Viewer):
    """A viewer that notes the time from its connection to its hello, and the hello's place in the log."""

    def __init__(self, path: str, stats: Stats, ready: asyncio.Future[None], times: array,
                 places: list[tuple[int, str]]) -> None:
        super().__init__(path, stats, ready, sample=False)
        self.times, self.places = times, places
        self.started = time.perf_counter()

    def on_frame(self, frame: dict[str, Any], now_ns: int) -> None:
        """The first frame: hello, or for a resumed viewer the first event it missed (it resumes one event
        back, so that there is one: with nothing missed, nothing is sent)."""
        if self.ready.done():
            return
        self.times.append(int((time.perf_counter() - self.started) * 1_000_000))
        if frame["type"] == "hello":
            self.places.append((frame["seq"], frame["epoch"]))
        self.ready.set_result(None)




async def queries(port: int) -> float:
    """PostgreSQL queries the server made so far: each takes a pooled connection, and /metrics counts the
    takings (lsc_db_pool_wait_seconds_count; PostgreSQL's own statistics reach pg_stat_database late)."""
    return await metric(port, "lsc_db_pool_wait_seconds_count")


async def wave(name: str, port: int, pid: int, path: str, viewers: int,
               transports: list[asyncio.BaseTransport], places: list[tuple[int, str]]) -> None:
    times: array = array("q")
    stats = Stats()
    before, cpu = await queries(port), cpu_s(pid)
    started = time.perf_counter()
    mine: list[asyncio.BaseTransport] = []

    def viewer(ready: asyncio.Future[None]) -> TimedViewer:
        return TimedViewer(path, stats, ready, times, places)

    await connect_viewers(port, viewers, viewer, mine, at_once=viewers)
    took = time.perf_counter() - started
    used = cpu_s(pid) - cpu
    made = await queries(port) - before
    transports.extend(mine)
    ms = [t / 1000 for t in times]
    p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
    print(f"{name}: {viewers} viewers in {took:.1f} s; connect->hello p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
          f"server CPU {used / viewers * 1000:.2f} ms per viewer; {made / viewers:.2f} PostgreSQL queries per viewer "
          "(the background loops' included)")
    result("hello", wave=name, viewers=viewers, p50_ms=round(p50, 1), p99_ms=round(p99, 1),
           cpu_ms=round(used / viewers * 1000, 2), queries=round(made / viewers, 2))


async def run(database_url: str, redis_url: str, viewers: int) -> None:
    url = await fresh_database(database_url, "lsc_bench_hello")
    stream_id = await seed_live_stream(url)
    server, port = await start_server(url, redis_url, cpu=0)
    pid = server.pid
    transports: list[asyncio.BaseTransport] = []
    path = f"/ws/livestream/{stream_id}/"
    try:
        places: list[tuple[int, str]] = []
        await connect_viewers(port, 1, lambda ready: TimedViewer(path, Stats(), ready, array("q"), places),
                              transports)  # the room is watched: warm
        await wave("at once", port, pid, path, viewers, transports, places)
        seq, epoch = max(places)
        for transport in transports[1:]:
            transport.close()
        del transports[1:]
        await sockets_down_to(port, 1)  # the server has let them all go: their leaving is not the storm's work
        await asyncio.sleep(1.0)  # and its presence round has counted them out
        resume = f"{path}?last_seq={max(0, seq - 1)}&epoch={epoch}"
        await wave("reconnect storm", port, pid, resume, viewers, transports, places)
    finally:
        await stop(server, transports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=5000)
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.viewers), core=1, services_core=0)


if __name__ == "__main__":
    main()
