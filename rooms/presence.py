"""Viewers across processes: each process reports its local counts every second; totals are the sum
of the reports still fresh; one process per room and second publishes `viewers`, only on a change."""

from __future__ import annotations

import time
import uuid

import redis.asyncio as aioredis

from rooms.bridge import Bridge
from rooms.events import Viewers
from rooms.names import RoomName
from server.redis import mget

FRESH_S = 5  # a report older than this comes from a process that died
ONLINE_TTL_S = 10  # a user is online while some process refreshed this within the last seconds


class Presence:
    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.redis: aioredis.Redis = bridge.redis
        self.process = uuid.uuid4().hex[:12]
        self._reported: set[RoomName] = set()
        self._online_refreshed = float("-inf")
        self._release = self.redis.register_script(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
        )

    async def report(self, counts: dict[RoomName, int]) -> None:
        """Write this process's counts (rooms it left get 0 and are then forgotten)."""
        now = int(time.time())
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in self._reported - set(counts):
                pipe.hdel(f"presence:{room}", self.process)
            for room, count in counts.items():
                pipe.hset(f"presence:{room}", self.process, f"{count}:{now}")
                pipe.expire(f"presence:{room}", FRESH_S * 4)
            await pipe.execute()
        self._reported = set(counts)

    async def report_online(self, user_ids: set[int]) -> None:
        """Mark the users with an open socket on this process as online (for their friends' lists). The marks
        live ONLINE_TTL_S and are refreshed every third of it (a socket marks its user when it opens): at 2,000
        viewers a refresh is 2,000 SETs, a quarter of a core during a flash-sale rush when done every second."""
        now = time.monotonic()
        if not user_ids or now - self._online_refreshed < ONLINE_TTL_S / 3:
            return
        self._online_refreshed = now
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.set(f"online:{user_id}", self.process, ex=ONLINE_TTL_S)
            await pipe.execute()

    async def came_online(self, user_id: int) -> bool:
        """Mark a user online from this process; True if nobody had them online before."""
        fresh = await self.redis.set(f"online:{user_id}", self.process, ex=ONLINE_TTL_S, nx=True)
        if not fresh:
            await self.redis.set(f"online:{user_id}", self.process, ex=ONLINE_TTL_S)
        return bool(fresh)

    async def went_offline(self, user_id: int) -> bool:
        """The user's last socket on this process closed: clear the mark if this process set it last;
        True if the user is now offline everywhere as far as this process can tell."""
        return bool(await self._release(keys=[f"online:{user_id}"], args=[self.process]))

    async def online(self, user_ids: list[int]) -> set[int]:
        """Which of these users have a socket open on any process."""
        if not user_ids:
            return set()
        flags = await mget(self.redis, [f"online:{u}" for u in user_ids])
        return {u for u, flag in zip(user_ids, flags, strict=True) if flag is not None}

    async def total(self, room: RoomName) -> int:
        """Viewers of a room on every live process."""
        return (await self.totals([room]))[room]

    async def totals(self, rooms: list[RoomName]) -> dict[RoomName, int]:
        """Viewers of several rooms, in one round trip: the sum of the fresh reports of each."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.hgetall(f"presence:{room}")
            reports = await pipe.execute()
        now = int(time.time())
        out = {}
        for room, report in zip(rooms, reports, strict=True):
            total = 0
            for value in report.values():
                count, _, stamp = (value.decode() if isinstance(value, bytes) else value).partition(":")
                if now - int(stamp) <= FRESH_S:
                    total += int(count)
            out[room] = total
        return out

    async def publish_changes(self, rooms: list[RoomName]) -> dict[RoomName, int]:
        """For each room, at most one process per second publishes `viewers`, and only if it changed;
        returns the totals this process published."""
        published: dict[RoomName, int] = {}
        for room in rooms:
            if not await self.redis.set(f"presence:{room}:lock", self.process, px=1000, nx=True):
                continue
            total = await self.total(room)
            last = await self.redis.getset(f"presence:{room}:last", total)
            if last is None or int(last) != total:
                await self.bridge.emit(room, Viewers(count=total))
                published[room] = total
        return published
