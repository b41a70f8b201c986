"""Adversity: Valkey killed and started again, empty, in the middle of a live auction on two server processes
(`loadtest/fault_show.py`), and what each viewer, bidder and process makes of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from server.config import ROOT
from tests.conftest import Services


def test_a_valkey_restart_mid_auction_loses_nothing_and_leaves_no_viewer_in_silence(clean: Services) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSC_")}
    env["LSC_BENCH_DATABASE_URL"] = clean.database_url
    run = subprocess.run(
        [sys.executable, "-u", str(ROOT / "loadtest" / "fault_show.py"), "--viewers", "8", "--bidders", "6",
         "--before-s", "1.5", "--down-s", "1.5", "--after-s", "1.5"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(lines[-1].removeprefix("RESULT "))
    assert figures["bids_acked"] > 20 and figures["chats_acked"] > 5 and figures["unavailable"] > 0
    assert figures["lost_bids"] == figures["lost_chats"] == 0
    assert figures["payment"] and figures["paid_events"] == 1  # paid while Valkey was down (or right after)
    assert figures["resynced"] == 8 and figures["holes"] == 0 and figures["wrong_final"] == 0
    assert figures["reconnects"] == 0  # viewers stay connected through the outage
    assert all(s <= 2.0 for s in figures["hello_after_s"]) and figures["restarted"] == 0
    # During the outage a new socket is refused before the upgrade or told in a frame; an open one is told.
    assert figures["outage"][1::2] == ["error:unavailable", "error:unavailable"]
    assert set(figures["outage"][0::2]) <= {"http:503", "error:unavailable:1013"}
    assert figures["ok"] and run.returncode == 0, run.stdout[-3000:]
