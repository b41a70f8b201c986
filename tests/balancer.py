"""HAProxy (Debian's package) in front of server processes, as docs/deploy.md configures it: WebSocket upgrades
tunnelled, health checks on /readyz, a connection refused by a dead process retried on another."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from pathlib import Path

import aiohttp
import pytest

from server.config import ROOT
from server.embedded import free_port

# The part of deploy/haproxy.cfg that matters here; the test adds the listening port and the servers.
TEMPLATE = """
global
    # Each connection costs two descriptors (client and server side); 8,000 fits the usual limit of 20,000.
    maxconn 8000

defaults
    mode http
    option http-server-close
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A WebSocket, once upgraded, is a tunnel: idle as long as the show (pings keep it busy anyway).
    timeout tunnel 1h
    # A request sent to a process that died is sent once more, to another (only when nothing was sent yet).
    retries 2
    option redispatch 1

frontend web
    bind 127.0.0.1:{port}
    default_backend app

backend app
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 300ms fall 2 rise 1
    # Which process answered, for tests and for operators reading a client's report.
    http-response set-header X-Served-By %s
{servers}
"""


def haproxy_binary() -> str:
    """HAProxy's binary; without one the test is skipped, unless LSC_HAPROXY_TESTS=required (CI installs it)."""
    binary = os.environ.get("LSC_HAPROXY") or shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.access(binary, os.X_OK):
        if os.environ.get("LSC_HAPROXY_TESTS") == "required":
            raise AssertionError(f"LSC_HAPROXY_TESTS=required but there is no haproxy at {binary}")
        pytest.skip("HAProxy is not installed (apt-get install haproxy; see .ci/run)")
    return binary


class Balancer:
    """HAProxy on a free loopback port in front of the given server ports (named s0, s1, ...)."""

    def __init__(self, backends: list[int]) -> None:
        self.port = free_port()
        self.backends = backends
        self.proc: asyncio.subprocess.Process | None = None
        self.config = ROOT / "var" / "test" / f"haproxy-{self.port}.cfg"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Balancer:
        servers = "\n".join(f"    server s{i} 127.0.0.1:{port} check" for i, port in enumerate(self.backends))
        self.config.write_text(TEMPLATE.format(port=self.port, servers=servers))
        log = Path(str(self.config).removesuffix(".cfg") + ".log")
        with log.open("wb") as out:  # noqa: ASYNC230 (a local file, opened once)
            self.proc = await asyncio.create_subprocess_exec(haproxy_binary(), "-db", "-f", str(self.config),
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
