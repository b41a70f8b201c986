"""The post-show report (its seller's or an admin's, during or after the show), and what feeds it while the show
is live: the viewer count sampled by one process per show and interval, the distinct signed-in viewers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import asyncpg
import redis.asyncio as aioredis

from audience.report import store
from audience.report.schemas import AuctionLine, FlashSaleLine, SummaryOut
from commerce.earnings.rules import split_sale
from rooms.names import RoomName
from rooms.presence import Presence
from server.errors import Conflict, NotFound, PermissionDenied
from server.tokens import Principal

VIEWERS_TTL_S = 2 * 86400  # the set of a show's signed-in viewers outlives any show


def _viewers_key(stream_id: int) -> str:
    return f"show:{{{stream_id}}}:viewers"


@dataclass
class Reports:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    presence: Presence
    commission_bps: int
    timeline_s: float

    async def summary(self, me: Principal, stream_id: int) -> SummaryOut:
        """A show's figures, what it sold (paid), and its viewers and sales over time."""
        figures = await store.figures(self.pool, stream_id)
        if figures is None:
            raise NotFound(f"No livestream with id {stream_id}.", code="livestream_not_found")
        if figures.seller_id != me.user_id and me.role != "admin":
            raise PermissionDenied("Only the show's seller and admins read its report.")
        if figures.status == "scheduled":
            raise Conflict("The show has not started.", code="not_started")
        unique = figures.unique_viewers
        if figures.status == "live":  # the set is ahead of the last sample
            unique = max(unique, int(await self.redis.scard(_viewers_key(stream_id))))
        split = split_sale(figures.gross, self.commission_bps)
        return SummaryOut(
            livestream=figures.id, title=figures.title, status=figures.status, started_at=figures.started_at,
            ended_at=figures.ended_at, duration_s=figures.duration_s, peak_viewers=figures.peak_viewers,
            unique_viewers=unique, chat_messages=figures.chat_messages, reactions=figures.reactions,
            auctions=[AuctionLine(id=a.id, product=a.product, status=a.status, winner=a.winner, amount=a.amount,
                                  bids=a.bids) for a in await store.auctions(self.pool, stream_id)],
            flash_sales=[FlashSaleLine(id=f.id, product=f.product, price=f.price, quantity=f.quantity,
                                       claimed=f.claimed, sold=f.sold)
                         for f in await store.flash_sales(self.pool, stream_id)],
            items_sold=figures.items_sold, gross=split.gross, platform_fee=split.commission, net=split.net,
            unique_buyers=figures.unique_buyers,
            viewers_timeline=await store.viewers_timeline(self.pool, stream_id),
            sales_timeline=await store.sales_timeline(self.pool, stream_id),
        )

    async def last_show(self, me: Principal) -> SummaryOut | None:
        """The report of the seller's show that ended last, if any."""
        stream_id = await store.last_ended(self.pool, me.user_id)
        return await self.summary(me, stream_id) if stream_id is not None else None

    async def joined(self, stream_id: int, user_id: int) -> None:
        """A signed-in viewer joined the show's room (counted once however often they come back)."""
        key = _viewers_key(stream_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, str(user_id))
            pipe.expire(key, VIEWERS_TTL_S)
            await pipe.execute()

    async def sample(self) -> int:
        """Sample the viewers of every live show whose turn it is (one process per show and interval: a
        `SET NX PX` turn); how many samples this process took."""
        taken = 0
        for stream_id in await store.live_shows(self.pool):
            turn = await self.redis.set(f"show:{{{stream_id}}}:sample", "1", nx=True,
                                        px=max(1, int(self.timeline_s * 1000) - 50))
            if not turn:
                continue
            viewers = await self.presence.total(RoomName.stream(stream_id))
            unique = int(await self.redis.scard(_viewers_key(stream_id)))
            await store.sample(self.pool, stream_id, viewers, unique)
            taken += 1
        return taken


def summary_csv(report: SummaryOut) -> str:
    """The report as CSV: its figures, then its auctions, flash sales and timelines, each under a header row."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["figure", "value"])
    for name in ("livestream", "title", "status", "started_at", "ended_at", "duration_s", "peak_viewers",
                 "unique_viewers", "chat_messages", "reactions", "items_sold", "gross", "platform_fee", "net",
                 "unique_buyers"):
        value = getattr(report, name)
        w.writerow([name, value.isoformat() if hasattr(value, "isoformat") else value])
    w.writerow([])
    w.writerow(["auction", "product", "status", "winner", "amount", "bids"])
    for a in report.auctions:
        w.writerow([a.id, a.product, a.status, a.winner or "", a.amount if a.amount is not None else "", a.bids])
    w.writerow([])
    w.writerow(["flash_sale", "product", "price", "quantity", "claimed", "sold"])
    for f in report.flash_sales:
        w.writerow([f.id, f.product, f.price, f.quantity, f.claimed, f.sold])
    w.writerow([])
    w.writerow(["time", "viewers"])
    w.writerows([[at.isoformat(), n] for at, n in report.viewers_timeline])
    w.writerow([])
    w.writerow(["minute", "sales"])
    w.writerows([[at.isoformat(), amount] for at, amount in report.sales_timeline])
    return out.getvalue()
