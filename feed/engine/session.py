"""A user's feed session in Redis: the videos already shown (with when), the categories engaged with, the
queue of videos ranked for the next pages, and the engine's saved state (profile, where each source is read
up to). All of it is forgotten after session_ttl_s of inactivity.

A user's keys share one hash tag, so the scripts that touch several of them run on one Redis Cluster node."""

from __future__ import annotations

import json
import time
from typing import Any, cast

import redis.asyncio as aioredis

# KEYS: queue, shown, categories, state. ARGV: how many to take, now, ttl, and more of the queue ("" for none:
# "id:source" items, best first, space-separated: one argument packs faster than a hundred), appended to it.
# Takes from the head of the queue what the session has not shown (two refills of one user at the same moment
# may queue a video twice), marks it shown now (scores rising within the call, so a page keeps its order when
# it comes round again), keeps the session alive, and answers [taken..., number shown].
_TAKE = """
local want, now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local items = {}
for item in string.gmatch(ARGV[4], '%S+') do
  items[#items + 1] = item
  if #items == 500 then redis.call('RPUSH', KEYS[1], unpack(items)); items = {} end
end
if #items > 0 then redis.call('RPUSH', KEYS[1], unpack(items)) end
local taken = {}
while #taken < want do
  local item = redis.call('LPOP', KEYS[1])
  if not item then break end
  local id = string.match(item, '^[^:]+')
  if not redis.call('ZSCORE', KEYS[2], id) then
    taken[#taken + 1] = item
    redis.call('ZADD', KEYS[2], now + #taken * 0.000001, id)
  end
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
taken[#taken + 1] = redis.call('ZCARD', KEYS[2])
return taken
"""


# KEYS: shown. ARGV: video ids, space-separated (one argument packs faster than a hundred). Answers those not
# shown in the session, in the order given, space-separated.
_UNSHOWN = """
local fresh = {}
for id in string.gmatch(ARGV[1], '%S+') do
  if not redis.call('ZSCORE', KEYS[1], id) then fresh[#fresh + 1] = id end
end
return table.concat(fresh, ' ')
"""


class Session:
    def __init__(self, redis: aioredis.Redis, ttl_s: int) -> None:
        self.redis = redis
        self.ttl_s = ttl_s
        self._take = redis.register_script(_TAKE)
        self._unshown = redis.register_script(_UNSHOWN)

    @staticmethod
    def _keys(user_id: int) -> tuple[str, str, str]:
        # (shown: a sorted set by time shown, categories: a hash of engagements, state: the engine's hash)
        tag = f"feed:{{{user_id}}}"
        return f"{tag}:shown", f"{tag}:categories", f"{tag}:state"

    @staticmethod
    def _queue(user_id: int, category: int | None) -> str:
        return f"feed:{{{user_id}}}:queue:{category or 0}"

    def take_in(self, pipe: Any, user_id: int, category: int | None, count: int,
                refill: list[tuple[int, str]] | None = None) -> None:
        """Queue on a pipeline: up to `count` (video, source) from the head of the session's queue for this
        category filter, marked shown; `refill` is appended to the queue first. The reply: `taken`."""
        shown, categories, state = self._keys(user_id)
        items = " ".join(f"{video_id}:{source}" for video_id, source in refill or ())
        # As a raw command: redis-py's cluster pipeline refuses its evalsha() method, though it routes EVALSHA by
        # its keys like any other command (here all of one user's slot).
        pipe.execute_command("EVALSHA", self._take.sha, 4, self._queue(user_id, category), shown, categories, state,
                             count, time.time(), self.ttl_s, items)

    async def load(self) -> None:
        """Load the script into Redis (after a NoScriptError: the server restarted or was flushed)."""
        await self._take.registered_client.script_load(self._take.script)

    @staticmethod
    def taken(reply: list[Any]) -> tuple[list[tuple[int, str]], int]:
        """(the (video, source) taken, how many videos the session has shown) from take_in's reply."""
        taken = []
        for item in reply[:-1]:
            video_id, _, source = (item.decode() if isinstance(item, bytes) else item).partition(":")
            taken.append((int(video_id), source))
        return taken, int(reply[-1])

    async def state(self, user_id: int, category: int | None) -> tuple[dict[str, Any], dict[str, Any], set[int]]:
        """What the engine saved (its profile, and where it read each source up to for this category filter),
        and the categories engaged with in the session."""
        _, categories, state = self._keys(user_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(state, "profile", f"cursors:{category or 0}")
            pipe.hkeys(categories)
            (profile, cursors), engaged = await pipe.execute()
        return json.loads(profile or "{}"), json.loads(cursors or "{}"), {int(c) for c in engaged}

    async def save_state(self, user_id: int, category: int | None, *, profile: dict[str, Any] | None,
                         cursors: dict[str, Any]) -> None:
        """Keep the engine's profile (when it made a new one) and cursors for the next refill."""
        _, _, state = self._keys(user_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(state, f"cursors:{category or 0}", json.dumps(cursors))
            if profile is not None:
                pipe.hset(state, "profile", json.dumps(profile))
            pipe.expire(state, self.ttl_s)
            await pipe.execute()

    async def unshown(self, user_id: int, video_ids: list[int]) -> set[int]:
        """Those of these videos the session has not shown yet."""
        if not video_ids:
            return set()
        shown, _, _ = self._keys(user_id)
        reply = await self._unshown(keys=[shown], args=[" ".join(map(str, video_ids))])
        return {int(v) for v in (reply.decode() if isinstance(reply, bytes) else reply).split()}

    async def longest_ago(self, user_id: int, count: int) -> list[int]:
        """The `count` videos of this session shown longest ago, oldest first."""
        shown, _, _ = self._keys(user_id)
        members = cast(list[bytes], await self.redis.zrange(shown, 0, count - 1))
        return [int(v) for v in members]

    async def seen(self, user_id: int, video_ids: list[int]) -> None:
        """Mark videos as shown now in this session (and keep the session alive)."""
        if not video_ids:
            return
        shown, categories, state = self._keys(user_id)
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(shown, {str(v): now + i * 1e-6 for i, v in enumerate(video_ids)})
            for key in (shown, categories, state):
                pipe.expire(key, self.ttl_s)
            await pipe.execute()

    async def touch(self, user_id: int, category_id: int | None) -> None:
        """Record an engagement with a category in this session (and keep the session alive). The queues it
        may reorder and the profile it adds to are dropped: the next page is ranked with it."""
        shown, categories, state = self._keys(user_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            if category_id is not None:
                pipe.hincrby(categories, str(category_id), 1)
                pipe.delete(self._queue(user_id, category_id))
            pipe.delete(self._queue(user_id, None))
            pipe.hdel(state, "profile")
            for key in (shown, categories, state):
                pipe.expire(key, self.ttl_s)
            await pipe.execute()
