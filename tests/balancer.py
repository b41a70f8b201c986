"""HAProxy (Debian's package) in front of three server processes, run with deploy/haproxy.cfg as docs/deploy.md
describes: WebSocket upgrades tunnelled, health checks on /readyz, a connection refused by a dead process retried
on another."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest

from server.config import ROOT
from server.embedded import free_port
from tests.processes import wait_ready

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
        await wait_ready(self.base, self.proc, 20, f"haproxy did not come up; see {log}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 10)
