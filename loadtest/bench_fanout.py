"""Benchmark: fan-out of one live room on one server process.

Connects N viewers (MessagePack subprotocol) to one room of a server pinned to core 0, publishes
events through the same Redis script the server uses at a steady rate for a bounded time, and
measures deliveries per second and publish-to-receipt latency (p50, p99) on the viewers' side
(core 1). Viewers are lean: a raw asyncio protocol that parses the server's frames itself, so the
client's cost stays well below the server's. Everything binds and targets 127.0.0.1.

    .venv/bin/python loadtest/bench_fanout.py --viewers 1000 --rate 200 --seconds 10

With --cluster the server and the publisher use a local Valkey cluster of three masters (started for the run
under var/bench/cluster) instead of one Valkey: the room's events go by SPUBLISH to the master of its slot. The
row also reports the Valkey CPU per published event (every node's, from INFO) and the publish round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import os
import time
from array import array
from collections.abc import Callable
from typing import Any

import msgpack
from common import (
    connect_viewers,
    cpu_s,
    fresh_database,
    percentile,
    result,
    run_benchmark,
    seed_live_stream,
    start_server,
    stop,
)

from rooms.bridge import Bridge
from server.config import ROOT
from server.embedded import LocalCluster
from server.redis import create_redis

BENCH_TYPE = msgpack.packb("bench")  # how the event type appears near the start of the envelope
SAMPLE_EVERY = 20  # one viewer in this many decodes its frames and measures latency


def viewers_of(path: str, stats: Stats) -> Callable[[asyncio.Future[None]], Viewer]:
    """A factory of viewers of which one in SAMPLE_EVERY samples latency; the others only count."""
    numbers = itertools.count()
    return lambda ready: Viewer(path, stats, ready, sample=next(numbers) % SAMPLE_EVERY == 0)


class Stats:
    def __init__(self) -> None:
        self.latency_us = array("q")
        self.received = 0
        self.closed = 0
        self.expected = -1
        self.all_in = asyncio.Event()

    def got(self, latency_us: int) -> None:
        self.latency_us.append(latency_us)
        self.count()

    def count(self) -> None:
        self.received += 1
        if self.received == self.expected:
            self.all_in.set()


class Viewer(asyncio.Protocol):
    """A WebSocket client that only reads: handshake, then server frames (never masked).

    With sample=False it decodes only the hello and afterwards counts binary frames without decoding
    them: the client's cost per delivery stays far below the server's, so the latency measured on the
    sampled viewers is the server's, not the load generator's."""

    def __init__(self, path: str, stats: Stats, ready: asyncio.Future[None], sample: bool = True) -> None:
        self.path = path
        self.stats = stats
        self.ready = ready
        self.sample = sample
        self.buf = bytearray()
        self.upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        port = transport.get_extra_info("peername")[1]  # the Host a browser sends names the port too
        transport.write(  # type: ignore[attr-defined]
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: msgpack\r\n\r\n"
            .encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.closed += 1
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before hello"))

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                raise ConnectionError(bytes(buf[:80]))
            del buf[: end + 4]
            self.upgraded = True
        pos = 0
        now_ns = time.time_ns()
        while len(buf) - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if len(buf) - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if len(buf) - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if len(buf) - pos < head + length:
                break
            if buf[pos] & 0x0F == 9:  # the server's heartbeat ping: answer with a (masked, empty) pong
                self.transport.write(b"\x8a\x80\x00\x00\x00\x00")
            elif buf[pos] & 0x0F == 2:  # binary: a MessagePack envelope
                if self.sample or not self.ready.done():
                    self.on_frame(msgpack.unpackb(buf[pos + head : pos + head + length], raw=False), now_ns)
                elif BENCH_TYPE in buf[pos + head : pos + head + 24]:  # a bench event, not `viewers`
                    self.stats.count()
            pos += head + length
        del buf[:pos]

    def on_frame(self, frame: dict[str, Any], now_ns: int) -> None:
        """One decoded envelope: count benchmark events, note the hello."""
        if frame["type"] == "bench":
            self.stats.got((now_ns - frame["data"]["t"]) // 1000)
        elif frame["type"] == "hello" and not self.ready.done():
            self.ready.set_result(None)


def pct(values: array, q: float) -> float:
    """The q-quantile of microsecond values, in milliseconds."""
    return percentile(values, q) / 1000


async def valkey_cpu_s(urls: list[str]) -> float:
    """CPU seconds the Valkey servers at these URLs have used (INFO cpu, user and system, summed)."""
    total = 0.0
    for url in urls:
        node = create_redis(url)
        try:
            info = await node.info("cpu")
            total += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        finally:
            await node.aclose()
    return total


async def run(database_url: str, redis_url: str, viewers: int, rate: int, seconds: float, cluster: bool) -> None:
    url = await fresh_database(database_url, "lsc_bench_rooms")
    stream_id = await seed_live_stream(url)
    nodes = [redis_url]
    local: LocalCluster | None = None
    if cluster:
        local = LocalCluster(ROOT / "var" / "bench" / "cluster")
        await asyncio.to_thread(local.start)
        redis_url = local.url
        nodes = [f"redis://127.0.0.1:{port}/0" for port in local.ports]
    server, port = await start_server(url, redis_url, cpu=0, env={"LSC_REDIS_CLUSTER": str(cluster).lower()})
    redis = create_redis(redis_url, cluster=cluster)
    bridge = Bridge(redis, 1000, 3600)
    publish_us = array("q")
    stats = Stats()
    transports: list[asyncio.BaseTransport] = []
    try:
        started = time.perf_counter()
        await connect_viewers(port, viewers, viewers_of(f"/ws/livestream/{stream_id}/", stats),
                              transports)
        print(f"{viewers} viewers connected in {time.perf_counter() - started:.1f} s")
        await asyncio.sleep(1.0)
        room = f"stream:{stream_id}"
        total = int(rate * seconds)
        stats.expected = total * viewers
        interval = 1.0 / rate
        t0, cpu0, valkey0 = time.perf_counter(), cpu_s(server.pid), await valkey_cpu_s(nodes)
        for i in range(total):
            sent_ns = time.time_ns()
            await bridge.publish(room, "bench", {"t": sent_ns, "i": i})
            publish_us.append((time.time_ns() - sent_ns) // 1000)
            delay = t0 + (i + 1) * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        publish_s = time.perf_counter() - t0
        expected = total * viewers
        try:
            await asyncio.wait_for(stats.all_in.wait(), 15)  # bounded: a lost delivery must not hang the run
        except TimeoutError:
            pass
        elapsed, cpu = time.perf_counter() - t0, cpu_s(server.pid) - cpu0
        per_delivery_us = cpu / max(stats.received, 1) * 1e6
        valkey_us = (await valkey_cpu_s(nodes) - valkey0) / total * 1e6
        print(f"published {total} events at {total / publish_s:.0f}/s for {publish_s:.1f} s")
        print(f"delivered {stats.received} of {expected} ({expected - stats.received} missing), "
              f"{stats.received / elapsed:,.0f} deliveries/s over {elapsed:.1f} s, {stats.closed} disconnected; "
              f"{per_delivery_us:.1f} µs of server CPU per delivery")
        print(f"publish-to-receipt latency: p50 {pct(stats.latency_us, 0.5):.1f} ms, "
              f"p99 {pct(stats.latency_us, 0.99):.1f} ms, max {pct(stats.latency_us, 1.0):.1f} ms")
        print(f"{'cluster of 3 masters' if cluster else 'one Valkey'}: publish round trip p50 "
              f"{pct(publish_us, 0.5):.2f} ms, Valkey CPU {valkey_us:.1f} µs per event (all nodes)")
        result("fanout", viewers=viewers, rate=rate, deliveries_per_s=round(stats.received / elapsed),
               missing=expected - stats.received, p50_ms=round(pct(stats.latency_us, 0.5), 1),
               p99_ms=round(pct(stats.latency_us, 0.99), 1), cpu_us=round(per_delivery_us, 2),
               redis="cluster" if cluster else "one", publish_p50_ms=round(pct(publish_us, 0.5), 2),
               valkey_us=round(valkey_us, 1))
    finally:
        await redis.aclose()
        await stop(server, transports)
        if local is not None:
            local.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=200, help="events per second into the room")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--cluster", action="store_true", help="through a local Valkey cluster of three masters")
    args = parser.parse_args()
    run_benchmark(lambda db, rd: run(db, rd, args.viewers, args.rate, args.seconds, args.cluster))


if __name__ == "__main__":
    main()
