"""The personalized feed: the store's data through the engine's stages, and the session that keeps a
user from seeing a video twice."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import redis.asyncio as aioredis

from feed.engine import rules, store
from feed.engine.session import Session
from feed.social import store as social_store
from server.config import FeedConfig
from server.tokens import Principal

TOP_CATEGORIES = 5
TOP_TAGS = 10
MAX_ANONYMOUS_DEPTH = 1000  # signed-out visitors page through at most this many videos


@dataclass
class FeedPage:
    ids: list[int]
    sources: dict[int, str]
    count: int
    more: bool


@dataclass
class Engine:
    pool: asyncpg.Pool
    redis: aioredis.Redis
    config: FeedConfig

    async def profile(self, user_id: int, now: datetime) -> tuple[rules.Profile, set[int]]:
        """Stage 1 for a user, and the videos the session has already shown."""
        session = Session(self.redis, self.config.session_ttl_s)
        seen, session_categories = await session.read(user_id)
        since = now - timedelta(days=self.config.profile_days)
        async with self.pool.acquire() as conn:
            signals = await store.signals(conn, user_id, since)
            follows = await social_store.following_ids(conn, user_id)
        return rules.build_profile(signals, follows, session_categories, now), seen

    async def page(self, me: Principal | None, only_category: int | None, size: int, page: int) -> FeedPage:
        """A page of the feed. Signed in: the next videos not yet shown in this session (the page number
        does not matter; each call continues). Signed out: the same general feed, paged by number."""
        now = datetime.now(UTC)
        seen: set[int]
        if me is None:
            # The same order for everyone (a fixed seed), so that page numbers mean something.
            profile, seen, rng = rules.Profile(), set(), random.Random(0)
            wanted = min(size * page, MAX_ANONYMOUS_DEPTH)
        else:
            profile, seen = await self.profile(me.user_id, now)
            rng, wanted = random.Random(), size
        async with self.pool.acquire() as conn:
            found = await store.candidates(
                conn, categories=profile.top_categories(TOP_CATEGORIES), tags=profile.top_tags(TOP_TAGS),
                follows=sorted(profile.follows), seen=sorted(seen), only_category=only_category,
                # Signed out: the same pool on every page, so that page numbers stay consistent.
                per_source=self.config.candidates_per_source if me is None else max(self.config.candidates_per_source,
                                                                                      size),
            )
            total = await store.active_count(conn, only_category)
        candidates = rules.merge_candidates([found])
        ranked = rules.rank(candidates, profile, now, rng)
        mixed = rules.mix(rules.buckets(ranked, profile, rng), wanted)
        chosen = mixed[size * (page - 1):] if me is None else mixed
        ids = [c.id for c, _ in chosen]
        if me is not None:
            await Session(self.redis, self.config.session_ttl_s).seen(me.user_id, ids)
            count = max(0, total - len(seen))
            more = len(ids) == size and count > len(ids)
        else:
            count = total
            more = len(ids) == size and total > size * page
        return FeedPage(ids, {c.id: bucket for c, bucket in chosen}, count, more)
