"""A short Locust run (`loadtest/run_load.py`): two server processes behind one port, every user kind of
the locustfile, and not a single failed request."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from server.config import ROOT


def test_a_short_locust_run_against_two_workers_has_no_failures(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    run = subprocess.run(
        [sys.executable, "-u", str(ROOT / "loadtest" / "run_load.py"), "--users", "24", "--spawn-rate", "12",
         "--time", "25", "--workers", "2", "--products", "100", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    with (tmp_path / "stats_stats.csv").open(newline="") as f:
        rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(f)}
    total = rows[("", "Aggregated")]
    assert int(total["Request Count"]) > 100 and int(total["Failure Count"]) == 0
    # The scenarios really ran: the catalog, the feed, a seller's show and the buyers in its room.
    for key in [("GET", "/api/products/products/"), ("GET", "/api/v1/shoppable-videos/"),
                ("POST", "/api/livestreams/livestreams/{id}/start/"), ("WS", "connect + hello"),
                ("WS", "publish -> receipt"), ("WS", "reaction -> ack"), ("POST", "/api/messages/")]:
        assert int(rows[key]["Request Count"]) > 0, key
    assert (tmp_path / "report.html").stat().st_size > 10_000
