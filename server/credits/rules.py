"""Credit metering rules of live shows: which blocks of air time are due, as plain arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta


def blocks_started(started_at: datetime, now: datetime, block_s: int) -> int:
    """Blocks begun since going live: 1 at the start, 2 after block_s seconds, and so on."""
    elapsed = max(0.0, (now - started_at).total_seconds())
    return int(elapsed // block_s) + 1


def paid_until(started_at: datetime, blocks_charged: int, balance: int, block_s: int) -> datetime:
    """When a show's air time runs out: the blocks already charged, plus those the balance would pay for."""
    return started_at + timedelta(seconds=block_s * (blocks_charged + balance))


def block_ref(livestream_id: int, block: int) -> str:
    """The ledger ref of one block of one show: the unique key that makes each charge happen once."""
    return f"{livestream_id}:{block}"
