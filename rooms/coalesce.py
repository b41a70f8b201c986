"""Counts that change with every claim or entry are sent to the room at most once per interval, across all
processes: a change marks its sale or giveaway in a Redis set, and each interval one process takes the set."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import redis.asyncio as aioredis

from rooms.events import RoomEvent
from rooms.names import RoomName
from rooms.outbox import Relay, stage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Coalescer:
    redis: aioredis.Redis
    name: str  # "flash" or "giveaway": its keys are <name>:dirty and <name>:tick
    interval_s: float

    async def mark(self, item_id: int) -> None:
        """Something of `item_id` changed (best effort: a lost mark delays the count, changes nothing else)."""
        try:
            await self.redis.sadd(f"{self.name}:dirty", str(item_id))
        except Exception as exc:  # the change has committed; the next one marks it again
            log.warning("could not mark %s %d changed: %r", self.name, item_id, exc)

    async def take(self) -> list[int]:
        """The items changed since the last round, if it is this process's turn; else none."""
        if not await self.redis.set(f"{self.name}:tick", "1", nx=True, px=max(1, int(self.interval_s * 1000))):
            return []
        return [int(raw) for raw in await self.redis.spop(f"{self.name}:dirty", 1000) or []]

    async def send(self, pool: asyncpg.Pool, relay: Relay,
                   current: Callable[[asyncpg.Connection, int], Awaitable[tuple[RoomName, RoomEvent] | None]]) -> int:
        """One round, if it is this process's turn: for each item changed since the last, the event `current`
        makes from its row (locked there, so the event takes its place in commit order with the item's other
        events), staged and published. How many were sent."""
        sent = 0
        for item_id in await self.take():
            async with pool.acquire() as conn, conn.transaction():
                made = await current(conn, item_id)
                staged = await stage(conn, made[0], [made[1]]) if made is not None else None
            if staged is not None:
                await relay.publish(staged)
                sent += 1
        return sent
