"""Shared set-up of the benchmark scripts: a fresh database, and a server process on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import sys
import time
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


async def start_server(database_url: str, redis_url: str, *, cpu: int | None = None,
                       within_s: float = 60) -> tuple[asyncio.subprocess.Process, int]:
    """`python -m server run` on a free loopback port (pinned to one CPU if asked), once it accepts."""
    port = free_port()
    env = {**os.environ, "LSC_DATABASE_URL": database_url, "LSC_REDIS_URL": redis_url,
           "LSC_SERVER_PORT": str(port), "LSC_LOG_ACCESS_LOG": "false", "LSC_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "server", "run"]
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
                process.kill()
                raise SystemExit("the server did not start") from None
            await asyncio.sleep(0.2)
