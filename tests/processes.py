"""Server processes for the tests that need real ones (two processes sharing a room, a process killed):
`python -m server run` against the tests' PostgreSQL and Redis, or a proxy in front of them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from server.config import ROOT
from server.embedded import free_port
from tests.conftest import Services


@dataclass
class ServerProcess:
    """`python -m server run` against the tests' PostgreSQL and Redis (or a Redis proxy), on its own port."""

    proc: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)


async def start_server(services: Services, redis_url: str | None = None, database_url: str | None = None,
                       **env: str) -> ServerProcess:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    environ.update({
        "LSC_SERVER_PORT": str(port), "LSC_SERVER_VAR_DIR": str(ROOT / "var" / "test"),
        "LSC_DATABASE_URL": database_url or services.database_url, "LSC_REDIS_URL": redis_url or services.redis_url,
        "LSC_REDIS_CLUSTER": "true" if services.redis_cluster and redis_url is None else "false",
        "LSC_AUTH_SCRYPT_N": "1024", "LSC_LOG_ACCESS_LOG": "false", "LSC_BIDDING_BID_RATE": "1000", **env,
    })
    log = ROOT / "var" / "test" / f"server-{port}.log"  # what the process said, for a failing test's reader
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "server", "run", cwd=ROOT, env=environ,
                                                    stdout=out, stderr=asyncio.subprocess.STDOUT)
    server = ServerProcess(proc, port, log)
    await wait_ready(server.base, proc, 60, f"the server did not come up; see {log}")
    return server


async def wait_ready(base: str, proc: asyncio.subprocess.Process, within_s: float, failure: str) -> None:
    """Wait until GET <base>/readyz answers 200; fails with `failure` if the process exits or time runs out."""
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as session:
        while True:
            assert proc.returncode is None and time.monotonic() < deadline, failure
            try:
                async with session.get(base + "/readyz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
