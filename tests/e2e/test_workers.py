"""`python -m server run --workers 2`: two full processes behind one port share the rooms, and a worker that
dies is started again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp

from server.config import ROOT
from server.embedded import free_port
from tests.helpers import promtool_check, sample, samples
from tests.integration.test_embedded import alive, postgres_pid, valkey_pid, wait_dead


async def test_two_workers_share_a_port_and_a_room(tmp_path: Path) -> None:
    var, port = tmp_path / "var", free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    env.update({"LSC_SERVER_VAR_DIR": str(var), "LSC_SERVER_PORT": str(port), "LSC_AUTH_SCRYPT_N": "1024"})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "run", "--workers", "2", "--migrate", "--seed-demo",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # force_close: a new connection per request, so the kernel's SO_REUSEPORT spreading shows.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
            deadline = time.monotonic() + 90
            processes: set[int] = set()
            while len(processes) < 2:  # each request a new connection: the kernel spreads them
                assert proc.returncode is None and time.monotonic() < deadline, "workers did not come up"
                try:
                    async with session.get(base + "/healthz") as resp:
                        processes.add((await resp.json())["process"])
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            login = await (await session.post(base + "/api/auth/login/",
                                              json={"username": "seller1", "password": "seller123"})).json()
            seller = {"Authorization": f"Bearer {login['access']}"}
            show = await (await session.post(base + "/api/livestreams/livestreams/", json={"title": "Two workers"},
                                             headers=seller)).json()
            assert (await session.post(f"{base}/api/livestreams/livestreams/{show['id']}/start/",
                                       headers=seller)).status == 200
            sockets, served = [], set()
            for _ in range(40):  # connect until the room has viewers on both processes
                ws = await session.ws_connect(f"{base}/ws/livestream/{show['id']}/")
                hello = json.loads((await ws.receive(timeout=10)).data)
                sockets.append(ws)
                served.add(hello["data"]["process"])
                if len(served) == 2 and len(sockets) >= 4:
                    break
            assert served == processes
            # /metrics on either worker sums both (prometheus-client's multiprocess mode).
            async with session.get(base + "/metrics") as resp:
                both = samples(await resp.text())
            assert sample(both, "lsc_websocket_connections") == len(sockets)
            assert sample(both, "lsc_worker_processes") == 2
            buyer = await (await session.post(base + "/api/auth/login/",
                                              json={"username": "buyer1", "password": "buyer123"})).json()
            sent = await session.post(f"{base}/api/chat/messages/{show['id']}/send/", json={"text": "hello both"},
                                      headers={"Authorization": f"Bearer {buyer['access']}"})
            assert sent.status == 201
            received = []
            for ws in sockets:
                while True:
                    frame = json.loads((await ws.receive(timeout=10)).data)
                    if frame["type"] == "chat":
                        received.append((frame["seq"], frame["data"]["text"]))
                        break
                await ws.close()
            assert len(set(received)) == 1 and received[0][1] == "hello both"

            # A worker killed outright is started again; the port keeps serving meanwhile.
            async with session.get(base + "/metrics") as resp:
                before = samples(await resp.text())
            victim = next(iter(processes))
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            fresh: set[int] = set()
            while not fresh:
                assert proc.returncode is None and time.monotonic() < deadline + 60, "the worker was not replaced"
                try:
                    async with session.get(base + "/healthz") as resp:
                        fresh = {(await resp.json())["process"]} - processes
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            print(f"a killed worker answered again after {time.monotonic() - killed_at:.2f} s")
            async with session.get(base + "/metrics") as resp:
                text = await resp.text()
            after = samples(text)
            # The restart is counted; the dead worker's counters still count, its live gauges no longer do.
            assert sample(after, "lsc_worker_restarts_total") == 1
            assert sample(after, "lsc_worker_processes") == 2
            route = {"method": "GET", "route": "/healthz", "status": "200"}
            assert sample(after, "http_requests_total", **route) >= sample(before, "http_requests_total", **route)
            promtool_check(text)
        pg, vk = postgres_pid(var), valkey_pid(var)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, output.decode()
    assert wait_dead(pg) and wait_dead(vk) and not alive(pg)
