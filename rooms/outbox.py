"""Room events that report a decision of PostgreSQL: staged in the deciding transaction, published in commit
order, each once, even when the deciding process dies right after its commit (the sweeper publishes them)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from rooms.bridge import Bridge
from rooms.events import RoomEvent, pack_payload
from rooms.names import RoomName
from server.redis_errors import REDIS_DOWN
from server.sql import Conn

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Staged:
    """Events written to a room's outbox at positions first_pos, first_pos + 1, ... (not yet published)."""

    room: RoomName
    first_pos: int
    payloads: list[bytes]

    @property
    def last_pos(self) -> int:
        return self.first_pos + len(self.payloads) - 1


async def stage(conn: asyncpg.Connection, room: RoomName, events: Sequence[RoomEvent]) -> Staged | None:
    """In the caller's transaction: give the events the room's next positions and store them. The room's
    head row stays locked until the transaction ends, so positions follow commit order with no holes."""
    if not events:
        return None
    payloads = [pack_payload(e.type, e.payload()) for e in events]
    first: int = await conn.fetchval(
        """WITH head AS (
               INSERT INTO room_heads (room, pos) VALUES ($1, $2)
               ON CONFLICT (room) DO UPDATE SET pos = room_heads.pos + $2 RETURNING pos)
           , added AS (
               INSERT INTO room_outbox (room, pos, payload)
               SELECT $1, head.pos - $2 + t.i, t.p FROM head, unnest($3::bytea[]) WITH ORDINALITY AS t(p, i)
               RETURNING pos)
           SELECT min(pos) FROM added""",
        str(room), len(payloads), payloads,
    )
    return Staged(room, first, payloads)


@dataclass(frozen=True)
class Relay:
    """Publishes staged events into the rooms' logs (the bridge's script skips a position already published
    and stops before one whose predecessor is not), and forgets them once published."""

    pool: asyncpg.Pool
    bridge: Bridge

    async def publish(self, staged: Staged | None) -> bool:
        """After commit: publish these events, and first any earlier ones of the room still waiting. False if
        Redis is unavailable: the rows stay, and the sweeper publishes them once it is back."""
        if staged is None:
            return True
        try:
            published = await self.bridge.publish_at(staged.room, staged.first_pos, staged.payloads)
            if published.gap:
                await self.drain(staged.room)
                return True
        except REDIS_DOWN as exc:
            log.warning("room %s: events %d..%d wait for Redis: %r", staged.room, staged.first_pos,
                        staged.last_pos, exc)
            return False
        await _forget(self.pool, staged.room, staged.last_pos)
        return True

    async def drain(self, room: RoomName) -> int:
        """Publish every event the room's outbox still holds, in position order; how many it held."""
        rows = await self.pool.fetch("SELECT pos, payload FROM room_outbox WHERE room = $1 ORDER BY pos", str(room))
        if not rows:
            return 0
        first, payloads = int(rows[0]["pos"]), [bytes(r["payload"]) for r in rows]
        published = await self.bridge.publish_at(room, first, payloads)
        if published.gap:
            # The log says a position before `first` is missing, but every earlier row was published and
            # forgotten: the log is older than them (a Redis restored from an old snapshot). Carry on from here.
            log.warning("room %s: its log stops at position %d, the outbox at %d: publishing on", room,
                        published.last_pos, first)
            await self.bridge.publish_at(room, first, payloads, restart=True)
        await _forget(self.pool, room, first + len(payloads) - 1)
        return len(rows)

    async def sweep(self, older_than_s: float) -> int:
        """Publish what deciding processes left behind (they died after commit, or Redis was down), room by
        room; every process may run it, the script publishes each position once. How many events it held."""
        rooms = await self.pool.fetch(
            "SELECT DISTINCT room FROM room_outbox WHERE created_at < now() - make_interval(secs => $1)",
            older_than_s)
        total = 0
        for r in rooms:
            total += await self.drain(RoomName.parse(r["room"]))
        return total


async def _forget(conn: Conn, room: RoomName, last_pos: int) -> None:
    await conn.execute("DELETE FROM room_outbox WHERE room = $1 AND pos <= $2", str(room), last_pos)
