"""HAProxy (Debian's package) in front of three server processes, run with deploy/haproxy.cfg as docs/deploy.md
describes: WebSocket upgrades tunnelled, health checks on /readyz, a connection refused by a dead process retried
on another."""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import aiohttp
import pytest

from server.config import ROOT
from server.embedded import free_port

CONFIG = ROOT / "deploy" / "haproxy.cfg"  # the documented recipe itself, for three processes


def haproxy_binary() -> str:
    """HAProxy's binary; without one the test is skipped, unless LSC_HAPROXY_TESTS=required (CI installs it)."""
    binary = os.environ.get("LSC_HAPROXY") or shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.access(binary, os.X_OK):
        if os.environ.get("LSC_HAPROXY_TESTS") == "required":
            raise AssertionError(f"LSC_HAPROXY_TESTS=required but there is no haproxy at {binary}")
        pytest.skip("HAProxy is not installed (apt-get install haproxy; see .ci/run)")
    return binary


class Balancer:
    """HAProxy on a free loopback port in front of three server ports (named s0, s1, s2)."""

    def __init__(self, backends: list[int]) -> None:
        assert len(backends) == 3, "deploy/haproxy.cfg names three processes"
        self.port = free_port()
        self.backends = backends
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Balancer:
        env = {**os.environ, "LSC_LISTEN": f"127.0.0.1:{self.port}",
               **{f"LSC_APP{i}": f"127.0.0.1:{port}" for i, port in enumerate(self.backends)}}
        log = ROOT / "var" / "test" / f"haproxy-{self.port}.log"
        with log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(haproxy_binary(), "-db", "-f", str(CONFIG), env=env,
                                                             stdout=out, stderr=asyncio.subprocess.STDOUT)
        deadline = time.monotonic() + 20
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc.returncode is None, f"haproxy exited; see {log}"
                assert time.monotonic() < deadline, f"haproxy did not come up; see {log}"
                try:
                    async with session.get(self.base + "/readyz") as resp:
                        if resp.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 10)
