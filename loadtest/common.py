"""Shared set-up of the benchmark scripts: a fresh database, and a server process on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.embedded import create_database, free_port  # noqa: E402
from server.migrate import migrate  # noqa: E402


async def fresh_database(server_url: str, name: str) -> str:
    """Drop and create `name` on the server of server_url, migrate it, and return its URL."""
    await create_database(server_url, name, drop_first=True)
    base = URL(server_url)
    url = str(base.with_path("/" + name).with_query(base.query))
    await migrate(url)
    return url


async def start_server(database_url: str, redis_url: str, *, cpu: int | None = None, workers: int = 1,
                       env: dict[str, str] | None = None,
                       within_s: float = 60) -> tuple[asyncio.subprocess.Process, int]:
    """`python -m server run` on a free loopback port (pinned to one CPU if asked, several processes on
    the port if asked, `env` added to its environment), once it accepts."""
    port = free_port()
    env = {**os.environ, "LSC_DATABASE_URL": database_url, "LSC_REDIS_URL": redis_url,
           "LSC_SERVER_PORT": str(port), "LSC_LOG_ACCESS_LOG": "false", "LSC_LOG_LEVEL": "WARNING", **(env or {})}
    command = [sys.executable, "-m", "server", "run", "--workers", str(workers)]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env)
    deadline = time.monotonic() + within_s
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process, port
        except OSError:
            if time.monotonic() > deadline or process.returncode is not None:
                if process.returncode is None:  # a server that already exited cannot be killed
                    process.kill()
                raise SystemExit("the server did not start") from None
            await asyncio.sleep(0.2)


async def seed_live_stream(database_url: str) -> int:
    """A verified seller live in one show; returns the show's id."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        stream_id: int = await conn.fetchval(
            """WITH u AS (INSERT INTO users (username, email, password_hash, role)
                          VALUES ('bench', 'bench@example.com', 'x', 'seller') RETURNING id),
                    s AS (INSERT INTO sellers (user_id, business_name, verified) SELECT id, 'Bench', true FROM u
                          RETURNING user_id)
               INSERT INTO livestreams (seller_id, title, status, started_at) SELECT user_id, 'bench', 'live', now()
               FROM s RETURNING id"""
        )
    finally:
        await conn.close()
    return stream_id


async def connect_viewers(port: int, count: int, protocol: Callable[[asyncio.Future[None]], asyncio.Protocol],
                          transports: list[asyncio.BaseTransport], *, at_once: int = 200) -> None:
    """Open `count` connections with protocol(ready) (at most `at_once` opening at a time) and wait until
    each has set its `ready` future (its hello arrived). Transports are appended for the caller to close."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(at_once)

    async def one() -> None:
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            transport, _ = await loop.create_connection(lambda: protocol(ready), "127.0.0.1", port)
            transports.append(transport)
            await asyncio.wait_for(ready, 60)

    await asyncio.gather(*(one() for _ in range(count)))


async def stop(server: asyncio.subprocess.Process, transports: list[asyncio.BaseTransport]) -> None:
    """Close the viewers, then stop the server (SIGTERM, as an operator would)."""
    for transport in transports:
        transport.close()
    server.send_signal(signal.SIGTERM)
    await asyncio.wait_for(server.wait(), 30)


def run_benchmark(body: Callable[[str, str], Awaitable[None]], *, core: int | None = 1,
                  services_core: int | None = None) -> None:
    """Run body(database_url, redis_url) on uvloop, this process pinned to `core` (the server gets the
    other). The servers named by LSC_BENCH_DATABASE_URL and LSC_BENCH_REDIS_URL, else embedded ones
    under var/bench, started for the run and stopped after: on `services_core` when given (they inherit the
    affinity they start with), else beside the load."""
    import uvloop

    from server.embedded import EmbeddedServices

    db, rd = os.environ.get("LSC_BENCH_DATABASE_URL"), os.environ.get("LSC_BENCH_REDIS_URL")
    if db and rd:
        if core is not None:
            os.sched_setaffinity(0, {core})
        uvloop.run(body(db, rd))
        return
    if services_core is not None:
        os.sched_setaffinity(0, {services_core})
    elif core is not None:
        os.sched_setaffinity(0, {core})
    with EmbeddedServices(ROOT / "var" / "bench", database="postgres") as services:
        if core is not None:
            os.sched_setaffinity(0, {core})
        uvloop.run(body(services.database_url, services.redis_url))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """The process's CPU time so far, user and system, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def metric(port: int, name: str) -> float:
    """A figure of the server's /metrics."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    body = (await reader.read()).decode()
    writer.close()
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    raise RuntimeError(f"no {name} in /metrics")


async def sockets_down_to(port: int, count: int, within_s: float = 60) -> None:
    """Wait until the server holds at most `count` room sockets (lsc_websocket_connections); bounded."""
    deadline = time.monotonic() + within_s
    while await metric(port, "lsc_websocket_connections") > count:
        if time.monotonic() > deadline:
            raise SystemExit(f"the server still holds more than {count} sockets after {within_s:.0f} s")
        await asyncio.sleep(0.1)


def result(bench: str, **figures: object) -> None:
    """One machine-readable line of a benchmark's figures, which `bench_all.py` collects into its table."""
    print("RESULT " + json.dumps({"bench": bench, **figures}), flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0.5, 0.99) of the values by rank; NaN when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def print_latencies(title: str, results: dict[str, list[float]], note: str) -> None:
    """A table of p50, p99 and mean in milliseconds, one row per label."""
    width = max(len(title), *(len(label) for label in results))
    print(f"\n{title:{width}} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}   ({note})")
    for label, times in results.items():
        print(f"{label:{width}} {percentile(times, 0.5):8.2f} {percentile(times, 0.99):8.2f} "
              f"{statistics.mean(times):8.2f}")
