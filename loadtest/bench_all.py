"""`make bench`: every benchmark script in turn, then one table of their figures against the targets.

Each script runs as its own process (a fresh server each, pinned to core 0, its load on core 1), prints its
own lines, and one `RESULT {...}` line that this runner collects. The table is printed as Markdown (the
README quotes it) and the raw results are written to var/bench/results.json. Bounded: each script has a
fixed amount of work and a time limit.

    .venv/bin/python -u loadtest/bench_all.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

RUNS: list[tuple[str, list[str]]] = [
    ("bench_fanout.py", ["--viewers", "1000", "--rate", "200", "--seconds", "10"]),
    ("bench_fanout.py", ["--viewers", "1000", "--rate", "200", "--seconds", "10", "--cluster"]),
    ("bench_fanout.py", ["--viewers", "5000", "--rate", "40", "--seconds", "10"]),
    ("bench_memory.py", ["--viewers", "5000"]),
    ("bench_churn.py", ["--viewers", "3000", "--rounds", "8"]),
    ("bench_bids.py", ["--viewers", "1000", "--rate", "200", "--seconds", "10"]),
    ("bench_claims.py", ["--viewers", "2000", "--units", "100"]),
    ("bench_rest.py", ["--connections", "32", "--seconds", "8"]),
    ("bench_connections.py", ["--step", "2500", "--max", "17500", "--rate", "10"]),
    ("bench_hello.py", ["--viewers", "5000"]),
    ("send_floor.py", ["--connections", "2000"]),
]
# --quick: the same scripts on small numbers, to check the machinery (the figures mean little).
QUICK: list[tuple[str, list[str]]] = [
    ("bench_fanout.py", ["--viewers", "200", "--rate", "50", "--seconds", "2"]),
    ("bench_fanout.py", ["--viewers", "200", "--rate", "50", "--seconds", "2", "--cluster"]),
    ("bench_memory.py", ["--viewers", "500"]),
    ("bench_churn.py", ["--viewers", "200", "--rounds", "2"]),
    ("bench_bids.py", ["--viewers", "100", "--rate", "50", "--seconds", "2"]),
    ("bench_claims.py", ["--viewers", "200", "--units", "20"]),
    ("bench_rest.py", ["--connections", "8", "--seconds", "1"]),
    ("bench_connections.py", ["--step", "500", "--max", "1000", "--rate", "5", "--seconds", "1"]),
    ("bench_hello.py", ["--viewers", "300"]),
    ("send_floor.py", ["--connections", "200"]),
]


def run(script: str, args: list[str], timeout_s: int) -> list[dict[str, Any]]:
    """Run one script, echo its output, return its RESULT lines."""
    print(f"\n$ python loadtest/{script} {' '.join(args)}", flush=True)
    out = subprocess.run([sys.executable, "-u", str(HERE / script), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=timeout_s)
    results = []
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            results.append(json.loads(line[7:]))
        else:
            print("  " + line)
    if out.returncode != 0:
        print(out.stderr[-3000:])
        raise SystemExit(f"{script} failed with exit code {out.returncode}")
    return results


def table(results: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table, each beside its target."""
    rows = ["| figure | measured | target |", "|---|---|---|"]
    for r in results:
        kind = r["bench"]
        if kind == "fanout":
            through = "a cluster of 3 Valkey masters" if r.get("redis") == "cluster" else "one Valkey"
            rows.append(f"| fan-out, {r['viewers']:,} viewers of one room, {r['rate']} events/s, through {through} | "
                        f"{r['deliveries_per_s']:,} deliveries/s, publish-to-receipt p50 {r['p50_ms']} ms, "
                        f"p99 {r['p99_ms']} ms, {r['missing']} lost; {r.get('cpu_us', '—')} µs of server CPU per "
                        f"delivery; publish round trip p50 {r.get('publish_p50_ms', '—')} ms, "
                        f"{r.get('valkey_us', '—')} µs of Valkey CPU per event | "
                        + ("≥ 200,000/s, p99 < 50 ms, none lost; ≤ 5 µs |" if r["viewers"] >= 5000 else "none lost |"))
        elif kind == "memory":
            rows.append(f"| server memory per idle viewer ({r['viewers']:,} sockets); the process at start | "
                        f"{r['kib_per_viewer']} KiB; {r.get('start_mib', '—')} MiB | ≤ 10 KiB; ≤ 60 MiB |")
        elif kind == "churn":
            rows.append(f"| server memory after rounds of {r['viewers']:,} viewers joining a room and leaving it "
                        f"({r['rounds']} rounds) | {r['first_mib']} MiB after the first, {r['last_mib']} after the "
                        f"last (peak {r['peak_mib']}) | flat |")
        elif kind == "bids":
            rows.append(f"| bids, {r['rate']}/s with {r['viewers']:,} viewers | bid→ack p50 {r['ack_p50_ms']} ms, "
                        f"p99 {r['ack_p99_ms']} ms; bid→viewers p50 {r['event_p50_ms']} ms, p99 {r['event_p99_ms']} ms"
                        " | p99 < 10 ms |")
        elif kind == "claims":
            rows.append(f"| flash-sale rush: {r['viewers']:,} viewers claim a {r['units']}-unit sale at once | "
                        f"{r['sold']} sold, {r['unanswered']} unanswered; claim→answer p50 {r['p50_ms']} ms, "
                        f"p99 {r['p99_ms']} ms | exactly {r['units']} sold, every claimer answered |")
        elif kind == "rest":
            rows.append(f"| REST {r['endpoint']}, one process and PostgreSQL on one core, {r['connections']} "
                        f"connections | {r['rps']:,} req/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms | "
                        f"{r.get('target', '—')} |")
        elif kind == "connections":
            rows.append(f"| viewers one process holds before p99 passes {r['limit_ms']:.0f} ms ({r['rate']} events/s)"
                        f" | {r['held']:,} | — |")
        elif kind == "hello":
            rows.append(f"| connect + hello, {r['viewers']:,} viewers {r['wave']} (server and PostgreSQL on one "
                        "core) | "
                        f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms; {r['cpu_ms']} ms of server CPU and "
                        f"{r['queries']} PostgreSQL queries per viewer | no query per connect in a warm room, "
                        "≤ 0.3 ms each, p99 < 100 ms |")
        elif kind == "send_floor":
            rows.append(f"| kernel cost of one loopback send() (the floor of any per-viewer write) | "
                        f"{r['us_per_send']} µs | — |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, to check that everything works")
    args = parser.parse_args()
    runs = QUICK if args.quick else RUNS
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    for script, argv in runs:
        results.extend(run(script, argv, timeout_s=900))
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nMeasured on {machine} in {time.monotonic() - started:.0f} s "
          "(server pinned to core 0, load on core 1; embedded PostgreSQL and Valkey on core 1, except for the REST "
          "and hello rows, where they share core 0 with the server):\n")
    print(table(results))


if __name__ == "__main__":
    main()
