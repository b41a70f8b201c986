"""Reactions: each is counted in Redis in one step with its sender's rate limit; every interval one process
per room takes the room's counts and sends them as one `reactions` event, and adds them to the show's total."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import asyncpg
import redis.asyncio as aioredis

from audience.reactions.events import Reactions
from rooms.bridge import Bridge
from rooms.names import RoomName
from server.config import RoomsConfig
from server.errors import InvalidInput, RateLimited
from server.tokens import Principal

log = logging.getLogger(__name__)

# KEYS: the sender's window in this room, the room's counts. ARGV: limit, window (s), emoji.
# Returns 0 once counted, else the seconds until the sender may react again. Both keys carry the room's hash tag.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return math.max(1, redis.call('TTL', KEYS[1])) end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
return 0
"""
# KEYS: the room's turn, its counts. ARGV: the interval (ms). The counts since the last take (and they are
# gone), or nil when another process took them less than an interval ago.
_TAKE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return false end
local counts = redis.call('HGETALL', KEYS[2])
redis.call('DEL', KEYS[2])
return counts
"""


@dataclass
class ReactionCounter:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    bridge: Bridge
    config: RoomsConfig
    # Rooms this process counted a reaction in and has not yet seen taken by a turn of its own.
    _dirty: set[RoomName] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._count = self.redis.register_script(_COUNT)
        self._take = self.redis.register_script(_TAKE)

    async def react(self, me: Principal, room: RoomName, emoji: str) -> None:
        """Count one reaction of a viewer in the room (one Redis round trip, rate limit included)."""
        if emoji not in self.config.reactions:
            message = f"One of {' '.join(self.config.reactions)}."
            raise InvalidInput(f"emoji: {message}", fields={"emoji": [message]})
        tag = f"{{{room}}}"
        wait = int(await self._count(keys=[f"reaction:{tag}:{me.user_id}", f"reactions:{tag}"],
                                     args=[self.config.reaction_rate, self.config.reaction_window_s, emoji]))
        if wait:
            raise RateLimited("You are reacting too fast.", retry_after_s=wait)
        self._dirty.add(room)

    async def flush(self) -> int:
        """One round: for each room this process counted in, take the counts if it is this process's turn and
        send them; a room whose turn another process had stays for the next round (so a reaction counted just
        after that process took the counts is sent too). How many events were sent."""
        sent = 0
        for room in list(self._dirty):
            tag = f"{{{room}}}"
            taken = await self._take(keys=[f"reactions:{tag}:turn", f"reactions:{tag}"],
                                     args=[self.config.reaction_flush_ms])
            if taken is None:
                continue
            self._dirty.discard(room)
            pairs = iter(taken)
            counts = {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in zip(pairs, pairs, strict=True)}
            if not counts:
                continue
            if room.kind == "stream":  # the show's total (its report) first: the event is the ephemeral part
                await self.pool.execute("UPDATE livestreams SET reactions_count = reactions_count + $2 WHERE id = $1",
                                        room.number(), sum(counts.values()))
            await self.bridge.emit(room, Reactions(counts=counts))
            sent += 1
        return sent
