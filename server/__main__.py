"""Command line: `python -m server run|migrate|createadmin|seed-demo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import redis.exceptions
from pydantic import ValidationError

from server.config import Config, ConfigError, load_config
from server.errors import DomainError
from server.logs import configure_logging
from server.migrate import MigrationError, migrate

log = logging.getLogger("server")


@contextlib.contextmanager
def services(config: Config, *, redis: bool) -> Iterator[Config]:
    """The config with database and Redis URLs; embedded servers start for the empty ones and stop after."""
    need_pg = not config.database.url
    need_redis = redis and not config.redis.url
    if not (need_pg or need_redis):
        yield config
        return
    from server.embedded import EmbeddedServices

    with EmbeddedServices(config.server.var_path, postgres=need_pg, redis=need_redis) as embedded:
        yield config.replace(
            database={"url": embedded.database_url or config.database.url},
            redis={"url": embedded.redis_url or config.redis.url},
        )


def cmd_run(config: Config, args: argparse.Namespace) -> None:
    if args.workers < 1:
        raise SystemExit("run: --workers must be at least 1")
    with contextlib.ExitStack() as stack:
        if args.workers > 1:
            # Before prometheus_client is first imported (server.app imports it): this process counts restarts
            # into the workers' shared directory, and each worker is started with it set.
            stack.enter_context(_shared_metrics())
        _run(config, args)


@contextlib.contextmanager
def _shared_metrics() -> Iterator[None]:
    """PROMETHEUS_MULTIPROC_DIR for this process and its workers: the operator's (emptied first), else a new
    temporary directory, removed at the end."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="lsc-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # files of an earlier run would add to this one's sums
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(path, ignore_errors=True)


def _run(config: Config, args: argparse.Namespace) -> None:
    import uvloop
    from aiohttp import web

    from server.app import create_app
    from server.demo import seed_demo

    host = args.host or config.server.host
    port = args.port if args.port is not None else config.server.port
    with services(config, redis=True) as config:
        if args.migrate:
            asyncio.run(migrate(config.database.url))
        if args.seed_demo:
            asyncio.run(seed_demo(config))
        if args.workers > 1:
            _supervise(config, host, port, args.workers)
            return
        log.info("serving on http://%s:%s (process %s)", host, port, os.getpid())
        app = create_app(config)
        # What imports and the app's routes made lives as long as the process: out of the collector's walks
        # (a full collection during a burst of connections walked all of it each time). The thresholds stay
        # Python's: rarer collections left closed connections' garbage to pile up (docs/decisions.md).
        gc.freeze()
        web.run_app(
            app,
            host=host,
            port=port,
            shutdown_timeout=config.server.shutdown_timeout_s,
            access_log=None,  # our middleware writes one line per request
            print=None,
            reuse_port=args.reuse_port,
            backlog=config.server.backlog,
            loop=uvloop.new_event_loop(),
        )


RESTART_FIRST_S = 0.5  # a worker that died is started again after this ...
RESTART_MAX_S = 30.0  # ... doubled each time it dies again within STABLE_S of its start, up to this
STABLE_S = 30.0


def _supervise(config: Config, host: str, port: int, workers: int) -> None:
    """Run `workers` full server processes on one port (SO_REUSEPORT: the kernel spreads connections). A worker
    that dies is started again, after a delay that doubles while it keeps dying young (a crash loop does not
    spin); SIGTERM and SIGINT are forwarded to all, and this returns once all have stopped."""
    from server.metrics import WORKER_RESTARTS, process_gone

    env = {**os.environ, "LSC_DATABASE_URL": config.database.url, "LSC_REDIS_URL": config.redis.url}
    command = [sys.executable, "-m", "server", "run", "--host", host, "--port", str(port), "--reuse-port"]
    children = [subprocess.Popen(command, env=env) for _ in range(workers)]
    started = [time.monotonic()] * workers
    delays = [RESTART_FIRST_S / 2] * workers  # the first death of a young worker waits RESTART_FIRST_S
    restart_at: list[float | None] = [None] * workers
    stopping = False
    log.info("supervising %d workers on http://%s:%s: %s", workers, host, port, [c.pid for c in children])

    def forward(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while not (stopping and all(c.poll() is not None for c in children)):
        now = time.monotonic()
        for i, child in enumerate(children):
            code = child.poll()
            if code is None or stopping:
                continue
            if restart_at[i] is None:
                process_gone(child.pid)
                young = now - started[i] < STABLE_S
                delays[i] = min(RESTART_MAX_S, delays[i] * 2) if young else RESTART_FIRST_S
                restart_at[i] = now + delays[i]
                log.warning("worker %d (pid %d) exited with %s; starting it again in %.1f s", i, child.pid, code,
                            delays[i])
            elif now >= restart_at[i]:  # type: ignore[operator]
                children[i], started[i], restart_at[i] = subprocess.Popen(command, env=env), now, None
                WORKER_RESTARTS.inc()
                log.warning("worker %d started again as pid %d", i, children[i].pid)
        time.sleep(0.1)
    codes = [child.returncode for child in children]
    if any(codes):
        log.warning("workers exited with %s", codes)


def cmd_migrate(config: Config, args: argparse.Namespace) -> None:

    with services(config, redis=False) as config:
        applied = asyncio.run(migrate(config.database.url))
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


def cmd_seed_demo(config: Config, args: argparse.Namespace) -> None:
    from server.demo import seed_demo

    with services(config, redis=False) as config:
        asyncio.run(migrate(config.database.url))
        ids = asyncio.run(seed_demo(config))
    print("demo accounts: " + ", ".join(f"{name} (id {i})" for name, i in ids.items()))


def cmd_load_video_categories(config: Config, args: argparse.Namespace) -> None:
    from feed.videos.categories import load_defaults

    async def load() -> int:
        conn = await asyncpg.connect(config.database.url)
        try:
            return await load_defaults(conn)
        finally:
            await conn.close()

    with services(config, redis=False) as config:
        asyncio.run(migrate(config.database.url))
        added = asyncio.run(load())
    print(f"added {added} video categor{'y' if added == 1 else 'ies'} (existing ones kept)")


def cmd_createadmin(config: Config, args: argparse.Namespace) -> None:
    from server.demo import create_admin

    password = args.password or os.environ.get("LSC_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            raise SystemExit("createadmin: give --password or LSC_ADMIN_PASSWORD when not at a terminal")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise SystemExit("createadmin: the passwords differ")
    with services(config, redis=False) as config:
        user_id = asyncio.run(create_admin(config, args.username, args.email, password))
    print(f"admin {args.username} created with id {user_id}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the API (embedded PostgreSQL and Valkey unless URLs are set)")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--migrate", action="store_true", help="apply migrations first")
    run.add_argument("--seed-demo", action="store_true", help="create the demo data first (idempotent)")
    run.add_argument("--workers", type=int, default=1,
                     help="server processes sharing the port (SO_REUSEPORT); the embedded servers start once")
    run.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for each worker
    sub.add_parser("migrate", help="apply pending migrations")
    sub.add_parser("seed-demo", help="apply migrations, then create the demo data (idempotent)")
    sub.add_parser("load-video-categories", help="apply migrations, then add the default video categories")
    admin = sub.add_parser("createadmin", help="create an admin account")
    admin.add_argument("--username", required=True)
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", help="or LSC_ADMIN_PASSWORD, or asked at the terminal")
    args = parser.parse_args(argv)
    commands = {"run": cmd_run, "migrate": cmd_migrate, "seed-demo": cmd_seed_demo, "createadmin": cmd_createadmin,
                "load-video-categories": cmd_load_video_categories}
    try:
        config = load_config()
    except ConfigError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    configure_logging(config.log)
    try:
        commands[args.command](config, args)
    except ValidationError as exc:
        raise SystemExit(f"{args.command}: invalid input: {exc.errors(include_url=False)[0]['msg']}") from None
    except (DomainError, MigrationError) as exc:
        raise SystemExit(f"{args.command}: {exc}") from None
    except (OSError, asyncpg.PostgresError, redis.exceptions.ConnectionError) as exc:
        raise SystemExit(f"{args.command}: a backing service is unreachable or failed: {exc}") from None


if __name__ == "__main__":
    main()
