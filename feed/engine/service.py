"""The personalized feed: the store's data through the engine's stages, and the session that keeps a
user from seeing a video twice.

A signed-in page is taken from the head of the session's queue (one Redis script); only when the queue runs
short is it refilled: the profile (kept in the session for feed.profile_cache_s), the next slice of every
source after where the session last read it, without what was shown, ranked and mixed whole. Signed-out
visitors share one ranked pool per category filter, kept in each process for a short time."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from feed.engine import rules, store
from feed.engine.session import Session
from feed.social import store as social_store
from server.config import FeedConfig
from server.counts import PageCache, cached_count, counted, read_count
from server.db import reading
from server.tokens import Principal

TOP_CATEGORIES = 5
TOP_TAGS = 10
COUNT_SCOPE = "reels"  # the cached total of active reels; uploads, edits, deletes and hidden reels bump it
REFILL_ROUNDS = 4  # slices read per refill at most, when what the sources give was mostly shown already


@dataclass
class FeedPage:
    ids: list[int]
    sources: dict[int, str]
    count: int
    more: bool
    version: int  # the reels' version the page was made under


@dataclass
class Engine:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    config: FeedConfig
    session: Session = field(init=False)
    _public: PageCache = field(init=False)  # (version, category) -> the signed-out pool, ranked and mixed

    def __post_init__(self) -> None:
        self.session = Session(self.redis, self.config.session_ttl_s)
        self._public = PageCache(self.config.render_cache_s, size=64)

    async def page(self, me: Principal | None, only_category: int | None, size: int, page: int) -> FeedPage:
        """A page of the feed. Signed in: the next videos not yet shown in this session (the page number
        does not matter; each call continues). Signed out: one fixed pool of trending and recent videos
        in a fixed order (a seeded ranking), paged by number."""
        replies = await self._open(me, only_category, size)
        known = counted(replies[0], replies[1])
        version = known[0]
        db = reading(self.pool)
        total = await cached_count(self.redis, only_category, lambda: store.active_count(db, only_category),
                                   self.config.count_cache_s, scope=COUNT_SCOPE, known=known)
        if me is None:
            pool = await self._signed_out_pool(only_category, version)
            chosen = pool[size * (page - 1):size * page]
            return FeedPage([i for i, _ in chosen], dict(chosen), total, more=len(pool) > size * page,
                            version=version)
        taken, shown = self.session.taken(replies[2])
        if len(taken) < size:
            queue = await self._refill(me.user_id, only_category, size - len(taken))
            if queue:
                (reply,) = await self._script(lambda pipe: self.session.take_in(
                    pipe, me.user_id, only_category, size - len(taken), queue))
                more, shown = self.session.taken(reply)
                taken += more
        sources = dict(taken)
        ids = [i for i, _ in taken]
        unseen = total - (shown - len(ids))  # what the session had not shown before this page
        if len(ids) < size and total > 0:
            # Every reel was shown in this session: start over with those shown longest ago, so the feed
            # never runs dry while there is anything to show.
            oldest = await self.session.longest_ago(me.user_id, (size - len(ids)) * 4)
            async with reading(self.pool).acquire() as conn:
                again = await store.active_among(conn, [i for i in oldest if i not in sources], only_category)
            again = again[:size - len(ids)]
            await self.session.seen(me.user_id, again)
            ids += again
            sources.update((i, "repeat") for i in again)
        return FeedPage(ids, sources, max(unseen, len(ids), 0), more=len(ids) > 0, version=version)

    async def _open(self, me: Principal | None, only_category: int | None, size: int) -> list[Any]:
        """One round trip: the reels' version, the total kept for this filter, and (signed in) the page taken
        from the session's queue."""
        def commands(pipe: Any) -> None:
            read_count(pipe, only_category, COUNT_SCOPE)
            if me is not None:
                self.session.take_in(pipe, me.user_id, only_category, size)
        return await self._script(commands)

    async def _script(self, commands: Callable[[Any], None]) -> list[Any]:
        """Run a pipeline that calls the session's script, loading the script first if Redis lost it (nothing
        ran then: the script is refused before it starts)."""
        async def run() -> list[Any]:
            async with self.redis.pipeline(transaction=False) as pipe:
                commands(pipe)
                return await pipe.execute()
        try:
            return await run()
        except NoScriptError:
            await self.session.load()
            return await run()

    async def _signed_out_pool(self, only_category: int | None, version: int) -> list[tuple[int, str]]:
        """Every candidate of the trending and recent sources, ranked with a fixed seed and mixed in order."""
        key = (version, only_category)
        pool: list[tuple[int, str]] | None = self._public.get(key)
        if pool is None:
            async with reading(self.pool).acquire() as conn:
                found = await store.candidates(conn, categories=[], tags=[], follows=[], only_category=only_category,
                                               after={}, per_source=self.config.candidates_per_source,
                                               newer_than=None)
            pool = self._ranked(found, rules.Profile(), random.Random(0))
            self._public.put(key, pool)
        return pool

    @staticmethod
    def _ranked(found: dict[str, list[rules.Candidate]], profile: rules.Profile,
                rng: random.Random) -> list[tuple[int, str]]:
        """Stages 2 to 4 over what the sources gave: merged, scored, and mixed whole (the page takes its head)."""
        ranked = rules.rank(rules.merge_candidates(found.values()), profile, datetime.now(UTC), rng)
        return [(c.id, bucket) for c, bucket in rules.mix(rules.buckets(ranked, profile, rng), len(ranked))]

    async def profile(self, user_id: int, now: datetime) -> rules.Profile:
        """Stage 1 for a user from PostgreSQL (without the session's categories)."""
        since = now - timedelta(days=self.config.profile_days)
        async with reading(self.pool).acquire() as conn:
            signals = await store.signals(conn, user_id, since)
            follows = await social_store.following_ids(conn, user_id)
        return rules.build_profile(signals, follows, (), now)

    async def _refill(self, user_id: int, only_category: int | None, want: int) -> list[tuple[int, str]]:
        """A new queue for the session: at least `want` videos it has not shown (when the sources have them),
        ranked and mixed. Reads the sources on from the session's cursors; a source whose query changed (the
        profile's top categories, tags or follows) starts again from its top."""
        saved, cursors, engaged = await self.session.state(user_id, only_category)
        now = datetime.now(UTC)
        fresh_profile = not saved or time.time() - saved.get("at", 0) > self.config.profile_cache_s
        base = await self.profile(user_id, now) if fresh_profile else rules.Profile.load(saved)
        profile = base.in_session(engaged)
        queries: dict[str, Any] = {"interest": profile.top_categories(TOP_CATEGORIES),
                                   "tag": profile.top_tags(TOP_TAGS), "follow": sorted(profile.follows)}
        after: dict[str, store.Cursor | None] = {}
        for name in store.SOURCES:
            kept = cursors.get(name)
            if queries.get(name) == []:
                after[name] = None  # nothing to read: no interests, tags or follows yet
            elif kept is not None and kept["query"] == queries.get(name):
                after[name] = _cursor_in(kept["after"], store.ORDER[name])
        newest = datetime.fromisoformat(cursors["newest"]) if "newest" in cursors else None
        found: dict[str, list[rules.Candidate]] = {name: [] for name in (*store.SOURCES, "new")}
        fresh = 0
        for _ in range(REFILL_ROUNDS):
            async with reading(self.pool).acquire() as conn:
                read = await store.candidates(
                    conn, categories=queries["interest"], tags=queries["tag"], follows=queries["follow"],
                    only_category=only_category, after=after, per_source=self.config.candidates_per_source,
                    newer_than=newest)
            if newest is None:  # the session's first read: later uploads come in as "new"
                newest = max((c.created_at for c in read["recent"]), default=datetime(1970, 1, 1, tzinfo=UTC))
            unshown = await self.session.unshown(user_id, [c.id for group in read.values() for c in group])
            for name, group in read.items():
                if name == "new":
                    newest = max([newest, *(c.created_at for c in group)])
                elif name in after and after[name] is None:
                    continue
                else:
                    last = group[-1] if len(group) == self.config.candidates_per_source else None
                    after[name] = (getattr(last, store.ORDER[name]), last.id) if last else None
                found[name] += [c for c in group if c.id in unshown]
            fresh = len({c.id for group in found.values() for c in group})
            if fresh >= want or all(after[name] is None for name in store.SOURCES):
                break
        await self.session.save_state(
            user_id, only_category, profile={**base.saved(), "at": time.time()} if fresh_profile else None,
            cursors={**({"newest": newest.isoformat()} if newest else {}),
                     **{name: {"query": queries.get(name), "after": _cursor_out(after[name])}
                        for name in store.SOURCES}})
        if not fresh:
            return []
        return self._ranked(found, profile, random.Random())


def _cursor_out(cursor: store.Cursor | None) -> list[Any] | None:
    """A cursor as JSON keeps it (None: the source is done)."""
    if cursor is None:
        return None
    key, video_id = cursor
    return [key.isoformat() if isinstance(key, datetime) else key, video_id]


def _cursor_in(saved: list[Any] | None, order: str) -> store.Cursor | None:
    if saved is None:
        return None
    key, video_id = saved
    return (datetime.fromisoformat(key) if order == "created_at" else float(key)), int(video_id)
