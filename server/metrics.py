"""Prometheus metrics on prometheus-client: the kernel's families, the per-process sampler (event-loop lag,
pools, memory) and the exposition, which sums every worker of `--workers N` (multiprocess mode).

Families are module constants, made once per process at import: each package keeps its own beside the code
that counts (bidding's bids, commerce's payments...). In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set
before prometheus_client is imported, as the supervisor does for its workers) every process writes its
values to a file of its own there, and a scrape of any worker reads them all.
"""

from __future__ import annotations

import asyncio
import os
import resource
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from server.errors import DomainError

T = TypeVar("T")
# No `_created` series beside each counter and histogram: they double the exposition and no alert uses them.
disable_created_metrics()  # type: ignore[no-untyped-call]
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
SAMPLE_S = 0.5  # how often the sampler wakes: the event-loop lag is how late it wakes
# Seconds; fine at the low end where a healthy API lives.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WAIT_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)
LAG_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter("http_requests", "HTTP requests by method, route template and status.",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("http_request_duration_seconds",
                          "Time from request to response by method and route template (WebSocket upgrades, "
                          "which last as long as the connection, are left out).",
                          ["method", "route"], buckets=LATENCY_BUCKETS)
EVENT_LOOP_LAG = Histogram("lsc_event_loop_lag_seconds",
                           f"How late the event loop ran a timer due every {SAMPLE_S} s: time every request and "
                           "socket on the process waited behind other work.", buckets=LAG_BUCKETS)
DB_POOL_WAIT = Histogram("lsc_db_pool_wait_seconds", "Time to get a PostgreSQL connection from the pool.",
                         buckets=WAIT_BUCKETS)
DB_POOL_SIZE = Gauge("lsc_db_pool_connections", "PostgreSQL connections open in the pools.",
                     multiprocess_mode="livesum")
DB_POOL_IDLE = Gauge("lsc_db_pool_idle_connections", "Open PostgreSQL connections that no one is using.",
                     multiprocess_mode="livesum")
REDIS_POOL_WAIT = Histogram("lsc_redis_pool_wait_seconds", "Time to get a Redis connection from the pool.",
                            buckets=WAIT_BUCKETS)
BACKGROUND_FAILURES = Counter("lsc_background_failures",
                              "Rounds of background work that failed, by task and kind (transient: a backing "
                              "service; error: a bug, logged with its traceback).", ["task", "kind"])
BACKGROUND_SUCCESS = Gauge("lsc_background_last_success_timestamp_seconds",
                           "When a round of the background task last finished without failing (Unix time).",
                           ["task"], multiprocess_mode="max")
RESIDENT_MEMORY = Gauge("lsc_process_resident_memory_bytes", "Resident memory of each server process.",
                        multiprocess_mode="liveall")
WORKERS = Gauge("lsc_worker_processes", "Server processes running.", multiprocess_mode="livesum")
WORKER_RESTARTS = Counter("lsc_worker_restarts", "Workers started again by `--workers N` after one died.")


class Metrics:
    """The app's sampled gauges: read each SAMPLE_S by the sampler (a gauge that is not kept current as it
    changes, such as a pool's size, cannot be read at scrape time by another worker)."""

    def __init__(self) -> None:
        self._sampled: list[tuple[Gauge, Callable[[], float]]] = []

    def sample(self, gauge: Gauge, read: Callable[[], float]) -> None:
        """Set `gauge` from `read()` every SAMPLE_S."""
        self._sampled.append((gauge, read))

    def refresh(self) -> None:
        for gauge, read in self._sampled:
            gauge.set(read())


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one finished request and put its duration in the histogram."""
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    if status != 101:
        HTTP_DURATION.labels(method, route).observe(seconds)


async def counted(counter: Counter, work: Awaitable[T], outcome: Callable[[T], str]) -> T:
    """Await a decision and count it under its outcome: outcome(result) when made, else the refusal's code (a
    domain error: sold_out, bid_too_low...; codes are fixed strings, so the labels stay few)."""
    try:
        result = await work
    except DomainError as exc:
        counter.labels(exc.code).inc()
        raise
    counter.labels(outcome(result)).inc()
    return result


def multiprocess_dir() -> str | None:
    """The directory shared by the workers' metric files, if this process is one of them."""
    return os.environ.get(MULTIPROC_ENV) or None


def render() -> bytes:
    """The exposition: this process's registry, or, in multiprocess mode, the sum of every worker's files."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_gone(pid: int) -> None:
    """A worker died: its live gauges (connections, pool sizes) no longer count; its counters still do."""
    path = multiprocess_dir()
    if path is not None:
        mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


_PAGE = os.sysconf("SC_PAGE_SIZE")


def _resident_bytes() -> float:
    try:
        with open("/proc/self/statm", "rb") as f:
            return float(int(f.read().split()[1]) * _PAGE)
    except OSError:  # no /proc: the peak, in KiB on Linux
        return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


async def sample_forever(app_metrics: Metrics) -> None:
    """Measure the event loop's lag and refresh the sampled gauges every SAMPLE_S, until cancelled."""
    loop = asyncio.get_running_loop()
    WORKERS.set(1)
    try:
        while True:
            app_metrics.refresh()
            RESIDENT_MEMORY.set(_resident_bytes())
            started = loop.time()
            await asyncio.sleep(SAMPLE_S)
            EVENT_LOOP_LAG.observe(max(0.0, loop.time() - started - SAMPLE_S))
    finally:
        WORKERS.set(0)
