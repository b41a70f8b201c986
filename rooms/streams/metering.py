"""Charging live shows for air time: every started block costs a credit, once, whichever process meters.

Every process runs this for every live show; the ledger's unique (seller, 'live_block', '<show>:<block>')
makes each charge happen once. A seller who cannot pay is warned once (a conditional update picks the
process that warns), and the show ends after the grace period.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import asyncpg

from bidding.credits import InsufficientCredits, apply_credits
from bidding.metering import block_ref, blocks_started
from rooms.bridge import Bridge
from rooms.notify import push
from rooms.streams.service import room_of
from rooms.streams.store import charged_blocks, end
from server.config import Config

log = logging.getLogger(__name__)


async def meter(pool: asyncpg.Pool, bridge: Bridge, config: Config) -> None:
    """One metering round over every live show."""
    shows = await pool.fetch(
        "SELECT id, seller_id, started_at, credit_warned_at, now() AS now FROM livestreams WHERE status = 'live'"
    )
    for show in shows:
        await _meter_show(pool, bridge, config, show)


async def _meter_show(pool: asyncpg.Pool, bridge: Bridge, config: Config, show: asyncpg.Record) -> None:
    credits = config.credits
    due = blocks_started(show["started_at"], show["now"], credits.block_s)
    charged = await charged_blocks(pool, show["seller_id"], show["id"])
    short = False
    for block in range(1, due):
        ref = block_ref(show["id"], block)
        if ref in charged:
            continue
        try:
            async with pool.acquire() as conn, conn.transaction():
                await apply_credits(conn, show["seller_id"], -1, "live_block", ref)
        except InsufficientCredits:
            short = True
            break
    if not short:
        if show["credit_warned_at"] is not None:  # the seller bought credits in time
            await pool.execute("UPDATE livestreams SET credit_warned_at = NULL WHERE id = $1", show["id"])
        return
    warned = show["credit_warned_at"]
    if warned is None:
        warned = await pool.fetchval(
            """UPDATE livestreams SET credit_warned_at = now()
               WHERE id = $1 AND status = 'live' AND credit_warned_at IS NULL RETURNING credit_warned_at""",
            show["id"],
        )
        if warned is not None:  # this process set it, so this process warns
            ends_at = warned + timedelta(seconds=credits.grace_s)
            await push(bridge, show["seller_id"], "credit_warning", {
                "livestream_id": show["id"], "credits": 0, "grace_s": credits.grace_s,
                "ends_at": ends_at.isoformat(),
                "message": "You are out of credits: buy more or the show ends at ends_at.",
            })
        return
    if (show["now"] - warned).total_seconds() >= credits.grace_s and await end(pool, show["id"], "credits"):
        log.info("show %s ended: its seller ran out of credits", show["id"])
        await bridge.publish(room_of(show["id"]), "stream_ended", {"livestream_id": show["id"], "reason": "credits"})
