"""Prometheus text exposition of request counts and latency histograms, kept per process."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable

# Seconds; fine at the low end where a healthy API lives.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Counters and histograms keyed by label tuples; rendering reads them, nothing else locks."""

    def __init__(self) -> None:
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[tuple[str, str], list[int]] = {}
        self._latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self._gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request and put its duration in the histogram."""
        self._requests[(method, route, str(status))] += 1
        key = (method, route)
        counts = self._latency.get(key)
        if counts is None:
            counts = self._latency[key] = [0] * (len(BUCKETS) + 1)
        counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self._latency_sum[key] += seconds

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        """Register a gauge whose value is read when /metrics is scraped."""
        self._gauges[name] = (help_text, read)

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        out = [
            "# HELP http_requests_total HTTP requests by method, route template and status.",
            "# TYPE http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self._requests.items()):
            out.append(f'http_requests_total{{method="{method}",route="{_esc(route)}",status="{status}"}} {n}')
        out += [
            "# HELP http_request_duration_seconds Time from request to response by method and route template.",
            "# TYPE http_request_duration_seconds histogram",
        ]
        for (method, route), counts in sorted(self._latency.items()):
            labels = f'method="{method}",route="{_esc(route)}"'
            running = 0
            for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                running += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f'http_request_duration_seconds_bucket{{{labels},le="{le}"}} {running}')
            out.append(f"http_request_duration_seconds_sum{{{labels}}} {self._latency_sum[(method, route)]:.6f}")
            out.append(f"http_request_duration_seconds_count{{{labels}}} {running}")
        for name, (help_text, read) in sorted(self._gauges.items()):
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {read():g}"]
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
