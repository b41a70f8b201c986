"""Charging live shows for air time: every started block costs a credit, once, whichever process meters.

Every process runs this for every live show; the ledger's unique (seller, 'live_block', '<show>:<block>')
makes each charge happen once. A seller who cannot pay is warned once (a conditional update picks the
process that warns), and the show ends after the grace period.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from rooms.bridge import Bridge
from rooms.names import RoomName
from rooms.notifications.service import push
from rooms.streams import store
from rooms.streams.events import CreditWarning, StreamEnded
from rooms.streams.store import LiveShow
from server.config import CreditsConfig
from server.credits.rules import block_ref, blocks_started
from server.credits.store import InsufficientCredits, apply_credits

log = logging.getLogger(__name__)


async def meter(pool: asyncpg.Pool, bridge: Bridge, credits: CreditsConfig) -> None:
    """One metering round over every live show."""
    for show in await store.live_shows(pool):
        await _meter_show(pool, bridge, credits, show)


async def _meter_show(pool: asyncpg.Pool, bridge: Bridge, credits: CreditsConfig, show: LiveShow) -> None:
    due = blocks_started(show.started_at, show.now, credits.block_s)
    charged = await store.charged_blocks(pool, show.seller_id, show.id)
    short = False
    for block in range(1, due):
        ref = block_ref(show.id, block)
        if ref in charged:
            continue
        try:
            async with pool.acquire() as conn, conn.transaction():
                await apply_credits(conn, show.seller_id, -1, "live_block", ref)
        except InsufficientCredits:
            short = True
            break
    if not short:
        if show.credit_warned_at is not None:  # the seller bought credits in time
            await store.clear_credit_warning(pool, show.id)
        return
    warned = show.credit_warned_at
    if warned is None:
        warned = await store.warn_out_of_credits(pool, show.id)
        if warned is not None:  # this process set it, so this process warns
            ends_at = warned + timedelta(seconds=credits.grace_s)
            await push(bridge, show.seller_id, CreditWarning(
                livestream_id=show.id, credits=0, grace_s=credits.grace_s, ends_at=ends_at,
                message="You are out of credits: buy more or the show ends at ends_at.",
            ))
        return
    if (show.now - warned).total_seconds() >= credits.grace_s and await store.end(pool, show.id, "credits"):
        log.info("show %s ended: its seller ran out of credits", show.id)
        await bridge.emit(RoomName.stream(show.id), StreamEnded(livestream_id=show.id, reason="credits"))
