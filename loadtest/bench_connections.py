"""Benchmark: how many viewers one server process holds in one room before latency p99 passes 100 ms.

Viewers (the lean clients of bench_fanout) join one room of a server pinned to core 0 in steps of
`--step`. After each step, `--rate` events per second (a busy chat) are published for `--seconds`, and
the publish-to-receipt p99 over every delivery is measured. The run stops at the first step whose p99
passes 100 ms (or loses an event), or at `--max` viewers, and reports the last step that held.

    .venv/bin/python -u loadtest/bench_connections.py [--step 2500] [--max 17500] [--rate 10] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from array import array

from bench_fanout import Stats, pct, viewers_of
from common import connect_viewers, fresh_database, result, run_benchmark, seed_live_stream, start_server, stop

from rooms.bridge import Bridge
from server.redis import create_redis

LIMIT_MS = 100.0


async def round_trip(bridge: Bridge, room: str, stats: Stats, viewers: int, rate: int, seconds: float) -> tuple[
        float, int]:
    """Publish rate x seconds events; (p99 ms, missing deliveries)."""
    stats.latency_us, stats.received, stats.all_in = array("q"), 0, asyncio.Event()
    total = int(rate * seconds)
    stats.expected = total * viewers
    t0 = time.perf_counter()
    for i in range(total):
        await bridge.publish(room, "bench", {"t": time.time_ns(), "i": i})
        delay = t0 + (i + 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    try:
        await asyncio.wait_for(stats.all_in.wait(), 10)
    except TimeoutError:
        pass
    return pct(stats.latency_us, 0.99), stats.expected - stats.received


async def run(database_url: str, redis_url: str, step: int, most: int, rate: int, seconds: float) -> None:
    url = await fresh_database(database_url, "lsc_bench_connections")
    stream_id = await seed_live_stream(url)
    server, port = await start_server(url, redis_url, cpu=0)
    redis = create_redis(redis_url)
    bridge = Bridge(redis, 1000, 3600)
    stats = Stats()
    transports: list[asyncio.BaseTransport] = []
    held = 0
    factory = viewers_of(f"/ws/livestream/{stream_id}/", stats)
    try:
        while len(transports) < most:
            await connect_viewers(port, min(step, most - len(transports)),
                                  factory, transports)
            await asyncio.sleep(1.0)
            p99, missing = await round_trip(bridge, f"stream:{stream_id}", stats, len(transports), rate, seconds)
            print(f"{len(transports):6d} viewers: publish-to-receipt p99 {p99:7.1f} ms, {missing} missing, "
                  f"{stats.closed} disconnected")
            if p99 > LIMIT_MS or missing or stats.closed:
                break
            held = len(transports)
        print(f"held {held} viewers with p99 under {LIMIT_MS:.0f} ms at {rate} events/s")
        result("connections", held=held, tried=len(transports), rate=rate, limit_ms=LIMIT_MS,
               reached_max=held == most)
    finally:
        await redis.aclose()
        await stop(server, transports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--step", type=int, default=2500)
    parser.add_argument("--max", type=int, default=17500)
    parser.add_argument("--rate", type=int, default=10, help="events per second into the room")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it
    if args.max + 500 > hard:
        raise SystemExit(f"--max {args.max} needs more file descriptors than the limit of {hard}")
    run_benchmark(lambda db, rd: run(db, rd, args.step, args.max, args.rate, args.seconds))


if __name__ == "__main__":
    main()
