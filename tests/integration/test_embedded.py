"""The zero-setup default: embedded PostgreSQL and Valkey start, serve, and stop with the process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis

from server.config import ROOT
from server.embedded import EmbeddedServices, free_port


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def wait_dead(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def postgres_pid(var: Path) -> int:
    return int((var / "pg" / "postmaster.pid").read_text().split()[0])


def valkey_pid(var: Path) -> int:
    return int(json.loads((var / "valkey" / "owner.json").read_text())["pid"])


async def _probe(database_url: str, redis_url: str) -> tuple[int, bool]:
    conn = await asyncpg.connect(database_url)
    try:
        one = await conn.fetchval("SELECT 1")
    finally:
        await conn.close()
    client = aioredis.from_url(redis_url)
    try:
        pong = await client.ping()
    finally:
        await client.aclose()
    return one, pong


def test_embedded_services_start_serve_and_stop(tmp_path: Path) -> None:
    var = tmp_path / "var"
    with EmbeddedServices(var, database="probe") as services:
        assert services.database_url.startswith("postgresql://") and "/probe" in services.database_url
        assert services.redis_url.startswith("redis://127.0.0.1:")
        assert asyncio.run(_probe(services.database_url, services.redis_url)) == (1, True)
        pg, vk = postgres_pid(var), valkey_pid(var)
        assert alive(pg) and alive(vk)
    assert wait_dead(pg) and wait_dead(vk)
    assert not (var / "valkey" / "owner.json").exists()


def test_a_leftover_valkey_is_stopped_on_the_next_start(tmp_path: Path) -> None:
    first = EmbeddedServices(tmp_path, postgres=False)
    first.start()
    orphan = valkey_pid(tmp_path)
    # Its only user killed with SIGKILL: owner.json still names it, and a process that is gone.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    owner = json.loads((tmp_path / "valkey" / "owner.json").read_text())
    (tmp_path / "valkey" / "owner.json").write_text(json.dumps({**owner, "users": [[int(gone.stdout), "x"]]}))
    first._valkey_folder = None  # forget it, as the killed process did
    try:
        with EmbeddedServices(tmp_path, postgres=False) as second:
            assert wait_dead(orphan)
            assert valkey_pid(tmp_path) != orphan and asyncio.run(_ping(second.redis_url))
    finally:
        if alive(orphan):
            os.kill(orphan, signal.SIGKILL)


def test_two_servers_over_one_folder_share_valkey_and_the_last_stops_it(tmp_path: Path) -> None:
    first = EmbeddedServices(tmp_path, postgres=False)
    second = EmbeddedServices(tmp_path, postgres=False)
    first.start()
    try:
        second.start()
        pid = valkey_pid(tmp_path)
        assert second.redis_url == first.redis_url  # the second uses the first one's: nothing is stopped or deleted
        first.stop()  # the first server stops: the second still has its Valkey, files and all
        assert alive(pid) and asyncio.run(_ping(second.redis_url))
        assert (tmp_path / "valkey" / "owner.json").exists()
    finally:
        first.stop()
        second.stop()
    assert wait_dead(pid) and not (tmp_path / "valkey" / "owner.json").exists()


async def _ping(redis_url: str) -> bool:
    client = aioredis.from_url(redis_url)
    try:
        return bool(await client.ping())
    finally:
        await client.aclose()


def _get(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _server_env(var: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    env.update({"LSC_SERVER_VAR_DIR": str(var), "LSC_SERVER_PORT": str(port), "LSC_AUTH_SCRYPT_N": "1024"}, **extra)
    return env


def test_run_serves_the_demo_and_stops_its_servers_on_sigterm(tmp_path: Path) -> None:
    var, port = tmp_path / "var", free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "run", "--migrate", "--seed-demo"],
        cwd=ROOT, env=_server_env(var, port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:  # wait for the server to answer ready, or to die
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not become ready"
            try:
                if _get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, body = _get(f"{base}/api/auth/login/", {"username": "seller1", "password": "seller123"})
        assert status == 200 and body["user"]["seller"]["verified"] is True
        pg, vk = postgres_pid(var), valkey_pid(var)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert wait_dead(pg) and wait_dead(vk)
    assert "POST /api/auth/login/ 200" in output


def test_production_mode_refuses_the_default_secret(tmp_path: Path) -> None:
    env = _server_env(tmp_path, free_port(), LSC_MODE="production")
    result = subprocess.run([sys.executable, "-m", "server", "run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "jwt_secret is the default" in result.stderr
    assert not (tmp_path / "pg").exists()  # refused before starting anything
